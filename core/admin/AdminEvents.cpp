// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminEvents.h"

#include "proxy/ProxyServer.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace fulcrum {

AdminEvents::AdminEvents(ProxyServer &server, ExportInfo exportInfo, QObject *parent)
    : QObject(parent), m_server(server), m_exportInfo(std::move(exportInfo))
{
    connect(&server, &ProxyServer::snapshotPublished, this, [this](const MetricsSnapshotPtr &snapshot) {
        Q_EMIT framePublished(snapshotFrame(*snapshot), true);
        announceDrained();
    });
    connect(&server.backends(), &BackendRegistry::backendChanged, this, &AdminEvents::onBackendChanged);
    connect(
        &server.routing(), &RoutingRegistry::splitChanged, this,
        [this](const QString &route, const QString &from, const QString &to, const QString &reason) {
            publish("split", {{u"route"_s, route}, {u"from"_s, from}, {u"to"_s, to}, {u"reason"_s, reason}});
        });
}

QByteArray AdminEvents::frame(const QByteArray &name, const QByteArray &data)
{
    return "id: " + QByteArray::number(m_nextId++) + "\nevent: " + name + "\ndata: " + data + "\n\n";
}

QByteArray AdminEvents::snapshotFrame(const MetricsSnapshot &snapshot)
{
    // The JSON export is indented; SSE data must be one line per "data:" field.
    const QByteArray json =
        QJsonDocument::fromJson(snapshotToJson(snapshot, m_exportInfo)).toJson(QJsonDocument::Compact);
    return frame("snapshot", json);
}

void AdminEvents::publish(const QByteArray &name, const QJsonObject &data)
{
    Q_EMIT framePublished(frame(name, QJsonDocument(data).toJson(QJsonDocument::Compact)), false);
}

void AdminEvents::onBackendChanged(const BackendChange &change)
{
    publish("backend", {{u"kind"_s, backendChangeKindName(change.kind)},
                        {u"backend"_s, change.backend},
                        {u"from"_s, change.from},
                        {u"to"_s, change.to},
                        {u"reason"_s, change.reason}});
    // A removal that completed quickly may never have been seen idle on a tick.
    if (change.kind == BackendChange::Kind::Removed && change.reason == u"drained"_s &&
        !m_drainedAnnounced.contains(change.backend))
        publish("drained", {{u"backend"_s, change.backend}});
    if (change.kind == BackendChange::Kind::Removed || change.kind == BackendChange::Kind::StateChanged)
        m_drainedAnnounced.remove(change.backend);
    announceDrained();
}

void AdminEvents::announceDrained()
{
    for (const BackendStatus &status : m_server.backends().status()) {
        const bool draining = status.removing || status.operatorState == BackendState::Draining;
        if (!draining || status.inFlight > 0 || m_drainedAnnounced.contains(status.config.name))
            continue;
        m_drainedAnnounced.insert(status.config.name);
        publish("drained", {{u"backend"_s, status.config.name}});
    }
}

} // namespace fulcrum

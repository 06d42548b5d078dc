// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "control/BackendChange.h"
#include "metrics/MetricsSnapshot.h"
#include "metrics/SnapshotExport.h"

#include <QJsonObject>
#include <QObject>
#include <QSet>

namespace fulcrum {

class ProxyServer;

// The admin event stream's content, as Server-Sent Events frames: snapshots on every metrics tick,
// backend and split changes as they happen, and the moment a draining backend has nothing left in
// flight. The transport only copies frames to its subscribers.
class AdminEvents final : public QObject
{
    Q_OBJECT
public:
    AdminEvents(ProxyServer &server, ExportInfo exportInfo, QObject *parent = nullptr);

    // A frame with the next id: "id: N\nevent: NAME\ndata: DATA\n\n". data must be one line.
    QByteArray frame(const QByteArray &name, const QByteArray &data);
    QByteArray snapshotFrame(const MetricsSnapshot &snapshot);
    // A comment line: clients ignore it, and idle-closing proxies in between see traffic.
    static QByteArray keepAliveFrame() { return QByteArrayLiteral(": keep-alive\n\n"); }

Q_SIGNALS:
    // isSnapshot lets subscribers that asked for no snapshots skip the frame.
    void framePublished(const QByteArray &frame, bool isSnapshot);

private:
    void publish(const QByteArray &name, const QJsonObject &data);
    void onBackendChanged(const BackendChange &change);
    // Announces each draining backend once, when its last request in flight has finished.
    void announceDrained();

    ProxyServer &m_server;
    ExportInfo m_exportInfo;
    quint64 m_nextId = 1;
    QSet<QString> m_drainedAnnounced;
};

} // namespace fulcrum

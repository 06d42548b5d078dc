// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttachedSource.h"

#include "SnapshotJsonReader.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

AttachedSource::AttachedSource(QUrl base, QString token, QObject *parent)
    : ConsoleSource(parent), m_base(std::move(base)), m_token(std::move(token))
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &AttachedSource::openStream);
}

AttachedSource::~AttachedSource()
{
    if (m_stream) {
        m_stream->disconnect(this);
        m_stream->abort();
    }
}

QString AttachedSource::description() const
{
    return u"attached to "_s + m_base.toString();
}

QString AttachedSource::readToken(const QString &tokenFile, QString *error)
{
    if (tokenFile.isEmpty())
        return QString::fromUtf8(qgetenv("FULCRUM_ADMIN_TOKEN")).trimmed();
    QFile file(tokenFile);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = u"cannot read the token file %1: %2"_s.arg(tokenFile, file.errorString());
        return {};
    }
    return QString::fromUtf8(file.readAll()).trimmed();
}

void AttachedSource::start()
{
    setConnection(u"connecting"_s, m_base.toString());
    fetchSnapshot();
    openStream();
}

QNetworkRequest AttachedSource::request(const QString &path) const
{
    QUrl url = m_base;
    const qsizetype query = path.indexOf(u'?');
    url.setPath(query < 0 ? path : path.left(query));
    if (query >= 0)
        url.setQuery(path.mid(query + 1));
    QNetworkRequest request(url);
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
    return request;
}

QString AttachedSource::failureText(QNetworkReply *reply, const QByteArray &body) const
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 401)
        return u"wrong or missing admin token"_s;
    const QString apiError = QJsonDocument::fromJson(body).object().value(u"error"_s).toString();
    if (!apiError.isEmpty())
        return apiError;
    return reply->errorString();
}

void AttachedSource::send(const QByteArray &verb, const QString &path, const QJsonObject &body,
                          std::function<void()> onSuccess)
{
    const QByteArray bytes =
        body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    QNetworkReply *reply = m_network.sendCustomRequest(request(path), verb, bytes);
    connect(reply, &QNetworkReply::finished, this, [this, reply, onSuccess = std::move(onSuccess)] {
        reply->deleteLater();
        const QByteArray answer = reply->readAll();
        if (reply->error() != QNetworkReply::NoError) {
            Q_EMIT operationFailed(failureText(reply, answer));
            return;
        }
        if (onSuccess)
            onSuccess();
        fetchSnapshot(); // show the change at once rather than at the next tick
    });
}

void AttachedSource::setWeight(const QString &name, int weight)
{
    send("PATCH", u"/api/v1/backends/"_s + name, QJsonObject{{u"weight"_s, weight}});
}

void AttachedSource::setState(const QString &name, const QString &state)
{
    send("PATCH", u"/api/v1/backends/"_s + name, QJsonObject{{u"state"_s, state}});
}

void AttachedSource::addBackend(const QString &name, const QString &url, int weight)
{
    send("POST", u"/api/v1/backends"_s,
         QJsonObject{{u"name"_s, name}, {u"url"_s, url}, {u"weight"_s, weight}});
}

void AttachedSource::removeBackend(const QString &name)
{
    send("DELETE", u"/api/v1/backends/"_s + name, {});
}

void AttachedSource::reload()
{
    // The stream tells of what the reload changed, not of the reload itself.
    send("POST", u"/api/v1/reload"_s, {}, [this] {
        Q_EMIT eventArrived({QDateTime::currentDateTime(),
                             u"reload"_s,
                             QString(),
                             u"fulcrumd re-read its configuration"_s,
                             {},
                             {}});
    });
}

void AttachedSource::exportSnapshot(ExportFormat format)
{
    QString path = u"/api/v1/snapshot"_s;
    if (format == ExportFormat::Csv)
        path += u"?format=csv"_s;
    else if (format == ExportFormat::Prometheus)
        path += u"?format=prom"_s;
    QNetworkReply *reply = m_network.get(request(path));
    connect(reply, &QNetworkReply::finished, this, [this, reply, format] {
        reply->deleteLater();
        const QByteArray body = reply->readAll();
        if (reply->error() != QNetworkReply::NoError)
            Q_EMIT operationFailed(failureText(reply, body));
        else
            Q_EMIT exportReady(format, body);
    });
}

void AttachedSource::fetchSnapshot()
{
    QNetworkReply *reply = m_network.get(request(u"/api/v1/snapshot"_s));
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        const QByteArray body = reply->readAll();
        if (reply->error() != QNetworkReply::NoError) {
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 401)
                setConnection(u"unauthorized"_s, failureText(reply, body));
            return;
        }
        QString error;
        if (const MetricsSnapshotPtr snapshot = snapshotFromJson(body, &error))
            Q_EMIT snapshotArrived(snapshot);
        else
            Q_EMIT operationFailed(error);
    });
}

void AttachedSource::openStream()
{
    m_parser.reset();
    QNetworkRequest streamRequest = request(u"/api/v1/events"_s);
    streamRequest.setRawHeader("Accept", "text/event-stream");
    streamRequest.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    m_stream = m_network.get(streamRequest);
    connect(m_stream, &QNetworkReply::readyRead, this, &AttachedSource::onStreamData);
    connect(m_stream, &QNetworkReply::finished, this, &AttachedSource::onStreamFinished);
}

void AttachedSource::onStreamData()
{
    if (!m_stream)
        return;
    if (m_state != u"connected"_s)
        setConnection(u"connected"_s, m_base.toString());
    m_retryMs = kFirstRetryMs;
    const QList<SseEvent> events = m_parser.feed(m_stream->readAll());
    for (const SseEvent &event : events)
        handleEvent(event);
}

void AttachedSource::onStreamFinished()
{
    QNetworkReply *reply = m_stream;
    if (!reply)
        return;
    reply->deleteLater();
    m_stream = nullptr;
    const QString reason = failureText(reply, reply->readAll());
    if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 401) {
        setConnection(u"unauthorized"_s, reason); // retrying with the same token cannot help
        return;
    }
    setConnection(u"disconnected"_s, u"%1; retrying in %2 s"_s.arg(reason).arg(m_retryMs / 1000));
    m_retryTimer.start(m_retryMs);
    m_retryMs = std::min(m_retryMs * 2, kMaxRetryMs);
}

void AttachedSource::handleEvent(const SseEvent &event)
{
    if (event.name == "snapshot") {
        QString error;
        if (const MetricsSnapshotPtr snapshot = snapshotFromJson(event.data, &error))
            Q_EMIT snapshotArrived(snapshot);
        return;
    }
    const QJsonObject data = QJsonDocument::fromJson(event.data).object();
    ConsoleEvent change{QDateTime::currentDateTime(),
                        QString::fromUtf8(event.name),
                        data.value(u"backend"_s).toString(),
                        QString(),
                        {},
                        {}};
    if (event.name == "backend") {
        change.kind = data.value(u"kind"_s).toString();
        change.from = data.value(u"from"_s).toString();
        change.to = data.value(u"to"_s).toString();
        change.text = u"%1 -> %2 (%3)"_s.arg(data.value(u"from"_s).toString(), data.value(u"to"_s).toString(),
                                             data.value(u"reason"_s).toString());
    } else if (event.name == "split") {
        change.backend = data.value(u"route"_s).toString();
        change.text =
            u"split %1 -> %2"_s.arg(data.value(u"from"_s).toString(), data.value(u"to"_s).toString());
    } else if (event.name == "drained") {
        change.text = u"no request in flight any more"_s;
    } else {
        change.text = QString::fromUtf8(event.data);
    }
    Q_EMIT eventArrived(change);
}

void AttachedSource::setConnection(const QString &state, const QString &text)
{
    m_state = state;
    Q_EMIT connectionStateChanged(state, text);
}

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
#include "SseReader.h"

#include <QEventLoop>
#include <QHostAddress>
#include <QJsonDocument>
#include <QTimer>

#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

namespace {

constexpr qsizetype kMaxHeadBytes = 64 * 1024;

} // namespace

QJsonObject SseEvent::json() const
{
    return QJsonDocument::fromJson(data).object();
}

QString SseEvent::describe() const
{
    QString text = u"id="_s + QString::fromUtf8(id) + u" event="_s + QString::fromUtf8(name) + u" data="_s;
    text += data.size() > 300 ? QString::fromUtf8(data.first(300)) + u"…"_s : QString::fromUtf8(data);
    return text;
}

SseReader::SseReader() = default;

SseReader::~SseReader() = default;

void SseReader::close()
{
    if (m_socket)
        m_socket->abort();
    m_socket.reset();
}

bool SseReader::open(quint16 port, QByteArrayView request, int timeoutMs)
{
    close();
    m_raw.clear();
    m_body.clear();
    m_head.clear();
    m_headers = {};
    m_status = 0;
    m_chunked = false;
    m_ended = false;
    m_peerClosed = false;
    m_comments = 0;
    m_pending = {};
    m_pendingFields = false;
    m_pendingData = false;
    m_received.clear();
    m_error.clear();

    const QDeadlineTimer deadline(timeoutMs);
    m_socket = std::make_unique<QTcpSocket>();
    m_socket->connectToHost(QHostAddress::LocalHost, port);
    while (m_socket->state() != QAbstractSocket::ConnectedState) {
        if (m_socket->state() == QAbstractSocket::UnconnectedState) {
            m_error = u"cannot connect to port %1: %2"_s.arg(port).arg(m_socket->errorString());
            return false;
        }
        if (!waitForMore(deadline)) {
            m_error = u"no connection to port %1 in time"_s.arg(port);
            return false;
        }
    }
    m_socket->write(request.data(), request.size());

    qsizetype end = -1;
    while ((end = m_raw.indexOf("\r\n\r\n")) < 0) {
        if (m_raw.size() > kMaxHeadBytes) {
            m_error = u"response head over %1 bytes"_s.arg(kMaxHeadBytes);
            return false;
        }
        if (m_peerClosed || !waitForMore(deadline)) {
            m_error = u"no complete response head; received: "_s + QString::fromLatin1(m_raw);
            return false;
        }
    }
    m_head = m_raw.first(end + 4);
    m_raw.remove(0, end + 4);
    const QList<QByteArray> lines = m_head.chopped(4).split('\n');
    const QByteArray statusLine = lines.constFirst().trimmed();
    if (!statusLine.startsWith("HTTP/1.") || statusLine.size() < 12) {
        m_error = u"malformed status line: "_s + QString::fromLatin1(statusLine);
        return false;
    }
    m_status = statusLine.mid(9, 3).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            m_headers.append(line.first(colon), line.sliced(colon + 1).trimmed());
    }
    m_chunked = m_headers.value("transfer-encoding").toLower().contains("chunked");
    decodeBody();
    return true;
}

bool SseReader::waitForMore(const QDeadlineTimer &deadline)
{
    if (!m_socket || deadline.hasExpired())
        return false;
    const qint64 before = m_raw.size();
    const QAbstractSocket::SocketState state = m_socket->state();
    QEventLoop loop;
    QObject::connect(m_socket.get(), &QTcpSocket::readyRead, &loop, &QEventLoop::quit);
    QObject::connect(m_socket.get(), &QTcpSocket::connected, &loop, &QEventLoop::quit);
    QObject::connect(m_socket.get(), &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(m_socket.get(), &QTcpSocket::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(std::max<qint64>(1, deadline.remainingTime()), &loop, &QEventLoop::quit);
    if (m_socket->bytesAvailable() == 0 && m_socket->state() == state)
        loop.exec();
    pull();
    return m_raw.size() > before || m_socket->state() != state || m_peerClosed;
}

void SseReader::pull()
{
    if (!m_socket)
        return;
    m_raw.append(m_socket->readAll());
    if (m_socket->state() == QAbstractSocket::UnconnectedState ||
        m_socket->error() == QAbstractSocket::RemoteHostClosedError)
        m_peerClosed = true;
}

void SseReader::decodeBody()
{
    if (!m_chunked) {
        m_body.append(m_raw);
        m_raw.clear();
        if (m_peerClosed)
            m_ended = true;
        return;
    }
    for (;;) {
        const qsizetype lineEnd = m_raw.indexOf("\r\n");
        if (lineEnd < 0)
            break;
        QByteArray sizeText = m_raw.first(lineEnd);
        const qsizetype extension = sizeText.indexOf(';');
        if (extension >= 0)
            sizeText.truncate(extension);
        bool ok = false;
        const qint64 size = sizeText.trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0) {
            m_error = u"malformed chunk size line: "_s + QString::fromLatin1(m_raw.first(lineEnd));
            m_ended = true;
            return;
        }
        if (size == 0) {
            m_ended = true;
            m_raw.clear();
            return;
        }
        if (m_raw.size() < lineEnd + 2 + size + 2)
            break;
        m_body.append(m_raw.sliced(lineEnd + 2, size));
        m_raw.remove(0, lineEnd + 2 + size + 2);
    }
    if (m_peerClosed)
        m_ended = true;
}

std::optional<SseEvent> SseReader::takeFrame()
{
    for (;;) {
        const qsizetype lineEnd = m_body.indexOf('\n');
        if (lineEnd < 0)
            return std::nullopt;
        QByteArray line = m_body.first(lineEnd);
        m_body.remove(0, lineEnd + 1);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty()) {
            if (!m_pendingFields)
                continue; // a blank line after comments only: no event
            SseEvent event = std::exchange(m_pending, SseEvent());
            m_pendingFields = false;
            m_pendingData = false;
            return event;
        }
        if (line.startsWith(':')) {
            ++m_comments;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        const QByteArray field = colon < 0 ? line : line.first(colon);
        QByteArray value = colon < 0 ? QByteArray() : line.sliced(colon + 1);
        if (value.startsWith(' '))
            value.remove(0, 1);
        m_pendingFields = true;
        if (field == "id") {
            m_pending.id = value;
        } else if (field == "event") {
            m_pending.name = value;
        } else if (field == "data") {
            if (m_pendingData)
                m_pending.data += '\n';
            m_pending.data += value;
            m_pendingData = true;
        }
    }
}

std::optional<SseEvent> SseReader::next(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        decodeBody();
        if (std::optional<SseEvent> event = takeFrame()) {
            m_received.append(*event);
            return event;
        }
        if (m_ended) {
            if (m_error.isEmpty())
                m_error = u"the stream ended"_s;
            return std::nullopt;
        }
        if (!m_socket || deadline.hasExpired()) {
            m_error = u"no complete event within %1 ms"_s.arg(timeoutMs);
            return std::nullopt;
        }
        waitForMore(deadline);
    }
}

std::optional<SseEvent> SseReader::waitFor(QByteArrayView name, int timeoutMs,
                                           const std::function<bool(const SseEvent &)> &accept)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        std::optional<SseEvent> event = next(static_cast<int>(std::max<qint64>(0, deadline.remainingTime())));
        if (!event)
            return std::nullopt;
        if (event->name == name && (!accept || accept(*event)))
            return event;
    }
}

QString SseReader::describe() const
{
    QStringList lines;
    lines.append(u"status %1; %2 events, %3 comments"_s.arg(m_status).arg(m_received.size()).arg(m_comments));
    for (const SseEvent &event : m_received)
        lines.append(event.describe());
    if (!m_error.isEmpty())
        lines.append(u"error: "_s + m_error);
    return lines.join(u'\n');
}

} // namespace fulcrum::test

// SPDX-License-Identifier: GPL-3.0-or-later
#include "RawClient.h"

#include <QEventLoop>
#include <QHostAddress>
#include <QSslSocket>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

namespace {

constexpr qsizetype kMaxHeadBytes = 1024 * 1024;

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// Parses the status line and header lines of `head` (which ends in CRLF CRLF) into r.
bool parseHead(const QByteArray &head, HttpResponse &r)
{
    QList<QByteArrayView> lines;
    const QByteArrayView text = QByteArrayView(head).chopped(4);
    qsizetype start = 0;
    while (start <= text.size()) {
        qsizetype end = text.indexOf("\r\n", start);
        if (end < 0)
            end = text.size();
        lines.append(text.sliced(start, end - start));
        start = end + 2;
    }
    for (const QByteArrayView line : lines) {
        if (line.contains('\n') || line.contains('\r')) {
            r.error = u"bare CR or LF in the response head"_s;
            return false;
        }
    }
    const QByteArrayView status = lines.constFirst();
    if (status.size() < 12 || !status.startsWith("HTTP/1.") || !isDigit(status[7]) || status[8] != ' ' ||
        !isDigit(status[9]) || !isDigit(status[10]) || !isDigit(status[11]) ||
        (status.size() > 12 && status[12] != ' ')) {
        r.error = u"malformed status line: "_s + QString::fromLatin1(status);
        return false;
    }
    r.versionMinor = status[7] - '0';
    r.status = status.sliced(9, 3).toInt();
    r.reason = status.size() > 13 ? status.sliced(13).toByteArray() : QByteArray();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArrayView line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            r.error = u"malformed header line: "_s + QString::fromLatin1(line);
            return false;
        }
        const QByteArrayView name = line.first(colon);
        if (name.contains(' ') || name.contains('\t')) {
            r.error = u"whitespace in header name: "_s + QString::fromLatin1(line);
            return false;
        }
        r.headers.append(name.toByteArray(), line.sliced(colon + 1).trimmed().toByteArray());
    }
    return true;
}

bool isChunked(const HttpResponse &r)
{
    QByteArray codings;
    for (const HttpHeader &header : r.headers) {
        if (headerNameEquals(header.name, "transfer-encoding"))
            codings = header.value;
    }
    if (codings.isNull())
        return false;
    const QList<QByteArray> list = codings.split(',');
    return list.constLast().trimmed().toLower() == "chunked";
}

} // namespace

QString HttpResponse::describe() const
{
    QString text = u"status %1 (%2), %3 body bytes"_s.arg(status)
                       .arg(complete ? u"complete"_s : u"incomplete"_s)
                       .arg(body.size());
    if (!error.isEmpty())
        text += u", error: "_s + error;
    text += u", head: "_s + QString::fromLatin1(head).replace(u"\r\n"_s, u"\\r\\n"_s);
    if (!body.isEmpty() && body.size() <= 512)
        text += u", body: "_s + QString::fromLatin1(body);
    return text;
}

RawClient::RawClient() = default;

RawClient::~RawClient()
{
    close();
}

bool RawClient::connectTo(quint16 port, int timeoutMs)
{
    close();
    m_buffer.clear();
    m_offset = 0;
    m_peerClosed = false;
    m_error.clear();
    QSslSocket *tlsSocket = m_tls ? new QSslSocket : nullptr;
    m_socket.reset(m_tls ? tlsSocket : new QTcpSocket);
    QTcpSocket *socket = m_socket.get();
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [this] { pull(); });
    QObject::connect(socket, &QTcpSocket::disconnected, socket, [this] { pull(); });
    if (!m_source.isNull() && !socket->bind(m_source)) {
        m_error = u"cannot bind to %1: %2"_s.arg(m_source.toString(), socket->errorString());
        return false;
    }
    if (tlsSocket != nullptr) {
        tlsSocket->setSslConfiguration(*m_tls);
        tlsSocket->connectToHostEncrypted(u"127.0.0.1"_s, port, m_peerName);
    } else {
        socket->connectToHost(QHostAddress::LocalHost, port);
    }
    const QDeadlineTimer deadline(timeoutMs);
    while (socket->state() != QAbstractSocket::ConnectedState ||
           (tlsSocket != nullptr && !tlsSocket->isEncrypted())) {
        if (socket->state() == QAbstractSocket::UnconnectedState || deadline.hasExpired()) {
            m_error = u"cannot connect to 127.0.0.1:%1: %2"_s.arg(port).arg(socket->errorString());
            return false;
        }
        waitForEvent(deadline.remainingTime());
    }
    return true;
}

void RawClient::useTls(const QSslConfiguration &config, const QString &peerName)
{
    m_tls = config;
    m_peerName = peerName;
}

const QSslSocket *RawClient::tlsSocket() const
{
    return m_tls ? static_cast<const QSslSocket *>(m_socket.get()) : nullptr;
}

bool RawClient::isConnected() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

void RawClient::close()
{
    if (!m_socket)
        return;
    m_socket->disconnect();
    m_socket->abort();
    m_socket.reset();
}

void RawClient::pull()
{
    if (!m_socket)
        return;
    if (m_socket->bytesAvailable() > 0)
        m_buffer.append(m_socket->readAll());
    if (m_socket->state() == QAbstractSocket::UnconnectedState)
        m_peerClosed = true;
}

void RawClient::waitForEvent(qint64 timeoutMs)
{
    if (!m_socket || timeoutMs <= 0)
        return;
    QEventLoop loop;
    QTcpSocket *socket = m_socket.get();
    QObject::connect(socket, &QTcpSocket::readyRead, &loop, &QEventLoop::quit);
    QObject::connect(socket, &QTcpSocket::connected, &loop, &QEventLoop::quit);
    QObject::connect(socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
    QObject::connect(socket, &QTcpSocket::readChannelFinished, &loop, &QEventLoop::quit);
    QObject::connect(socket, &QTcpSocket::errorOccurred, &loop, &QEventLoop::quit);
    QObject::connect(socket, &QTcpSocket::bytesWritten, &loop, &QEventLoop::quit);
    if (m_tls)
        QObject::connect(static_cast<QSslSocket *>(socket), &QSslSocket::encrypted, &loop, &QEventLoop::quit);
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    timer.start(static_cast<int>(std::min<qint64>(timeoutMs, 60'000)));
    loop.exec();
}

bool RawClient::waitForMore(const QDeadlineTimer &deadline)
{
    const qsizetype before = m_buffer.size();
    pull();
    while (m_buffer.size() == before) {
        if (m_peerClosed || !m_socket || deadline.hasExpired())
            return false;
        waitForEvent(deadline.remainingTime());
        pull();
    }
    return true;
}

void RawClient::compact()
{
    if (m_offset > 0) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
}

bool RawClient::send(QByteArrayView bytes, int timeoutMs)
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState) {
        m_error = u"send: not connected"_s;
        return false;
    }
    if (m_socket->write(bytes.constData(), bytes.size()) != bytes.size()) {
        m_error = u"send: "_s + m_socket->errorString();
        return false;
    }
    const QDeadlineTimer deadline(timeoutMs);
    while (m_socket->bytesToWrite() > 0) {
        if (m_socket->state() != QAbstractSocket::ConnectedState) {
            m_error = u"send: connection closed with %1 bytes unsent"_s.arg(m_socket->bytesToWrite());
            return false;
        }
        if (deadline.hasExpired()) {
            m_error = u"send: timed out with %1 bytes unsent"_s.arg(m_socket->bytesToWrite());
            return false;
        }
        waitForEvent(deadline.remainingTime());
    }
    return true;
}

HttpResponse RawClient::readMessage(bool headRequest, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    HttpResponse r;
    compact();

    auto endOfInput = [this](const QString &what) -> QString {
        return m_peerClosed ? u"connection closed "_s + what : u"timed out "_s + what;
    };

    qsizetype headEnd = -1;
    qsizetype searchFrom = 0;
    for (;;) {
        headEnd = m_buffer.indexOf("\r\n\r\n", searchFrom);
        if (headEnd >= 0)
            break;
        if (m_buffer.indexOf("\n\n") >= 0 || m_buffer.indexOf("\n\r\n") >= 0) {
            r.error = u"bare LF in the response head"_s;
            r.head = m_buffer;
            m_offset = m_buffer.size();
            return r;
        }
        if (m_buffer.size() > kMaxHeadBytes) {
            r.error = u"response head larger than 1 MiB"_s;
            return r;
        }
        searchFrom = std::max<qsizetype>(0, m_buffer.size() - 3);
        if (!waitForMore(deadline)) {
            r.error = endOfInput(m_buffer.isEmpty() ? u"before any response byte"_s
                                                    : u"inside the response head"_s);
            r.head = m_buffer;
            m_offset = m_buffer.size();
            return r;
        }
    }
    r.head = m_buffer.first(headEnd + 4);
    m_offset = headEnd + 4;
    if (!parseHead(r.head, r))
        return r;

    if (headRequest || r.status < 200 || r.status == 204 || r.status == 304) {
        r.complete = true;
        return r;
    }

    if (isChunked(r)) {
        r.chunked = true;
        qsizetype pos = m_offset;
        for (;;) {
            qsizetype lineEnd = -1;
            while ((lineEnd = m_buffer.indexOf("\r\n", pos)) < 0) {
                if (!waitForMore(deadline)) {
                    r.error = endOfInput(u"inside a chunk size line"_s);
                    m_offset = m_buffer.size();
                    return r;
                }
            }
            QByteArrayView sizeText = QByteArrayView(m_buffer).sliced(pos, lineEnd - pos);
            if (const qsizetype semicolon = sizeText.indexOf(';'); semicolon >= 0)
                sizeText = sizeText.first(semicolon);
            bool valid = !sizeText.isEmpty() && sizeText.size() <= 15;
            for (const char c : sizeText)
                valid = valid && isHexDigit(c);
            if (!valid) {
                r.error = u"invalid chunk size line: "_s + QString::fromLatin1(sizeText);
                m_offset = m_buffer.size();
                return r;
            }
            const qsizetype size = static_cast<qsizetype>(sizeText.toLongLong(nullptr, 16));
            pos = lineEnd + 2;
            if (size == 0) {
                // Trailer fields, then the empty line.
                for (;;) {
                    while ((lineEnd = m_buffer.indexOf("\r\n", pos)) < 0) {
                        if (!waitForMore(deadline)) {
                            r.error = endOfInput(u"inside the chunked trailer"_s);
                            m_offset = m_buffer.size();
                            return r;
                        }
                    }
                    const bool last = lineEnd == pos;
                    pos = lineEnd + 2;
                    if (last)
                        break;
                }
                m_offset = pos;
                r.complete = true;
                return r;
            }
            while (m_buffer.size() < pos + size + 2) {
                if (!waitForMore(deadline)) {
                    r.body.append(QByteArrayView(m_buffer).sliced(std::min(pos, m_buffer.size())));
                    r.error = endOfInput(u"inside chunk data after %1 body bytes"_s.arg(r.body.size()));
                    m_offset = m_buffer.size();
                    return r;
                }
            }
            r.body.append(QByteArrayView(m_buffer).sliced(pos, size));
            if (QByteArrayView(m_buffer).sliced(pos + size, 2) != "\r\n") {
                r.error = u"chunk data not followed by CRLF"_s;
                m_offset = m_buffer.size();
                return r;
            }
            pos += size + 2;
        }
    }

    const QByteArray lengthText = r.header("content-length");
    if (!lengthText.isNull()) {
        bool ok = false;
        const qint64 length = lengthText.toLongLong(&ok);
        if (!ok || length < 0 || r.headerCount("content-length") > 1) {
            r.error = u"invalid Content-Length: "_s + QString::fromLatin1(lengthText);
            return r;
        }
        while (m_buffer.size() - m_offset < length) {
            if (!waitForMore(deadline)) {
                r.body = m_buffer.sliced(m_offset);
                m_offset = m_buffer.size();
                r.error = endOfInput(u"after %1 of %2 body bytes"_s.arg(r.body.size()).arg(length));
                return r;
            }
        }
        r.body = m_buffer.sliced(m_offset, length);
        m_offset += length;
        r.complete = true;
        return r;
    }

    // Delimited by the close.
    while (waitForMore(deadline)) {
    }
    r.body = m_buffer.sliced(m_offset);
    m_offset = m_buffer.size();
    if (!m_peerClosed) {
        r.error = u"timed out reading a close-delimited body"_s;
        return r;
    }
    r.complete = true;
    return r;
}

HttpResponse RawClient::readResponse(bool headRequest, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    QList<HttpResponse> interim;
    for (int i = 0; i < 100; ++i) {
        HttpResponse r =
            readMessage(headRequest, static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
        if (!r.complete || r.status >= 200) {
            r.interim = interim;
            return r;
        }
        interim.append(r);
    }
    HttpResponse r;
    r.error = u"more than 100 interim responses"_s;
    r.interim = interim;
    return r;
}

HttpResponse RawClient::request(QByteArrayView bytes, bool headRequest, int timeoutMs)
{
    if (!send(bytes, timeoutMs)) {
        HttpResponse r;
        r.error = m_error;
        return r;
    }
    return readResponse(headRequest, timeoutMs);
}

QByteArray RawClient::readUntilClosed(bool *closed, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (waitForMore(deadline)) {
    }
    *closed = m_peerClosed;
    const QByteArray rest = m_buffer.sliced(m_offset);
    m_offset = m_buffer.size();
    return rest;
}

bool RawClient::staysSilent(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    const qsizetype before = m_buffer.size();
    pull();
    while (!deadline.hasExpired()) {
        if (m_buffer.size() != before || m_peerClosed)
            return false;
        waitForEvent(deadline.remainingTime());
        pull();
    }
    return m_buffer.size() == before && !m_peerClosed;
}

QByteArray RawClient::buildRequest(QByteArrayView method, QByteArrayView target,
                                   const QList<std::pair<QByteArray, QByteArray>> &headers,
                                   QByteArrayView body)
{
    QByteArray out;
    out.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    bool hasHost = false;
    for (const auto &[name, value] : headers)
        hasHost = hasHost || headerNameEquals(name, "host");
    if (!hasHost)
        out.append("Host: localhost\r\n");
    for (const auto &[name, value] : headers)
        out.append(name).append(": ").append(value).append("\r\n");
    if (!body.isEmpty())
        out.append("Content-Length: ").append(QByteArray::number(body.size())).append("\r\n");
    out.append("\r\n").append(body);
    return out;
}

QByteArray RawClient::get(QByteArrayView target, const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    return buildRequest("GET", target, headers);
}

HttpResponse fetch(quint16 port, QByteArrayView request, bool headRequest, int timeoutMs)
{
    RawClient client;
    if (!client.connectTo(port, timeoutMs)) {
        HttpResponse r;
        r.error = client.errorString();
        return r;
    }
    return client.request(request, headRequest, timeoutMs);
}

} // namespace fulcrum::test

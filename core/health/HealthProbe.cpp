// SPDX-License-Identifier: GPL-3.0-or-later
#include "HealthProbe.h"

#include "proxy/BackendSocket.h"

#include <QTcpSocket>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
constexpr qint64 kReadChunkBytes = 16 * 1024;

// Non-empty, and neither whitespace nor control characters: the text cannot end the request line or
// a header early and smuggle in another line.
bool isSafeToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f)
            return false;
    }
    return true;
}
} // namespace

HealthProbe::HealthProbe(const HealthTarget &target, QObject *parent) : QObject(parent), m_target(target)
{
    m_timeout.setSingleShot(true);
    // A coarse timer may fire up to 5% early, which would cut a probe short of its configured timeout.
    m_timeout.setTimerType(Qt::PreciseTimer);
    connect(&m_timeout, &QTimer::timeout, this, &HealthProbe::onTimeout);
    buildRequest();
}

HealthProbe::~HealthProbe()
{
    // Sockets are children: silence the live one before members go, so no signal reaches a half-destroyed
    // probe.
    if (m_socket != nullptr) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

void HealthProbe::setTarget(const HealthTarget &target)
{
    cancel();
    m_target = target;
    buildRequest();
}

void HealthProbe::buildRequest()
{
    const HealthCheckConfig &check = m_target.check;
    const QByteArray method = check.method.toUtf8();
    const QByteArray path = check.path.toUtf8();
    const QByteArray host = check.host.isEmpty() ? m_target.authority : check.host.toUtf8();
    m_isHead = method == "HEAD";
    const std::optional<ProxyProtocolVersion> proxyVersion =
        proxyProtocolVersion(m_target.transport.sendProxy);
    m_proxyHeader = proxyVersion ? localProxyHeader(*proxyVersion) : QByteArray();
    m_expectBody = check.expectBody.toUtf8();
    m_request.clear();
    if (!isSafeToken(method) || !isSafeToken(path) || !isSafeToken(host))
        return;
    m_request = method + ' ' + path + " HTTP/1.1\r\nHost: " + host +
                "\r\nUser-Agent: fulcrum-health/" FULCRUM_VERSION "\r\n\r\n";
}

void HealthProbe::start()
{
    if (m_running)
        return;
    m_running = true;
    ++m_probeId;
    m_retried = false;
    m_responseBytes = 0;
    m_status = 0;
    m_keepAlive = true;
    m_complete = false;
    m_bodyBytes = 0;
    m_body.clear();
    m_clock.start();
    if (m_request.isEmpty()) {
        QMetaObject::invokeMethod(
            this,
            [this, id = m_probeId] {
                if (m_running && m_probeId == id)
                    conclude(
                        false,
                        u"invalid probe request: method, path and Host must be free of spaces and control characters"_s,
                        false);
            },
            Qt::QueuedConnection);
        return;
    }
    m_timeout.start(m_target.check.timeoutMs);
    if (m_socket != nullptr && m_socket->state() == QAbstractSocket::ConnectedState) {
        m_reused = true;
        m_socket->write(m_request);
        return;
    }
    connectFresh();
}

void HealthProbe::cancel()
{
    m_running = false;
    ++m_probeId;
    m_timeout.stop();
    dropConnection();
}

void HealthProbe::connectFresh()
{
    dropConnection();
    m_reused = false;
    m_parser = std::make_unique<ResponseParser>(static_cast<ResponseParserHandler &>(*this));
    m_parser->setExpectNoBody(m_isHead);
    m_socket = makeBackendSocket(m_target.https, m_target.host, m_target.transport.tls).release();
    m_socket->setParent(this);
    connect(m_socket, &QTcpSocket::connected, this, &HealthProbe::onConnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &HealthProbe::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &HealthProbe::onPeerClosed);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &HealthProbe::onSocketError);
    m_socket->connectToHost(m_target.address, m_target.port);
}

// The socket may be in the middle of emitting one of its signals, so it is silenced and left to the
// event loop rather than deleted or reconnected.
void HealthProbe::dropConnection()
{
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    if (socket == nullptr)
        return;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

void HealthProbe::onConnected()
{
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // Over TLS the request waits in the socket until the handshake is done.
    startBackendSession(*m_socket, m_proxyHeader);
    m_socket->write(m_request);
}

void HealthProbe::onReadyRead()
{
    if (!m_running) {
        // A kept connection has nothing to say between probes: whatever it sends, it is done.
        dropConnection();
        return;
    }
    while (m_running && m_socket != nullptr && m_socket->bytesAvailable() > 0)
        consume(m_socket->read(kReadChunkBytes));
}

void HealthProbe::consume(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return;
    m_responseBytes += bytes.size();
    const MessageParser::FeedResult result = m_parser->feed(bytes.constData(), bytes.size());
    if (result.progress == MessageParser::Progress::Failed) {
        conclude(false, QString::fromLatin1(m_parser->failure().reason), false);
        return;
    }
    if (result.progress == MessageParser::Progress::MessageComplete) {
        m_parser->resume();
        // Bytes after the response were never asked for: the connection cannot be trusted again.
        const bool clean = result.consumed == bytes.size() && m_socket->bytesAvailable() == 0;
        const ProbeResult judged = verdict();
        conclude(judged.passed, judged.reason, m_keepAlive && clean);
        return;
    }
    if (m_bodyBytes > kMaxBodyBytes) {
        const ProbeResult judged = verdict();
        conclude(judged.passed, judged.reason, false);
    }
}

void HealthProbe::onPeerClosed()
{
    if (!m_running) {
        dropConnection();
        return;
    }
    if (m_socket != nullptr) {
        while (m_running && m_socket != nullptr && m_socket->bytesAvailable() > 0)
            consume(m_socket->read(kReadChunkBytes));
        if (!m_running)
            return;
    }
    if (m_responseBytes > 0) {
        // A body delimited by the close ends here; anything else was cut short.
        if (m_parser->finish() == MessageParser::Progress::MessageComplete && m_complete) {
            const ProbeResult judged = verdict();
            conclude(judged.passed, judged.reason, false);
        } else {
            conclude(false, u"connection closed mid-response"_s, false);
        }
        return;
    }
    if (m_reused && !m_retried) {
        m_retried = true;
        connectFresh();
        return;
    }
    conclude(false, u"connection closed before a response"_s, false);
}

void HealthProbe::onSocketError()
{
    const QAbstractSocket::SocketError error = m_socket->error();
    if (!m_running) {
        dropConnection();
        return;
    }
    // A reset of a kept connection before any answer is the same keep-alive race as a close.
    if (error == QAbstractSocket::RemoteHostClosedError || (m_reused && m_responseBytes == 0)) {
        onPeerClosed();
        return;
    }
    if (error == QAbstractSocket::ConnectionRefusedError)
        conclude(false, u"connection refused"_s, false);
    else
        conclude(false, u"connection failed: "_s + m_socket->errorString(), false);
}

void HealthProbe::onTimeout()
{
    if (m_running)
        conclude(false, u"timeout after %1 ms"_s.arg(m_target.check.timeoutMs), false);
}

ProbeResult HealthProbe::verdict() const
{
    const HealthCheckConfig &check = m_target.check;
    if (m_status < check.expectStatusMin || m_status > check.expectStatusMax)
        return {
            false,
            u"status %1 not in %2-%3"_s.arg(m_status).arg(check.expectStatusMin).arg(check.expectStatusMax)};
    if (!m_expectBody.isEmpty() && !m_body.contains(m_expectBody)) {
        if (m_bodyBytes > kMaxBodyBytes)
            return {false, u"body does not contain \"%1\" in its first %2 bytes"_s.arg(check.expectBody)
                               .arg(kMaxBodyBytes)};
        return {false, u"body does not contain \"%1\""_s.arg(check.expectBody)};
    }
    return {true, {}};
}

void HealthProbe::conclude(bool passed, const QString &reason, bool keepConnection)
{
    m_running = false;
    ++m_probeId;
    m_timeout.stop();
    if (!keepConnection)
        dropConnection();
    const ProbeResult result{passed, reason, m_clock.nsecsElapsed() / 1000};
    Q_EMIT finished(result);
}

void HealthProbe::onResponseHead(ResponseHead &head)
{
    if (head.isInformational())
        return;
    m_status = head.status;
    m_keepAlive = head.keepAlive;
}

void HealthProbe::onResponseBody(const char *data, qsizetype length)
{
    if (!m_expectBody.isEmpty() && m_body.size() < kMaxBodyBytes)
        m_body.append(data, std::min<qint64>(length, kMaxBodyBytes - m_body.size()));
    m_bodyBytes += length;
}

void HealthProbe::onResponseComplete()
{
    m_complete = true;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientConnection.h"

#include "balancing/StickySession.h"
#include "http/ProxyHeaderWriter.h"
#include "http/RequestId.h"
#include "proxy/BackendSocket.h"
#include "proxy/ClientAddress.h"
#include "proxy/RetryPolicy.h"
#include "proxy/Tunnel.h"
#include "proxy/Worker.h"
#include "routing/HeaderRewrite.h"
#include "routing/RequestPath.h"
#include "tls/TlsSocketIo.h"

#include <QLoggingCategory>

#include <atomic>
#include <cstring>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
Q_LOGGING_CATEGORY(lcClient, "fulcrum.client")

// Above this many unsent bytes on one side, the other side is no longer read (back-pressure).
constexpr qint64 kHighWater = 256 * 1024;
constexpr qint64 kLowWater = 64 * 1024;
// What 503s for "no backend" and "all at their limits" suggest to wait before trying again.
constexpr int kRetryAfterSeconds = 1;
// After a final response on a connection that closes, unread client bytes are drained this long so
// that the close is a FIN, not a reset that could destroy the response in flight.
constexpr qint64 kLingerMs = 2000;

// Connections refused for their PROXY header, on all workers: the debug lines number them, so a flood
// of refusals shows as such without a line at a louder level.
std::atomic<quint64> g_refusedProxyHeaders{0};

// The index of a status's class (1xx..5xx) in the counters' arrays; -1 outside them.
int statusClass(int status)
{
    return status >= 100 && status < 600 ? status / 100 - 1 : -1;
}
} // namespace

ClientConnection::ClientConnection(Worker &worker, qintptr descriptor, ListenerTraits traits,
                                   ConnectionAdmission admission)
    : QObject(&worker), m_worker(worker), m_admission(std::move(admission)), m_socket(descriptor),
      m_parser(worker.parserLimits(), *this), m_redirectHttpsPort(traits.redirectHttpsPort)
{
    const bool expectProxyHeader = traits.expectProxyHeader;
    if (traits.tls)
        m_tls = std::make_unique<TlsStream>(std::move(traits.tls));
    setPeer(m_socket.peerAddress(), m_socket.peerPort());
    if (expectProxyHeader) {
        m_proxyHeader = std::make_unique<ProxyHeaderParser>();
        // Refused once the worker has taken the connection in, which happens after this constructor.
        if (!m_peerTrusted)
            QMetaObject::invokeMethod(
                this, [this] { refuseProxyHeader("PROXY header listener, peer not in trusted_proxies"); },
                Qt::QueuedConnection);
    }
    connect(&m_socket, &StreamSocket::readyRead, this, &ClientConnection::onReadyRead);
    connect(&m_socket, &StreamSocket::bytesWritten, this, &ClientConnection::onClientBytesWritten);
    connect(&m_socket, &StreamSocket::disconnected, this, &ClientConnection::onClientDisconnected);
    setDeadline(m_worker.config().timeouts.clientHeaderMs);
    m_draining = m_worker.isDraining();
}

ClientConnection::~ClientConnection()
{
    m_tunnel.reset(); // before the sockets it watches go
    m_socket.disconnect(this);
    if (m_upstream != nullptr)
        m_upstream->close();
}

void ClientConnection::setPeer(const QHostAddress &peer, quint16 port)
{
    m_peer = peer;
    m_peerPort = port;
    m_peerAddress = addressText(peer);
    m_peerTrusted = isInAnyRange(m_worker.config().trustedProxies, peer);
    m_client = peer;
    m_clientAddress = m_peerAddress;
}

bool ClientConnection::consumeProxyHeader(const char *&data, qsizetype &length, qsizetype &consumed)
{
    if (!m_peerTrusted) {
        refuseProxyHeader("PROXY header listener, peer not in trusted_proxies");
        return false;
    }
    consumed = m_proxyHeader->feed(data, length);
    switch (m_proxyHeader->state()) {
    case ProxyHeaderParser::State::NeedMore:
        break;
    case ProxyHeaderParser::State::Failed:
        refuseProxyHeader(m_proxyHeader->error());
        return false;
    case ProxyHeaderParser::State::Done:
        if (m_proxyHeader->source())
            setPeer(*m_proxyHeader->source(), m_proxyHeader->sourcePort());
        m_proxyHeader.reset();
        break;
    }
    data += consumed;
    length -= consumed;
    return true;
}

void ClientConnection::refuseProxyHeader(const QByteArray &why)
{
    if (m_closed)
        return;
    const quint64 refused = g_refusedProxyHeaders.fetch_add(1, std::memory_order_relaxed) + 1;
    qCDebug(lcClient, "connection from %s refused (%llu so far): %s", m_peerAddress.constData(),
            static_cast<unsigned long long>(refused), why.constData());
    abortConnection();
}

void ClientConnection::resolveClient()
{
    // Without trusted proxies (the common case) the peer is the client: no header is looked at.
    if (!m_peerTrusted) {
        m_client = m_peer;
        m_clientAddress = m_peerAddress;
        m_forwardedFor = m_peerAddress;
        return;
    }
    const QList<AddressRange> &trusted = m_worker.config().trustedProxies;
    m_client = fulcrum::resolveClientAddress(m_peer, true, m_request.headers, trusted);
    m_clientAddress = addressText(m_client);
    m_forwardedFor = forwardedForValue(m_peerAddress, true, m_request.headers);
}

void ClientConnection::setDeadline(qint64 fromNowMs)
{
    m_deadlineMs = m_worker.nowMs() + fromNowMs;
}

BackendCounterSlot *ClientConnection::backendCounters()
{
    return m_backendRuntime ? &m_backendRuntime->counters.slot(m_worker.index()) : nullptr;
}

void ClientConnection::countResponseFromBackend(int status)
{
    if (const int c = statusClass(status); c >= 0)
        backendCounters()->responsesByClass[static_cast<std::size_t>(c)].add();
}

void ClientConnection::countResponseToClient(int status)
{
    if (const int c = statusClass(status); c >= 0)
        m_worker.listenerCounters().responsesByClass[static_cast<std::size_t>(c)].add();
}

void ClientConnection::countBytesFromClient(qint64 bytes)
{
    if (bytes > 0)
        m_worker.listenerCounters().bytesFromClients.add(static_cast<quint64>(bytes));
}

void ClientConnection::recordLatency([[maybe_unused]] LatencyRecorder BackendLatency::*recorder,
                                     [[maybe_unused]] qint64 sinceUs)
{
#ifndef FULCRUM_NO_METRICS
    // Not merely a no-op record without metrics: the first one of a worker allocates its histograms.
    (m_backendRuntime->latencyOf(m_worker.index()).*recorder).record(quint64(m_worker.nowUs() - sinceUs));
#endif
}

void ClientConnection::onReadyRead()
{
    if (m_phase == Phase::Closing) {
        // Lingering: whatever the client still sends is read and dropped until it closes.
        countBytesFromClient(m_socket.discardInput());
        return;
    }
    readAndParse();
}

void ClientConnection::readAndParse()
{
    char *scratch = m_worker.scratch();
    while (!m_closed && m_phase != Phase::Closing && !m_parserHoldsMessage && !m_readingPaused) {
        const char *data = nullptr;
        qsizetype length = 0;
        const bool fromLeftover = m_leftoverOffset < m_leftover.size();
        if (fromLeftover) {
            data = m_leftover.constData() + m_leftoverOffset;
            length = m_leftover.size() - m_leftoverOffset;
        } else {
            m_leftover.clear();
            m_leftoverOffset = 0;
            const qint64 received = receive(scratch, m_worker.scratchSize());
            if (received < 0)
                return;
            if (received == 0)
                break;
            data = scratch;
            length = received;
        }
        if (m_phase == Phase::AwaitingRequest && m_parser.isBetweenMessages())
            setDeadline(m_worker.config().timeouts.clientHeaderMs);
        else if (m_phase == Phase::Exchanging)
            setDeadline(policy().upstreamResponseMs);

        m_inParser = true;
        const MessageParser::FeedResult result = m_parser.feed(data, length);
        m_inParser = false;
        if (result.progress == MessageParser::Progress::Failed) {
            answerParseFailure(m_parser.failure());
            return;
        }
        if (fromLeftover)
            m_leftoverOffset += result.consumed;
        else if (result.consumed < length)
            m_leftover = QByteArray(data + result.consumed, length - result.consumed);
        if (m_finishPending) {
            m_finishPending = false;
            finishExchange();
        }
    }
    if (!m_closed)
        flushClient();
}

qint64 ClientConnection::receive(char *buffer, qint64 capacity)
{
    if (m_tls)
        return receiveTls(buffer, capacity);
    while (true) {
        const qint64 received = m_socket.read(buffer, capacity);
        if (received <= 0)
            return 0;
        countBytesFromClient(received);
        if (!m_proxyHeader)
            return received;
        const char *data = buffer;
        qsizetype length = received;
        qsizetype taken = 0;
        if (!consumeProxyHeader(data, length, taken))
            return -1;
        if (length > 0) {
            std::memmove(buffer, data, static_cast<size_t>(length));
            return length;
        }
    }
}

qint64 ClientConnection::receiveTls(char *buffer, qint64 capacity)
{
    // A PROXY header comes in the clear, before the handshake; whatever follows it is TLS.
    while (m_proxyHeader) {
        const qint64 received = m_socket.read(buffer, capacity);
        if (received <= 0)
            return 0;
        countBytesFromClient(received);
        const char *data = buffer;
        qsizetype length = received;
        qsizetype taken = 0;
        if (!consumeProxyHeader(data, length, taken))
            return -1;
        m_tls->feed(data, length);
    }
    qint64 encrypted = 0;
    const qint64 decrypted = readDecrypted(*m_tls, m_socket, buffer, capacity, &encrypted);
    countBytesFromClient(encrypted);
    if (decrypted < 0) {
        qCDebug(lcClient, "TLS connection from %s failed: %s", m_peerAddress.constData(),
                m_tls->failure().constData());
        abortConnection();
    }
    return decrypted;
}

void ClientConnection::sendToClient(const QByteArray &bytes)
{
    if (!m_tls)
        m_socket.write(bytes);
    else
        // Before the handshake finished (a timeout's 408) there is no way to say anything: the close says it.
        writeEncrypted(*m_tls, m_socket, bytes.constData(), bytes.size());
}

qint64 ClientConnection::bodyLimitFor(const RequestHead &head, qint64 configured)
{
    m_routing = m_worker.routing();
    if (!m_routing) {
        m_route = {};
        m_route.status = 503;
        m_route.reason = "no routes loaded yet";
        return configured;
    }
    m_route = routeRequest(*m_routing, head);
    if (m_route.target < 0)
        return configured;
    m_target = &m_route.route->target(m_route.target);
    return m_target->policy.maxBodyBytes;
}

int ClientConnection::rateLimitRetryAfter() const
{
    RateLimiter *limiter = m_worker.rateLimiter();
    RateLimiter *pathLimiter = nullptr;
    if (const ClientLimiters *paths = m_worker.pathRateLimits()) {
        // The path routes match on, so "/%6Cogin" or "/x/../login" falls under a rule for "/login" too.
        QByteArray storage;
        const std::optional<QByteArrayView> path =
            normaliseRoutingPathView(splitTarget(m_request.target).path, &storage);
        if (path)
            pathLimiter = paths->forPath(*path);
    }
    if (limiter == nullptr && pathLimiter == nullptr)
        return 0;
    const ClientKey client = clientKeyOf(m_client);
    const qint64 nowUs = RateLimiter::monotonicUs();
    // The path's own bucket first: a request it refuses takes nothing from the listener-wide one.
    if (pathLimiter != nullptr) {
        if (const int retryAfter = pathLimiter->admit(client, nowUs); retryAfter > 0)
            return retryAfter;
    }
    return limiter != nullptr ? limiter->admit(client, nowUs) : 0;
}

const RequestPolicy &ClientConnection::policy() const
{
    return m_target != nullptr ? m_target->policy : m_worker.defaultPolicy();
}

void ClientConnection::onRequestHead(RequestHead &head)
{
    if (m_phase == Phase::Closing)
        return;
    m_phase = Phase::Exchanging;
    m_request = std::move(head);
    resolveClient();
    m_exchangeStartUs = m_worker.nowUs();
    const QByteArray clientId = m_request.headers.value("x-request-id");
    m_requestId = RequestIdGenerator::isAcceptable(clientId) ? clientId : m_worker.requestIds().generate();
    m_keepAlive = m_request.keepAlive && !m_draining;
    m_worker.listenerCounters().requests.add();
    if (m_redirectHttpsPort != 0) {
        redirectToHttps();
        return;
    }
    if (const int retryAfter = rateLimitRetryAfter(); retryAfter > 0) {
        m_worker.listenerCounters().rateLimited.add();
        answerLocally(429, "rate limit exceeded", retryAfter);
        return;
    }

    m_worker.retryBudget().recordRequest(m_worker.nowMs());
    if (!followRoute() || !startAttempt())
        return;
    if (m_request.expectContinue && m_request.framing != BodyFraming::None)
        m_out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

bool ClientConnection::followRoute()
{
    if (m_route.route == nullptr) {
        answerLocally(m_route.status, m_route.reason);
        return false;
    }
    const RouteConfig &route = m_route.route->config();
    switch (route.action) {
    case RouteActionKind::Redirect:
        answerFromRoute(route.redirect.status, {}, {}, redirectLocation(route.redirect, m_request));
        return false;
    case RouteActionKind::Respond:
        answerFromRoute(route.respond.status, route.respond.contentType.toUtf8(), route.respond.body, {});
        return false;
    case RouteActionKind::Forward:
    case RouteActionKind::Split:
        break;
    }
    if (m_target == nullptr) {
        m_worker.listenerCounters().noBackend.add();
        answerLocally(503, "route " + route.name.toUtf8() + " has no pool with weight", kRetryAfterSeconds);
        return false;
    }
    m_table = m_target->pool >= 0 ? m_routing->table(m_target->pool) : BackendTablePtr();
    if (!route.requestHeaders.isEmpty())
        applyHeaderRules(m_request.headers, route.requestHeaders);
    return true;
}

void ClientConnection::answerFromRoute(int status, QByteArrayView contentType, const QByteArray &body,
                                       QByteArrayView location)
{
    ResponseHead head;
    head.status = status;
    if (!contentType.isEmpty())
        head.headers.append("Content-Type", contentType.toByteArray());
    if (!location.isEmpty())
        head.headers.append("Location", location.toByteArray());
    applyHeaderRules(head.headers, m_route.route->config().responseHeaders);
    answerWhole(head, body, "route " + m_route.route->config().name.toUtf8());
}

void ClientConnection::redirectToHttps()
{
    const QByteArray location = httpsRedirectLocation(m_request, m_redirectHttpsPort);
    if (location.isEmpty()) {
        answerLocally(400, "redirect to https needs a Host header");
        return;
    }
    ResponseHead head;
    // 308, not 301: a POST stays a POST with its body on the way to https.
    head.status = 308;
    head.headers.append("Location", location);
    answerWhole(head, {}, "redirect-https");
}

void ClientConnection::answerWhole(ResponseHead &head, const QByteArray &body, QByteArray reason)
{
    head.contentLength = quint64(body.size());
    m_status = head.status;
    countResponseToClient(head.status);
    m_localReason = std::move(reason);
    m_responseStarted = true;
    m_responseComplete = true;
    if (!m_requestComplete && m_request.framing != BodyFraming::None)
        m_keepAlive = false;
    writer::clientResponseHead(m_out, head, ClientBodyFraming::ContentLength, m_requestId, m_keepAlive,
                               m_request.versionMinor);
    if (!m_request.isHead)
        m_out.append(body);
    flushClient();
    if (!m_keepAlive && !m_inParser) {
        finishExchange();
        return;
    }
    maybeFinishExchange();
}

BackendTablePtr ClientConnection::latestPoolTable() const
{
    const RoutingTablePtr &latest = m_worker.routing();
    const qsizetype pool = latest->routes().poolNames().indexOf(m_target->poolName);
    return pool >= 0 ? latest->table(pool) : BackendTablePtr();
}

bool ClientConnection::startAttempt()
{
    const BackendChoice choice = m_table ? chooseBackend() : BackendChoice{};
    m_backendIndex = choice.index;
    if (m_backendIndex < 0) {
        if (!m_tried.isEmpty()) {
            // A retry found nowhere to go: the client hears of the failure that prompted it.
            answerUpstreamFailure(m_failedStatus, m_failedReason + " (no other backend to retry on)");
        } else if (choice.limitHit) {
            m_worker.listenerCounters().allAtLimits.add();
            answerLocally(503, "every backend is at its " + limitName(*choice.limitHit) + " limit",
                          kRetryAfterSeconds);
        } else {
            m_worker.listenerCounters().noBackend.add();
            answerLocally(503, "no backend available", kRetryAfterSeconds);
        }
        return false;
    }
    const Backend &backend = m_table->at(m_backendIndex);
    m_backendName = backend.config.name.toUtf8();
    m_backendRuntime = backend.runtime;
    backendCounters()->requests.add();
    if (!m_tried.isEmpty())
        backendCounters()->retries.add();
    backendCounters()->activeRequests.change(1);
    m_backendRuntime->inFlight.fetch_add(1, std::memory_order_relaxed);
    m_holdsBackendSlot = true;

    ForwardingInfo forwarding;
    forwarding.forwardedFor = m_forwardedFor;
    forwarding.requestId = m_requestId;
    if (m_tls)
        forwarding.scheme = "https";
    forwarding.backendAuthority = backend.authority;
    forwarding.target = m_route.forwardTarget;
    // A route's rule may set Host; the head's own field stays the client's, for X-Forwarded-Host.
    const QByteArray routedHost = m_route.route->config().requestHeaders.isEmpty() || m_request.host.isEmpty()
                                      ? QByteArray()
                                      : m_request.headers.value("host");
    forwarding.host = routedHost;
    m_upstreamHead.clear();
    writer::upstreamRequestHead(m_upstreamHead, m_request, forwarding);
    m_attemptStartUs = m_worker.nowUs();
    startUpstream(true);
    return true;
}

BackendChoice ClientConnection::chooseBackend()
{
    const StickyCookie &sticky = m_table->balancing().stickyCookie;
    if (sticky.enabled() && m_tried.isEmpty()) {
        const qsizetype pinned = stickyBackend(*m_table, m_request);
        if (pinned >= 0 && !exceededLimit(m_table->at(pinned), m_worker.pool().hasIdle(m_table->at(pinned))))
            return {pinned, std::nullopt};
    }
    const BackendChoice choice = fulcrum::chooseBackend(*m_table, {m_clientAddress, &m_request}, m_tried,
                                                        m_worker.pool(), m_worker.index());
    m_setCookie.clear();
    if (sticky.enabled() && choice.index >= 0 && needsStickyCookie(*m_table, m_request, choice.index))
        m_setCookie = stickySetCookie(sticky, m_table->at(choice.index));
    return choice;
}

void ClientConnection::releaseBackendSlot()
{
    if (!m_holdsBackendSlot)
        return;
    m_holdsBackendSlot = false;
    backendCounters()->activeRequests.change(-1);
    m_backendRuntime->inFlight.fetch_sub(1, std::memory_order_release);
}

void ClientConnection::releasePendingSlot()
{
    if (!m_holdsPendingSlot)
        return;
    m_holdsPendingSlot = false;
    m_backendRuntime->pendingRequests.fetch_sub(1, std::memory_order_relaxed);
}

void ClientConnection::startUpstream(bool allowPooled)
{
    const Backend &backend = m_table->at(m_backendIndex);
    const QByteArray proxyHeader = upstreamProxyHeader(backend);
    UpstreamConnection *connection =
        allowPooled ? m_worker.pool().take(backend, m_request.framing != BodyFraming::None, proxyHeader)
                    : nullptr;
    if (connection == nullptr) {
        connection = m_worker.pool().open(backend, proxyHeader, m_worker.scratch(), m_worker.scratchSize());
        backendCounters()->connectionsOpened.add();
        m_backendRuntime->pendingRequests.fetch_add(1, std::memory_order_relaxed);
        m_holdsPendingSlot = true;
        setDeadline(policy().upstreamConnectMs);
    } else {
        setDeadline(policy().upstreamResponseMs);
    }
    m_upstream = connection;
    connection->attach(this, m_request.isHead);
    if (!m_request.upgrade.isEmpty())
        connection->allowProtocolSwitch();
    connection->send(m_upstreamHead);
    // What of the body already went to a failed attempt goes again, from the copy kept for retries.
    if (!m_replayBody.isEmpty())
        connection->send(m_replayBody);
}

QByteArray ClientConnection::upstreamProxyHeader(const Backend &backend) const
{
    const std::optional<ProxyProtocolVersion> version =
        proxyProtocolVersion(backend.config.transport.sendProxy);
    if (!version)
        return {};
    // X-Forwarded-For names no port: a client resolved from it is sent with port 0.
    const quint16 clientPort = m_client == m_peer ? m_peerPort : 0;
    return proxyHeader(*version, {m_client, clientPort, m_socket.localAddress(), m_socket.localPort()});
}

void ClientConnection::sendToUpstream(const char *data, qsizetype length)
{
    if (m_upstream == nullptr)
        return;
    keepForReplay(data, length);
    m_upstream->send(data, length);
    backendCounters()->bytesFromClient.add(static_cast<quint64>(length));
    if (m_upstream->bytesToWrite() > kHighWater)
        m_readingPaused = true;
}

void ClientConnection::keepForReplay(const char *data, qsizetype length)
{
    if (!m_bodyReplayable)
        return;
    const RetryConfig &retries = policy().retries;
    if (retries.maxRetries == 0 || m_replayBody.size() + length > retries.maxBufferedBodyBytes) {
        m_bodyReplayable = false;
        m_replayBody.clear();
        return;
    }
    m_replayBody.append(data, length);
}

void ClientConnection::onRequestBody(const char *data, qsizetype length)
{
    if (m_phase != Phase::Exchanging)
        return;
    m_requestBodyBytes += length;
    if (m_request.framing == BodyFraming::Chunked) {
        QByteArray framed;
        writer::chunk(framed, data, length);
        forwardBody(framed.constData(), framed.size());
    } else {
        forwardBody(data, length);
    }
}

void ClientConnection::forwardBody(const char *data, qsizetype length)
{
    if (m_upstream != nullptr)
        sendToUpstream(data, length);
    else if (m_awaitingRetry)
        keepForReplay(data, length);
    // Otherwise the request was answered locally: its body is read and dropped.
}

void ClientConnection::onRequestComplete()
{
    m_parserHoldsMessage = true;
    if (m_phase != Phase::Exchanging)
        return;
    m_requestComplete = true;
    if (m_request.framing == BodyFraming::Chunked) {
        QByteArray last;
        writer::lastChunk(last);
        forwardBody(last.constData(), last.size());
    }
    maybeFinishExchange();
}

void ClientConnection::onUpstreamResponseHead(ResponseHead &head)
{
    if (head.isInformational() && head.status != 101) {
        // Our own 100 Continue already went out; other interim responses are only for HTTP/1.1.
        if (head.status != 100 && m_request.versionMinor == 1)
            writer::interimResponseHead(m_out, head);
        return;
    }
    noteBackendOutcome(head.status >= 500 && m_worker.config().outlierDetection.count5xx,
                       "status " + QByteArray::number(head.status));
    if (policy().retries.retryStatuses.contains(head.status)) {
        if (tryRetry(AttemptFailure::Status, head.status,
                     "backend " + m_backendName + " answered " + QByteArray::number(head.status))) {
            countResponseFromBackend(head.status);
            return;
        }
        // A failure by the retry policy's own terms, which the client now gets.
        backendCounters()->retryExhausted.add();
    }
    m_responseStarted = true;
    m_status = head.status;
    recordLatency(&BackendLatency::firstByte, m_attemptStartUs);
    const bool clientTakesChunks = m_request.versionMinor == 1;
    switch (head.framing) {
    case BodyFraming::None:
        m_responseFraming = ClientBodyFraming::None;
        break;
    case BodyFraming::ContentLength:
        m_responseFraming = ClientBodyFraming::ContentLength;
        break;
    case BodyFraming::Chunked:
    case BodyFraming::UntilClose:
        m_responseFraming = clientTakesChunks ? ClientBodyFraming::Chunked : ClientBodyFraming::UntilClose;
        break;
    }
    // A response that ends before its request can only be followed by closing: the rest of the
    // request body would otherwise be read as the next request.
    if (m_responseFraming == ClientBodyFraming::UntilClose || !m_requestComplete)
        m_keepAlive = false;
    if (!m_setCookie.isEmpty())
        head.headers.append("Set-Cookie", m_setCookie);
    if (!m_route.setCookie.isEmpty())
        head.headers.append("Set-Cookie", m_route.setCookie);
    applyHeaderRules(head.headers, m_route.route->config().responseHeaders);
    if (head.status == 101) // the parser lets one through only for an upgrade request
        writer::switchingProtocolsHead(m_out, head, m_requestId);
    else
        writer::clientResponseHead(m_out, head, m_responseFraming, m_requestId, m_keepAlive,
                                   m_request.versionMinor);
    countResponseFromBackend(head.status);
    countResponseToClient(head.status);
}

void ClientConnection::onUpstreamResponseBody(const char *data, qsizetype length)
{
    backendCounters()->bytesToClient.add(static_cast<quint64>(length));
    if (m_responseFraming == ClientBodyFraming::Chunked)
        writer::chunk(m_out, data, length);
    else
        m_out.append(data, length);
}

void ClientConnection::onUpstreamReadDone()
{
    setDeadline(policy().upstreamResponseMs);
    flushClient();
}

void ClientConnection::onUpstreamConnected()
{
    releasePendingSlot();
    setDeadline(policy().upstreamResponseMs);
}

void ClientConnection::onUpstreamResponseComplete()
{
    recordLatency(&BackendLatency::total, m_exchangeStartUs);
    if (m_status == 101) {
        startTunnel();
        return;
    }
    if (m_responseFraming == ClientBodyFraming::Chunked)
        writer::lastChunk(m_out);
    m_responseComplete = true;
    releaseUpstream(m_requestComplete);
    flushClient();
    maybeFinishExchange();
}

void ClientConnection::onUpstreamFailed(UpstreamError error, const QByteArray &reason)
{
    UpstreamConnection *failed = std::exchange(m_upstream, nullptr);
    const bool staleKeepAlive =
        failed->wasReused() && !failed->hasResponseBytes() && error != UpstreamError::Timeout;
    failed->close();
    releasePendingSlot();
    backendCounters()->countError(error);
    if (m_responseStarted) {
        // Part of the response is already with the client: only a broken connection tells it so.
        abortConnection();
        return;
    }
    // A parked connection the backend closed just as it was reused: the request never reached it,
    // and the backend is not to blame, so it is tried again there on a fresh connection.
    if (staleKeepAlive && !m_staleRetried && m_bodyReplayable) {
        m_staleRetried = true;
        startUpstream(false);
        return;
    }
    const QByteArray text =
        error == UpstreamError::Connect
            ? QByteArray("could not connect to backend " + m_backendName + " (" + reason + ")")
            : QByteArray(reason + " (backend " + m_backendName + ")");
    failAttempt(staleKeepAlive ? AttemptFailure::NeverReached : attemptFailureOf(error),
                error == UpstreamError::Timeout ? 504 : 502, text);
}

void ClientConnection::failAttempt(AttemptFailure failure, int status, const QByteArray &text)
{
    noteBackendOutcome(true, text);
    if (!tryRetry(failure, status, text))
        answerUpstreamFailure(status, text);
}

void ClientConnection::noteBackendOutcome(bool failed, const QByteArray &what)
{
    const OutlierDetectionConfig &outlier = m_worker.config().outlierDetection;
    if (!outlier.enabled)
        return;
    std::atomic<int> &streak = m_backendRuntime->consecutiveFailures;
    if (!failed) {
        // Read first: a healthy backend's streak is already zero, and a store would bounce the line.
        if (streak.load(std::memory_order_relaxed) != 0)
            streak.store(0, std::memory_order_relaxed);
        return;
    }
    // Exactly one worker sees the count reach each multiple of the threshold, so the control thread
    // hears of a run once per threshold failures. A run that goes on is reported again (Envoy resets
    // its counter at the threshold): an ejection the registry refused (the max_ejection_percent cap, a
    // backend not up) must not keep a backend that keeps failing in for good.
    const int run = streak.fetch_add(1, std::memory_order_relaxed) + 1;
    if (outlier.consecutiveFailures > 0 && run % outlier.consecutiveFailures == 0)
        m_worker.reportFailingBackend(
            QString::fromUtf8(m_backendName),
            u"%1 consecutive failures, the last: %2"_s.arg(outlier.consecutiveFailures)
                .arg(QString::fromUtf8(what)));
}

bool ClientConnection::tryRetry(AttemptFailure failure, int status, const QByteArray &reason)
{
    const RetryConfig &retries = policy().retries;
    if (m_retries >= retries.maxRetries || !m_bodyReplayable || !isRetryable(failure, m_request.method))
        return false;
    if (!m_worker.retryBudget().tryRetry(m_worker.nowMs())) {
        m_worker.listenerCounters().retriesDenied.add();
        return false;
    }
    ++m_retries;
    m_failedStatus = status;
    m_failedReason = reason;
    if (m_upstream != nullptr)
        std::exchange(m_upstream, nullptr)->close();
    releasePendingSlot();
    releaseBackendSlot();
    m_tried.append(m_backendRuntime.get());
    // Until the retry starts, body bytes still arriving are kept for it; reading pauses meanwhile.
    m_awaitingRetry = true;
    m_readingPaused = true;
    const int delayMs = retryBackoffMs(retries, m_retries);
    setDeadline(delayMs + policy().upstreamConnectMs);
    QTimer::singleShot(delayMs, this, &ClientConnection::retryNow);
    return true;
}

void ClientConnection::retryNow()
{
    if (m_closed || !m_awaitingRetry)
        return;
    m_awaitingRetry = false;
    m_readingPaused = false;
    m_table = latestPoolTable();
    if (!m_bodyReplayable) {
        answerUpstreamFailure(m_failedStatus, m_failedReason + " (the request body was too large to retry)");
        return;
    }
    if (startAttempt())
        readAndParse();
}

void ClientConnection::onUpstreamWritable()
{
    if (m_readingPaused) {
        m_readingPaused = false;
        readAndParse();
    }
}

void ClientConnection::answerUpstreamFailure(int status, QByteArray reason)
{
    backendCounters()->retryExhausted.add();
    m_worker.listenerCounters().upstreamFailures.add();
    answerLocally(status, std::move(reason));
}

void ClientConnection::answerLocally(int status, QByteArray reason, int retryAfterSeconds)
{
    m_status = status;
    m_localReason = std::move(reason);
    m_responseStarted = true;
    m_responseComplete = true;
    countResponseToClient(status);
    if (!m_requestComplete && m_request.framing != BodyFraming::None)
        m_keepAlive = false;
    writer::errorResponse(m_out, status, m_localReason, m_requestId, m_keepAlive, !m_request.isHead,
                          retryAfterSeconds);
    flushClient();
    if (!m_keepAlive && !m_inParser) {
        finishExchange();
        return;
    }
    maybeFinishExchange();
}

void ClientConnection::answerParseFailure(const ParseFailure &failure)
{
    if (m_upstream != nullptr && m_responseStarted) {
        abortConnection();
        return;
    }
    if (m_upstream != nullptr)
        std::exchange(m_upstream, nullptr)->close();
    if (m_requestId.isEmpty())
        m_requestId = m_worker.requestIds().generate();
    m_worker.listenerCounters().clientErrors.add();
    countResponseToClient(failure.status);
    m_status = failure.status;
    m_localReason = failure.reason;
    m_keepAlive = false;
    writer::errorResponse(m_out, failure.status, failure.reason, m_requestId, false);
    logExchange();
    closeGracefully();
}

void ClientConnection::maybeFinishExchange()
{
    if (m_phase != Phase::Exchanging || !m_responseComplete)
        return;
    if (!m_requestComplete && m_keepAlive)
        return;
    if (m_inParser)
        m_finishPending = true;
    else
        finishExchange();
}

void ClientConnection::finishExchange()
{
    logExchange();
    releasePendingSlot();
    releaseBackendSlot();
    if (m_upstream != nullptr)
        releaseUpstream(false);
    ++m_requestsServed;
    const bool keepAlive = m_keepAlive && !m_draining && m_requestComplete;
    m_request = {};
    m_requestId.clear();
    m_upstreamHead.clear();
    m_table.reset();
    m_routing.reset();
    m_route = {};
    m_target = nullptr;
    m_backendIndex = -1;
    m_backendName.clear();
    m_backendRuntime.reset();
    m_setCookie.clear();
    m_responseFraming = ClientBodyFraming::None;
    m_status = 0;
    m_localReason.clear();
    m_requestBodyBytes = 0;
    m_responseBytes = 0;
    m_requestComplete = m_responseStarted = m_responseComplete = false;
    m_staleRetried = false;
    m_retries = 0;
    m_tried.clear();
    m_replayBody.clear();
    m_bodyReplayable = true;
    m_failedStatus = 0;
    m_failedReason.clear();
    m_keepAlive = true;
    if (!keepAlive) {
        closeGracefully();
        return;
    }
    m_phase = Phase::AwaitingRequest;
    setDeadline(m_worker.config().timeouts.clientIdleMs);
    m_parserHoldsMessage = false;
    m_parser.resume();
    // Pipelined bytes may already wait in the leftover buffer; inside the parser the read loop
    // itself continues with them.
    if (!m_inParser)
        readAndParse();
}

void ClientConnection::releaseUpstream(bool reusable)
{
    UpstreamConnection *connection = std::exchange(m_upstream, nullptr);
    if (connection == nullptr)
        return;
    if (reusable)
        m_worker.pool().release(connection, m_worker.nowMs());
    else
        connection->close();
}

void ClientConnection::flushClient()
{
    if (m_out.isEmpty() || m_closed)
        return;
    m_responseBytes += m_out.size();
    m_worker.listenerCounters().bytesToClients.add(static_cast<quint64>(m_out.size()));
    sendToClient(m_out);
    m_out.clear();
    if (m_socket.bytesToWrite() > kHighWater && m_upstream != nullptr) {
        m_upstream->setReadingPaused(true);
        setDeadline(m_worker.config().timeouts.clientIdleMs);
    }
}

void ClientConnection::onClientBytesWritten()
{
    const qint64 pending = m_socket.bytesToWrite();
    if (m_upstream != nullptr && pending < kLowWater)
        m_upstream->setReadingPaused(false);
    if (m_phase == Phase::Closing && pending == 0)
        shutdownWriteSide();
}

void ClientConnection::closeGracefully()
{
    if (m_closed)
        return;
    if (m_upstream != nullptr)
        std::exchange(m_upstream, nullptr)->close();
    m_phase = Phase::Closing;
    flushClient();
    setDeadline(kLingerMs);
    if (m_socket.bytesToWrite() == 0)
        shutdownWriteSide();
}

void ClientConnection::shutdownWriteSide()
{
    if (m_writeShutdown || m_closed)
        return;
    if (m_tls && m_tls->isEstablished() && !m_tlsCloseSent) {
        m_tlsCloseSent = true;
        m_tls->close();
        writeTlsOutput(*m_tls, m_socket);
        // The alert must reach the client before the FIN: once written, onClientBytesWritten comes back here.
        if (m_socket.bytesToWrite() > 0)
            return;
    }
    m_writeShutdown = true;
    m_socket.shutdownWrite();
    countBytesFromClient(m_socket.discardInput());
}

void ClientConnection::abortConnection()
{
    if (m_closed)
        return;
    m_closed = true;
    releasePendingSlot();
    releaseBackendSlot();
    if (m_upstream != nullptr)
        std::exchange(m_upstream, nullptr)->close();
    m_socket.disconnect(this);
    m_socket.abort();
    m_worker.connectionClosed(this);
}

void ClientConnection::onClientDisconnected()
{
    if (m_closed)
        return;
    if (m_phase == Phase::Exchanging && !m_responseComplete) {
        // Every exchange without a complete response has a backend: the proxy's own answers are whole.
        if (BackendCounterSlot *counters = backendCounters())
            counters->clientAborts.add();
        m_status = 499;
        m_localReason = "client closed the connection";
        logExchange();
    }
    abortConnection();
}

void ClientConnection::checkDeadline(qint64 nowMs)
{
    if (m_tunnel) {
        m_tunnel->checkDeadline(nowMs);
        return;
    }
    if (m_closed || nowMs < m_deadlineMs)
        return;
    if (m_proxyHeader) {
        refuseProxyHeader("no complete PROXY header within timeouts.client_header_ms");
        return;
    }
    switch (m_phase) {
    case Phase::AwaitingRequest:
        if (m_parser.isBetweenMessages() && m_leftover.size() == m_leftoverOffset && m_requestsServed > 0) {
            abortConnection(); // an idle keep-alive connection simply ends
            return;
        }
        answerParseFailure({408, "request header timeout"});
        return;
    case Phase::Exchanging:
        if (m_upstream != nullptr && !m_responseStarted) {
            if (m_upstream->isConnected()) {
                onUpstreamFailed(UpstreamError::Timeout, "backend did not respond in time");
            } else {
                std::exchange(m_upstream, nullptr)->close();
                releasePendingSlot();
                backendCounters()->countError(UpstreamError::Timeout);
                failAttempt(AttemptFailure::NeverReached, 504,
                            "timed out connecting to backend " + m_backendName);
            }
            return;
        }
        abortConnection(); // stalled mid-transfer in either direction
        return;
    case Phase::Closing:
        abortConnection();
        return;
    }
}

void ClientConnection::beginDrain()
{
    m_draining = true;
    if (m_phase == Phase::AwaitingRequest && m_parser.isBetweenMessages() &&
        m_leftover.size() == m_leftoverOffset) {
        closeGracefully();
        return;
    }
    if (!m_responseStarted)
        m_keepAlive = false;
}

void ClientConnection::startTunnel()
{
    flushClient(); // the 101 goes before anything the backend sent behind it
    // The request is answered: the tunnel counts among the backend's open connections, not its requests.
    releaseBackendSlot();
    QByteArray fromBackend;
    QIODevice &backendSocket = m_upstream->handOverToTunnel(fromBackend);
    // Whatever the client sent behind its request head already belongs to the new protocol.
    const QByteArray fromClient = m_leftover.sliced(m_leftoverOffset);
    m_leftover.clear();
    m_leftoverOffset = 0;
    m_socket.disconnect(this);
    m_tunnel = std::make_unique<Tunnel>(m_worker, m_socket, m_tls.get(), backendSocket, backendCounters(),
                                        [this] { endTunnel(); });
    m_tunnel->start(fromClient, fromBackend);
}

void ClientConnection::endTunnel()
{
    // One access log line per tunnel, written at its end: its bytes and duration are known only then.
    m_requestBodyBytes += m_tunnel->bytesFromClient();
    m_responseBytes += m_tunnel->bytesToClient();
    m_localReason = m_tunnel->endReason();
    logExchange();
    abortConnection();
}

void ClientConnection::logExchange()
{
    AccessLog &log = m_worker.accessLog();
    if (!log.isEnabled())
        return;
    AccessRecord record;
    record.client = m_clientAddress;
    record.peer = m_peerAddress;
    record.method = m_request.method.isEmpty() ? QByteArrayView("-") : QByteArrayView(m_request.method);
    record.target = m_request.target.isEmpty() ? QByteArrayView("-") : QByteArrayView(m_request.target);
    record.versionMinor = m_request.versionMinor;
    record.status = m_status;
    record.backend = m_backendName;
    record.bytesIn = m_requestBodyBytes;
    record.bytesOut = m_responseBytes + m_out.size();
    record.durationUs = m_exchangeStartUs > 0 ? m_worker.nowUs() - m_exchangeStartUs : 0;
    record.requestId = m_requestId;
    record.note = m_localReason;
    log.record(record);
}

} // namespace fulcrum

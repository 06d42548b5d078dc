// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "http/MessageWriter.h"
#include "http/ProxyProtocol.h"
#include "http/RequestParser.h"
#include "limits/ConnectionLimiter.h"
#include "net/StreamSocket.h"
#include "proxy/BackendChoice.h"
#include "proxy/RetryPolicy.h"
#include "proxy/UpstreamConnection.h"
#include "routing/Router.h"
#include "tls/TlsStream.h"

#include <QHostAddress>
#include <QObject>

#include <memory>

namespace fulcrum {

class TlsContextSet;
class Tunnel;
class Worker;

// What the listener that accepted a connection asks of it.
struct ListenerTraits
{
    bool expectProxyHeader = false;           // the listener has proxy-protocol
    std::shared_ptr<const TlsContextSet> tls; // set on tls listeners
    quint16 redirectHttpsPort = 0;            // redirect-https: every request gets a redirect there
};

// One client connection and the exchanges on it, one at a time: pipelined requests wait in the
// parser until the response before them is complete, so responses leave in request order.
class ClientConnection final : public QObject, private RequestParserHandler, private UpstreamExchangeHandler
{
    Q_OBJECT
public:
    ClientConnection(Worker &worker, qintptr descriptor, ListenerTraits traits,
                     ConnectionAdmission admission = {});
    ~ClientConnection() override;

    // Who the current request comes from: the peer, or the client a trusted proxy forwarded it for
    // (see ClientAddress.h). What consistent hashing on client-ip and the access log use.
    QByteArrayView clientAddress() const { return m_clientAddress; }

    // Called by the worker's sweep with the current time; acts on an expired deadline.
    void checkDeadline(qint64 nowMs);
    // Stop taking requests: close now if idle, else after the response in flight.
    void beginDrain();

private:
    enum class Phase
    {
        AwaitingRequest, // between requests or inside a request head
        Exchanging,      // request head forwarded (or answered locally), response not finished
        Closing,         // final bytes written, waiting for the client to go away
    };

    void onReadyRead();
    void onClientBytesWritten();
    void onClientDisconnected();
    void readAndParse();
    // What the client sent next, after the PROXY header and decrypted on a TLS listener, into buffer:
    // the byte count; 0 when nothing more is there now; -1 when the connection was refused or failed
    // (it is closed then).
    qint64 receive(char *buffer, qint64 capacity);
    qint64 receiveTls(char *buffer, qint64 capacity);
    // Bytes for the client, encrypted on a TLS listener.
    void sendToClient(const QByteArray &bytes);
    // redirect-https: the request is answered with a redirect, whatever it asks for.
    void redirectToHttps();
    // The connection's peer: the TCP peer, or the client a PROXY header named.
    void setPeer(const QHostAddress &peer, quint16 port);
    // Takes the PROXY header's bytes from the front of data; false when the connection was refused.
    bool consumeProxyHeader(const char *&data, qsizetype &length, qsizetype &consumed);
    // A PROXY header was missing, malformed or from an untrusted peer: no HTTP is spoken, the connection
    // ends.
    void refuseProxyHeader(const QByteArray &why);
    // Sets the client address and the X-Forwarded-For to send for the request just read.
    void resolveClient();
    // 0 when the request is within the client's rate limit (or there is none), else Retry-After seconds.
    int rateLimitRetryAfter() const;
    bool clientWriteBlocked() const;

    // RequestParserHandler
    qint64 bodyLimitFor(const RequestHead &head, qint64 configured) override;
    void onRequestHead(RequestHead &head) override;
    void onRequestBody(const char *data, qsizetype length) override;
    void onRequestComplete() override;

    // UpstreamExchangeHandler
    void onUpstreamResponseHead(ResponseHead &head) override;
    void onUpstreamResponseBody(const char *data, qsizetype length) override;
    void onUpstreamResponseComplete() override;
    void onUpstreamFailed(UpstreamError error, const QByteArray &reason) override;
    void onUpstreamWritable() override;
    void onUpstreamReadDone() override;
    void onUpstreamConnected() override;

    // Carries out the route's decision; false when the request was answered locally.
    bool followRoute();
    // A redirect or a fixed response, with the route's response header rules.
    void answerFromRoute(int status, QByteArrayView contentType, const QByteArray &body,
                         QByteArrayView location);
    // A whole response the proxy makes itself, with a Content-Length body; reason goes to the access log.
    void answerWhole(ResponseHead &head, const QByteArray &body, QByteArray reason);
    // What this exchange may do: its route target's policy, or the listener's when it has none.
    const RequestPolicy &policy() const;
    // The pool's latest table, for a retry (the route set may have changed since the first attempt).
    BackendTablePtr latestPoolTable() const;
    // Picks a backend for the next attempt and sends the request head there; false when the request
    // was answered locally instead (no backend, all at their limits, nowhere left to retry).
    bool startAttempt();
    BackendChoice chooseBackend();
    // Ends the exchange's claim on its backend (counted in active requests and in-flight).
    void releaseBackendSlot();
    // Ends the claim on the backend's pending-connection count, once the connection is open or failed.
    void releasePendingSlot();
    void forwardBody(const char *data, qsizetype length);
    void keepForReplay(const char *data, qsizetype length);
    // Feeds the backend's run of consecutive failures, which the outlier detection watches.
    void noteBackendOutcome(bool failed, const QByteArray &what);
    // Retries when the failure, the method, the body and the budget allow; else answers the failure.
    void failAttempt(AttemptFailure failure, int status, const QByteArray &text);
    bool tryRetry(AttemptFailure failure, int status, const QByteArray &reason);
    void retryNow();
    void startUpstream(bool allowPooled);
    // The PROXY header a connection to backend starts with (empty when its pool sends none): the client
    // the request was resolved to, and the address it connected to.
    QByteArray upstreamProxyHeader(const Backend &backend) const;
    void sendToUpstream(const char *data, qsizetype length);
    void answerLocally(int status, QByteArray reason, int retryAfterSeconds = 0);
    // The last attempt failed and no retry is left or allowed: the client gets that failure (502, 503, 504).
    void answerUpstreamFailure(int status, QByteArray reason);
    void writeLocalResponse();
    void finishExchange();
    void maybeFinishExchange();
    void answerParseFailure(const ParseFailure &failure);
    void shutdownWriteSide();
    void abortConnection();
    void closeGracefully();
    void releaseUpstream(bool reusable);
    void flushClient();
    void logExchange();
    BackendCounterSlot *backendCounters();
    void countResponseFromBackend(int status);
    // Every final response the client gets, the proxy's own included.
    void countResponseToClient(int status);
    void countBytesFromClient(qint64 bytes);
    void recordLatency(LatencyRecorder BackendLatency::*recorder, qint64 sinceUs);
    void setDeadline(qint64 fromNowMs);
    // The backend answered 101: both connections become a tunnel, until it ends the connection.
    void startTunnel();
    void endTunnel();

    Worker &m_worker;
    ConnectionAdmission m_admission; // held while the connection is open
    StreamSocket m_socket;
    RequestParser m_parser;
    std::unique_ptr<ProxyHeaderParser> m_proxyHeader; // while a PROXY header is still awaited
    std::unique_ptr<TlsStream> m_tls;                 // on a TLS listener
    const quint16 m_redirectHttpsPort;
    QHostAddress m_peer;
    QByteArray m_peerAddress; // m_peer as text
    quint16 m_peerPort = 0;
    bool m_peerTrusted = false;
    QHostAddress m_client;      // of the current request: what the rate limit counts
    QByteArray m_clientAddress; // m_client as text
    QByteArray m_forwardedFor;  // of the current request
    QByteArray m_out;           // bytes for the client, written once per event
    QByteArray m_leftover;      // bytes read after a complete request, parsed when the response is done
    qsizetype m_leftoverOffset = 0;

    // The current exchange.
    RequestHead m_request;
    QByteArray m_requestId;
    QByteArray m_upstreamHead; // kept for one retry on a fresh connection
    UpstreamConnection *m_upstream = nullptr;
    RoutingTablePtr m_routing; // the routing the request was routed with; keeps m_route's pointers valid
    RouteDecision m_route;
    const RouteTarget *m_target = nullptr; // the pool the request goes to, once routed there
    BackendTablePtr m_table;               // the table the backend was picked from, kept for a retry
    qsizetype m_backendIndex = -1;
    QByteArray m_backendName;
    std::shared_ptr<BackendRuntime> m_backendRuntime;
    bool m_holdsBackendSlot = false;
    bool m_holdsPendingSlot = false;
    TriedBackends m_tried; // backends earlier attempts failed on
    int m_retries = 0;
    QByteArray m_replayBody; // the request body as forwarded so far, kept while small enough to retry
    bool m_bodyReplayable = true;
    bool m_awaitingRetry = false; // between a failed attempt and the backoff's end
    bool m_staleRetried = false;
    int m_failedStatus = 0; // what the client gets if the retries run out
    QByteArray m_failedReason;
    QByteArray m_setCookie; // the sticky cookie the response carries, when the client needs a new one
    ClientBodyFraming m_responseFraming = ClientBodyFraming::None;
    int m_status = 0;
    QByteArray m_localReason; // set when the proxy answers itself
    qint64 m_requestBodyBytes = 0;
    qint64 m_responseBytes = 0;
    qint64 m_exchangeStartUs = 0;
    qint64 m_attemptStartUs = 0; // when the current attempt's request head went to the backend
    bool m_requestComplete = false;
    bool m_responseStarted = false;
    bool m_responseComplete = false;
    bool m_keepAlive = true;

    Phase m_phase = Phase::AwaitingRequest;
    qint64 m_deadlineMs = 0;
    int m_requestsServed = 0;
    bool m_readingPaused = false; // back-pressure from the upstream side
    bool m_parserHoldsMessage = false;
    bool m_draining = false;
    bool m_closed = false;
    bool m_inParser = false;
    bool m_finishPending = false;
    bool m_writeShutdown = false;
    bool m_tlsCloseSent = false;
    std::unique_ptr<Tunnel> m_tunnel; // once the exchange switched protocols
};

} // namespace fulcrum

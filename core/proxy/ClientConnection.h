// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "http/MessageWriter.h"
#include "http/RequestParser.h"
#include "proxy/UpstreamConnection.h"

#include <QObject>
#include <QTcpSocket>

namespace fulcrum {

class Worker;

// One client connection and the exchanges on it, one at a time: pipelined requests wait in the
// parser until the response before them is complete, so responses leave in request order.
class ClientConnection final : public QObject, private RequestParserHandler, private UpstreamExchangeHandler
{
    Q_OBJECT
public:
    ClientConnection(Worker &worker, qintptr descriptor);
    ~ClientConnection() override;

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
    bool clientWriteBlocked() const;

    // RequestParserHandler
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

    qsizetype chooseBackend();
    // Ends the exchange's claim on its backend (counted in active requests and in-flight).
    void releaseBackendSlot();
    void startUpstream(bool allowPooled);
    void sendToUpstream(const char *data, qsizetype length);
    void answerLocally(int status, QByteArray reason, bool countAsUpstreamFailure);
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
    void setDeadline(qint64 fromNowMs);

    Worker &m_worker;
    QTcpSocket m_socket;
    RequestParser m_parser;
    QByteArray m_clientAddress;
    QByteArray m_out;      // bytes for the client, written once per event
    QByteArray m_leftover; // bytes read after a complete request, parsed when the response is done
    qsizetype m_leftoverOffset = 0;

    // The current exchange.
    RequestHead m_request;
    QByteArray m_requestId;
    QByteArray m_upstreamHead; // kept for one retry on a fresh connection
    UpstreamConnection *m_upstream = nullptr;
    BackendTablePtr m_table; // the table the backend was picked from, kept for a retry
    qsizetype m_backendIndex = -1;
    QByteArray m_backendName;
    std::shared_ptr<BackendRuntime> m_backendRuntime;
    bool m_holdsBackendSlot = false;
    QByteArray m_setCookie; // the sticky cookie the response carries, when the client needs a new one
    ClientBodyFraming m_responseFraming = ClientBodyFraming::None;
    int m_status = 0;
    QByteArray m_localReason; // set when the proxy answers itself
    qint64 m_requestBodyBytes = 0;
    qint64 m_responseBytes = 0;
    qint64 m_exchangeStartUs = 0;
    bool m_requestComplete = false;
    bool m_requestBodyForwarded = false;
    bool m_responseStarted = false;
    bool m_responseComplete = false;
    bool m_keepAlive = true;
    bool m_retried = false;

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
};

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "health/HealthTarget.h"
#include "health/ProbeResult.h"
#include "http/ResponseParser.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>

class QTcpSocket;

namespace fulcrum {

// One backend's probe connection, on the checker thread: sends
// "METHOD PATH HTTP/1.1 / Host / User-Agent: fulcrum-health/VERSION", parses the answer with the
// data plane's ResponseParser, and judges it by status range and, when asked, a body substring.
//
// The connection is kept between probes while the backend allows it (HTTP/1.1 keep-alive, no
// "Connection: close", no stray bytes), so a steady backend sees one connection and one request per
// interval. An https:// backend is probed over TLS, verified as its traffic is; a pool that sends the
// PROXY protocol has each probe connection start with a header that names no client (as HAProxy's
// check-send-proxy does). A kept connection the backend closed in the meantime (its keep-alive timeout racing
// the next probe) is not held against it: the probe is sent once more on a fresh connection.
class HealthProbe final : public QObject, private ResponseParserHandler
{
    Q_OBJECT
public:
    // The most body a probe reads; a longer body is judged on its start and the connection closed
    // rather than drained.
    static constexpr qint64 kMaxBodyBytes = 64 * 1024;

    explicit HealthProbe(const HealthTarget &target, QObject *parent = nullptr);
    ~HealthProbe() override;

    const HealthTarget &target() const { return m_target; }
    // Abandons a probe under way (no result), closes the connection and takes the new settings.
    void setTarget(const HealthTarget &target);
    // Sends one probe; finished() follows. Ignored while one is running.
    void start();
    bool isRunning() const { return m_running; }
    // Abandons a probe under way without a result and closes the connection.
    void cancel();

Q_SIGNALS:
    void finished(const fulcrum::ProbeResult &result);

private:
    void buildRequest();
    void connectFresh();
    void dropConnection();
    void onConnected();
    void onReadyRead();
    void onPeerClosed();
    void onSocketError();
    void onTimeout();
    void consume(const QByteArray &bytes);
    ProbeResult verdict() const;
    void conclude(bool passed, const QString &reason, bool keepConnection);

    void onResponseHead(ResponseHead &head) override;
    void onResponseBody(const char *data, qsizetype length) override;
    void onResponseComplete() override;

    HealthTarget m_target;
    QByteArray m_request;     // empty when the settings cannot make a safe request
    QByteArray m_proxyHeader; // what each new connection starts with; empty: nothing
    QByteArray m_expectBody;  // UTF-8 of the expected substring; empty: not checked
    bool m_isHead = false;

    QTcpSocket *m_socket = nullptr;           // the current connection; replaced, never reconnected
    std::unique_ptr<ResponseParser> m_parser; // one per connection
    QTimer m_timeout;
    QElapsedTimer m_clock;
    quint64 m_probeId = 0; // tells a queued step of an abandoned probe from the current one
    bool m_running = false;
    bool m_reused = false;  // the current probe went out on a connection kept from an earlier one
    bool m_retried = false; // ... and was already sent again on a fresh one
    qint64 m_responseBytes = 0;
    int m_status = 0;
    bool m_keepAlive = true;
    bool m_complete = false;
    qint64 m_bodyBytes = 0;
    QByteArray m_body; // the first kMaxBodyBytes, kept only when a substring is expected
};

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
// Upgrade requests through the proxy: a real WebSocket client and server on both ends of the tunnel a
// backend's 101 opens, and what the proxy does around it (metrics, access log, idle timeout, drain).
#include "ProxyTest.h"
#include "TestCertificates.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include <csignal>
#include <memory>
#include <sys/socket.h>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {

constexpr int kWaitMs = 10'000;

// A WebSocket server that sends every message back as it came, text as text, binary as binary.
class EchoServer : public QObject
{
public:
    EchoServer() : m_server(u"echo"_s, QWebSocketServer::NonSecureMode)
    {
        connect(&m_server, &QWebSocketServer::newConnection, this, &EchoServer::acceptPending);
    }

    ~EchoServer() override
    {
        // Ended without a close handshake: a QWebSocket destroyed while open leaks its close frame.
        for (const QPointer<QWebSocket> &socket : std::as_const(m_sockets)) {
            if (socket)
                socket->abort();
        }
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    // The server's end of the latest connection; null before the first one or once it is gone.
    QWebSocket *latest() const { return m_sockets.isEmpty() ? nullptr : m_sockets.constLast().data(); }
    qsizetype connectionCount() const { return m_sockets.size(); }
    // The close codes of the server's ends that were disconnected, in order.
    const QList<QWebSocketProtocol::CloseCode> &closeCodes() const { return m_closeCodes; }
    const QStringList &textsReceived() const { return m_texts; }

private:
    void acceptPending()
    {
        while (QWebSocket *socket = m_server.nextPendingConnection()) {
            socket->setParent(this);
            socket->setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
            connect(socket, &QWebSocket::textMessageReceived, socket, [this, socket](const QString &message) {
                m_texts.append(message);
                socket->sendTextMessage(message);
            });
            connect(socket, &QWebSocket::binaryMessageReceived, socket,
                    [socket](const QByteArray &message) { socket->sendBinaryMessage(message); });
            connect(socket, &QWebSocket::disconnected, this,
                    [this, socket] { m_closeCodes.append(socket->closeCode()); });
            m_sockets.append(socket);
        }
    }

    QWebSocketServer m_server;
    QList<QPointer<QWebSocket>> m_sockets;
    QList<QWebSocketProtocol::CloseCode> m_closeCodes;
    QStringList m_texts;
};

QByteArray randomBytes(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(20'240'506);
    generator.fillRange(reinterpret_cast<quint32 *>(bytes.data()), size / qsizetype(sizeof(quint32)));
    return bytes;
}

// One client-to-server text frame: FIN, opcode 1, masked, a payload shorter than 126 bytes.
QByteArray maskedTextFrame(QByteArrayView payload)
{
    const char mask[4] = {0x11, 0x22, 0x33, 0x44};
    QByteArray frame;
    frame.append(char(0x81)).append(char(0x80 | payload.size())).append(mask, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(payload[i] ^ mask[i % 4]));
    return frame;
}

} // namespace

class TestProxyWebSocket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void textAndBinaryEcho();
    void tenMebibytesBothWays();
    void clientCloses();
    void serverCloses();
    void earlyFramesAreNotLost();
    void slowClientHoldsBackTheBackend();
    void halfCloseDeliversWhatCameBefore();
    void otherAnswerIsAPlainResponse();
    void upgradeWithoutConnectionOptionIsNotForwarded();
    void metricsCountTunnels();
    void idleTunnelIsClosed();
    void drainWaitsForTunnel();
    void drainTimeoutEndsTunnel();
    void secureWebSocketThroughTlsListener();

private:
    // overrides: top-level members that replace the configuration's (a TLS "listen", say).
    bool startProxy(quint16 backendPort, const QJsonObject &timeouts = {}, const QJsonObject &overrides = {});
    // A plain socket connected to the proxy that has sent a WebSocket handshake, extra bytes behind it.
    bool connectRaw(QTcpSocket &raw, const QByteArray &behindHandshake = {});
    // A client connected through the proxy, or null (with a warning) when the handshake fails.
    std::unique_ptr<QWebSocket> connectClient();
    // Sends text and waits for it to come back.
    bool echoes(QWebSocket &client, const QString &text);
    QJsonObject listenerMetrics();

    std::unique_ptr<EchoServer> m_server;
    std::unique_ptr<ConfigFile> m_config;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyWebSocket::init()
{
    m_server = std::make_unique<EchoServer>();
    QVERIFY(m_server->listen());
    m_config = std::make_unique<ConfigFile>();
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyWebSocket::cleanup()
{
    m_proxy.reset();
    m_config.reset();
    m_server.reset();
}

bool TestProxyWebSocket::startProxy(quint16 backendPort, const QJsonObject &timeouts,
                                    const QJsonObject &overrides)
{
    QJsonObject config{
        {u"version"_s, 1},
        {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}},
        {u"backends"_s, QJsonArray{QJsonObject{{u"name"_s, u"ws"_s},
                                               {u"url"_s, u"http://127.0.0.1:%1"_s.arg(backendPort)}}}},
        {u"admin"_s, QJsonObject{{u"listen"_s, u"127.0.0.1:0"_s}}},
        {u"metrics_interval_ms"_s, 100},
    };
    if (!timeouts.isEmpty())
        config.insert(u"timeouts"_s, timeouts);
    for (auto it = overrides.constBegin(); it != overrides.constEnd(); ++it)
        config.insert(it.key(), it.value());
    if (!m_config->write(config))
        return false;
    if (!m_proxy->start({u"--config"_s, m_config->path()}, 1, !overrides.contains(u"listen"_s))) {
        qWarning("%s", qPrintable(m_proxy->errorString()));
        return false;
    }
    return true;
}

bool TestProxyWebSocket::connectRaw(QTcpSocket &raw, const QByteArray &behindHandshake)
{
    QSignalSpy connected(&raw, &QTcpSocket::connected);
    raw.connectToHost(QHostAddress::LocalHost, m_proxy->port());
    if (!connected.wait(kWaitMs))
        return false;
    raw.write("GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
              behindHandshake);
    return true;
}

std::unique_ptr<QWebSocket> TestProxyWebSocket::connectClient()
{
    auto client = std::make_unique<QWebSocket>();
    client->setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
    QSignalSpy connected(client.get(), &QWebSocket::connected);
    client->open(QUrl(u"ws://127.0.0.1:%1/chat"_s.arg(m_proxy->port())));
    if (!connected.wait(kWaitMs)) {
        qWarning("handshake through the proxy failed: %s", qPrintable(client->errorString()));
        return nullptr;
    }
    return client;
}

bool TestProxyWebSocket::echoes(QWebSocket &client, const QString &text)
{
    QSignalSpy received(&client, &QWebSocket::textMessageReceived);
    client.sendTextMessage(text);
    return received.wait(kWaitMs) && received.constFirst().constFirst().toString() == text;
}

QJsonObject TestProxyWebSocket::listenerMetrics()
{
    const HttpResponse response = fetch(m_proxy->adminPort(), RawClient::get("/api/v1/snapshot"));
    return QJsonDocument::fromJson(response.body).object().value(u"listener"_s).toObject();
}

void TestProxyWebSocket::textAndBinaryEcho()
{
    QVERIFY(startProxy(m_server->port()));
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    QCOMPARE(m_server->connectionCount(), 1);
    QCOMPARE(m_server->latest()->requestUrl().path(), u"/chat"_s);

    QVERIFY(echoes(*client, u"hello through the tunnel"_s));
    QSignalSpy binary(client.get(), &QWebSocket::binaryMessageReceived);
    const QByteArray payload("\x00\x01\x02\xff binary", 11);
    client->sendBinaryMessage(payload);
    QVERIFY(binary.wait(kWaitMs));
    QCOMPARE(binary.constFirst().constFirst().toByteArray(), payload);
    // The connection stays one tunnel: more messages go the same way.
    QVERIFY(echoes(*client, u"again"_s));
    QCOMPARE(m_server->connectionCount(), 1);
}

void TestProxyWebSocket::tenMebibytesBothWays()
{
    QVERIFY(startProxy(m_server->port()));
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    const QByteArray payload = randomBytes(10 * 1024 * 1024);
    QSignalSpy received(client.get(), &QWebSocket::binaryMessageReceived);
    client->sendBinaryMessage(payload);
    QVERIFY(received.wait(60'000));
    const QByteArray echoed = received.constFirst().constFirst().toByteArray();
    QCOMPARE(echoed.size(), payload.size());
    QVERIFY(echoed == payload);
}

void TestProxyWebSocket::clientCloses()
{
    QVERIFY(startProxy(m_server->port()));
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    QVERIFY(echoes(*client, u"before closing"_s));
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    client->close(QWebSocketProtocol::CloseCodeNormal, u"done"_s);
    QTRY_VERIFY_WITH_TIMEOUT(!disconnected.isEmpty(), kWaitMs); // close() may already have emitted it
    QTRY_COMPARE_WITH_TIMEOUT(m_server->closeCodes().size(), 1, kWaitMs);
    QCOMPARE(m_server->closeCodes().constFirst(), QWebSocketProtocol::CloseCodeNormal);

    // One access log line for the whole tunnel, written when it ends.
    QVERIFY2(m_proxy->waitForOutputLines(1), m_proxy->standardOutput().constData());
    const QByteArray line = m_proxy->outputLines().constFirst();
    QVERIFY2(line.contains("\"GET /chat HTTP/1.1\" 101 ws "), line.constData());
    QVERIFY2(line.contains("closed the tunnel"), line.constData());
}

void TestProxyWebSocket::serverCloses()
{
    QVERIFY(startProxy(m_server->port()));
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    QVERIFY(echoes(*client, u"before closing"_s));
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    m_server->latest()->close(QWebSocketProtocol::CloseCodeGoingAway, u"server leaves"_s);
    QVERIFY(disconnected.wait(kWaitMs));
    QCOMPARE(client->closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
    QCOMPARE(client->closeReason(), u"server leaves"_s);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->closeCodes().size(), 1, kWaitMs);
}

void TestProxyWebSocket::earlyFramesAreNotLost()
{
    QVERIFY(startProxy(m_server->port()));
    QTcpSocket raw;
    QByteArray received;
    connect(&raw, &QTcpSocket::readyRead, &raw, [&] { received += raw.readAll(); });
    // A frame in the same write as the handshake: the proxy holds it until the backend has switched.
    QVERIFY(connectRaw(raw, maskedTextFrame("early")));
    const QByteArray echoedFrame = QByteArray("\x81\x05") + "early";
    QTRY_VERIFY_WITH_TIMEOUT(received.endsWith(echoedFrame), kWaitMs);
    QVERIFY2(received.startsWith("HTTP/1.1 101 "), received.constData());
    const QByteArray head = received.left(received.indexOf("\r\n\r\n") + 4).toLower();
    QVERIFY2(head.contains("\r\nupgrade: websocket\r\n"), head.constData());
    QVERIFY2(head.contains("\r\nconnection: upgrade\r\n"), head.constData());
    QVERIFY2(head.contains("\r\nsec-websocket-accept: "), head.constData());
}

void TestProxyWebSocket::slowClientHoldsBackTheBackend()
{
    QVERIFY(startProxy(m_server->port()));
    QTcpSocket raw;
    // Qt stops reading from the kernel once this much waits unread: the client reads nothing for now.
    raw.setReadBufferSize(64 * 1024);
    QVERIFY(connectRaw(raw));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 1, kWaitMs);
    QWebSocket *server = m_server->latest();
    // Far more than the kernel buffers on the way can hold (a few MiB each).
    constexpr qint64 kSize = 64 * 1024 * 1024;
    QSignalSpy written(server, &QWebSocket::bytesWritten);
    server->sendBinaryMessage(QByteArray(kSize, 'b'));
    for (int i = 0; i < 600 && written.wait(500); ++i) {
    }
    // The proxy stopped reading the backend instead of buffering what the client does not take.
    QVERIFY2(server->bytesToWrite() > kSize / 2, qPrintable(QString::number(server->bytesToWrite())));

    qint64 received = 0;
    connect(&raw, &QTcpSocket::readyRead, &raw, [&] { received += raw.skip(raw.bytesAvailable()); });
    raw.setReadBufferSize(0);
    received += raw.skip(raw.bytesAvailable());
    QTRY_VERIFY_WITH_TIMEOUT(received > kSize, 60'000);
    QCOMPARE(server->bytesToWrite(), 0);
}

void TestProxyWebSocket::halfCloseDeliversWhatCameBefore()
{
    QVERIFY(startProxy(m_server->port()));
    QTcpSocket raw;
    QVERIFY(connectRaw(raw));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 1, kWaitMs);
    QSignalSpy disconnected(&raw, &QTcpSocket::disconnected);
    // The last frame and the FIN leave together: the frame still reaches the server, then the end.
    raw.write(maskedTextFrame("last words"));
    QVERIFY(raw.flush());
    QCOMPARE(::shutdown(static_cast<int>(raw.socketDescriptor()), SHUT_WR), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->textsReceived(), QStringList{u"last words"_s}, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->closeCodes().size(), 1, kWaitMs);
    // The server's end closed the tunnel's other side too.
    QTRY_VERIFY_WITH_TIMEOUT(!disconnected.isEmpty(), kWaitMs);
}

void TestProxyWebSocket::otherAnswerIsAPlainResponse()
{
    FakeBackend backend(u"plain"_s);
    backend.setDefaultBehaviour(Behaviour::fixed("no websocket here", 200));
    QVERIFY(backend.start());
    QVERIFY(startProxy(backend.port()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    const HttpResponse first = client.request(
        "GET /chat HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    QVERIFY2(first.complete && first.status == 200, qPrintable(first.describe()));
    QCOMPARE(first.body, QByteArray("no websocket here"));
    QCOMPARE(backend.lastRequest().header("upgrade"), QByteArray("websocket"));
    QCOMPARE(backend.lastRequest().header("connection").toLower(), QByteArray("upgrade"));
    // The connection goes on as HTTP.
    const HttpResponse second = client.request(RawClient::get("/next"));
    QVERIFY2(second.complete && second.status == 200, qPrintable(second.describe()));
    QCOMPARE(backend.requestCount(), 2);
    QVERIFY(!backend.lastRequest().hasHeader("upgrade"));
}

void TestProxyWebSocket::upgradeWithoutConnectionOptionIsNotForwarded()
{
    FakeBackend backend(u"plain"_s);
    QVERIFY(backend.start());
    QVERIFY(startProxy(backend.port()));
    const HttpResponse response =
        fetch(m_proxy->port(),
              "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n\r\n");
    QVERIFY2(response.complete && response.status == 200, qPrintable(response.describe()));
    QCOMPARE(backend.requestCount(), 1);
    QVERIFY(!backend.lastRequest().hasHeader("upgrade"));
    QVERIFY(!backend.lastRequest().hasHeader("connection"));
}

void TestProxyWebSocket::metricsCountTunnels()
{
    QVERIFY(startProxy(m_server->port()));
    QCOMPARE(listenerMetrics().value(u"tunnels"_s).toInteger(-1), 0);
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    const QString message(1000, u'x');
    QVERIFY(echoes(*client, message));
    QTRY_COMPARE_WITH_TIMEOUT(listenerMetrics().value(u"open_tunnels"_s).toInteger(), 1, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(listenerMetrics().value(u"tunnel_bytes_out"_s).toInteger() >= 1000, kWaitMs);
    QJsonObject listener = listenerMetrics();
    QCOMPARE(listener.value(u"tunnels"_s).toInteger(), 1);
    QVERIFY(listener.value(u"tunnel_bytes_in"_s).toInteger() >= 1000);
    QVERIFY(listener.value(u"bytes_in"_s).toInteger() >= listener.value(u"tunnel_bytes_in"_s).toInteger());

    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    client->close();
    QTRY_VERIFY_WITH_TIMEOUT(!disconnected.isEmpty(), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(listenerMetrics().value(u"open_tunnels"_s).toInteger(-1), 0, kWaitMs);
    QCOMPARE(listenerMetrics().value(u"tunnels"_s).toInteger(), 1);

    const HttpResponse prom = fetch(m_proxy->adminPort(), RawClient::get("/metrics"));
    QCOMPARE(prom.status, 200);
    QVERIFY2(prom.body.contains("\nfulcrum_tunnels_total 1\n"), prom.body.constData());
    QVERIFY2(prom.body.contains("\nfulcrum_open_tunnels 0\n"), prom.body.constData());
}

void TestProxyWebSocket::idleTunnelIsClosed()
{
    constexpr int kIdleMs = 600;
    QVERIFY(startProxy(m_server->port(), QJsonObject{{u"tunnel_idle_ms"_s, kIdleMs}}));
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    QVERIFY(echoes(*client, u"one message, then silence"_s));
    QElapsedTimer silence;
    silence.start();
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QVERIFY(disconnected.wait(kWaitMs));
    QVERIFY2(silence.elapsed() >= kIdleMs - 100 && silence.elapsed() < 5'000,
             qPrintable(QString::number(silence.elapsed())));
    QVERIFY2(m_proxy->waitForOutputLines(1), m_proxy->standardOutput().constData());
    QVERIFY2(m_proxy->outputLines().constFirst().contains("tunnel idle"),
             m_proxy->standardOutput().constData());
}

void TestProxyWebSocket::drainWaitsForTunnel()
{
    QVERIFY(startProxy(m_server->port(), QJsonObject{{u"drain_ms"_s, 30'000}}));
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    QVERIFY(m_proxy->waitForError(QRegularExpression(u"draining"_s)));
    // Draining: the tunnel still carries messages both ways.
    QVERIFY(echoes(*client, u"during the drain"_s));
    QVERIFY(m_proxy->isRunning());
    QElapsedTimer timer;
    timer.start();
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    client->close();
    QTRY_VERIFY_WITH_TIMEOUT(!disconnected.isEmpty(), kWaitMs);
    const std::optional<int> code = m_proxy->waitForExit(kWaitMs);
    QVERIFY(code.has_value());
    QVERIFY2(timer.elapsed() < 5'000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY2(m_proxy->errorContains("drained, exiting"), m_proxy->standardError().constData());
}

void TestProxyWebSocket::drainTimeoutEndsTunnel()
{
    constexpr int kDrainMs = 1'000;
    QVERIFY(startProxy(m_server->port(), QJsonObject{{u"drain_ms"_s, kDrainMs}}));
    const std::unique_ptr<QWebSocket> client = connectClient();
    QVERIFY(client);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    QVERIFY(m_proxy->waitForError(QRegularExpression(u"draining"_s)));
    QVERIFY(echoes(*client, u"during the drain"_s));
    QSignalSpy disconnected(client.get(), &QWebSocket::disconnected);
    QVERIFY(disconnected.wait(kWaitMs));
    QVERIFY2(timer.elapsed() >= kDrainMs - 100, qPrintable(QString::number(timer.elapsed())));
    const std::optional<int> code = m_proxy->waitForExit(kWaitMs);
    QVERIFY(code.has_value());
    QVERIFY2(m_proxy->errorContains("drain timeout"), m_proxy->standardError().constData());
}

void TestProxyWebSocket::secureWebSocketThroughTlsListener()
{
    // wss:// to a TLS listener: the tunnel's client side goes through the connection's TLS both ways.
    TestCertificates authority;
    QVERIFY2(authority.isValid(), qPrintable(authority.errorString()));
    const auto issued = authority.issue(u"localhost"_s, {u"localhost"_s});
    QVERIFY2(issued, qPrintable(authority.errorString()));
    const QJsonObject certificate{{u"cert"_s, issued->certificateFile}, {u"key"_s, issued->keyFile}};
    QVERIFY(startProxy(m_server->port(), {},
                       {{u"listen"_s, QJsonArray{u"127.0.0.1:0,tls"_s}},
                        {u"tls"_s, QJsonObject{{u"certificates"_s, QJsonArray{certificate}}}}}));
    QWebSocket client;
    client.setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
    client.setSslConfiguration(authority.clientConfiguration());
    QSignalSpy connected(&client, &QWebSocket::connected);
    client.open(QUrl(u"wss://localhost:%1/chat"_s.arg(m_proxy->port())));
    QVERIFY2(connected.wait(kWaitMs), qPrintable(client.errorString()));

    QVERIFY(echoes(client, u"hello over TLS"_s));
    const QByteArray payload = randomBytes(2 * 1024 * 1024);
    QSignalSpy binary(&client, &QWebSocket::binaryMessageReceived);
    client.sendBinaryMessage(payload);
    QVERIFY(binary.wait(60'000));
    QVERIFY(binary.constFirst().constFirst().toByteArray() == payload);

    client.close(QWebSocketProtocol::CloseCodeNormal, u"done"_s);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->closeCodes().size(), 1, kWaitMs);
    QCOMPARE(m_server->closeCodes().constFirst(), QWebSocketProtocol::CloseCodeNormal);
}

QTEST_GUILESS_MAIN(TestProxyWebSocket)
#include "tst_proxy_websocket.moc"

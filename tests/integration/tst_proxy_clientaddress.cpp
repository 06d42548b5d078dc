// SPDX-License-Identifier: GPL-3.0-or-later
// Client addresses end to end: X-Forwarded-For from trusted and untrusted peers, consistent hashing on
// the forwarded client, the access log, and PROXY protocol v1 and v2 listeners.
#include "ProxyTest.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
const QByteArray kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);

// A PROXY v2 header for a TCP over IPv4 connection from 192.0.2.20:4711 to 127.0.0.1:80.
QByteArray proxyV2FromTestNet()
{
    return kV2Signature + QByteArray::fromHex("2111000c"
                                              "c0000214"
                                              "7f000001"
                                              "1267"
                                              "0050");
}

QJsonObject lastAccessLine(FulcrumProcess &proxy, qsizetype count)
{
    if (!proxy.waitForOutputLines(count))
        return {};
    return QJsonDocument::fromJson(proxy.outputLines().at(count - 1)).object();
}
} // namespace

class TestProxyClientAddress : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void untrustedPeersForwardedForIsReplaced();
    void trustedPeersForwardedForIsAppended();
    void clientIpHashingUsesTheForwardedClient();
    void proxyV1NamesTheClient();
    void proxyV2NamesTheClient();
    void proxyHeaderFromUntrustedPeerIsRefused();
    void plainHttpOnProxyListenerIsRefused();

private:
    // fulcrumd in front of m_backend with the access log in JSON and these extra flags.
    bool startProxy(const QStringList &extra, bool addListen = true);
    // A request on a new connection to port, with the bytes before it and these headers.
    HttpResponse send(quint16 port, const QByteArray &prefix,
                      const QList<std::pair<QByteArray, QByteArray>> &headers = {});
    // Sends bytes on a new connection and expects it to be closed with no response.
    void expectRefused(quint16 port, const QByteArray &bytes);

    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyClientAddress::init()
{
    m_backend = std::make_unique<FakeBackend>(u"addr"_s);
    QVERIFY(m_backend->start());
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyClientAddress::cleanup()
{
    m_proxy.reset();
    m_backend.reset();
}

bool TestProxyClientAddress::startProxy(const QStringList &extra, bool addListen)
{
    QStringList args = backendArgs({m_backend.get()});
    args << u"--log-format"_s << u"json"_s << extra;
    return m_proxy->start(args, 1, addListen);
}

HttpResponse TestProxyClientAddress::send(quint16 port, const QByteArray &prefix,
                                          const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    const QByteArray bytes = prefix + RawClient::get("/who", headers);
    return fetch(port, bytes);
}

void TestProxyClientAddress::expectRefused(quint16 port, const QByteArray &bytes)
{
    RawClient client;
    QVERIFY(client.connectTo(port));
    QVERIFY(client.send(bytes));
    bool closed = false;
    const QByteArray answer = client.readUntilClosed(&closed);
    QVERIFY2(closed, "the connection stayed open");
    QVERIFY2(answer.isEmpty(), answer.constData());
    QCOMPARE(m_backend->headCount(), 0);
}

void TestProxyClientAddress::untrustedPeersForwardedForIsReplaced()
{
    QVERIFY2(startProxy({u"--trusted-proxy"_s, u"10.0.0.0/8"_s}), qPrintable(m_proxy->errorString()));
    const HttpResponse r = send(m_proxy->port(), {}, {{"X-Forwarded-For", "10.9.9.9, 198.51.100.7"}});
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->lastRequest().headerCount("x-forwarded-for"), 1);
    QCOMPARE(m_backend->lastRequest().header("x-forwarded-for"), "127.0.0.1"_ba);
    const QJsonObject line = lastAccessLine(*m_proxy, 1);
    QCOMPARE(line.value(u"client"_s).toString(), u"127.0.0.1"_s);
    QCOMPARE(line.value(u"peer"_s).toString(), u"127.0.0.1"_s);
}

void TestProxyClientAddress::trustedPeersForwardedForIsAppended()
{
    QVERIFY2(startProxy({u"--trusted-proxy"_s, u"127.0.0.1/32"_s}), qPrintable(m_proxy->errorString()));
    const HttpResponse r = send(m_proxy->port(), {}, {{"X-Forwarded-For", "203.0.113.9, 198.51.100.7"}});
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->lastRequest().headerCount("x-forwarded-for"), 1);
    QCOMPARE(m_backend->lastRequest().header("x-forwarded-for"), "203.0.113.9, 198.51.100.7, 127.0.0.1"_ba);
    const QJsonObject line = lastAccessLine(*m_proxy, 1);
    QCOMPARE(line.value(u"client"_s).toString(), u"198.51.100.7"_s);
    QCOMPARE(line.value(u"peer"_s).toString(), u"127.0.0.1"_s);
}

void TestProxyClientAddress::clientIpHashingUsesTheForwardedClient()
{
    FakeBackend second(u"addr2"_s);
    FakeBackend third(u"addr3"_s);
    QVERIFY(second.start());
    QVERIFY(third.start());
    QStringList args = backendArgs({m_backend.get(), &second, &third});
    args << u"--strategy"_s << u"consistent-hash"_s << u"--hash-key"_s << u"client-ip"_s
         << u"--trusted-proxy"_s << u"127.0.0.1"_s;
    QVERIFY2(m_proxy->start(args), qPrintable(m_proxy->errorString()));

    const QList<FakeBackend *> backends{m_backend.get(), &second, &third};
    auto backendOf = [&backends](const QByteArray &client) -> int {
        for (qsizetype i = 0; i < backends.size(); ++i) {
            const QList<RecordedRequest> seen = backends.at(i)->requests();
            if (!seen.isEmpty() &&
                seen.constLast().header("x-forwarded-for").startsWith(QByteArray(client + ',')))
                return int(i);
        }
        return -1;
    };
    QSet<int> used;
    for (int c = 1; c <= 24; ++c) {
        const QByteArray client = "198.51.100." + QByteArray::number(c);
        int first = -1;
        for (int repeat = 0; repeat < 3; ++repeat) {
            const HttpResponse r = send(m_proxy->port(), {}, {{"X-Forwarded-For", client}});
            QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
            const int backend = backendOf(client);
            QVERIFY2(backend >= 0, client.constData());
            if (first < 0)
                first = backend;
            QCOMPARE(backend, first); // one client, one backend, whatever the connection
        }
        used.insert(first);
    }
    // Hashing the peer (127.0.0.1 every time) would have sent them all to one backend.
    QVERIFY2(used.size() > 1, "every forwarded client went to the same backend");
}

void TestProxyClientAddress::proxyV1NamesTheClient()
{
    QVERIFY2(
        startProxy({u"--trusted-proxy"_s, u"127.0.0.1/32"_s, u"--listen"_s, u"127.0.0.1:0,proxy-protocol"_s},
                   false),
        qPrintable(m_proxy->errorString()));
    const QByteArray header = "PROXY TCP4 192.0.2.10 127.0.0.1 4711 80\r\n";
    // The client the header names is not trusted: its own X-Forwarded-For is replaced.
    const HttpResponse r = send(m_proxy->port(), header, {{"X-Forwarded-For", "10.6.6.6"}});
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->lastRequest().header("x-forwarded-for"), "192.0.2.10"_ba);
    QJsonObject line = lastAccessLine(*m_proxy, 1);
    QCOMPARE(line.value(u"client"_s).toString(), u"192.0.2.10"_s);
    QCOMPARE(line.value(u"peer"_s).toString(), u"192.0.2.10"_s);

    // UNKNOWN keeps the connection's own address; keep-alive requests after the header work as usual.
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    QVERIFY(client.send("PROXY UNKNOWN\r\n"));
    for (int i = 0; i < 2; ++i) {
        const HttpResponse again = client.request(RawClient::get("/again"));
        QVERIFY2(again.complete && again.status == 200, qPrintable(again.describe()));
        QCOMPARE(m_backend->lastRequest().header("x-forwarded-for"), "127.0.0.1"_ba);
    }
}

void TestProxyClientAddress::proxyV2NamesTheClient()
{
    QVERIFY2(
        startProxy({u"--trusted-proxy"_s, u"127.0.0.1/32"_s, u"--listen"_s, u"127.0.0.1:0,proxy-protocol"_s},
                   false),
        qPrintable(m_proxy->errorString()));
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    // The header arrives in two pieces, the second together with the request.
    const QByteArray header = proxyV2FromTestNet();
    QVERIFY(client.send(header.first(10)));
    QVERIFY(client.staysSilent(50));
    const HttpResponse r = client.request(QByteArray(header.sliced(10) + RawClient::get("/v2")));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QCOMPARE(m_backend->lastRequest().header("x-forwarded-for"), "192.0.2.20"_ba);
    const QJsonObject line = lastAccessLine(*m_proxy, 1);
    QCOMPARE(line.value(u"client"_s).toString(), u"192.0.2.20"_s);

    // LOCAL (a load balancer's own health check) keeps the real peer.
    const HttpResponse local = send(m_proxy->port(), kV2Signature + QByteArray::fromHex("20000000"));
    QVERIFY2(local.complete && local.status == 200, qPrintable(local.describe()));
    QCOMPARE(m_backend->lastRequest().header("x-forwarded-for"), "127.0.0.1"_ba);
}

void TestProxyClientAddress::proxyHeaderFromUntrustedPeerIsRefused()
{
    QVERIFY2(startProxy({u"--trusted-proxy"_s, u"10.0.0.0/8"_s, u"--listen"_s,
                         u"127.0.0.1:0,proxy-protocol"_s, u"--log-level"_s, u"debug"_s},
                        false),
             qPrintable(m_proxy->errorString()));
    expectRefused(m_proxy->port(), "PROXY TCP4 192.0.2.10 127.0.0.1 4711 80\r\n" + RawClient::get("/x"));
    expectRefused(m_proxy->port(), proxyV2FromTestNet() + RawClient::get("/x"));
    QVERIFY(m_proxy->waitForError(QRegularExpression(u"refused .*not in trusted_proxies"_s)));
}

void TestProxyClientAddress::plainHttpOnProxyListenerIsRefused()
{
    QVERIFY2(startProxy({u"--trusted-proxy"_s, u"127.0.0.1/32"_s, u"--listen"_s, u"127.0.0.1:0"_s,
                         u"--listen"_s, u"127.0.0.1:0,proxy-protocol"_s},
                        false),
             qPrintable(m_proxy->errorString()));
    QCOMPARE(m_proxy->ports().size(), 2);
    const quint16 proxyPort = m_proxy->ports().at(1);
    expectRefused(proxyPort, RawClient::get("/plain"));
    expectRefused(proxyPort, "PROXY TCP4 192.0.2.10 127.0.0.1 4711\r\n" + RawClient::get("/short"));
    // The plain listener next to it still speaks HTTP.
    const HttpResponse r = send(m_proxy->ports().at(0), {});
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
}

QTEST_MAIN(TestProxyClientAddress)
#include "tst_proxy_clientaddress.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// Backends that follow DNS, in the real fulcrumd against a real DNS server (dnsmasq) on a loopback
// address: a resolved name's addresses come and go while requests run, without one failing; SRV records
// give ports and weights and only their lowest priority serves; a DNS server that stops answering
// leaves the last good set serving; a reload keeps the discovered backends.
#include "BalancingTest.h"
#include "DnsServer.h"
#include "LoadGenerator.h"
#include "ProxyTest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

#include <csignal>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kLoadTimeoutMs = 60'000;
constexpr int kChangeTimeoutMs = 15'000;

QRegularExpression literal(const QString &text)
{
    return QRegularExpression(QRegularExpression::escape(text));
}

// name -> weight of every backend fulcrumd has, from the admin API.
QHash<QString, int> backendWeights(FulcrumProcess &proxy)
{
    const HttpResponse response =
        fetch(proxy.adminPort(), "GET /api/v1/backends HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
    QHash<QString, int> weights;
    const QJsonValue list = QJsonDocument::fromJson(response.body).object().value("backends"_L1);
    for (const QJsonValue &backend : list.toArray())
        weights.insert(backend["name"_L1].toString(), backend["weight"_L1].toInt());
    return weights;
}

QString describe(const QHash<QString, int> &weights)
{
    QStringList parts;
    for (auto it = weights.cbegin(); it != weights.cend(); ++it)
        parts.append(it.key() + u'=' + QString::number(it.value()));
    parts.sort();
    return parts.join(u", "_s);
}

QStringList discoveryArgs(const DnsServer &dns)
{
    return {u"--dns-server"_s, dns.address().toString(), u"--dns-interval"_s, u"500"_s,
            u"--admin"_s,      u"127.0.0.1:0"_s,         u"--access-log"_s,   u"off"_s};
}

// Three backends on one port at 127.0.0.11..13, as the addresses of one name would be, and a DNS
// server that gives the name web.test the first two of them.
struct ResolvedFleet
{
    std::unique_ptr<FakeBackend> backends[3];
    DnsServer dns;
    QString error;

    bool start()
    {
        quint16 port = 0;
        for (int i = 0; i < 3; ++i) {
            backends[i] = std::make_unique<FakeBackend>(u"b%1"_s.arg(i + 1));
            backends[i]->setAddress(QHostAddress(u"127.0.0.%1"_s.arg(11 + i)));
            if (!backends[i]->start(port)) {
                error = u"cannot start backend %1"_s.arg(i + 1);
                return false;
            }
            port = backends[i]->port();
        }
        if (!dns.setHosts({{u"web.test"_s, {u"127.0.0.11"_s, u"127.0.0.12"_s}}}) || !dns.start()) {
            error = dns.errorString();
            return false;
        }
        return true;
    }
    FakeBackend &at(int i) { return *backends[i]; }
    quint16 port() const { return backends[0]->port(); }
    // fulcrumd's flags for web.test as one backend with every address.
    QStringList proxyArgs() const
    {
        return discoveryArgs(dns) +
               QStringList{u"--backend"_s, u"http://web.test:%1,resolve,name=web"_s.arg(port())};
    }
};

} // namespace

class TestDnsDiscovery : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resolvedAddressesComeAndGoWithoutFailures();
    void srvRecordsGivePortsAndWeights();
    void failedLookupKeepsTheLastGoodSet();
    void reloadKeepsDiscoveredBackends();
};

// web.test has .11 and .12, then .12 and .13: .13 is added and takes traffic, .11 drains and takes no
// more, and the request loop running all along sees no failure.
void TestDnsDiscovery::resolvedAddressesComeAndGoWithoutFailures()
{
    ResolvedFleet fleet;
    QVERIFY2(fleet.start(), qPrintable(fleet.error));
    FakeBackend &eleven = fleet.at(0), &twelve = fleet.at(1), &thirteen = fleet.at(2);
    FulcrumProcess proxy;
    QVERIFY2(proxy.start(fleet.proxyArgs(), 2), qPrintable(proxy.errorString()));
    // The look-up came before the listener: the proxy starts with both addresses.
    QVERIFY2(proxy.waitForError(literal(u"backend web-127.0.0.12 at http://127.0.0.12:"_s)),
             proxy.standardError().constData());
    QVERIFY(proxy.errorContains("backend web-127.0.0.11 at http://127.0.0.11:"));

    LoadGenerator load(proxy.port(), 4);
    load.start(1'000'000, kLoadTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(eleven.requestCount() > 20 && twelve.requestCount() > 20, kChangeTimeoutMs);
    QCOMPARE(thirteen.requestCount(), 0);

    QVERIFY(fleet.dns.setHosts({{u"web.test"_s, {u"127.0.0.12"_s, u"127.0.0.13"_s}}}));
    QVERIFY2(proxy.waitForError(literal(u"backend web-127.0.0.13: added"_s), kChangeTimeoutMs),
             proxy.standardError().constData());
    QVERIFY2(proxy.waitForError(literal(u"backend web-127.0.0.11: removed"_s), kChangeTimeoutMs),
             proxy.standardError().constData());
    // Removed means drained and out of every table: nothing reaches .11 from here on.
    const int removedAfter = eleven.requestCount();
    QTRY_VERIFY_WITH_TIMEOUT(thirteen.requestCount() > 20, kChangeTimeoutMs);
    const int twelveBefore = twelve.requestCount();
    QTRY_VERIFY_WITH_TIMEOUT(twelve.requestCount() > twelveBefore + 20, kChangeTimeoutMs);
    load.stop();
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
    QCOMPARE(eleven.requestCount(), removedAfter);
    QVERIFY(proxy.isRunning());
}

// Two targets at priority 10 with weights 30 and 10, a fallback at priority 20: round robin sends
// exactly 3:1 to the first two, and nothing to the fallback. Dropping one target removes its backend.
void TestDnsDiscovery::srvRecordsGivePortsAndWeights()
{
    FakeBackend x(u"x"_s), y(u"y"_s), z(u"z"_s);
    QVERIFY(x.start() && y.start() && z.start());
    DnsServer dns;
    QVERIFY(dns.setHosts(
        {{u"x.test"_s, {u"127.0.0.1"_s}}, {u"y.test"_s, {u"127.0.0.1"_s}}, {u"z.test"_s, {u"127.0.0.1"_s}}}));
    const QString service = u"_http._tcp.svc.test"_s;
    dns.setSrv(
        service,
        {{u"x.test"_s, x.port(), 10, 30}, {u"y.test"_s, y.port(), 10, 10}, {u"z.test"_s, z.port(), 20, 100}});
    QVERIFY2(dns.start(), qPrintable(dns.errorString()));

    FulcrumProcess proxy;
    QStringList args = discoveryArgs(dns);
    args << u"--backend"_s << u"srv://"_s + service + u",name=svc"_s;
    QVERIFY2(proxy.start(args, 2), qPrintable(proxy.errorString()));
    const QString xName = u"svc-127.0.0.1-%1"_s.arg(x.port());
    const QString yName = u"svc-127.0.0.1-%1"_s.arg(y.port());
    const QHash<QString, int> weights = backendWeights(proxy);
    QVERIFY2(weights == (QHash<QString, int>{{xName, 30}, {yName, 10}}), qPrintable(describe(weights)));

    {
        LoadGenerator load(proxy.port(), 3);
        load.start(400, kLoadTimeoutMs);
        QVERIFY(load.waitForFinished(kLoadTimeoutMs));
        QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
        const QHash<QByteArray, int> counts = countByBackend(load.samples());
        QVERIFY2(counts.value("x") == 300 && counts.value("y") == 100 && !counts.contains("z"),
                 qPrintable(describeCounts(counts)));
    }

    dns.stop();
    dns.setSrv(service, {{u"x.test"_s, x.port(), 10, 20}, {u"z.test"_s, z.port(), 20, 100}});
    QVERIFY2(dns.start(), qPrintable(dns.errorString()));
    QVERIFY2(proxy.waitForError(literal(u"backend %1: removed"_s.arg(yName)), kChangeTimeoutMs),
             proxy.standardError().constData());
    QVERIFY2(proxy.waitForError(literal(u"backend %1: weight 30 -> 20"_s.arg(xName)), kChangeTimeoutMs),
             proxy.standardError().constData());
}

// With the DNS server gone, every look-up fails: that is logged, and both backends keep serving.
void TestDnsDiscovery::failedLookupKeepsTheLastGoodSet()
{
    ResolvedFleet fleet;
    QVERIFY2(fleet.start(), qPrintable(fleet.error));
    FulcrumProcess proxy;
    QVERIFY2(proxy.start(fleet.proxyArgs(), 1), qPrintable(proxy.errorString()));

    fleet.dns.stop();
    QVERIFY2(proxy.waitForError(literal(u"DNS: resolve web.test failed"_s), kChangeTimeoutMs),
             proxy.standardError().constData());
    QVERIFY(proxy.errorContains("keeping the last 2 addresses"));
    QVERIFY(!proxy.errorContains(": removed"));
    LoadGenerator load(proxy.port(), 2);
    load.start(200, kLoadTimeoutMs);
    QVERIFY(load.waitForFinished(kLoadTimeoutMs));
    QVERIFY2(load.failures().isEmpty(), qPrintable(describeFailures(load.failures())));
    const QHash<QByteArray, int> counts = countByBackend(load.samples());
    QVERIFY2(counts.value("b1") == 100 && counts.value("b2") == 100, qPrintable(describeCounts(counts)));
}

// A SIGHUP re-reads a file whose backend is discovered: the running addresses stay, none drains.
void TestDnsDiscovery::reloadKeepsDiscoveredBackends()
{
    ResolvedFleet fleet;
    QVERIFY2(fleet.start(), qPrintable(fleet.error));
    const auto configWithWeight = [&](int weight) {
        return QJsonObject{
            {u"version"_s, 1},
            {u"backends"_s, QJsonArray{QJsonObject{{u"name"_s, u"web"_s},
                                                   {u"url"_s, u"http://web.test:%1"_s.arg(fleet.port())},
                                                   {u"resolve"_s, true},
                                                   {u"weight"_s, weight}}}},
            {u"dns"_s, QJsonObject{{u"server"_s, fleet.dns.address().toString()}, {u"interval_ms"_s, 500}}},
            {u"admin"_s, QJsonObject{{u"listen"_s, u"127.0.0.1:0"_s}}},
            {u"access_log"_s, false},
        };
    };
    ConfigFile config;
    QVERIFY(config.write(configWithWeight(1)));
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--config"_s, config.path()}, 1), qPrintable(proxy.errorString()));

    QVERIFY(config.write(configWithWeight(3)));
    QVERIFY(proxy.sendSignal(SIGHUP));
    QVERIFY2(proxy.waitForError(literal(u"configuration reloaded"_s)), proxy.standardError().constData());
    QVERIFY2(proxy.errorContains("backend web-127.0.0.11: weight 1 -> 3"), proxy.standardError().constData());
    QVERIFY(!proxy.errorContains(": removed") && !proxy.errorContains(": added"));
    const QHash<QString, int> weights = backendWeights(proxy);
    QVERIFY2(weights == (QHash<QString, int>{{u"web-127.0.0.11"_s, 3}, {u"web-127.0.0.12"_s, 3}}),
             qPrintable(describe(weights)));
}

QTEST_GUILESS_MAIN(TestDnsDiscovery)
#include "tst_dns_discovery.moc"

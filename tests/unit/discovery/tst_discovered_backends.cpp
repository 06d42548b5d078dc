// SPDX-License-Identifier: GPL-3.0-or-later
// How a discovered backend becomes one backend per address, and how two answers differ.
#include "discovery/DiscoveredBackends.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace fulcrum;

namespace {

BackendConfig discovered(BackendDiscovery kind, const QString &host)
{
    BackendConfig backend;
    backend.name = u"web"_s;
    backend.host = host;
    backend.port = 8080;
    backend.weight = 7;
    backend.discovery = kind;
    backend.healthCheck.enabled = true;
    backend.healthCheck.path = u"/health"_s;
    return backend;
}

DiscoveredAddress at(const QString &address, quint16 port = 0, int weight = 0)
{
    return {QHostAddress(address), port, weight};
}

QStringList namesOf(const QList<BackendConfig> &backends)
{
    QStringList names;
    for (const BackendConfig &backend : backends)
        names.append(backend.name);
    return names;
}

} // namespace

class TestDiscoveredBackends : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resolvedAddressesKeepTheBackendsSettings();
    void srvAddressesTakeTheirPortAndWeight();
    void sameAddressTwiceIsOneBackend();
    void diffFindsAddedRemovedAndReweighed();
};

void TestDiscoveredBackends::resolvedAddressesKeepTheBackendsSettings()
{
    const BackendConfig web = discovered(BackendDiscovery::Resolve, u"web.internal"_s);
    const QList<BackendConfig> backends =
        expandDiscovered(web, {at(u"10.0.0.1"_s), at(u"fd00::1"_s), at(u"fe80::1%eth0"_s)});
    QCOMPARE(namesOf(backends), (QStringList{u"web-10.0.0.1"_s, u"web-fd00..1"_s, u"web-fe80..1"_s}));
    for (const BackendConfig &backend : backends) {
        QCOMPARE(backend.discovery, BackendDiscovery::None);
        QCOMPARE(backend.port, quint16(8080));
        QCOMPARE(backend.weight, 7);
        QCOMPARE(backend.healthCheck, web.healthCheck);
    }
    QCOMPARE(backends.at(1).host, u"fd00::1"_s);
    QCOMPARE(backends.at(1).url(), u"http://[fd00::1]:8080"_s);
    QCOMPARE(backends.at(2).host, u"fe80::1"_s); // a zone is this host's business, not DNS's
}

void TestDiscoveredBackends::srvAddressesTakeTheirPortAndWeight()
{
    const QList<BackendConfig> backends =
        expandDiscovered(discovered(BackendDiscovery::Srv, u"_http._tcp.web.internal"_s),
                         {at(u"10.0.0.1"_s, 9001, 30), at(u"10.0.0.1"_s, 9002, 10)});
    QCOMPARE(namesOf(backends), (QStringList{u"web-10.0.0.1-9001"_s, u"web-10.0.0.1-9002"_s}));
    QCOMPARE(backends.at(0).port, quint16(9001));
    QCOMPARE(backends.at(0).weight, 30);
    QCOMPARE(backends.at(1).weight, 10);
    QCOMPARE(backends.at(1).host, u"10.0.0.1"_s);
}

void TestDiscoveredBackends::sameAddressTwiceIsOneBackend()
{
    const QList<BackendConfig> backends = expandDiscovered(discovered(BackendDiscovery::Resolve, u"web"_s),
                                                           {at(u"10.0.0.1"_s), at(u"10.0.0.1"_s)});
    QCOMPARE(backends.size(), 1);
}

void TestDiscoveredBackends::diffFindsAddedRemovedAndReweighed()
{
    const BackendConfig srv = discovered(BackendDiscovery::Srv, u"_http._tcp.web"_s);
    const QList<BackendConfig> before =
        expandDiscovered(srv, {at(u"10.0.0.1"_s, 80, 10), at(u"10.0.0.2"_s, 80, 10)});
    const QList<BackendConfig> after =
        expandDiscovered(srv, {at(u"10.0.0.2"_s, 80, 20), at(u"10.0.0.3"_s, 80, 10)});
    const BackendSetChange change = diffBackends(before, after);
    QCOMPARE(namesOf(change.added), QStringList{u"web-10.0.0.3-80"_s});
    QCOMPARE(change.removed, QStringList{u"web-10.0.0.1-80"_s});
    QCOMPARE(namesOf(change.reweighed), QStringList{u"web-10.0.0.2-80"_s});
    QCOMPARE(change.reweighed.constFirst().weight, 20);

    const BackendSetChange none = diffBackends(after, after);
    QVERIFY(none.added.isEmpty() && none.removed.isEmpty() && none.reweighed.isEmpty());
}

QTEST_GUILESS_MAIN(TestDiscoveredBackends)
#include "tst_discovered_backends.moc"

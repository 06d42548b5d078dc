// SPDX-License-Identifier: GPL-3.0-or-later
// Which certificate name serves which SNI name.
#include "tls/ServerNameMatch.h"

#include <QTest>

using namespace fulcrum;

class TestServerNameMatch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matches_data();
    void matches();
};

void TestServerNameMatch::matches_data()
{
    QTest::addColumn<QByteArray>("certificateName");
    QTest::addColumn<QByteArray>("serverName");
    QTest::addColumn<bool>("expected");
    QTest::newRow("exact") << QByteArray("api.example.com") << QByteArray("api.example.com") << true;
    QTest::newRow("case") << QByteArray("api.example.com") << QByteArray("API.Example.COM") << true;
    QTest::newRow("other name") << QByteArray("api.example.com") << QByteArray("www.example.com") << false;
    QTest::newRow("wildcard one label")
        << QByteArray("*.example.com") << QByteArray("shop.example.com") << true;
    QTest::newRow("wildcard case") << QByteArray("*.example.com") << QByteArray("Shop.EXAMPLE.com") << true;
    QTest::newRow("wildcard two labels")
        << QByteArray("*.example.com") << QByteArray("a.b.example.com") << false;
    QTest::newRow("wildcard bare domain")
        << QByteArray("*.example.com") << QByteArray("example.com") << false;
    QTest::newRow("wildcard empty label")
        << QByteArray("*.example.com") << QByteArray(".example.com") << false;
    QTest::newRow("wildcard suffix lookalike")
        << QByteArray("*.example.com") << QByteArray("shop.badexample.com") << false;
    QTest::newRow("empty server name") << QByteArray("example.com") << QByteArray() << false;
    QTest::newRow("empty certificate name") << QByteArray() << QByteArray("example.com") << false;
}

void TestServerNameMatch::matches()
{
    QFETCH(QByteArray, certificateName);
    QFETCH(QByteArray, serverName);
    QFETCH(bool, expected);
    QCOMPARE(serverNameMatches(certificateName, serverName), expected);
}

QTEST_APPLESS_MAIN(TestServerNameMatch)
#include "tst_servernamematch.moc"

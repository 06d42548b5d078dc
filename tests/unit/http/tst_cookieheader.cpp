// SPDX-License-Identifier: GPL-3.0-or-later
#include "http/CookieHeader.h"

#include <QTest>

using namespace fulcrum;

class TestCookieHeader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void findsNamedCookie_data();
    void findsNamedCookie();
    void searchesEveryCookieLine();
};

void TestCookieHeader::findsNamedCookie_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<bool>("present");
    QTest::newRow("only pair") << QByteArray("srv=abc") << QByteArray("abc") << true;
    QTest::newRow("among others") << QByteArray("a=1; srv=abc; b=2") << QByteArray("abc") << true;
    QTest::newRow("no space after semicolon") << QByteArray("a=1;srv=abc") << QByteArray("abc") << true;
    QTest::newRow("quoted") << QByteArray("srv=\"abc\"") << QByteArray("abc") << true;
    QTest::newRow("empty value") << QByteArray("srv=; a=1") << QByteArray("") << true;
    QTest::newRow("first of two") << QByteArray("srv=one; srv=two") << QByteArray("one") << true;
    QTest::newRow("longer name is another cookie") << QByteArray("xsrv=abc") << QByteArray() << false;
    QTest::newRow("value containing the name") << QByteArray("a=srv=abc") << QByteArray() << false;
    QTest::newRow("pair without equals") << QByteArray("srv; a=1") << QByteArray() << false;
    QTest::newRow("value containing equals") << QByteArray("srv=a=b; c=d") << QByteArray("a=b") << true;
    QTest::newRow("trailing semicolon") << QByteArray("a=1; srv=9;") << QByteArray("9") << true;
    QTest::newRow("names are case-sensitive") << QByteArray("SRV=1") << QByteArray() << false;
    QTest::newRow("empty header") << QByteArray("") << QByteArray() << false;
    QTest::newRow("absent") << QByteArray("a=1; b=2") << QByteArray() << false;
}

void TestCookieHeader::findsNamedCookie()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, expected);
    QFETCH(bool, present);
    HttpHeaders headers;
    headers.append("Host", "example");
    headers.append("Cookie", header);
    const std::optional<QByteArrayView> value = requestCookie(headers, "srv");
    QCOMPARE(value.has_value(), present);
    QCOMPARE(value.value_or(QByteArrayView()).toByteArray(), expected);
}

void TestCookieHeader::searchesEveryCookieLine()
{
    HttpHeaders headers;
    headers.append("cookie", "a=1");
    headers.append("COOKIE", "srv=later");
    QCOMPARE(requestCookie(headers, "srv").value_or(QByteArrayView()).toByteArray(), QByteArray("later"));
    QVERIFY(!requestCookie(HttpHeaders(), "srv").has_value());
}

QTEST_APPLESS_MAIN(TestCookieHeader)
#include "tst_cookieheader.moc"

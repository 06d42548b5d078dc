// SPDX-License-Identifier: GPL-3.0-or-later
#include "balancing/Hash64.h"
#include "balancing/RequestHashKey.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
const QByteArray None = "<none>";

QByteArray shown(const std::optional<QByteArrayView> &bytes)
{
    return bytes ? bytes->toByteArray() : None;
}

// The key's bytes for this request, or None.
QByteArray keyOf(const HashKey &key, const RequestHead *request, QByteArrayView client = {})
{
    return shown(RequestHashKey(key).extract({client, request}));
}
} // namespace

class TestHashKey : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void xxh64ReferenceValues_data();
    void xxh64ReferenceValues();
    void hashSpreadsNearbyKeys();
    void clientAddress();
    void firstValueOfHeader();
    void cookieAmongSeveral();
    void pathWithoutQuery_data();
    void pathWithoutQuery();
    void hashIsOfTheKeyBytes();
};

void TestHashKey::xxh64ReferenceValues_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<quint64>("expected");
    // Published XXH64 values; the lengths cover the 32-byte stripes and every tail path.
    QTest::newRow("empty") << QByteArray() << quint64(0) << quint64(0xEF46DB3751D8E999ULL);
    QTest::newRow("empty, seeded") << QByteArray() << quint64(668718853) << quint64(0x04E830582A31A119ULL);
    QTest::newRow("a") << QByteArray("a") << quint64(0) << quint64(0xD24EC4F1A98C6E5BULL);
    QTest::newRow("a, seeded") << QByteArray("a") << quint64(191961062) << quint64(0x6E05BA2887C97977ULL);
    QTest::newRow("abc") << QByteArray("abc") << quint64(0) << quint64(0x44BC2CF5AD770999ULL);
    QTest::newRow("abcd") << QByteArray("abcd") << quint64(0) << quint64(0xDE0327B0D25D92CCULL);
    QTest::newRow("hello") << QByteArray("hello") << quint64(0) << quint64(0x26C7827D889F6DA3ULL);
    QTest::newRow("abcdefgh") << QByteArray("abcdefgh") << quint64(0) << quint64(0x3AD351775B4634B7ULL);
    QTest::newRow("31 bytes") << QByteArray("abcdefghijklmnopqrstuvwxyz12345") << quint64(0)
                              << quint64(0x467605901B01D6F6ULL);
    QTest::newRow("36 bytes") << QByteArray("0123456789abcdefghijklmnopqrstuvwxyz") << quint64(0)
                              << quint64(0x69196C1B3AF0BFF9ULL);
}

void TestHashKey::xxh64ReferenceValues()
{
    QFETCH(QByteArray, input);
    QFETCH(quint64, seed);
    QFETCH(quint64, expected);
    QCOMPARE(QByteArray::number(hash64(input, seed), 16), QByteArray::number(expected, 16));
}

void TestHashKey::hashSpreadsNearbyKeys()
{
    // Keys that differ in one character land in different halves of the range about as often as not.
    int upper = 0;
    for (int i = 0; i < 1000; ++i)
        upper += hash64(QByteArray("10.0.0." + QByteArray::number(i))) >> 63;
    QVERIFY2(upper > 400 && upper < 600, QByteArray::number(upper).constData());
}

void TestHashKey::clientAddress()
{
    const RequestHead request;
    QCOMPARE(keyOf({}, &request, "192.0.2.7"), QByteArray("192.0.2.7"));
    QCOMPARE(keyOf({}, &request, {}), None);
    QCOMPARE(keyOf({}, nullptr, "::1"), QByteArray("::1"));
}

void TestHashKey::firstValueOfHeader()
{
    const HashKey key{HashKey::Source::Header, u"X-User"_s};
    RequestHead request;
    request.headers.append("Host", "site");
    QCOMPARE(keyOf(key, &request), None);
    request.headers.append("x-user", "alice");
    request.headers.append("X-User", "bob");
    QCOMPARE(keyOf(key, &request), QByteArray("alice"));
    RequestHead empty;
    empty.headers.append("X-User", "");
    QCOMPARE(keyOf(key, &empty), None);
    QCOMPARE(keyOf(key, nullptr, "10.0.0.1"), None);
}

void TestHashKey::cookieAmongSeveral()
{
    const HashKey key{HashKey::Source::Cookie, u"session"_s};
    RequestHead request;
    request.headers.append("Cookie", "theme=dark; xsession=no; session_id=no");
    QCOMPARE(keyOf(key, &request), None);
    request.headers.append("cookie", "lang=en;session=abc123 ; other=1");
    QCOMPARE(keyOf(key, &request), QByteArray("abc123"));
    request.headers.append("Cookie", "session=later");
    QCOMPARE(keyOf(key, &request), QByteArray("abc123"));
}

void TestHashKey::pathWithoutQuery_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("path");
    QTest::newRow("plain") << QByteArray("/a/b") << QByteArray("/a/b");
    QTest::newRow("query") << QByteArray("/a/b?x=1&y=2") << QByteArray("/a/b");
    QTest::newRow("empty query") << QByteArray("/a?") << QByteArray("/a");
    QTest::newRow("root") << QByteArray("/") << QByteArray("/");
    QTest::newRow("absolute") << QByteArray("http://example.com/a/b?q") << QByteArray("/a/b");
    QTest::newRow("absolute with port") << QByteArray("http://h:8080/x") << QByteArray("/x");
    QTest::newRow("absolute, no path") << QByteArray("http://example.com") << QByteArray("/");
    QTest::newRow("absolute, query only") << QByteArray("http://example.com?a=/b") << QByteArray("/");
    QTest::newRow("asterisk") << QByteArray("*") << QByteArray("*");
    QTest::newRow("authority") << QByteArray("example.com:443") << QByteArray("example.com:443");
}

void TestHashKey::pathWithoutQuery()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, path);
    QCOMPARE(RequestHashKey::pathOf(target).toByteArray(), path);
    RequestHead request;
    request.target = target;
    QCOMPARE(keyOf({HashKey::Source::Path, {}}, &request), path);
}

void TestHashKey::hashIsOfTheKeyBytes()
{
    RequestHead request;
    request.target = "/p?q=1";
    const PickContext context{"203.0.113.9", &request};
    QCOMPARE(RequestHashKey({HashKey::Source::Path, {}}).hash(context).value_or(0), hash64("/p"));
    QCOMPARE(RequestHashKey({}).hash(context).value_or(0), hash64("203.0.113.9"));
    QVERIFY(!RequestHashKey({HashKey::Source::Cookie, u"s"_s}).hash(context));
    request.target.clear();
    QVERIFY(!RequestHashKey({HashKey::Source::Path, {}}).hash(context));
}

QTEST_APPLESS_MAIN(TestHashKey)
#include "tst_hashkey.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The shared, sharded limiter: clients limited apart, keys by address and /64, memory bounded.
#include "limits/RateLimiter.h"

#include <QTest>

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

using namespace fulcrum;

namespace {
constexpr qint64 kSecondUs = 1'000'000;

ClientKey ipv4(quint32 address)
{
    return clientKeyOf(QHostAddress(address));
}
} // namespace

class TestRateLimiter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void clientsAreLimitedApart();
    void ipv6ClientsShareTheirSlash64();
    void mappedIpv4IsTheIpv4Client();
    void peerAddressGivesTheSameKey();
    void floodOfDistinctClientsStaysAtTheCap();
    void fullBucketsGoFirst();
    void evictedClientLosesOnlyItsDebt();
};

void TestRateLimiter::clientsAreLimitedApart()
{
    RateLimiter limiter(RateLimitConfig{1, 1000, 2});
    const ClientKey a = ipv4(0x7f000001);
    const ClientKey b = ipv4(0x7f000002);
    QCOMPARE(limiter.admit(a, 0), 0);
    QCOMPARE(limiter.admit(a, 0), 0);
    QCOMPARE(limiter.admit(a, 0), 1);
    QCOMPARE(limiter.admit(b, 0), 0);
    QCOMPARE(limiter.admit(b, 0), 0);
    QCOMPARE(limiter.admit(b, 0), 1);
    QCOMPARE(limiter.admit(a, kSecondUs), 0);
    QCOMPARE(limiter.trackedClients(), std::size_t(2));
}

void TestRateLimiter::ipv6ClientsShareTheirSlash64()
{
    const ClientKey one = clientKeyOf(QHostAddress(QStringLiteral("2001:db8:1:2::1")));
    const ClientKey other = clientKeyOf(QHostAddress(QStringLiteral("2001:db8:1:2:ffff:ffff:ffff:ffff")));
    const ClientKey nextNet = clientKeyOf(QHostAddress(QStringLiteral("2001:db8:1:3::1")));
    QCOMPARE(one, other);
    QVERIFY(!(one == nextNet));

    RateLimiter limiter(RateLimitConfig{1, 1000, 1});
    QCOMPARE(limiter.admit(one, 0), 0);
    QVERIFY(limiter.admit(other, 0) > 0);
    QCOMPARE(limiter.admit(nextNet, 0), 0);
}

void TestRateLimiter::mappedIpv4IsTheIpv4Client()
{
    QCOMPARE(clientKeyOf(QHostAddress(QStringLiteral("::ffff:127.0.0.2"))),
             clientKeyOf(QHostAddress(QStringLiteral("127.0.0.2"))));
    QVERIFY(!(clientKeyOf(QHostAddress(QStringLiteral("::1"))) == clientKeyOf(QHostAddress(quint32(0)))));
}

void TestRateLimiter::peerAddressGivesTheSameKey()
{
    sockaddr_storage storage{};
    auto *in4 = reinterpret_cast<sockaddr_in *>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_addr.s_addr = htonl(0x7f000002);
    QCOMPARE(clientKeyOf(storage), ipv4(0x7f000002));

    sockaddr_storage storage6{};
    auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage6);
    in6->sin6_family = AF_INET6;
    const Q_IPV6ADDR bytes = QHostAddress(QStringLiteral("2001:db8::7")).toIPv6Address();
    std::memcpy(&in6->sin6_addr, bytes.c, sizeof(bytes.c));
    QCOMPARE(clientKeyOf(storage6), clientKeyOf(QHostAddress(QStringLiteral("2001:db8::8"))));
}

void TestRateLimiter::floodOfDistinctClientsStaysAtTheCap()
{
    // A slow rate, so no bucket refills during the flood and eviction has to drop the stalest.
    RateLimiter limiter(RateLimitConfig{1, 60'000, 5});
    constexpr quint32 kClients = 1'000'000;
    for (quint32 i = 0; i < kClients; ++i)
        QCOMPARE(limiter.admit(ipv4(0x0a000000 + i), qint64(i)), 0);
    QVERIFY2(limiter.largestShard() <= limiter.maxPerShard(),
             qPrintable(QString::number(limiter.largestShard())));
    QVERIFY(limiter.trackedClients() <= limiter.capacity());
    // Most recent clients are the ones kept: the last one still has its debt.
    const ClientKey last = ipv4(0x0a000000 + kClients - 1);
    for (int i = 0; i < 4; ++i)
        QCOMPARE(limiter.admit(last, kClients), 0);
    QVERIFY(limiter.admit(last, kClients) > 0);
}

void TestRateLimiter::fullBucketsGoFirst()
{
    // Small cap, so one shard fills up quickly: every client but the busy one refills at once.
    RateLimiter limiter(RateLimitConfig{1000, 1000, 1}, 8);
    const ClientKey busy = ipv4(0x0a000000);
    QCOMPARE(limiter.admit(busy, 0), 0);
    QVERIFY(limiter.admit(busy, 0) > 0);
    // Thousands of others later, when their buckets have long refilled (1 ms per token): the busy one
    // is not full either time it is looked at, so it survives as long as it keeps spending.
    qint64 now = 0;
    for (quint32 i = 1; i <= 20'000; ++i) {
        now += 10;
        limiter.admit(ipv4(0x0b000000 + i), now);
    }
    QVERIFY(limiter.largestShard() <= 8);
    QVERIFY(limiter.trackedClients() <= limiter.capacity());
}

void TestRateLimiter::evictedClientLosesOnlyItsDebt()
{
    RateLimiter limiter(RateLimitConfig{1, 60'000, 3}, 8);
    const ClientKey spender = ipv4(0x0a000001);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(limiter.admit(spender, 0), 0);
    QVERIFY(limiter.admit(spender, 0) > 0);
    // Enough newer clients to push the spender out of every shard.
    for (quint32 i = 0; i < 100'000; ++i)
        limiter.admit(ipv4(0x0c000000 + i), 1 + qint64(i));
    // Back as a new client: one fresh burst, no more.
    for (int i = 0; i < 3; ++i)
        QCOMPARE(limiter.admit(spender, 200'000), 0);
    QVERIFY(limiter.admit(spender, 200'000) > 0);
}

QTEST_APPLESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// Connection limits per listener and per client, and what admissions give back.
#include "limits/ConnectionLimiter.h"

#include <QTest>

#include <thread>
#include <vector>

using namespace fulcrum;

namespace {
ClientKey ipv4(quint32 address)
{
    return clientKeyOf(QHostAddress(address));
}
} // namespace

class TestConnectionLimiter : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void listenerLimitRefusesBeyondIt();
    void listenersCountApart();
    void clientLimitRefusesBeyondIt();
    void clientEntriesGoAtZero();
    void movedAdmissionReleasesOnce();
    void racingWorkersNeverExceedTheLimits();
};

void TestConnectionLimiter::listenerLimitRefusesBeyondIt()
{
    ConnectionLimiter limiter(2, 0, 1);
    ConnectionAdmission a = limiter.admit(0, ipv4(1));
    ConnectionAdmission b = limiter.admit(0, ipv4(2));
    QVERIFY(a.admitted() && b.admitted());
    const ConnectionAdmission refused = limiter.admit(0, ipv4(3));
    QCOMPARE(refused.refusal(), ConnectionRefusal::ListenerLimit);
    QCOMPARE(limiter.openConnections(0), 2);
    a = {};
    QCOMPARE(limiter.openConnections(0), 1);
    QVERIFY(limiter.admit(0, ipv4(3)).admitted());
}

void TestConnectionLimiter::listenersCountApart()
{
    ConnectionLimiter limiter(1, 0, 2);
    const ConnectionAdmission first = limiter.admit(0, ipv4(1));
    const ConnectionAdmission second = limiter.admit(1, ipv4(1));
    QVERIFY(first.admitted() && second.admitted());
    QCOMPARE(limiter.admit(1, ipv4(1)).refusal(), ConnectionRefusal::ListenerLimit);
}

void TestConnectionLimiter::clientLimitRefusesBeyondIt()
{
    ConnectionLimiter limiter(0, 2, 1);
    const ConnectionAdmission a = limiter.admit(0, ipv4(1));
    const ConnectionAdmission b = limiter.admit(0, ipv4(1));
    QVERIFY(a.admitted() && b.admitted());
    const ConnectionAdmission refused = limiter.admit(0, ipv4(1));
    QCOMPARE(refused.refusal(), ConnectionRefusal::ClientLimit);
    QVERIFY(limiter.admit(0, ipv4(2)).admitted());
    // The refused one took no place on the listener.
    QCOMPARE(limiter.openConnections(0), 2);
    QCOMPARE(limiter.openConnections(ipv4(1)), 2);
}

void TestConnectionLimiter::clientEntriesGoAtZero()
{
    ConnectionLimiter limiter(0, 5, 1);
    {
        std::vector<ConnectionAdmission> open;
        for (quint32 i = 0; i < 1000; ++i)
            open.push_back(limiter.admit(0, ipv4(i)));
        QCOMPARE(limiter.trackedClients(), std::size_t(1000));
    }
    QCOMPARE(limiter.trackedClients(), std::size_t(0));
    QCOMPARE(limiter.openConnections(0), 0);
}

void TestConnectionLimiter::movedAdmissionReleasesOnce()
{
    ConnectionLimiter limiter(0, 1, 1);
    ConnectionAdmission moved;
    {
        ConnectionAdmission original = limiter.admit(0, ipv4(1));
        moved = std::move(original);
    }
    QCOMPARE(limiter.openConnections(ipv4(1)), 1);
    moved = {};
    QCOMPARE(limiter.openConnections(ipv4(1)), 0);
    QCOMPARE(limiter.openConnections(0), 0);
}

void TestConnectionLimiter::racingWorkersNeverExceedTheLimits()
{
    constexpr int kThreads = 4;
    constexpr int kAttempts = 20'000;
    ConnectionLimiter limiter(50, 3, 1);
    std::atomic<int> overListener{0};
    std::atomic<int> overClient{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::vector<ConnectionAdmission> held;
            for (int i = 0; i < kAttempts; ++i) {
                const ClientKey client = ipv4(quint32((i * 7 + t) % 40));
                ConnectionAdmission admission = limiter.admit(0, client);
                if (admission.admitted()) {
                    // A refused racer counts itself for a moment before taking it back.
                    if (limiter.openConnections(0) > 50 + kThreads)
                        ++overListener;
                    if (limiter.openConnections(client) > 3)
                        ++overClient;
                    held.push_back(std::move(admission));
                }
                if (held.size() > 10)
                    held.erase(held.begin());
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(overListener.load(), 0);
    QCOMPARE(overClient.load(), 0);
    QCOMPARE(limiter.openConnections(0), 0);
    QCOMPARE(limiter.trackedClients(), std::size_t(0));
}

QTEST_APPLESS_MAIN(TestConnectionLimiter)
#include "tst_connectionlimiter.moc"

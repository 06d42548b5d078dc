// SPDX-License-Identifier: GPL-3.0-or-later
// Clients that trickle their request heads hold connections but must not starve anyone else.
#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "RawClient.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
constexpr int kSlowClients = 1000;
// A head that never completes within the test: the slow clients send one byte of it per round.
constexpr QByteArrayView kSlowHead =
    "GET /slow HTTP/1.1\r\nHost: localhost\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr qint64 kTrickleIntervalMs = 300;
constexpr qint64 kTestDurationMs = 4'000;  // well inside the proxy's 10 s client_header_ms
constexpr int kMaxNormalRequests = 20'000; // the duration ends the test first
constexpr qint64 kMaxLatencyMs = 1'000;

// Blocking connect from 127.0.0.1, then non-blocking sends; -1 on failure.
int connectSlowClient(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}
} // namespace

class TestSlowClients : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void trickledHeadsDoNotStarveNormalClients();
};

void TestSlowClients::trickledHeadsDoNotStarveNormalClients()
{
    // The test holds one descriptor per slow client, and so does the proxy (a process of its own).
    rlimit limit{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_cur < rlim_t(kSlowClients + 500))
        QSKIP("the descriptor limit (ulimit -n) is too low for 1000 slow clients");

    FakeBackend backend(u"fast"_s);
    QVERIFY(backend.start());
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--backend"_s, backend.backendFlag(), u"--admin"_s, u"127.0.0.1:0"_s,
                          u"--access-log"_s, u"off"_s},
                         2),
             qPrintable(proxy.errorString()));

    std::vector<int> slow;
    slow.reserve(kSlowClients);
    const auto closeSlow = qScopeGuard([&slow] {
        for (const int fd : slow)
            ::close(fd);
    });
    for (int i = 0; i < kSlowClients; ++i) {
        const int fd = connectSlowClient(proxy.port());
        QVERIFY2(fd >= 0, strerror(errno));
        slow.push_back(fd);
    }

    QElapsedTimer clock;
    clock.start();
    qint64 nextTrickleMs = 0;
    qsizetype trickled = 0;
    int normalRequests = 0;
    qint64 worstLatencyMs = 0;
    while (clock.elapsed() < kTestDurationMs && normalRequests < kMaxNormalRequests) {
        if (clock.elapsed() >= nextTrickleMs && trickled < kSlowHead.size()) {
            for (const int fd : slow)
                QCOMPARE(::send(fd, kSlowHead.data() + trickled, 1, MSG_DONTWAIT | MSG_NOSIGNAL), ssize_t(1));
            ++trickled;
            nextTrickleMs += kTrickleIntervalMs;
        }
        QElapsedTimer latency;
        latency.start();
        const HttpResponse response = fetch(proxy.port(), RawClient::get("/"), false, 5'000);
        worstLatencyMs = std::max(worstLatencyMs, latency.elapsed());
        QVERIFY2(response.complete && response.status == 200, qPrintable(response.describe()));
        ++normalRequests;
    }
    QVERIFY2(trickled >= kTestDurationMs / kTrickleIntervalMs - 1, qPrintable(QString::number(trickled)));
    QVERIFY2(worstLatencyMs < kMaxLatencyMs, qPrintable(u"worst latency %1 ms"_s.arg(worstLatencyMs)));
    QVERIFY(normalRequests >= 10);

    // The slow clients were really held by the proxy all along, each still waiting for its head.
    const HttpResponse snapshot = fetch(proxy.adminPort(), RawClient::get("/api/v1/snapshot"));
    const QJsonObject listener =
        QJsonDocument::fromJson(snapshot.body).object().value(u"listener"_s).toObject();
    QVERIFY2(listener.value(u"open_connections"_s).toInteger() >= kSlowClients, snapshot.body.constData());
    QCOMPARE(backend.requestCount(u"/slow"_s.toUtf8()), 0);
    qInfo("%d normal requests while %d clients trickled %lld bytes each; worst latency %lld ms",
          normalRequests, kSlowClients, qlonglong(trickled), worstLatencyMs);
}

QTEST_GUILESS_MAIN(TestSlowClients)
#include "tst_slow_clients.moc"

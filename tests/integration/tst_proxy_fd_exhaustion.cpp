// SPDX-License-Identifier: GPL-3.0-or-later
// fulcrumd out of file descriptors: more clients at once than its RLIMIT_NOFILE leaves room for. Both
// accept() and the sockets towards backends then fail with EMFILE. The proxy must neither crash nor
// leave a client hanging, must not flood its log while connections wait in the backlog, and must
// serve normally once the clients are gone.
#include "ProxyTest.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <memory>
#include <sys/resource.h>
#include <vector>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {
// Descriptors fulcrumd gets beyond those it holds once started: a few dozen connections' worth.
constexpr int kSpareDescriptors = 40;
// Several times what fits, all at once, so that many wait in the backlog while the descriptors are gone.
constexpr int kClients = 200;
constexpr int kConnectTimeoutMs = 1000;
constexpr int kResponseTimeoutMs = 5000;
// The backends hold every request this long, so connections pile up instead of finishing one by one.
constexpr int kBackendDelayMs = 200;
// Far below the tens of thousands of lines a second an unthrottled accept loop writes.
constexpr int kMaxAcceptFailureLines = 50;

// The RLIMIT_NOFILE that leaves the process exactly `spare` unused descriptor numbers: new descriptors
// take the lowest free number, so those above the limit (inherited ones, say) do not count.
rlim_t limitLeaving(qint64 pid, int spare)
{
    const QStringList entries =
        QDir(u"/proc/%1/fd"_s.arg(pid)).entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
    QSet<int> open;
    for (const QString &entry : entries)
        open.insert(entry.toInt());
    int limit = 0;
    for (int free = 0; free < spare; ++limit) {
        if (!open.contains(limit))
            ++free;
    }
    return static_cast<rlim_t>(limit);
}

// UBSan's vptr check reads objects' type information only after probing that the memory is readable,
// and it probes through a pipe(): with no descriptor left, every check it has not cached fails, and a
// build that halts on undefined behaviour dies of "invalid vptr" wherever the proxy happens to be.
bool hasVptrCheck(const QString &binary)
{
    QFile file(binary);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const uchar *bytes = file.map(0, file.size());
    return bytes != nullptr &&
           QByteArrayView(bytes, file.size()).contains("__ubsan_handle_dynamic_type_cache_miss");
}

// One client connection that sends its request as soon as it is connected and reads until the
// proxy closes (every request says "Connection: close").
struct Client
{
    std::unique_ptr<QTcpSocket> socket = std::make_unique<QTcpSocket>();
    QByteArray received;
    bool done = false;

    int status() const
    {
        // "HTTP/1.1 200 ..."
        if (!received.startsWith("HTTP/1.") || received.size() < 12)
            return 0;
        return received.mid(9, 3).toInt();
    }
    QByteArray body() const
    {
        const qsizetype end = received.indexOf("\r\n\r\n");
        return end < 0 ? QByteArray() : received.mid(end + 4);
    }
    QString describe() const
    {
        return u"status %1, %2 bytes: %3"_s.arg(status())
            .arg(received.size())
            .arg(QString::fromUtf8(received.left(300)).replace(u"\r\n"_s, u" | "_s));
    }
};

int countLines(const QByteArray &text, QByteArrayView needle)
{
    int count = 0;
    for (const QByteArray &line : text.split('\n')) {
        if (line.contains(needle))
            ++count;
    }
    return count;
}
} // namespace

class TestProxyFdExhaustion : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void survivesDescriptorExhaustion();
};

void TestProxyFdExhaustion::survivesDescriptorExhaustion()
{
    if (hasVptrCheck(FulcrumProcess::binaryPath()))
        QSKIP("fulcrumd is built with -fsanitize=vptr, which cannot work without free descriptors (see "
              "hasVptrCheck); a sanitizer build with -fno-sanitize=vptr runs this test");
    FakeBackend one(u"one"_s), two(u"two"_s);
    QVERIFY(one.start() && two.start());
    one.setDefaultBehaviour(Behaviour::fixed().withDelay(kBackendDelayMs));
    two.setDefaultBehaviour(Behaviour::fixed().withDelay(kBackendDelayMs));
    ConfigFile config;
    QVERIFY(
        config.write(configJson({&one, &two}, QJsonObject{{u"upstream_connect_ms"_s, kConnectTimeoutMs},
                                                          {u"upstream_response_ms"_s, kResponseTimeoutMs}})));
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--config"_s, config.path()}, 2), qPrintable(proxy.errorString()));
    {
        const HttpResponse r = fetch(proxy.port(), RawClient::get("/before"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }

    // Lowered on the running process: only the soft limit, and only for descriptors opened from now on.
    rlimit limit{};
    QCOMPARE(::prlimit(static_cast<pid_t>(proxy.pid()), RLIMIT_NOFILE, nullptr, &limit), 0);
    limit.rlim_cur = limitLeaving(proxy.pid(), kSpareDescriptors);
    QCOMPARE(::prlimit(static_cast<pid_t>(proxy.pid()), RLIMIT_NOFILE, &limit, nullptr), 0);

    std::vector<Client> clients(kClients);
    for (int i = 0; i < kClients; ++i) {
        Client &client = clients[static_cast<std::size_t>(i)];
        QTcpSocket *socket = client.socket.get();
        const QByteArray request =
            RawClient::get(QByteArray("/c/" + QByteArray::number(i)), {{"Connection", "close"}});
        connect(socket, &QTcpSocket::connected, socket, [socket, request] { socket->write(request); });
        connect(socket, &QTcpSocket::readyRead, socket,
                [socket, &client] { client.received += socket->readAll(); });
        connect(socket, &QTcpSocket::disconnected, socket, [socket, &client] {
            client.received += socket->readAll();
            client.done = true;
        });
        connect(socket, &QTcpSocket::errorOccurred, socket,
                [socket, &client](QAbstractSocket::SocketError error) {
                    // A close by the peer also arrives as disconnected(); anything else ends the client here.
                    if (error != QAbstractSocket::RemoteHostClosedError) {
                        client.received += socket->readAll();
                        client.done = true;
                    }
                });
        socket->connectToHost(QHostAddress::LocalHost, proxy.port());
    }

    // Each client is answered within the timeouts once it is accepted; accepting waits for descriptors
    // to come free, so the whole crowd takes a few rounds of backend delay and accept pauses.
    const auto pending = [&clients] {
        return std::count_if(clients.cbegin(), clients.cend(), [](const Client &c) { return !c.done; });
    };
    QTRY_VERIFY2_WITH_TIMEOUT(pending() == 0 || !proxy.isRunning(),
                              qPrintable(u"%1 of %2 clients still wait"_s.arg(pending()).arg(kClients)),
                              60'000);
    // A connection left pointing at an upstream that is gone would surface only at its connect
    // deadline, when the sweep looks at it: the proxy has to outlive the last such deadline.
    QElapsedTimer sinceLastAnswer;
    sinceLastAnswer.start();
    QTRY_VERIFY_WITH_TIMEOUT(sinceLastAnswer.elapsed() > kConnectTimeoutMs + 500 || !proxy.isRunning(),
                             3 * kConnectTimeoutMs);
    if (!proxy.isRunning())
        QFAIL(qPrintable(u"fulcrumd died (%1); stderr ends:\n%2"_s.arg(
            proxy.exitStatus() == QProcess::CrashExit ? u"crashed"_s : u"exited"_s,
            QString::fromUtf8(proxy.standardError().right(4000)))));

    QMap<int, int> byStatus;
    int connectFailures = 0;
    for (const Client &client : clients) {
        const int status = client.status();
        ++byStatus[status];
        const bool answered = status == 200 || ((status == 502 || status == 503) && !client.body().isEmpty());
        if (!answered)
            QFAIL(qPrintable(u"a client got no proper answer: "_s + client.describe()));
        if (status == 502 && client.body().contains("could not connect"))
            ++connectFailures;
    }
    QString summary;
    for (auto it = byStatus.cbegin(); it != byStatus.cend(); ++it)
        summary += u" %1: %2"_s.arg(it.key()).arg(it.value());
    qInfo("responses by status:%s; 502 for a backend socket that could not be made: %d", qPrintable(summary),
          connectFailures);

    // Without a descriptor for the backend socket, the connect fails inside the proxy before it ever
    // reaches a backend: the case that once left a connection pointing at a deleted upstream.
    QVERIFY2(connectFailures > 0, "no backend socket ever failed: the descriptor limit was not reached");

    const QByteArray log = proxy.standardError();
    const int acceptFailureLines = countLines(log, "accept failed");
    qInfo("\"accept failed\" lines in the log: %d", acceptFailureLines);
    // The test is only worth its name if the proxy did run out of descriptors while accepting.
    if (acceptFailureLines == 0)
        QFAIL(qPrintable(u"no accept() ever failed, the descriptor limit was not reached; stderr ends:\n"_s +
                         QString::fromUtf8(log.right(3000))));
    if (acceptFailureLines >= kMaxAcceptFailureLines)
        QFAIL(qPrintable(u"%1 \"accept failed\" lines in the log, the first: %2"_s.arg(acceptFailureLines)
                             .arg(QString::fromUtf8(
                                 log.mid(log.lastIndexOf('\n', log.indexOf("accept failed")) + 1, 200)))));

    // The crowd is gone: accepting resumes (and says so) and requests go through again.
    QVERIFY2(proxy.waitForError(QRegularExpression(u"accepting again after \\d+ failed accepts"_s)),
             "no line telling that accepting works again");
    for (int i = 0; i < 3; ++i) {
        const HttpResponse r = fetch(proxy.port(), RawClient::get("/after"));
        QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    }
    QVERIFY(proxy.isRunning());
}

QTEST_GUILESS_MAIN(TestProxyFdExhaustion)
#include "tst_proxy_fd_exhaustion.moc"

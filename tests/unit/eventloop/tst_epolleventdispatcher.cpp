// SPDX-License-Identifier: GPL-3.0-or-later
// The epoll event dispatcher, installed on a real QThread and driven with real descriptors: socket
// notifiers (and what their handlers may do to each other), timers, posted events, deleteLater,
// interrupting, quitting, and one busy socket among ten thousand idle ones.
#include "eventloop/EpollEventDispatcher.h"
#include "eventloop/TimerHeap.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QPointer>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <arpa/inet.h>
#include <atomic>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {

// A QThread running the epoll dispatcher, and a way to run code on it and wait for it.
class EpollThread
{
public:
    EpollThread()
    {
        dispatcher = new EpollEventDispatcher;
        thread.setEventDispatcher(dispatcher);
        context = new QObject;
        context->moveToThread(&thread);
        QObject::connect(&thread, &QThread::finished, context, &QObject::deleteLater);
        thread.start();
    }
    ~EpollThread() { stop(); }
    EpollThread(const EpollThread &) = delete;
    EpollThread &operator=(const EpollThread &) = delete;

    // Runs fn on the thread, between two passes of its event loop, and waits for it.
    void run(const std::function<void()> &fn)
    {
        QMetaObject::invokeMethod(context, fn, Qt::BlockingQueuedConnection);
    }
    // Queues fn on the thread without waiting.
    void post(const std::function<void()> &fn)
    {
        QMetaObject::invokeMethod(context, fn, Qt::QueuedConnection);
    }
    bool stop()
    {
        thread.quit();
        return thread.wait(10000);
    }
    // Lets the thread's event loop make `passes` passes (a zero-interval timer fires once a pass),
    // so that whatever a pass would deliver has had every chance to be delivered.
    bool settle(int passes = 30)
    {
        std::atomic<bool> done{false};
        post([this, passes, &done] {
            auto *timer = new QTimer(context);
            timer->setInterval(0);
            auto count = std::make_shared<int>(0);
            QObject::connect(timer, &QTimer::timeout, timer, [timer, count, passes, &done] {
                if (++*count == passes) {
                    timer->stop();
                    timer->deleteLater();
                    done = true;
                }
            });
            timer->start();
        });
        return QTest::qWaitFor([&] { return done.load(); }, 10000);
    }

    QThread thread;
    QPointer<EpollEventDispatcher> dispatcher;
    QObject *context = nullptr;
};

struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd); }
    ~SocketPair() { closeBoth(); }
    SocketPair(const SocketPair &) = delete;
    SocketPair &operator=(const SocketPair &) = delete;
    bool isValid() const { return fd[0] >= 0 && fd[1] >= 0; }
    void closeBoth()
    {
        for (int &f : fd) {
            if (f >= 0)
                ::close(f);
            f = -1;
        }
    }
};

bool writeBytes(int fd, const char *data, size_t size)
{
    return ::write(fd, data, size) == ssize_t(size);
}

qint64 drain(int fd)
{
    char buffer[65536];
    qint64 total = 0;
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0)
            return total;
        total += got;
    }
}

// Fills the socket's send buffer (and the peer's receive buffer) until it would block.
void fill(int fd)
{
    static const QByteArray chunk(65536, 'f');
    while (::write(fd, chunk.constData(), size_t(chunk.size())) > 0) {
    }
}

class TimerProbe : public QObject
{
public:
    std::function<void(int)> onTimer;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        if (onTimer)
            onTimer(event->timerId());
    }
};

} // namespace

class TestEpollEventDispatcher : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void isInstalledOnTheThread();
    void readNotifierFiresWhileDataAndStopsWhenDrained();
    void writeNotifierFiresWhenWritable();
    void disableAndReenableInsideOwnHandler();
    void togglingDoesNotCallEpollCtl();
    void readAndExceptionShareOneRegistration();
    void deletingTheOtherNotifierOfTheFdInsideAHandler();
    void closedFdNumberReusedBySocket();
    void tcpEchoOfOneMebibyte();
    void timersOfEveryTypeFireInOrder();
    void periodicTimerKeepsFiring();
    void killAndStartTimersInsideHandler();
    void remainingTimeAndRegisteredTimers();
    void zeroTimersDoNotStarveSockets();
    void nestedLoopInsideTimerHandler();
    void postedEventsAndDeleteLater();
    void interruptEndsThePassEarly();
    void interruptWakesABlockingWait();
    void excludeSocketNotifiers();
    void quitExitsPromptlyAndDestroysTheThreadsObjects();
    void oneBusySocketAmongTenThousandIdleNotifiers();
    void timerHeapOnAFixedClock();
};

void TestEpollEventDispatcher::isInstalledOnTheThread()
{
    EpollThread t;
    QAbstractEventDispatcher *seen = nullptr;
    t.run([&] { seen = QAbstractEventDispatcher::instance(); });
    QVERIFY(t.dispatcher);
    QCOMPARE(seen, t.dispatcher.data());
    QVERIFY(qobject_cast<EpollEventDispatcher *>(seen));
}

void TestEpollEventDispatcher::readNotifierFiresWhileDataAndStopsWhenDrained()
{
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    std::atomic<int> activations{0};
    std::atomic<bool> drainNow{false};
    std::atomic<qint64> drained{0};
    t.run([&] {
        auto *notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, t.context);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
            ++activations;
            if (drainNow)
                drained += drain(pair.fd[0]);
        });
    });
    QVERIFY(t.settle());
    QCOMPARE(activations.load(), 0); // nothing to read yet

    QVERIFY(writeBytes(pair.fd[1], "abc", 3));
    // Level triggered: unread data keeps activating the notifier.
    QTRY_VERIFY(activations.load() >= 3);
    drainNow = true;
    QTRY_COMPARE(drained.load(), qint64(3));
    const int afterDrain = activations.load();
    QVERIFY(t.settle());
    QCOMPARE(activations.load(), afterDrain);
    t.run([&] { qDeleteAll(t.context->findChildren<QSocketNotifier *>()); });
}

void TestEpollEventDispatcher::writeNotifierFiresWhenWritable()
{
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    std::atomic<int> activations{0};
    QSocketNotifier *notifier = nullptr;
    t.run([&] {
        notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Write, t.context);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
            ++activations;
            notifier->setEnabled(false);
        });
    });
    QTRY_COMPARE(activations.load(), 1);
    QVERIFY(t.settle());
    QCOMPARE(activations.load(), 1);

    // A full socket is not writable: enabling the notifier then must not fire it until the peer reads.
    t.run([&] {
        fill(pair.fd[0]);
        notifier->setEnabled(true);
    });
    QVERIFY(t.settle());
    QCOMPARE(activations.load(), 1);
    QVERIFY(drain(pair.fd[1]) > 0);
    QTRY_COMPARE(activations.load(), 2);
    t.run([&] { delete notifier; });
}

void TestEpollEventDispatcher::disableAndReenableInsideOwnHandler()
{
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    std::atomic<int> activations{0};
    std::atomic<int> reenabledActivations{0};
    QSocketNotifier *notifier = nullptr;
    t.run([&] {
        notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, t.context);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
            // Like Qt's unbuffered sockets: off while handling, back on once done, all in the handler.
            notifier->setEnabled(false);
            ++activations;
            if (activations.load() % 2 == 1) {
                notifier->setEnabled(true); // and data is left unread: it must fire again
            } else {
                drain(pair.fd[0]);
            }
        });
    });
    QVERIFY(writeBytes(pair.fd[1], "x", 1));
    QTRY_COMPARE(activations.load(), 2); // re-enabled inside its handler with data left: fired again
    QVERIFY(t.settle());
    QCOMPARE(activations.load(), 2); // disabled inside its handler: silent, though...

    QVERIFY(writeBytes(pair.fd[1], "y", 1)); // ...data is waiting now
    QVERIFY(t.settle());
    QCOMPARE(activations.load(), 2);

    t.run([&] {
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] { ++reenabledActivations; });
        notifier->setEnabled(true);
    });
    QTRY_VERIFY(reenabledActivations.load() >= 1);
    QTRY_COMPARE(activations.load(), 4);
    t.run([&] { delete notifier; });
}

void TestEpollEventDispatcher::togglingDoesNotCallEpollCtl()
{
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    std::atomic<int> activations{0};
    QSocketNotifier *notifier = nullptr;
    quint64 before = 0;
    quint64 after = 0;
    t.run([&] {
        notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, t.context);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
            ++activations;
            drain(pair.fd[0]);
        });
        before = t.dispatcher->controlCalls();
        for (int i = 0; i < 1000; ++i) {
            notifier->setEnabled(false);
            notifier->setEnabled(true);
        }
        after = t.dispatcher->controlCalls();
    });
    QCOMPARE(after, before);
    // Still watched after all that toggling.
    QVERIFY(writeBytes(pair.fd[1], "x", 1));
    QTRY_COMPARE(activations.load(), 1);
    t.run([&] { delete notifier; });
}

void TestEpollEventDispatcher::readAndExceptionShareOneRegistration()
{
    // TCP urgent data is what makes a socket report an exception (EPOLLPRI).
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(listener >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    QCOMPARE(::listen(listener, 1), 0);
    socklen_t length = sizeof address;
    QCOMPARE(::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length), 0);
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QCOMPARE(::connect(client, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    const int server = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    QVERIFY(server >= 0);

    EpollThread t;
    std::atomic<int> exceptions{0};
    std::atomic<qint64> readBytes{0};
    std::atomic<char> urgent{0};
    t.run([&] {
        auto *reader = new QSocketNotifier(server, QSocketNotifier::Read, t.context);
        auto *exception = new QSocketNotifier(server, QSocketNotifier::Exception, t.context);
        QObject::connect(reader, &QSocketNotifier::activated, reader, [&] { readBytes += drain(server); });
        QObject::connect(exception, &QSocketNotifier::activated, exception, [&] {
            ++exceptions;
            char byte = 0;
            if (::recv(server, &byte, 1, MSG_OOB) == 1)
                urgent = byte;
        });
    });
    QCOMPARE(::send(client, "!", 1, MSG_OOB), ssize_t(1));
    QTRY_COMPARE(urgent.load(), '!');
    QCOMPARE(exceptions.load(), 1);
    QCOMPARE(::send(client, "hello", 5, 0), ssize_t(5));
    QTRY_COMPARE(readBytes.load(), qint64(5));
    QVERIFY(t.settle());
    QCOMPARE(exceptions.load(), 1);
    t.run([&] { qDeleteAll(t.context->findChildren<QSocketNotifier *>()); });
    ::close(server);
    ::close(client);
    ::close(listener);
}

void TestEpollEventDispatcher::deletingTheOtherNotifierOfTheFdInsideAHandler()
{
    // Data waiting and room to write: one epoll event carries both, and whichever notifier hears of
    // it first deletes the other, which must then not be activated (ASan would see it).
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    QVERIFY(writeBytes(pair.fd[1], "x", 1));
    std::atomic<int> reads{0};
    std::atomic<int> writes{0};
    std::atomic<int> replacementWrites{0};
    QSocketNotifier *reader = nullptr;
    QSocketNotifier *writer = nullptr;
    t.run([&] {
        reader = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, t.context);
        writer = new QSocketNotifier(pair.fd[0], QSocketNotifier::Write, t.context);
        QObject::connect(reader, &QSocketNotifier::activated, reader, [&] {
            ++reads;
            delete writer;
            writer = nullptr;
            // A new notifier for the same fd and type must not be mistaken for the deleted one.
            auto *replacement = new QSocketNotifier(pair.fd[0], QSocketNotifier::Write, t.context);
            QObject::connect(replacement, &QSocketNotifier::activated, replacement, [&, replacement] {
                ++replacementWrites;
                replacement->setEnabled(false);
            });
            delete reader; // and itself, from its own handler
            reader = nullptr;
        });
        QObject::connect(writer, &QSocketNotifier::activated, writer, [&] {
            ++writes;
            delete reader;
            reader = nullptr;
            delete writer;
            writer = nullptr;
        });
    });
    QTRY_COMPARE(reads.load() + writes.load(), 1);
    QVERIFY(t.settle());
    QCOMPARE(reads.load() + writes.load(), 1);
    if (reads.load() == 1)
        QCOMPARE(replacementWrites.load(), 1);
    t.run([&] { qDeleteAll(t.context->findChildren<QSocketNotifier *>()); });
}

void TestEpollEventDispatcher::closedFdNumberReusedBySocket()
{
    EpollThread t;
    // Two ways a registration outlives its socket: the notifier was disabled (and so left in the
    // kernel's set) before the fd was closed, or the fd was closed while its notifier was enabled.
    for (const bool closeWhileEnabled : {false, true}) {
        auto first = std::make_unique<SocketPair>();
        QVERIFY(first->isValid());
        const int number = first->fd[0];
        std::atomic<int> firstActivations{0};
        QSocketNotifier *notifier = nullptr;
        t.run([&] {
            notifier = new QSocketNotifier(number, QSocketNotifier::Read, t.context);
            QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
                ++firstActivations;
                drain(number);
            });
        });
        QVERIFY(writeBytes(first->fd[1], "a", 1));
        QTRY_COMPARE(firstActivations.load(), 1);
        t.run([&] {
            if (closeWhileEnabled) {
                first->closeBoth();
                delete notifier;
            } else {
                notifier->setEnabled(false);
                delete notifier;
                first->closeBoth();
            }
        });

        // A new socket with the very same number.
        SocketPair second;
        QVERIFY(second.isValid());
        if (second.fd[0] != number) {
            QCOMPARE(::dup3(second.fd[0], number, O_CLOEXEC), number);
            ::close(second.fd[0]);
            second.fd[0] = number;
        }
        std::atomic<int> secondActivations{0};
        t.run([&] {
            notifier = new QSocketNotifier(number, QSocketNotifier::Read, t.context);
            QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
                ++secondActivations;
                drain(number);
            });
        });
        QVERIFY(writeBytes(second.fd[1], "b", 1));
        QTRY_COMPARE(secondActivations.load(), 1);
        QCOMPARE(firstActivations.load(), 1);
        t.run([&] { delete notifier; });
    }
}

void TestEpollEventDispatcher::tcpEchoOfOneMebibyte()
{
    EpollThread t;
    constexpr qsizetype kSize = 1024 * 1024;
    QByteArray payload(kSize, Qt::Uninitialized);
    for (qsizetype i = 0; i < kSize; ++i)
        payload[i] = char((i * 7 + i / 251) & 0xff);
    std::atomic<bool> done{false};
    QByteArray received;
    t.run([&] {
        auto *server = new QTcpServer(t.context);
        QObject::connect(server, &QTcpServer::newConnection, server, [server] {
            while (QTcpSocket *peer = server->nextPendingConnection()) {
                // A small read buffer makes Qt switch the read notifier off and on all the time.
                peer->setReadBufferSize(16 * 1024);
                QObject::connect(peer, &QTcpSocket::readyRead, peer,
                                 [peer] { peer->write(peer->readAll()); });
            }
        });
        server->listen(QHostAddress::LocalHost, 0);
        auto *client = new QTcpSocket(t.context);
        client->setReadBufferSize(8 * 1024);
        QObject::connect(client, &QTcpSocket::connected, client,
                         [client, &payload] { client->write(payload); });
        QObject::connect(client, &QTcpSocket::readyRead, client, [client, &received, &done, &payload] {
            received += client->readAll();
            if (received.size() >= payload.size())
                done = true;
        });
        client->connectToHost(QHostAddress::LocalHost, server->serverPort());
    });
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 30000);
    t.run([&] {
        for (QTcpSocket *socket : t.context->findChildren<QTcpSocket *>())
            socket->abort();
    });
    QCOMPARE(received.size(), kSize);
    QVERIFY(received == payload);
    QVERIFY(t.stop());
}

void TestEpollEventDispatcher::timersOfEveryTypeFireInOrder()
{
    EpollThread t;
    QStringList order;
    qint64 veryCoarseElapsed = -1;
    std::atomic<int> fired{0};
    t.run([&] {
        auto clock = std::make_shared<QElapsedTimer>();
        clock->start();
        const auto start = [&, clock](int ms, Qt::TimerType type, const QString &name) {
            auto *timer = new QTimer(t.context);
            timer->setSingleShot(true);
            timer->setTimerType(type);
            timer->setInterval(ms);
            QObject::connect(timer, &QTimer::timeout, timer, [&, clock, name, type] {
                order.append(name);
                if (type == Qt::VeryCoarseTimer)
                    veryCoarseElapsed = clock->elapsed();
                ++fired;
            });
            timer->start();
        };
        // Started longest first, so registration order cannot explain the firing order.
        start(1000, Qt::VeryCoarseTimer, u"very coarse 1000"_s);
        start(120, Qt::CoarseTimer, u"coarse 120"_s);
        start(60, Qt::PreciseTimer, u"precise 60"_s);
        start(20, Qt::PreciseTimer, u"precise 20"_s);
        start(0, Qt::PreciseTimer, u"zero"_s);
    });
    QTRY_COMPARE_WITH_TIMEOUT(fired.load(), 5, 10000);
    QVERIFY(t.settle());
    QCOMPARE(fired.load(), 5); // single shot: each once
    t.run([] {});
    QCOMPARE(order, QStringList({u"zero"_s, u"precise 20"_s, u"precise 60"_s, u"coarse 120"_s,
                                 u"very coarse 1000"_s}));
    // Whole-second accuracy at worst.
    QVERIFY2(veryCoarseElapsed >= 500 && veryCoarseElapsed <= 2500,
             QByteArray::number(veryCoarseElapsed).constData());
}

void TestEpollEventDispatcher::periodicTimerKeepsFiring()
{
    EpollThread t;
    std::atomic<int> ticks{0};
    std::atomic<qint64> elapsed{0};
    t.run([&] {
        auto clock = std::make_shared<QElapsedTimer>();
        clock->start();
        auto *timer = new QTimer(t.context);
        timer->setTimerType(Qt::PreciseTimer);
        QObject::connect(timer, &QTimer::timeout, timer, [&, timer, clock] {
            if (++ticks == 5) {
                elapsed = clock->elapsed();
                timer->stop();
            }
        });
        timer->start(20);
    });
    QTRY_COMPARE(ticks.load(), 5);
    QVERIFY(t.settle());
    QCOMPARE(ticks.load(), 5);
    QVERIFY2(elapsed.load() >= 95, QByteArray::number(elapsed.load()).constData()); // five periods of 20 ms
}

void TestEpollEventDispatcher::killAndStartTimersInsideHandler()
{
    EpollThread t;
    struct Firing
    {
        int id;
        qint64 atMs;
    };
    std::vector<Firing> firings;
    int a = 0;
    int b = 0;
    int c = 0;
    int d = 0;
    qint64 dStartedMs = -1;
    std::atomic<int> cFirings{0};
    std::atomic<bool> dFired{false};
    TimerProbe *probe = nullptr;
    t.run([&] {
        auto clock = std::make_shared<QElapsedTimer>();
        clock->start();
        probe = new TimerProbe;
        probe->setParent(t.context);
        probe->onTimer = [&, clock](int id) {
            firings.push_back({id, clock->elapsed()});
            if (id == a && d == 0) {
                // Kill itself and b (due at the same moment, registered after a so not fired yet),
                // then start d, which Qt may well give b's freshly released id.
                probe->killTimer(a);
                probe->killTimer(b);
                dStartedMs = clock->elapsed();
                d = probe->startTimer(80, Qt::PreciseTimer);
            } else if (id == d && dStartedMs >= 0 && !dFired) {
                probe->killTimer(d);
                dFired = true;
            } else if (id == c) {
                if (++cFirings == 3)
                    probe->killTimer(c);
            }
        };
        a = probe->startTimer(10, Qt::PreciseTimer);
        b = probe->startTimer(10, Qt::PreciseTimer);
        c = probe->startTimer(5, Qt::CoarseTimer);
    });
    QTRY_VERIFY(dFired.load());
    QTRY_COMPARE(cFirings.load(), 3);
    QVERIFY(t.settle());
    t.run([] {});
    int aCount = 0;
    int dCount = 0;
    for (const Firing &firing : firings) {
        if (firing.id == a && firing.atMs <= dStartedMs)
            ++aCount;
        if (firing.id == b && firing.atMs <= dStartedMs)
            QFAIL("b fired although a killed it first");
        if (firing.id == d && firing.atMs >= dStartedMs) {
            ++dCount;
            QVERIFY2(firing.atMs - dStartedMs >= 75, "d fired early: a stale entry of a reused id?");
        }
    }
    QCOMPARE(aCount, 1);
    QCOMPARE(dCount, 1);
    QCOMPARE(cFirings.load(), 3);
    qsizetype left = -1;
    t.run([&] { left = t.dispatcher->registeredTimers(probe).size(); });
    QCOMPARE(left, 0);
}

void TestEpollEventDispatcher::remainingTimeAndRegisteredTimers()
{
    EpollThread t;
    int remaining = -2;
    int remainingAfterStop = -2;
    int unknown = -2;
    QList<QAbstractEventDispatcher::TimerInfo> infos;
    qsizetype infosAfterStop = -1;
    t.run([&] {
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        timer.start(1000);
        remaining = timer.remainingTime();
        infos = t.dispatcher->registeredTimers(&timer);
        unknown = t.dispatcher->remainingTime(timer.timerId() + 1000);
        timer.stop();
        remainingAfterStop = timer.remainingTime();
        infosAfterStop = t.dispatcher->registeredTimers(&timer).size();
    });
    QVERIFY2(remaining > 900 && remaining <= 1000, QByteArray::number(remaining).constData());
    QCOMPARE(infos.size(), 1);
    QCOMPARE(infos.first().interval, 1000);
    QCOMPARE(infos.first().timerType, Qt::PreciseTimer);
    QCOMPARE(unknown, -1);
    QCOMPARE(remainingAfterStop, -1);
    QCOMPARE(infosAfterStop, 0);
}

void TestEpollEventDispatcher::zeroTimersDoNotStarveSockets()
{
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    std::atomic<int> spins{0};
    std::atomic<int> echoes{0};
    t.run([&] {
        for (int i = 0; i < 2; ++i) {
            auto *spinner = new QTimer(t.context);
            QObject::connect(spinner, &QTimer::timeout, spinner, [&] { ++spins; });
            spinner->start(0);
        }
        auto *notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, t.context);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
            if (drain(pair.fd[0]) > 0)
                ++echoes;
        });
    });
    for (int round = 1; round <= 100; ++round) {
        QVERIFY(writeBytes(pair.fd[1], "p", 1));
        QTRY_COMPARE(echoes.load(), round);
    }
    const int spinsSoFar = spins.load();
    QTRY_VERIFY(spins.load() > spinsSoFar); // the timers kept running all along
    QVERIFY(t.stop());
}

void TestEpollEventDispatcher::nestedLoopInsideTimerHandler()
{
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    std::atomic<int> depth{0};
    std::atomic<int> reentered{0};
    std::atomic<int> outerFirings{0};
    std::atomic<int> otherDuringNested{0};
    std::atomic<int> readsDuringNested{0};
    std::atomic<bool> nestedRunning{false};
    std::atomic<bool> quitNested{false};
    t.run([&] {
        auto *outer = new QTimer(t.context);
        QObject::connect(outer, &QTimer::timeout, outer, [&] {
            if (depth > 0)
                ++reentered;
            ++outerFirings;
            if (outerFirings > 1)
                return;
            ++depth;
            QEventLoop loop;
            auto *quitter = new QTimer(&loop);
            QObject::connect(quitter, &QTimer::timeout, &loop, [&] {
                if (quitNested)
                    loop.quit();
            });
            quitter->start(5);
            nestedRunning = true;
            loop.exec();
            nestedRunning = false;
            --depth;
        });
        auto *other = new QTimer(t.context);
        QObject::connect(other, &QTimer::timeout, other, [&] {
            if (nestedRunning)
                ++otherDuringNested;
        });
        auto *notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, t.context);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
            if (drain(pair.fd[0]) > 0 && nestedRunning)
                ++readsDuringNested;
        });
        outer->start(0);
        other->start(0);
    });
    QTRY_VERIFY(nestedRunning.load());
    QVERIFY(writeBytes(pair.fd[1], "n", 1));
    QTRY_COMPARE(readsDuringNested.load(), 1);
    QTRY_VERIFY(otherDuringNested.load() > 10);
    QCOMPARE(outerFirings.load(), 1); // a zero timer is not re-entered from a nested loop in its handler
    quitNested = true;
    QTRY_VERIFY(!nestedRunning.load());
    QTRY_VERIFY(outerFirings.load() > 2); // and fires again once its handler returned
    QCOMPARE(reentered.load(), 0);
    QVERIFY(t.stop());
}

void TestEpollEventDispatcher::postedEventsAndDeleteLater()
{
    EpollThread t;
    // Queued calls from another thread.
    std::atomic<int> calls{0};
    for (int i = 0; i < 1000; ++i)
        t.post([&] { ++calls; });
    QTRY_COMPARE(calls.load(), 1000);

    // Calls the thread queues to itself, each from the previous one.
    std::atomic<int> chain{0};
    std::function<void()> link = [&] {
        if (++chain < 100)
            QMetaObject::invokeMethod(t.context, link, Qt::QueuedConnection);
    };
    t.post(link);
    QTRY_COMPARE(chain.load(), 100);

    // deleteLater from a queued call, from a timer handler, from a socket handler, and from another
    // thread before the object's thread has run anything.
    std::atomic<int> destroyed{0};
    SocketPair pair;
    QVERIFY(pair.isValid());
    auto *early = new QObject;
    QObject::connect(
        early, &QObject::destroyed, early, [&] { ++destroyed; }, Qt::DirectConnection);
    early->moveToThread(&t.thread);
    early->deleteLater();
    t.run([&] {
        auto *fromCall = new QObject;
        QObject::connect(fromCall, &QObject::destroyed, [&] { ++destroyed; });
        fromCall->deleteLater();

        auto *fromTimer = new QObject;
        QObject::connect(fromTimer, &QObject::destroyed, [&] { ++destroyed; });
        QTimer::singleShot(10, fromTimer, [fromTimer] { fromTimer->deleteLater(); });

        auto *notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read);
        QObject::connect(notifier, &QObject::destroyed, [&] { ++destroyed; });
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&, notifier] {
            drain(pair.fd[0]);
            notifier->deleteLater(); // itself, from its own handler
        });
    });
    QVERIFY(writeBytes(pair.fd[1], "d", 1));
    QTRY_COMPARE(destroyed.load(), 4);
    QVERIFY(t.stop());
}

void TestEpollEventDispatcher::interruptEndsThePassEarly()
{
    EpollThread t;
    SocketPair first;
    SocketPair second;
    QVERIFY(first.isValid() && second.isValid());
    int afterFirstPass = -1;
    int afterSecondPass = -1;
    bool firstPassReported = false;
    QVERIFY(writeBytes(first.fd[1], "i", 1));
    QVERIFY(writeBytes(second.fd[1], "i", 1));
    t.run([&] {
        int activations = 0;
        const auto watch = [&](int fd) {
            auto *notifier = new QSocketNotifier(fd, QSocketNotifier::Read, t.context);
            QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] {
                ++activations;
                t.dispatcher->interrupt(); // what QEventLoop::quit() does
            });
        };
        watch(first.fd[0]);
        watch(second.fd[0]);
        firstPassReported = t.dispatcher->processEvents(QEventLoop::AllEvents);
        afterFirstPass = activations;
        t.dispatcher->processEvents(QEventLoop::AllEvents);
        afterSecondPass = activations;
        qDeleteAll(t.context->findChildren<QSocketNotifier *>());
    });
    QVERIFY(firstPassReported);
    QCOMPARE(afterFirstPass, 1); // both were ready, the first handler interrupted
    QCOMPARE(afterSecondPass, 2);
}

void TestEpollEventDispatcher::interruptWakesABlockingWait()
{
    EpollThread t;
    std::atomic<bool> inside{false};
    std::atomic<bool> blocked{false};
    std::atomic<bool> woke{false};
    std::atomic<bool> returned{false};
    QObject::connect(
        t.dispatcher, &QAbstractEventDispatcher::aboutToBlock, t.dispatcher,
        [&] {
            if (inside)
                blocked = true;
        },
        Qt::DirectConnection);
    QObject::connect(
        t.dispatcher, &QAbstractEventDispatcher::awake, t.dispatcher,
        [&] {
            if (blocked)
                woke = true;
        },
        Qt::DirectConnection);
    t.post([&] {
        // Read any wake-up still pending from before, which would rightly end the wait at once.
        t.dispatcher->processEvents(QEventLoop::AllEvents);
        inside = true;
        // Nothing is pending and there are no timers: only interrupt() can end this wait.
        t.dispatcher->processEvents(QEventLoop::WaitForMoreEvents);
        inside = false;
        returned = true;
    });
    QTRY_VERIFY(blocked.load());
    QVERIFY(!returned.load());
    t.dispatcher->interrupt();
    QTRY_VERIFY(returned.load());
    QVERIFY(woke.load());
}

void TestEpollEventDispatcher::excludeSocketNotifiers()
{
    EpollThread t;
    SocketPair pair;
    QVERIFY(pair.isValid());
    int duringExclusion = -1;
    bool timerFired = false;
    int passes = 0;
    int afterwards = -1;
    QVERIFY(writeBytes(pair.fd[1], "e", 1));
    t.run([&] {
        int activations = 0;
        auto *notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, t.context);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] { ++activations; });
        QTimer timer;
        timer.setSingleShot(true);
        QObject::connect(&timer, &QTimer::timeout, &timer, [&] { timerFired = true; });
        timer.start(30);
        t.dispatcher->processEvents(QEventLoop::ExcludeSocketNotifiers);
        // Waiting with a ready socket excluded must sleep until the timer, not deliver the socket.
        while (!timerFired && passes < 1000) {
            t.dispatcher->processEvents(QEventLoop::WaitForMoreEvents | QEventLoop::ExcludeSocketNotifiers);
            ++passes;
        }
        duringExclusion = activations;
        t.dispatcher->processEvents(QEventLoop::AllEvents);
        afterwards = activations;
        delete notifier;
    });
    QVERIFY(timerFired);
    QCOMPARE(duringExclusion, 0);
    QVERIFY2(passes < 10, QByteArray::number(passes).constData()); // it slept rather than spun
    QCOMPARE(afterwards, 1);
}

void TestEpollEventDispatcher::quitExitsPromptlyAndDestroysTheThreadsObjects()
{
    auto t = std::make_unique<EpollThread>();
    SocketPair pair;
    QVERIFY(pair.isValid());
    std::atomic<int> destroyed{0};
    t->run([&] {
        auto *root = new QObject(t->context);
        QObject::connect(root, &QObject::destroyed, [&] { ++destroyed; });
        auto *longTimer = new QTimer(root);
        QObject::connect(longTimer, &QObject::destroyed, [&] { ++destroyed; });
        longTimer->start(3600 * 1000); // must not keep the thread asleep
        auto *notifier = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read, root);
        QObject::connect(notifier, &QObject::destroyed, [&] { ++destroyed; });
        auto *server = new QTcpServer(root);
        QObject::connect(server, &QObject::destroyed, [&] { ++destroyed; });
        server->listen(QHostAddress::LocalHost, 0);
    });
    QVERIFY(t->settle()); // now asleep in epoll_wait
    QElapsedTimer clock;
    clock.start();
    t->thread.quit();
    QVERIFY(t->thread.wait(5000));
    QVERIFY2(clock.elapsed() < 2000, QByteArray::number(clock.elapsed()).constData());
    QCOMPARE(destroyed.load(), 4);
    QVERIFY(!t->dispatcher); // QThread deletes its dispatcher when it finishes
}

void TestEpollEventDispatcher::oneBusySocketAmongTenThousandIdleNotifiers()
{
    constexpr int kIdlePairs = 5000;
    rlimit limit{};
    QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_cur < 2 * kIdlePairs + 200) {
        if (limit.rlim_max < 2 * kIdlePairs + 200)
            QSKIP("the descriptor limit is too low for ten thousand sockets");
        limit.rlim_cur = limit.rlim_max;
        QCOMPARE(::setrlimit(RLIMIT_NOFILE, &limit), 0);
    }
    std::vector<std::unique_ptr<SocketPair>> idle;
    idle.reserve(kIdlePairs);
    for (int i = 0; i < kIdlePairs; ++i) {
        idle.push_back(std::make_unique<SocketPair>());
        QVERIFY(idle.back()->isValid());
    }
    SocketPair busy;
    QVERIFY(busy.isValid());
    QVERIFY(busy.fd[0] > 2 * kIdlePairs); // far beyond what select() could watch

    EpollThread t;
    std::atomic<int> idleActivations{0};
    std::atomic<int> rounds{0};
    constexpr int kRounds = 2000;
    QElapsedTimer clock;
    t.run([&] {
        for (const auto &pair : idle) {
            for (const int fd : pair->fd) {
                auto *notifier = new QSocketNotifier(fd, QSocketNotifier::Read, t.context);
                QObject::connect(notifier, &QSocketNotifier::activated, notifier, [&] { ++idleActivations; });
            }
        }
        // Ping-pong between the two ends of the busy pair, all within the thread.
        auto *ping = new QSocketNotifier(busy.fd[0], QSocketNotifier::Read, t.context);
        QObject::connect(ping, &QSocketNotifier::activated, ping, [&] {
            if (drain(busy.fd[0]) > 0)
                writeBytes(busy.fd[0], "o", 1);
        });
        auto *pong = new QSocketNotifier(busy.fd[1], QSocketNotifier::Read, t.context);
        QObject::connect(pong, &QSocketNotifier::activated, pong, [&] {
            if (drain(busy.fd[1]) > 0 && ++rounds < kRounds)
                writeBytes(busy.fd[1], "i", 1);
        });
        clock.start();
        writeBytes(busy.fd[1], "i", 1);
    });
    QTRY_COMPARE_WITH_TIMEOUT(rounds.load(), kRounds, 60000);
    qInfo("%d round trips beside %d idle notifiers in %lld ms", kRounds, 2 * kIdlePairs,
          static_cast<long long>(clock.elapsed()));
    QCOMPARE(idleActivations.load(), 0);
    t.run([&] { qDeleteAll(t.context->findChildren<QSocketNotifier *>()); });
    QVERIFY(t.stop());
}

void TestEpollEventDispatcher::timerHeapOnAFixedClock()
{
    constexpr qint64 ms = 1'000'000;
    QObject object;
    TimerHeap heap;

    // A periodic timer keeps its phase and skips the periods it missed instead of firing a burst.
    heap.add(1, 10, Qt::PreciseTimer, &object, 0);
    QCOMPARE(heap.waitMs(3 * ms), 7);
    QVERIFY(!heap.takeDue(5 * ms, heap.passMarker()));
    std::optional<TimerHeap::Due> due = heap.takeDue(10 * ms, heap.passMarker());
    QVERIFY(due);
    QCOMPARE(due->id, 1);
    QCOMPARE(due->object, &object);
    heap.handlerReturned(due->id, due->registration);
    QCOMPARE(heap.remainingMs(1, 10 * ms), 10);
    quint64 marker = heap.passMarker();
    QVERIFY(heap.takeDue(55 * ms, marker)); // due at 20, 30, 40 and 50: once
    heap.handlerReturned(1, due->registration);
    QVERIFY(!heap.takeDue(55 * ms, marker));
    QCOMPARE(heap.remainingMs(1, 55 * ms), 5); // next at 60, in phase
    QVERIFY(heap.remove(1));
    QCOMPARE(heap.remainingMs(1, 55 * ms), -1);

    // An id killed and handed straight to a new timer: the old deadline must not fire the new one.
    heap.add(3, 100, Qt::PreciseTimer, &object, 0);
    heap.remove(3);
    heap.add(3, 500, Qt::PreciseTimer, &object, 0);
    QVERIFY(!heap.takeDue(150 * ms, heap.passMarker()));
    QCOMPARE(heap.waitMs(150 * ms), 350);
    QVERIFY(heap.removeAll(&object));
    QVERIFY(heap.isEmpty());
    QCOMPARE(heap.waitMs(0), -1);

    // A zero-interval timer fires once per pass, not forever within one.
    heap.add(4, 0, Qt::PreciseTimer, &object, 7 * ms);
    marker = heap.passMarker();
    due = heap.takeDue(7 * ms, marker);
    QVERIFY(due);
    heap.handlerReturned(due->id, due->registration);
    QVERIFY(!heap.takeDue(7 * ms, marker));
    QCOMPARE(heap.waitMs(7 * ms), 0);
    QVERIFY(heap.takeDue(7 * ms, heap.passMarker()));
    heap.remove(4);

    // Very coarse timers: whole seconds, on whole seconds of the clock.
    heap.add(5, 1400, Qt::VeryCoarseTimer, &object, 300 * ms);
    QCOMPARE(heap.timersOf(&object).size(), 1);
    QCOMPARE(heap.timersOf(&object).first().interval, 1000);
    QCOMPARE(heap.remainingMs(5, 300 * ms), 700);
    heap.remove(5);

    // Restarting a long timer over and over (an idle timeout per request) leaves stale entries
    // behind, but not without bound.
    heap.add(6, 60'000, Qt::CoarseTimer, &object, 0);
    for (int i = 0; i < 100'000; ++i) {
        heap.remove(6);
        heap.add(6, 60'000, Qt::CoarseTimer, &object, i * ms);
    }
    QCOMPARE(heap.size(), 1);
    QVERIFY2(heap.entryCount() <= 100, QByteArray::number(heap.entryCount()).constData());
    QCOMPARE(heap.remainingMs(6, 99'999 * ms), 60'000);
}

QTEST_GUILESS_MAIN(TestEpollEventDispatcher)
#include "tst_epolleventdispatcher.moc"

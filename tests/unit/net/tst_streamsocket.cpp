// SPDX-License-Identifier: GPL-3.0-or-later
// StreamSocket over real TCP connections on 127.0.0.1: the far end is a plain QTcpSocket.
#include "net/StreamSocket.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>
#include <sys/socket.h>

using namespace fulcrum;

namespace {
// A connected pair: ours as a StreamSocket over the accepted descriptor, the peer as a QTcpSocket.
struct Connection
{
    std::unique_ptr<StreamSocket> ours;
    std::unique_ptr<QTcpSocket> peer;
};

Connection connectPair(QTcpServer &server)
{
    Connection pair;
    pair.peer = std::make_unique<QTcpSocket>();
    pair.peer->connectToHost(QHostAddress::LocalHost, server.serverPort());
    if (!server.waitForNewConnection(5000) || !pair.peer->waitForConnected(5000))
        return pair;
    QTcpSocket *accepted = server.nextPendingConnection();
    // The descriptor moves to the StreamSocket; Qt's socket lets go of it without closing it.
    const qintptr descriptor = ::dup(static_cast<int>(accepted->socketDescriptor()));
    accepted->abort();
    delete accepted;
    pair.ours = std::make_unique<StreamSocket>(descriptor);
    return pair;
}

QByteArray pattern(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = static_cast<char>('a' + (i * 7) % 26);
    return bytes;
}
} // namespace

class StreamSocketTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<QTcpServer>();
        QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    }

    void readsWhatThePeerSent()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        QSignalSpy ready(c.ours.get(), &QIODevice::readyRead);
        c.peer->write("hello over tcp");
        c.peer->flush();
        QVERIFY(ready.wait(5000));
        char buffer[64];
        QCOMPARE(c.ours->read(buffer, sizeof(buffer)), qint64(14));
        QCOMPARE(QByteArray(buffer, 14), QByteArray("hello over tcp"));
        QCOMPARE(c.ours->read(buffer, sizeof(buffer)), qint64(0)); // drained, not ended
        QVERIFY(!c.ours->hasEnded());
    }

    void peerAndLocalAddresses()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        QCOMPARE(c.ours->peerAddress(), QHostAddress(QHostAddress::LocalHost));
        QCOMPARE(c.ours->peerPort(), c.peer->localPort());
        QCOMPARE(c.ours->localPort(), m_server->serverPort());
    }

    void writesWholeLargeBodiesInOrderAndTellsOfLaterWrites()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        const QByteArray body = pattern(8 * 1024 * 1024); // far more than the kernel takes at once
        QSignalSpy written(c.ours.get(), &QIODevice::bytesWritten);
        QCOMPARE(c.ours->write(body), qint64(body.size()));
        const qint64 kept = c.ours->bytesToWrite();
        QVERIFY(kept > 0);
        QVERIFY(written.isEmpty()); // never from inside write()
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT((received += c.peer->readAll(), received.size() == body.size()), 20000);
        QCOMPARE(received, body);
        QCOMPARE(c.ours->bytesToWrite(), qint64(0));
        qint64 total = 0;
        for (const QList<QVariant> &args : written)
            total += args.at(0).toLongLong();
        QCOMPARE(total, kept); // every byte written later was told of, and no other
    }

    void peerCloseIsTold()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        QSignalSpy gone(c.ours.get(), &StreamSocket::disconnected);
        QByteArray read;
        connect(c.ours.get(), &QIODevice::readyRead, this, [&] { read += c.ours->readAll(); });
        c.peer->write("last words");
        c.peer->disconnectFromHost();
        QVERIFY(gone.wait(5000));
        QCOMPARE(read, QByteArray("last words")); // what came before the FIN is read first
        QVERIFY(c.ours->hasEnded());
        QCOMPARE(gone.size(), 1);
        char byte;
        QCOMPARE(c.ours->read(&byte, 1), qint64(-1));
    }

    void peerCloseIsToldWhileTheOwnerDoesNotRead()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        QSignalSpy ready(c.ours.get(), &QIODevice::readyRead);
        QSignalSpy gone(c.ours.get(), &StreamSocket::disconnected);
        c.peer->write("unread");
        c.peer->flush();
        QVERIFY(ready.wait(5000));
        // Nothing was read: no readyRead storm while the bytes wait in the kernel.
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
        QCOMPARE(ready.size(), 1);
        c.peer->disconnectFromHost();
        // Reading resumes the notifications; the bytes and then the end come out.
        char buffer[16];
        QCOMPARE(c.ours->read(buffer, sizeof(buffer)), qint64(6));
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 5000);
    }

    void writeToAResetPeerEndsTheConnection()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        QSignalSpy gone(c.ours.get(), &StreamSocket::disconnected);
        ::linger hard{1, 0}; // the close is a reset
        ::setsockopt(static_cast<int>(c.peer->socketDescriptor()), SOL_SOCKET, SO_LINGER, &hard,
                     sizeof(hard));
        c.peer->abort();
        QTRY_VERIFY_WITH_TIMEOUT((c.ours->write(pattern(4096)), !gone.isEmpty()), 5000);
        QVERIFY(c.ours->hasEnded());
        QCOMPARE(c.ours->write("more"), qint64(-1));
    }

    void shutdownWriteSendsAFinAndKeepsReading()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        c.ours->write("bye");
        c.ours->shutdownWrite();
        QSignalSpy peerGone(c.peer.get(), &QAbstractSocket::disconnected);
        QVERIFY(peerGone.wait(5000));
        QCOMPARE(c.peer->readAll(), QByteArray("bye"));
        QVERIFY(!c.ours->hasEnded());
    }

    void discardInputDropsWhatArrived()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        c.peer->write(pattern(100000));
        c.peer->flush();
        qint64 dropped = 0;
        QTRY_VERIFY_WITH_TIMEOUT((dropped += c.ours->discardInput(), dropped == 100000), 5000);
    }

    void abortClosesWithoutSignals()
    {
        Connection c = connectPair(*m_server);
        QVERIFY(c.ours);
        QSignalSpy gone(c.ours.get(), &StreamSocket::disconnected);
        QSignalSpy peerGone(c.peer.get(), &QAbstractSocket::disconnected);
        c.ours->write(pattern(8 * 1024 * 1024)); // some of it kept, then dropped
        c.ours->abort();
        QVERIFY(c.ours->hasEnded());
        QCOMPARE(c.ours->bytesToWrite(), qint64(0));
        QVERIFY(peerGone.wait(20000));
        QCOMPARE(gone.size(), 0);
    }

    void connectsAndSendsWhatWasWrittenMeanwhile()
    {
        StreamSocket socket;
        QSignalSpy connected(&socket, &StreamSocket::connected);
        socket.connectTo(QHostAddress::LocalHost, m_server->serverPort());
        QCOMPARE(socket.write("early bytes"), qint64(11)); // before the connect is done
        QVERIFY(connected.wait(5000));
        QVERIFY(m_server->hasPendingConnections() || m_server->waitForNewConnection(5000));
        std::unique_ptr<QTcpSocket> accepted(m_server->nextPendingConnection());
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT((received += accepted->readAll(), received == "early bytes"), 5000);
        QCOMPARE(socket.peerPort(), m_server->serverPort());
    }

    void refusedConnectEndsWithTheReason()
    {
        const quint16 closedPort = m_server->serverPort();
        m_server->close(); // nothing listens there any more
        StreamSocket socket;
        QSignalSpy connected(&socket, &StreamSocket::connected);
        QSignalSpy gone(&socket, &StreamSocket::disconnected);
        socket.connectTo(QHostAddress::LocalHost, closedPort);
        QVERIFY(gone.isEmpty()); // never from inside connectTo()
        QVERIFY(gone.wait(5000));
        QVERIFY(connected.isEmpty());
        QVERIFY(socket.endedByError());
        QCOMPARE(socket.errorString(), QStringLiteral("Connection refused"));
    }

private:
    std::unique_ptr<QTcpServer> m_server;
};

QTEST_MAIN(StreamSocketTest)
#include "tst_streamsocket.moc"

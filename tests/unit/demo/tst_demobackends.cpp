// SPDX-License-Identifier: GPL-3.0-or-later
#include "demo/DemoBackends.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace Qt::StringLiterals;
using fulcrum::BackendConfig;
using fulcrum::DemoBackends;

namespace {

// A client connection that collects everything the server sends.
class Client
{
public:
    explicit Client(quint16 port)
    {
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket,
                         [this] { m_received += m_socket.readAll(); });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }

    void send(const QByteArray &bytes) { m_socket.write(bytes); }
    const QByteArray &received() const { return m_received; }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_received;
};

QByteArray get(const QByteArray &extraHeaders = {})
{
    return "GET / HTTP/1.1\r\nHost: demo\r\n" + extraHeaders + "\r\n";
}

QByteArray response(const QByteArray &name, const QByteArray &extraHeaders = {})
{
    const QByteArray body = "hello from " + name + '\n';
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body;
}

} // namespace

class TestDemoBackends : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsThreeBackendsAfterStart();
    void eachAnswersWithItsName();
    void delaysEachResponseByItsLatency();
    void keepsConnectionAliveAndAnswersPipelinedRequestsInOrder();
    void honoursConnectionClose();
    void answersHeadWithoutBody();
    void rejectsMalformedRequestAndCloses();
    void stopClosesListeners();
    void reportsPortInUse();
};

void TestDemoBackends::listsThreeBackendsAfterStart()
{
    DemoBackends demo;
    QVERIFY(demo.backends().isEmpty());
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    QVERIFY(demo.isRunning());
    const QList<BackendConfig> backends = demo.backends();
    QCOMPARE(backends.size(), 3);
    const QStringList names = {u"alpha"_s, u"beta"_s, u"gamma"_s};
    for (qsizetype i = 0; i < backends.size(); ++i) {
        QCOMPARE(backends.at(i).name, names.at(i));
        QCOMPARE(backends.at(i).host, u"127.0.0.1"_s);
        QVERIFY(backends.at(i).port != 0);
        QCOMPARE(backends.at(i).weight, 1);
    }
    QVERIFY(backends.at(0).port != backends.at(1).port && backends.at(1).port != backends.at(2).port);
}

void TestDemoBackends::eachAnswersWithItsName()
{
    DemoBackends demo;
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    for (const BackendConfig &backend : demo.backends()) {
        Client client(backend.port);
        QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::ConnectedState, 5000);
        client.send(get());
        const QByteArray expected = response(backend.name.toLatin1());
        QTRY_COMPARE_WITH_TIMEOUT(client.received(), expected, 5000);
    }
}

void TestDemoBackends::delaysEachResponseByItsLatency()
{
    DemoBackends demo;
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    Client client(demo.backends().at(2).port);
    QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::ConnectedState, 5000);
    QElapsedTimer elapsed;
    elapsed.start();
    client.send(get() + get());
    const QByteArray one = response("gamma");
    QTRY_COMPARE_WITH_TIMEOUT(client.received(), one + one, 5000);
    // gamma waits 25 ms per request, and pipelined requests are answered one after the other.
    QVERIFY2(elapsed.elapsed() >= 50, qPrintable(QString::number(elapsed.elapsed())));
}

void TestDemoBackends::keepsConnectionAliveAndAnswersPipelinedRequestsInOrder()
{
    DemoBackends demo;
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    Client client(demo.backends().at(1).port);
    QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::ConnectedState, 5000);
    client.send(get());
    const QByteArray one = response("beta");
    QTRY_COMPARE_WITH_TIMEOUT(client.received(), one, 5000);
    // Two requests in one write, then a third on the same connection.
    client.send(get() + get());
    QTRY_COMPARE_WITH_TIMEOUT(client.received(), one + one + one, 5000);
    client.send(get());
    QTRY_COMPARE_WITH_TIMEOUT(client.received(), one + one + one + one, 5000);
    QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
}

void TestDemoBackends::honoursConnectionClose()
{
    DemoBackends demo;
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    Client client(demo.backends().at(0).port);
    QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::ConnectedState, 5000);
    QSignalSpy disconnected(&client.socket(), &QTcpSocket::disconnected);
    client.send(get("Connection: close\r\n"));
    QVERIFY(disconnected.wait(5000));
    QCOMPARE(client.received(), response("alpha", "Connection: close\r\n"));
}

void TestDemoBackends::answersHeadWithoutBody()
{
    DemoBackends demo;
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    Client client(demo.backends().at(2).port);
    QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::ConnectedState, 5000);
    // A HEAD followed by a GET: the GET's response must start right after the HEAD's head.
    client.send("HEAD / HTTP/1.1\r\nHost: demo\r\n\r\n" + get());
    const QByteArray full = response("gamma");
    const QByteArray head = full.left(full.indexOf("\r\n\r\n") + 4);
    QTRY_COMPARE_WITH_TIMEOUT(client.received(), head + full, 5000);
}

void TestDemoBackends::rejectsMalformedRequestAndCloses()
{
    DemoBackends demo;
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    Client client(demo.backends().at(0).port);
    QTRY_COMPARE_WITH_TIMEOUT(client.socket().state(), QAbstractSocket::ConnectedState, 5000);
    QSignalSpy disconnected(&client.socket(), &QTcpSocket::disconnected);
    client.send("GET / HTTP/1.1\r\n\r\n"); // no Host
    QVERIFY(disconnected.wait(5000));
    QVERIFY2(client.received().startsWith("HTTP/1.1 400 Bad Request\r\n"), client.received().constData());
    QVERIFY(client.received().contains("\r\nConnection: close\r\n"));
}

void TestDemoBackends::stopClosesListeners()
{
    DemoBackends demo;
    QVERIFY2(demo.start(), qPrintable(demo.errorString()));
    const quint16 port = demo.backends().at(0).port;
    Client open(port);
    QTRY_COMPARE_WITH_TIMEOUT(open.socket().state(), QAbstractSocket::ConnectedState, 5000);
    QSignalSpy closed(&open.socket(), &QTcpSocket::disconnected);
    demo.stop();
    QVERIFY(!demo.isRunning());
    QVERIFY(demo.backends().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(closed.size(), 1, 5000);

    QTcpSocket refused;
    QSignalSpy errors(&refused, &QTcpSocket::errorOccurred);
    refused.connectToHost(QHostAddress::LocalHost, port);
    QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, 5000);
    QCOMPARE(refused.error(), QAbstractSocket::ConnectionRefusedError);
}

void TestDemoBackends::reportsPortInUse()
{
    QTcpServer occupant;
    QVERIFY(occupant.listen(QHostAddress::LocalHost, 0));
    DemoBackends demo(occupant.serverPort());
    QVERIFY(!demo.start());
    QVERIFY(!demo.isRunning());
    QVERIFY(demo.backends().isEmpty());
    QVERIFY2(demo.errorString().contains(u"alpha"_s), qPrintable(demo.errorString()));
}

QTEST_GUILESS_MAIN(TestDemoBackends)
#include "tst_demobackends.moc"

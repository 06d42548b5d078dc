// SPDX-License-Identifier: GPL-3.0-or-later
// The access log on stdout: one line per request, in text or JSON, naming what a log reader needs.
#include "ProxyTest.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

class TestProxyAccessLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void textLines();
    void jsonLines();
    void localAnswersAreLogged();
    void offMeansNoLines();

private:
    // Three requests: GET /one, POST /two (5 body bytes), HEAD /three, with ids log-1..log-3.
    void sendThreeRequests();

    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestProxyAccessLog::init()
{
    m_backend = std::make_unique<FakeBackend>(u"logb"_s);
    QVERIFY(m_backend->start());
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestProxyAccessLog::cleanup()
{
    m_proxy.reset();
    m_backend.reset();
}

void TestProxyAccessLog::sendThreeRequests()
{
    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    HttpResponse r = client.request(RawClient::get("/one", {{"X-Request-ID", "log-1"}}));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    r = client.request(RawClient::buildRequest("POST", "/two?x=1", {{"X-Request-ID", "log-2"}}, "hello"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    r = client.request(RawClient::buildRequest("HEAD", "/three", {{"X-Request-ID", "log-3"}}), true);
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
}

void TestProxyAccessLog::textLines()
{
    QStringList args = backendArgs({m_backend.get()});
    args << u"--access-log"_s << u"on"_s;
    QVERIFY2(m_proxy->start(args), qPrintable(m_proxy->errorString()));
    sendThreeRequests();
    QVERIFY2(m_proxy->waitForOutputLines(3), m_proxy->standardOutput().constData());
    const QList<QByteArray> lines = m_proxy->outputLines();
    QCOMPARE(lines.size(), 3);
    const QList<QList<QByteArray>> expected = {
        {"GET", "/one", " 200 ", "logb", "log-1", "127.0.0.1"},
        {"POST", "/two?x=1", " 200 ", "logb", "log-2", "127.0.0.1"},
        {"HEAD", "/three", " 200 ", "logb", "log-3", "127.0.0.1"},
    };
    for (qsizetype i = 0; i < lines.size(); ++i) {
        for (const QByteArray &part : expected.at(i))
            QVERIFY2(lines.at(i).contains(part),
                     qPrintable(QString::fromUtf8(lines.at(i) + " lacks " + part)));
    }
}

void TestProxyAccessLog::jsonLines()
{
    QStringList args = backendArgs({m_backend.get()});
    args << u"--access-log"_s << u"on"_s << u"--log-format"_s << u"json"_s;
    QVERIFY2(m_proxy->start(args), qPrintable(m_proxy->errorString()));
    sendThreeRequests();
    QVERIFY2(m_proxy->waitForOutputLines(3), m_proxy->standardOutput().constData());
    const QList<QByteArray> lines = m_proxy->outputLines();
    QCOMPARE(lines.size(), 3);

    const QList<std::pair<QString, QString>> expected = {
        {u"GET"_s, u"/one"_s}, {u"POST"_s, u"/two?x=1"_s}, {u"HEAD"_s, u"/three"_s}};
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(lines.at(i), &error);
        QVERIFY2(error.error == QJsonParseError::NoError && document.isObject(), lines.at(i).constData());
        const QJsonObject o = document.object();
        for (const QString &key :
             {u"time"_s, u"client"_s, u"method"_s, u"target"_s, u"status"_s, u"backend"_s, u"bytes_in"_s,
              u"bytes_out"_s, u"duration_us"_s, u"request_id"_s})
            QVERIFY2(o.contains(key), qPrintable(key + u" missing in "_s + QString::fromUtf8(lines.at(i))));
        QVERIFY(o.value(u"time"_s).isString());
        QCOMPARE(o.value(u"client"_s).toString(), u"127.0.0.1"_s);
        QCOMPARE(o.value(u"method"_s).toString(), expected.at(i).first);
        QCOMPARE(o.value(u"target"_s).toString(), expected.at(i).second);
        QCOMPARE(o.value(u"status"_s).toInt(), 200);
        QCOMPARE(o.value(u"backend"_s).toString(), u"logb"_s);
        QCOMPARE(o.value(u"request_id"_s).toString(), u"log-%1"_s.arg(i + 1));
        QVERIFY(o.value(u"duration_us"_s).isDouble());
        QVERIFY(o.value(u"bytes_out"_s).toInteger() > 0);
    }
    QCOMPARE(QJsonDocument::fromJson(lines.at(0)).object().value(u"bytes_in"_s).toInteger(), 0);
    QCOMPARE(QJsonDocument::fromJson(lines.at(1)).object().value(u"bytes_in"_s).toInteger(), 5);
}

void TestProxyAccessLog::localAnswersAreLogged()
{
    QStringList args = backendArgs({m_backend.get()});
    args << u"--log-format"_s << u"json"_s; // the access log is on by default
    QVERIFY2(m_proxy->start(args), qPrintable(m_proxy->errorString()));
    const HttpResponse r = fetch(m_proxy->port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    QVERIFY2(r.complete && r.status == 400, qPrintable(r.describe()));
    QVERIFY2(m_proxy->waitForOutputLines(1), m_proxy->standardOutput().constData());
    const QJsonObject o = QJsonDocument::fromJson(m_proxy->outputLines().constFirst()).object();
    QCOMPARE(o.value(u"status"_s).toInt(), 400);
    QVERIFY(o.value(u"backend"_s).isNull());
    QCOMPARE(o.value(u"request_id"_s).toString().toLatin1(), r.header("x-request-id"));
}

void TestProxyAccessLog::offMeansNoLines()
{
    QStringList args = backendArgs({m_backend.get()});
    args << u"--access-log"_s << u"off"_s;
    QVERIFY2(m_proxy->start(args), qPrintable(m_proxy->errorString()));
    sendThreeRequests();
    // Exiting flushes every log buffer, so after the exit nothing more can come.
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    const std::optional<int> code = m_proxy->waitForExit();
    QVERIFY(code.has_value());
    QCOMPARE(*code, 0);
    QCOMPARE(m_proxy->standardOutput(), QByteArray());
}

QTEST_GUILESS_MAIN(TestProxyAccessLog)
#include "tst_proxy_accesslog.moc"

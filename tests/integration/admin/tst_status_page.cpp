// SPDX-License-Identifier: GPL-3.0-or-later
// The status page at GET / on the admin listener works in a real browser: headless Chromium loads it
// from a running fulcrumd, its script polls /api/v1/snapshot, and the page ends up with one row per
// backend showing the backend's state, and no "disconnected" banner.
#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "RawClient.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

const QByteArray kToken = "status-page-test-token";
constexpr int kRequests = 6;
// The page polls every second; this much virtual time lets it fetch a few snapshots.
constexpr int kVirtualTimeMs = 4'000;
constexpr int kBrowserTimeoutMs = 60'000;

QString findChromium()
{
    for (const QString &name : {u"chromium"_s, u"chromium-browser"_s}) {
        const QString path = QStandardPaths::findExecutable(name);
        if (!path.isEmpty())
            return path;
    }
    return {};
}

HttpResponse adminGet(quint16 port, QByteArrayView target)
{
    return fetch(port, RawClient::get(target));
}

QJsonObject snapshot(quint16 adminPort)
{
    const HttpResponse response = adminGet(adminPort, "/api/v1/snapshot");
    return response.status == 200 ? QJsonDocument::fromJson(response.body).object() : QJsonObject();
}

// Requests counted over every backend in the admin API's snapshot.
qint64 snapshotRequests(quint16 adminPort)
{
    qint64 total = 0;
    const QJsonArray backends = snapshot(adminPort).value("backends"_L1).toArray();
    for (const QJsonValue &backend : backends)
        total += backend.toObject().value("requests"_L1).toInteger();
    return total;
}

// The attributes of one start tag, e.g. `<tr class="backend" data-backend="a">`, entities decoded.
QHash<QString, QString> attributes(const QString &tag)
{
    static const QRegularExpression attribute(u"([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\\s*=\\s*\"([^\"]*)\")?"_s);
    QHash<QString, QString> result;
    const qsizetype nameEnd = tag.indexOf(QRegularExpression(u"[\\s>]"_s));
    QRegularExpressionMatchIterator it = attribute.globalMatch(tag.mid(nameEnd));
    while (it.hasNext()) {
        const QRegularExpressionMatch match = it.next();
        QString value = match.captured(2);
        value.replace(u"&quot;"_s, u"\""_s)
            .replace(u"&lt;"_s, u"<"_s)
            .replace(u"&gt;"_s, u">"_s)
            .replace(u"&nbsp;"_s, u"\u00a0"_s)
            .replace(u"&amp;"_s, u"&"_s);
        result.insert(match.captured(1), value);
    }
    return result;
}

struct Row
{
    QHash<QString, QString> attributes;
    QString html; // the whole element, <tr ...> to </tr>
};

// Every <tr> of the DOM that carries data-backend, by backend name.
QHash<QString, Row> backendRows(const QString &dom)
{
    static const QRegularExpression row(u"<tr\\b[^>]*>.*?</tr>"_s,
                                        QRegularExpression::DotMatchesEverythingOption);
    QHash<QString, Row> rows;
    QRegularExpressionMatchIterator it = row.globalMatch(dom);
    while (it.hasNext()) {
        const QString html = it.next().captured(0);
        const QHash<QString, QString> attrs = attributes(html.left(html.indexOf(u'>') + 1));
        if (attrs.contains(u"data-backend"_s))
            rows.insert(attrs.value(u"data-backend"_s), {attrs, html});
    }
    return rows;
}

// The start tag of the element with this id, or an empty string.
QString startTagWithId(const QString &dom, const QString &id)
{
    const QRegularExpression tag(u"<[A-Za-z][^>]*\\bid=\"%1\"[^>]*>"_s.arg(QRegularExpression::escape(id)));
    return tag.match(dom).captured(0);
}

} // namespace

class TestStatusPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void servesSelfContainedPage();
    void browserShowsEveryBackend();

private:
    // Starts fulcrumd with an admin listener on a free loopback port and the two backends, sends
    // kRequests through it and waits until the snapshot counts them.
    void startProxy();

    std::unique_ptr<FakeBackend> m_one;
    std::unique_ptr<FakeBackend> m_two;
    std::unique_ptr<FulcrumProcess> m_proxy;
    quint16 m_adminPort = 0;
};

void TestStatusPage::init()
{
    m_one = std::make_unique<FakeBackend>(u"app-one"_s);
    m_two = std::make_unique<FakeBackend>(u"app.two"_s);
    QVERIFY(m_one->start());
    QVERIFY(m_two->start());
}

void TestStatusPage::cleanup()
{
    m_proxy.reset();
    m_one.reset();
    m_two.reset();
    m_adminPort = 0;
}

void TestStatusPage::startProxy()
{
    m_proxy = std::make_unique<FulcrumProcess>();
    m_proxy->setEnvironmentVariable(u"FULCRUM_ADMIN_TOKEN"_s, QString::fromLatin1(kToken));
    QVERIFY2(m_proxy->start({u"--admin"_s, u"127.0.0.1:0"_s, u"--backend"_s, m_one->backendFlag(),
                             u"--backend"_s, m_two->backendFlag()}),
             qPrintable(m_proxy->errorString()));
    m_adminPort = m_proxy->adminPort();
    QVERIFY2(m_adminPort != 0, m_proxy->standardError().constData());

    RawClient client;
    QVERIFY(client.connectTo(m_proxy->port()));
    for (int i = 0; i < kRequests; ++i) {
        const HttpResponse response = client.request(RawClient::get("/"));
        QVERIFY2(response.status == 200, qPrintable(response.describe()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(snapshotRequests(m_adminPort) >= kRequests, 10'000);
}

void TestStatusPage::servesSelfContainedPage()
{
    startProxy();
    if (QTest::currentTestFailed())
        return;
    const HttpResponse page = adminGet(m_adminPort, "/");
    QVERIFY2(page.complete, qPrintable(page.describe()));
    QCOMPARE(page.status, 200);
    QVERIFY2(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type").constData());
    QVERIFY(page.body.startsWith("<!DOCTYPE html>"));
    QVERIFY(page.body.contains("api/v1/snapshot"));
    // Nothing loaded from anywhere else: no remote scripts, styles, images, fonts or frames.
    static const QRegularExpression external(
        u"(?:\\b(?:src|href|action)\\s*=\\s*[\"']?\\s*(?:[a-z][a-z0-9+.-]*:)?//)|@import|url\\(\\s*[\"']?\\s*(?:https?:)?//"_s,
        QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch match = external.match(QString::fromUtf8(page.body));
    QVERIFY2(!match.hasMatch(), qPrintable(u"external reference: "_s + match.captured(0)));
    // Rendering goes through textContent: names from the configuration never become markup.
    QVERIFY(!page.body.contains("innerHTML"));
}

void TestStatusPage::browserShowsEveryBackend()
{
    const QString chromium = findChromium();
    if (chromium.isEmpty())
        QSKIP("chromium not found: install the Debian package \"chromium\" (./fulcrum.sh test does) "
              "to test the status page in a browser");

    startProxy();
    if (QTest::currentTestFailed())
        return;
    // An operator takes app.two out: the page must show each backend's own state.
    const QByteArray body = R"({"state": "maintenance"})";
    const HttpResponse patched =
        fetch(m_adminPort,
              RawClient::buildRequest(
                  "PATCH", "/api/v1/backends/app.two",
                  {{"Authorization", "Bearer " + kToken}, {"Content-Type", "application/json"}}, body));
    QVERIFY2(patched.status == 200, qPrintable(patched.describe()));
    QHash<QString, QString> expected; // name -> state, as the API reports it
    const auto maintenanceShows = [&] {
        expected.clear();
        const QJsonArray backends = snapshot(m_adminPort).value("backends"_L1).toArray();
        for (const QJsonValue &value : backends) {
            const QJsonObject backend = value.toObject();
            expected.insert(backend.value("name"_L1).toString(), backend.value("state"_L1).toString());
        }
        return expected.value(u"app.two"_s) == u"maintenance"_s;
    };
    QTRY_VERIFY_WITH_TIMEOUT(maintenanceShows(), 10'000);
    QCOMPARE(expected.value(u"app-one"_s), u"up"_s);

    QTemporaryDir profile; // a profile of its own: nothing shared with other runs or the user's browser
    QVERIFY(profile.isValid());
    QProcess browser;
    browser.setProgram(chromium);
    browser.setArguments({u"--headless"_s, u"--no-sandbox"_s, u"--disable-gpu"_s,
                          u"--disable-dev-shm-usage"_s, u"--no-first-run"_s,
                          u"--user-data-dir="_s + profile.path(), u"--window-size=1280,800"_s,
                          u"--virtual-time-budget=%1"_s.arg(kVirtualTimeMs), u"--dump-dom"_s,
                          u"http://127.0.0.1:%1/"_s.arg(m_adminPort)});
    browser.start();
    QVERIFY2(browser.waitForStarted(10'000), qPrintable(browser.errorString()));
    if (!browser.waitForFinished(kBrowserTimeoutMs)) {
        browser.kill();
        browser.waitForFinished(5'000);
        QFAIL("chromium did not finish within 60 s");
    }
    const QString dom = QString::fromUtf8(browser.readAllStandardOutput());
    QVERIFY2(browser.exitStatus() == QProcess::NormalExit && browser.exitCode() == 0,
             browser.readAllStandardError().right(2000).constData());
    QVERIFY2(dom.contains(u"</html>"_s), qPrintable(u"no DOM from chromium: "_s + dom.left(2000)));

    // Connected, with the banner hidden: the page fetched snapshots and the last one succeeded.
    const QString bodyTag = dom.mid(dom.indexOf(u"<body"_s)).section(u'>', 0, 0) + u'>';
    QCOMPARE(attributes(bodyTag).value(u"data-connection"_s), u"connected"_s);
    const QString banner = startTagWithId(dom, u"banner"_s);
    QVERIFY2(!banner.isEmpty(), "no banner element");
    QVERIFY2(attributes(banner).contains(u"hidden"_s), qPrintable(banner));
    QVERIFY2(!attributes(banner).value(u"class"_s).contains(u"disconnected"_s), qPrintable(banner));

    const QHash<QString, Row> rows = backendRows(dom);
    QCOMPARE(rows.size(), 2);
    for (const FakeBackend *backend : {m_one.get(), m_two.get()}) {
        const QString name = backend->name();
        QVERIFY2(rows.contains(name), qPrintable(u"no row for "_s + name));
        const Row &row = rows.value(name);
        const QString state = expected.value(name);
        QCOMPARE(row.attributes.value(u"data-state"_s), state);
        QCOMPARE(row.attributes.value(u"data-pool"_s), u"default"_s);
        QVERIFY2(row.html.contains(u">"_s + name + u"<"_s), qPrintable(row.html));
        QVERIFY2(row.html.contains(u">"_s + backend->url()), qPrintable(row.html));
        QVERIFY2(row.html.contains(u">"_s + state + u"<"_s), qPrintable(row.html)); // the state's label
    }
    // Admin state apart from health: app.two is in maintenance by an operator, and still healthy.
    QVERIFY2(rows.value(u"app.two"_s).html.contains(u">maintenance</td>"_s),
             qPrintable(rows.value(u"app.two"_s).html));
    QVERIFY2(rows.value(u"app-one"_s).html.contains(u">up</td>"_s),
             qPrintable(rows.value(u"app-one"_s).html));
}

QTEST_GUILESS_MAIN(TestStatusPage)
#include "tst_status_page.moc"

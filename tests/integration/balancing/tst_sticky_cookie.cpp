// SPDX-License-Identifier: GPL-3.0-or-later
// The sticky cookie over real sockets: what Set-Cookie looks like, that the cookie pins a client
// where round robin would rotate it, and when the proxy replaces it.
#include "BalancingTest.h"
#include "ProxyTest.h"
#include "proxy/ProxyServer.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr QByteArrayView kCookie = "lb";

// All Set-Cookie values of a response that set the sticky cookie.
QList<QByteArray> stickySetCookies(const HttpResponse &r)
{
    QList<QByteArray> out;
    for (const HttpHeader &header : r.headers) {
        if (headerNameEquals(header.name, "set-cookie") &&
            header.value.startsWith(QByteArray(kCookie.toByteArray() + '=')))
            out.append(header.value);
    }
    return out;
}

// The value the response's Set-Cookie gives the sticky cookie; null when it sets none.
QByteArray stickyValue(const HttpResponse &r)
{
    const QList<QByteArray> cookies = stickySetCookies(r);
    if (cookies.isEmpty())
        return {};
    const QByteArray &line = cookies.constFirst();
    const qsizetype start = kCookie.size() + 1;
    const qsizetype end = line.indexOf(';');
    return line.mid(start, end < 0 ? -1 : end - start);
}

QString show(const HttpResponse &r)
{
    return r.describe();
}

// Three backends "alpha", "bravo", "charlie" at weight 1, round robin, sticky cookie "lb", behind an
// in-process ProxyServer; one keep-alive client connection, so every request reaches the same worker
// and nothing else picks in between.
struct StickyProxy
{
    FakeBackend alpha{u"alpha"_s};
    FakeBackend bravo{u"bravo"_s};
    FakeBackend charlie{u"charlie"_s};
    ProxyServer server;
    RawClient client;
    QHash<QByteArray, QByteArray> values; // backend name -> its cookie value
    QString error;

    bool start(int maxAgeS = 0)
    {
        if (!alpha.start() || !bravo.start() || !charlie.start()) {
            error = u"a FakeBackend did not start"_s;
            return false;
        }
        BalancingConfig balancing;
        balancing.stickyCookie = {QString::fromLatin1(kCookie), maxAgeS};
        if (!server.start(
                inProcessConfig({backendConfigFor(alpha), backendConfigFor(bravo), backendConfigFor(charlie)},
                                balancing),
                &error))
            return false;
        if (!client.connectTo(server.boundAddresses().constFirst().port)) {
            error = client.errorString();
            return false;
        }
        return true;
    }

    BackendRegistry &registry() { return server.backends(); }

    // A GET on the keep-alive connection, with this Cookie header line when not null.
    HttpResponse get(const QByteArray &cookieHeader = {})
    {
        QList<std::pair<QByteArray, QByteArray>> headers;
        if (!cookieHeader.isNull())
            headers.append({"Cookie", cookieHeader});
        return client.request(RawClient::get("/page", headers));
    }
    HttpResponse getPinned(const QByteArray &backend)
    {
        return get(QByteArray(kCookie.toByteArray() + '=' + values.value(backend)));
    }

    // Three requests without a cookie: round robin over three backends of weight 1 visits each once,
    // and each response sets that backend's cookie.
    bool learnValues()
    {
        for (int i = 0; i < 3; ++i) {
            const HttpResponse r = get();
            const QByteArray value = stickyValue(r);
            if (!r.complete || r.status != 200 || value.isEmpty()) {
                error = u"request without a cookie: "_s + show(r);
                return false;
            }
            values.insert(r.header("x-backend"), value);
        }
        if (values.size() != 3 || QSet<QByteArray>(values.cbegin(), values.cend()).size() != 3) {
            error = u"expected three distinct cookie values, one per backend: %1"_s.arg(values.size());
            return false;
        }
        return true;
    }
};

#define START(proxy, ...)                                                                                    \
    do {                                                                                                     \
        QVERIFY2((proxy).start(__VA_ARGS__), qPrintable((proxy).error));                                     \
        QVERIFY2((proxy).learnValues(), qPrintable((proxy).error));                                          \
    } while (false)

// Alternates requests carrying bravo's cookie with requests carrying none, for `rounds` rounds:
// every pinned one must reach bravo and set no new cookie, every free one must carry the cookie of
// the backend that served it, which is appended to *served.
void alternatePinnedAndFree(StickyProxy &proxy, int rounds, QList<QByteArray> *served)
{
    for (int i = 0; i < rounds; ++i) {
        const HttpResponse pinned = proxy.getPinned("bravo");
        QVERIFY2(pinned.complete && pinned.status == 200, qPrintable(show(pinned)));
        QCOMPARE(pinned.header("x-backend"), "bravo"_ba);
        QVERIFY2(!pinned.hasHeader("set-cookie"), qPrintable(show(pinned)));

        const HttpResponse free = proxy.get();
        QVERIFY2(free.complete && free.status == 200, qPrintable(show(free)));
        QCOMPARE(stickyValue(free), proxy.values.value(free.header("x-backend")));
        served->append(free.header("x-backend"));
    }
}

} // namespace

class TestStickyCookie : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void setCookieAttributesAndOpacity();
    void maxAgeWhenConfigured();
    void cookieIsHonouredWhereRoundRobinWouldRotate();
    void cookieIsReplacedWhenItsBackendLeaves_data();
    void cookieIsReplacedWhenItsBackendLeaves();
    void cookieIsHonouredAtWeightZero();
    void otherCookiesDoNotConfuseIt();
    void backendSetCookieIsKept();
};

// "lb=<16 hex digits>; Path=/; HttpOnly; SameSite=Lax", nothing else. The value is opaque: hex only
// (so no dotted address and no "host:port"), and a backend of the same name at another port gets
// the same value, so neither its address nor its port is in it.
void TestStickyCookie::setCookieAttributesAndOpacity()
{
    StickyProxy proxy;
    QVERIFY2(proxy.start(), qPrintable(proxy.error));
    const HttpResponse r = proxy.get();
    QVERIFY2(r.complete && r.status == 200, qPrintable(show(r)));
    const QList<QByteArray> cookies = stickySetCookies(r);
    QCOMPARE(cookies.size(), 1);
    QCOMPARE(r.headerCount("set-cookie"), 1);
    static const QRegularExpression format(u"^lb=[0-9a-f]{16}; Path=/; HttpOnly; SameSite=Lax$"_s);
    QVERIFY2(format.match(QString::fromLatin1(cookies.constFirst())).hasMatch(),
             cookies.constFirst().constData());

    QVERIFY2(proxy.learnValues(), qPrintable(proxy.error));
    for (const QByteArray &value : std::as_const(proxy.values))
        QVERIFY2(!value.contains("127.0.0.1") && !value.contains(':'), value.constData());

    // The same names at other ports: the same values.
    FakeBackend alpha2(u"alpha"_s), bravo2(u"bravo"_s), charlie2(u"charlie"_s);
    QVERIFY(alpha2.start() && bravo2.start() && charlie2.start());
    QVERIFY(alpha2.port() != proxy.alpha.port());
    ProxyServer other;
    BalancingConfig balancing;
    balancing.stickyCookie = {u"lb"_s, 0};
    QString error;
    QVERIFY2(other.start(inProcessConfig(
                             {backendConfigFor(alpha2), backendConfigFor(bravo2), backendConfigFor(charlie2)},
                             balancing),
                         &error),
             qPrintable(error));
    RawClient client;
    QVERIFY(client.connectTo(other.boundAddresses().constFirst().port));
    for (int i = 0; i < 3; ++i) {
        const HttpResponse again = client.request(RawClient::get("/"));
        QVERIFY2(again.complete && again.status == 200, qPrintable(show(again)));
        const QByteArray backend = again.header("x-backend");
        QCOMPARE(stickyValue(again), proxy.values.value(backend));
    }
    // And the other proxy honours the first one's cookie.
    const HttpResponse pinned =
        client.request(RawClient::get("/", {{"Cookie", "lb=" + proxy.values.value("charlie")}}));
    QVERIFY2(pinned.complete && pinned.status == 200, qPrintable(show(pinned)));
    QCOMPARE(pinned.header("x-backend"), "charlie"_ba);
    QVERIFY(!pinned.hasHeader("set-cookie"));
}

void TestStickyCookie::maxAgeWhenConfigured()
{
    StickyProxy proxy;
    QVERIFY2(proxy.start(3600), qPrintable(proxy.error));
    const HttpResponse r = proxy.get();
    QVERIFY2(r.complete && r.status == 200, qPrintable(show(r)));
    const QList<QByteArray> cookies = stickySetCookies(r);
    QCOMPARE(cookies.size(), 1);
    static const QRegularExpression format(
        u"^lb=[0-9a-f]{16}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600$"_s);
    QVERIFY2(format.match(QString::fromLatin1(cookies.constFirst())).hasMatch(),
             cookies.constFirst().constData());
}

// Requests without a cookie rotate over all three backends; requests interleaved with them that
// carry bravo's cookie all reach bravo and get no new cookie.
void TestStickyCookie::cookieIsHonouredWhereRoundRobinWouldRotate()
{
    StickyProxy proxy;
    START(proxy);
    QList<QByteArray> served;
    alternatePinnedAndFree(proxy, 12, &served);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(QSet<QByteArray>(served.cbegin(), served.cend()),
             (QSet<QByteArray>{"alpha", "bravo", "charlie"}));
    QCOMPARE(proxy.bravo.requestCount(), 1 + 12 + 4);
}

void TestStickyCookie::cookieIsReplacedWhenItsBackendLeaves_data()
{
    QTest::addColumn<QString>("action");
    QTest::newRow("maintenance") << u"maintenance"_s;
    QTest::newRow("draining") << u"draining"_s;
    QTest::newRow("down") << u"down"_s;
    QTest::newRow("removed") << u"removed"_s;
}

// A client pinned to bravo keeps being served when bravo goes to maintenance, drains, goes down or
// is removed: by another backend, whose cookie the response sets in place of bravo's. The new
// cookie then holds. Once bravo is up again its old cookie takes the client back there.
void TestStickyCookie::cookieIsReplacedWhenItsBackendLeaves()
{
    QFETCH(QString, action);
    StickyProxy proxy;
    START(proxy);
    HttpResponse r = proxy.getPinned("bravo");
    QCOMPARE(r.header("x-backend"), "bravo"_ba);

    QString error;
    if (action == u"removed")
        QVERIFY2(proxy.registry().removeBackend(u"bravo"_s, u"test"_s, &error), qPrintable(error));
    else
        QVERIFY2(proxy.registry().setState(u"bravo"_s, *parseBackendState(action), u"test"_s, &error),
                 qPrintable(error));

    // The new table reaches the worker a moment later; every request meanwhile still succeeds.
    QTRY_VERIFY_WITH_TIMEOUT(
        (r = proxy.getPinned("bravo"), r.status != 200 || r.header("x-backend") != "bravo"), 5'000);
    QVERIFY2(r.complete && r.status == 200, qPrintable(show(r)));
    const QByteArray now = r.header("x-backend");
    QVERIFY(now == "alpha" || now == "charlie");
    const QList<QByteArray> cookies = stickySetCookies(r);
    QCOMPARE(cookies.size(), 1);
    QCOMPARE(stickyValue(r), proxy.values.value(now));
    QVERIFY(stickyValue(r) != proxy.values.value("bravo"));
    QVERIFY2(cookies.constFirst().endsWith("; Path=/; HttpOnly; SameSite=Lax"),
             cookies.constFirst().constData());

    const int bravoCount = proxy.bravo.requestCount();
    for (int i = 0; i < 6; ++i) {
        const HttpResponse next = proxy.get("lb=" + stickyValue(r));
        QVERIFY2(next.complete && next.status == 200, qPrintable(show(next)));
        QCOMPARE(next.header("x-backend"), now);
        QVERIFY2(!next.hasHeader("set-cookie"), qPrintable(show(next)));
    }
    // bravo's old cookie is still refused (re-balanced, never to bravo, with a new cookie each time).
    for (int i = 0; i < 6; ++i) {
        const HttpResponse stale = proxy.getPinned("bravo");
        QVERIFY2(stale.complete && stale.status == 200, qPrintable(show(stale)));
        QVERIFY(stale.header("x-backend") != "bravo");
        QCOMPARE(stickyValue(stale), proxy.values.value(stale.header("x-backend")));
    }
    QCOMPARE(proxy.bravo.requestCount(), bravoCount);

    if (action == u"removed") {
        // Gone from the table once drained (nothing was in flight).
        QTRY_VERIFY(!proxy.registry().status(u"bravo"_s).has_value());
        return;
    }
    QVERIFY2(proxy.registry().setState(u"bravo"_s, BackendState::Up, u"test"_s, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT((r = proxy.getPinned("bravo"), r.header("x-backend") == "bravo"), 5'000);
    QVERIFY2(r.complete && r.status == 200 && !r.hasHeader("set-cookie"), qPrintable(show(r)));
}

// Weight 0 is a soft drain: no new clients, but those pinned by their cookie stay.
void TestStickyCookie::cookieIsHonouredAtWeightZero()
{
    StickyProxy proxy;
    START(proxy);
    QString error;
    QVERIFY2(proxy.registry().setWeight(u"bravo"_s, 0, u"test"_s, &error), qPrintable(error));
    // Under the old table any three consecutive picks include bravo; three in a row without it show
    // that the worker has the new one.
    const auto threeAvoidBravo = [&proxy] {
        for (int i = 0; i < 3; ++i) {
            if (proxy.get().header("x-backend") == "bravo")
                return false;
        }
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(threeAvoidBravo(), 5'000);

    QList<QByteArray> served;
    alternatePinnedAndFree(proxy, 10, &served);
    QVERIFY2(!served.contains("bravo"), served.join(' ').constData());
}

// The sticky cookie is found by its exact name among others, in any position, in several Cookie
// lines and quoted; cookies whose names merely contain "lb", or that carry another backend's value,
// do not pin.
void TestStickyCookie::otherCookiesDoNotConfuseIt()
{
    StickyProxy proxy;
    START(proxy);
    const QByteArray alpha = proxy.values.value("alpha");
    const QByteArray bravo = proxy.values.value("bravo");
    const QByteArray charlie = proxy.values.value("charlie");

    const auto expectPinned = [&proxy](const QList<std::pair<QByteArray, QByteArray>> &headers,
                                       const QByteArray &backend) -> QString {
        for (int i = 0; i < 4; ++i) {
            const HttpResponse r = proxy.client.request(RawClient::get("/", headers));
            if (!r.complete || r.status != 200 || r.header("x-backend") != backend ||
                r.hasHeader("set-cookie"))
                return u"expected %1 without Set-Cookie, got: "_s.arg(QString::fromLatin1(backend)) + show(r);
        }
        return {};
    };
    QString problem = expectPinned({{"Cookie", "theme=dark; lb=" + bravo + "; session=" + alpha}}, "bravo");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    problem = expectPinned({{"Cookie", "xlb=" + alpha + "; lbx=" + charlie + "; lb=" + bravo}}, "bravo");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    problem = expectPinned({{"Cookie", "lb=" + charlie + ";theme=dark"}}, "charlie");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    problem = expectPinned({{"Cookie", "theme=dark"}, {"Cookie", "lb=" + alpha}}, "alpha");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    problem = expectPinned({{"Cookie", "lb=\"" + charlie + "\""}}, "charlie");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));

    // Not the sticky cookie, or not a value of any backend: balanced as usual, with a cookie set.
    const QList<QByteArray> unpinned = {"xlb=" + bravo,   "lbx=" + bravo,        "LB=" + bravo,
                                        "theme=" + bravo, "lb=0000000000000000", "lb="};
    for (const QByteArray &cookie : unpinned) {
        QSet<QByteArray> reached;
        for (int i = 0; i < 3; ++i) {
            const HttpResponse r = proxy.get(cookie);
            QVERIFY2(r.complete && r.status == 200, qPrintable(show(r)));
            reached.insert(r.header("x-backend"));
            QVERIFY2(stickyValue(r) == proxy.values.value(r.header("x-backend")),
                     qPrintable(QString::fromLatin1(cookie) + u": "_s + show(r)));
        }
        // Round robin over three: three requests in a row reach all three.
        QVERIFY2(reached.size() == 3, cookie.constData());
    }
}

// A backend's own Set-Cookie passes through next to the proxy's.
void TestStickyCookie::backendSetCookieIsKept()
{
    StickyProxy proxy;
    proxy.alpha.setDefaultBehaviour(Behaviour::fixed().withHeader("Set-Cookie", "app=1; Path=/app"));
    proxy.bravo.setDefaultBehaviour(Behaviour::fixed().withHeader("Set-Cookie", "app=2; Path=/app"));
    proxy.charlie.setDefaultBehaviour(Behaviour::fixed().withHeader("Set-Cookie", "app=3; Path=/app"));
    START(proxy);
    for (int i = 0; i < 3; ++i) {
        const HttpResponse r = proxy.get();
        QVERIFY2(r.complete && r.status == 200, qPrintable(show(r)));
        QCOMPARE(r.headerCount("set-cookie"), 2);
        QCOMPARE(stickySetCookies(r).size(), 1);
        QCOMPARE(stickyValue(r), proxy.values.value(r.header("x-backend")));
    }
    const HttpResponse pinned = proxy.getPinned("charlie");
    QCOMPARE(pinned.header("x-backend"), "charlie"_ba);
    QCOMPARE(pinned.headerCount("set-cookie"), 1);
    QCOMPARE(pinned.header("set-cookie"), "app=3; Path=/app"_ba);
}

QTEST_GUILESS_MAIN(TestStickyCookie)
#include "tst_sticky_cookie.moc"

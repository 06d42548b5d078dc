// SPDX-License-Identifier: GPL-3.0-or-later
// fulcrumd's admin event stream is Server-Sent Events as docs/admin-api.md says: a snapshot first, every
// change made through the admin API with the caller as its reason, "drained" only once a draining
// backend's last request has finished, and nothing without the token.
#include "AdminTestFixture.h"
#include "SseReader.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

// How long a "/slow" request stays in flight on its backend.
constexpr int kSlowMs = 2'000;
constexpr int kEventTimeoutMs = 10'000;

// The request that opens the stream; authorization: the Authorization header's value, none when null.
QByteArray streamRequest(QByteArrayView target, const QByteArray &authorization = bearer(kAdminToken))
{
    QList<std::pair<QByteArray, QByteArray>> headers{{"Accept", "text/event-stream"}};
    if (!authorization.isNull())
        headers.emplaceBack("Authorization", authorization);
    return RawClient::buildRequest("GET", target, headers);
}

// A number or a string in an event's data, as text.
QString text(const QJsonValue &value)
{
    return value.isDouble() ? QString::number(value.toInteger()) : value.toString();
}

bool isAdminReason(const QJsonValue &reason)
{
    static const QRegularExpression caller(uR"(^admin API 127\.0\.0\.1:\d+$)"_s);
    return caller.match(reason.toString()).hasMatch();
}

// Empty when every event's id is a number greater than the one before it.
QString idProblem(const QList<SseEvent> &events)
{
    qint64 last = -1;
    for (const SseEvent &event : events) {
        bool ok = false;
        const qint64 id = event.id.toLongLong(&ok);
        if (!ok || id <= last)
            return u"id out of sequence after %1: "_s.arg(last) + event.describe();
        last = id;
    }
    return {};
}

} // namespace

class TestAdminEvents : public QObject, private AdminTestFixture
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void streamStartsWithSnapshot();
    void snapshotsCanBeLeftOut();
    void weightChangeIsAnEvent();
    void additionAndRemovalAreEvents();
    void splitChangeIsAnEvent();
    void drainedOnceLastRequestFinishes();
    void streamNeedsTheToken_data();
    void streamNeedsTheToken();
    void streamRefusedWithoutConfiguredToken();

private:
    // Opens the stream at `target` with the token: false with m_error saying why unless the answer
    // is a 200 text/event-stream.
    bool openStream(SseReader &reader, QByteArrayView target = "/api/v1/events");
};

void TestAdminEvents::initTestCase()
{
    writeTokenFile();
}

void TestAdminEvents::init()
{
    startBackends();
}

void TestAdminEvents::cleanup()
{
    stopAll();
}

bool TestAdminEvents::openStream(SseReader &reader, QByteArrayView target)
{
    if (!reader.open(m_adminPort, streamRequest(target))) {
        m_error = reader.errorString();
        return false;
    }
    if (reader.status() != 200 || !reader.header("content-type").startsWith("text/event-stream")) {
        m_error = u"not a 200 event stream: "_s + QString::fromLatin1(reader.head());
        return false;
    }
    return true;
}

// The first event is the snapshot, with an id and the snapshot JSON.
void TestAdminEvents::streamStartsWithSnapshot()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    SseReader reader;
    QVERIFY2(openStream(reader), qPrintable(m_error));
    const std::optional<SseEvent> first = reader.next(kEventTimeoutMs);
    QVERIFY2(first, qPrintable(reader.describe()));
    QCOMPARE(first->name, QByteArray("snapshot"));
    QVERIFY2(idProblem({*first}).isEmpty(), qPrintable(first->describe()));
    QVERIFY2(!first->data.contains('\n'), qPrintable(first->describe())); // one line of JSON
    const QJsonObject snapshot = first->json();
    QCOMPARE(snapshot.value("schema"_L1).toString(), u"fulcrum.snapshot/1"_s);
    QCOMPARE(snapshot.value("backends"_L1).toArray().size(), 2);
}

// ?snapshots=false: no snapshot, on connecting or later; changes still come.
void TestAdminEvents::snapshotsCanBeLeftOut()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    SseReader reader;
    QVERIFY2(openStream(reader, "/api/v1/events?snapshots=false"), qPrintable(m_error));
    const HttpResponse patched = call("PATCH", "/api/v1/backends/alpha", R"({"weight": 3})");
    QVERIFY2(patched.status == 200, qPrintable(patched.describe()));
    const std::optional<SseEvent> first = reader.next(kEventTimeoutMs);
    QVERIFY2(first, qPrintable(reader.describe()));
    QVERIFY2(first->name == "backend", qPrintable(reader.describe()));
}

// A PATCH through another connection: a "backend" event of kind "weight", from and to, with the admin
// API and the caller as its reason; ids keep increasing.
void TestAdminEvents::weightChangeIsAnEvent()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    SseReader reader;
    QVERIFY2(openStream(reader), qPrintable(m_error));
    const std::optional<SseEvent> first = reader.next(kEventTimeoutMs);
    QVERIFY2(first && first->name == "snapshot", qPrintable(reader.describe()));

    const HttpResponse patched = call("PATCH", "/api/v1/backends/alpha", R"({"weight": 6})");
    QVERIFY2(patched.status == 200, qPrintable(patched.describe()));
    const std::optional<SseEvent> change = reader.waitFor("backend", kEventTimeoutMs);
    QVERIFY2(change, qPrintable(reader.describe()));
    const QJsonObject data = change->json();
    QCOMPARE(data.value("kind"_L1).toString(), u"weight"_s);
    QCOMPARE(data.value("backend"_L1).toString(), u"alpha"_s);
    QCOMPARE(text(data.value("from"_L1)), u"1"_s);
    QCOMPARE(text(data.value("to"_L1)), u"6"_s);
    QVERIFY2(isAdminReason(data.value("reason"_L1)), qPrintable(change->describe()));
    QVERIFY2(idProblem(reader.received()).isEmpty(), qPrintable(idProblem(reader.received())));
}

// POST and DELETE: "added", then "removed" once the idle backend has left.
void TestAdminEvents::additionAndRemovalAreEvents()
{
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    SseReader reader;
    QVERIFY2(openStream(reader, "/api/v1/events?snapshots=false"), qPrintable(m_error));
    const QByteArray body = compact(QJsonObject{{u"name"_s, u"gamma"_s}, {u"url"_s, m_gamma->url()}});
    const HttpResponse added = call("POST", "/api/v1/backends", body);
    QVERIFY2(added.status == 201, qPrintable(added.describe()));
    const auto about = [](const QString &kind) {
        return [kind](const SseEvent &event) {
            return event.json().value("kind"_L1).toString() == kind &&
                   event.json().value("backend"_L1).toString() == u"gamma"_s;
        };
    };
    const std::optional<SseEvent> addition = reader.waitFor("backend", kEventTimeoutMs, about(u"added"_s));
    QVERIFY2(addition, qPrintable(reader.describe()));
    QVERIFY2(isAdminReason(addition->json().value("reason"_L1)), qPrintable(addition->describe()));

    const HttpResponse removed = call("DELETE", "/api/v1/backends/gamma");
    QVERIFY2(removed.status == 202, qPrintable(removed.describe()));
    const std::optional<SseEvent> removal = reader.waitFor("backend", kEventTimeoutMs, about(u"removed"_s));
    QVERIFY2(removal, qPrintable(reader.describe()));
    QVERIFY2(idProblem(reader.received()).isEmpty(), qPrintable(idProblem(reader.received())));
}

// PATCH a route's split: a "split" event naming the route, the split before and after, and the caller.
void TestAdminEvents::splitChangeIsAnEvent()
{
    QVERIFY2(startWithRoutes(), qPrintable(m_error));
    SseReader reader;
    QVERIFY2(openStream(reader, "/api/v1/events?snapshots=false"), qPrintable(m_error));
    const HttpResponse patched =
        call("PATCH", "/api/v1/routes/canary",
             R"({"split": [{"pool": "stable", "weight": 40}, {"pool": "canary", "weight": 60}]})");
    QVERIFY2(patched.status == 200, qPrintable(patched.describe()));
    const std::optional<SseEvent> split = reader.waitFor("split", kEventTimeoutMs);
    QVERIFY2(split, qPrintable(reader.describe()));
    const QJsonObject data = split->json();
    QCOMPARE(data.value("route"_L1).toString(), u"canary"_s);
    QVERIFY2(data.contains("from"_L1) && data.contains("to"_L1), qPrintable(split->describe()));
    QVERIFY2(split->data.contains("90") && split->data.contains("40") && split->data.contains("60"),
             qPrintable(split->describe()));
    QVERIFY2(data.value("from"_L1) != data.value("to"_L1), qPrintable(split->describe()));
    QVERIFY2(isAdminReason(data.value("reason"_L1)), qPrintable(split->describe()));
}

// A backend drained while a request is in flight: the state change comes at once, "drained" only
// after the backend has answered that request.
void TestAdminEvents::drainedOnceLastRequestFinishes()
{
    m_alpha->setBehaviour("/slow", Behaviour::fixed().withDelay(kSlowMs));
    QVERIFY2(startProxy(backendArgs({m_alpha.get()})), qPrintable(m_error));
    RawClient slow;
    QVERIFY(slow.connectTo(m_proxy->port()));
    QVERIFY(slow.send(RawClient::get("/slow")));
    QTRY_COMPARE_WITH_TIMEOUT(m_alpha->headCount(), 1, 5'000);

    SseReader reader;
    QVERIFY2(openStream(reader, "/api/v1/events?snapshots=false"), qPrintable(m_error));
    const HttpResponse patched = call("PATCH", "/api/v1/backends/alpha", R"({"state": "drain"})");
    QVERIFY2(patched.status == 200, qPrintable(patched.describe()));
    const QJsonObject draining = jsonObject(patched);
    QCOMPARE(draining.value("in_flight"_L1).toInt(-1), 1);
    QCOMPARE(draining.value("drained"_L1), QJsonValue(false));
    const std::optional<SseEvent> state =
        reader.waitFor("backend", kEventTimeoutMs, [](const SseEvent &event) {
            return event.json().value("kind"_L1).toString() == u"state"_s;
        });
    QVERIFY2(state, qPrintable(reader.describe()));
    QCOMPARE(state->json().value("backend"_L1).toString(), u"alpha"_s);
    QVERIFY2(isAdminReason(state->json().value("reason"_L1)), qPrintable(state->describe()));

    const std::optional<SseEvent> drained = reader.waitFor("drained", kSlowMs + kEventTimeoutMs);
    QVERIFY2(drained, qPrintable(reader.describe()));
    QCOMPARE(drained->json().value("backend"_L1).toString(), u"alpha"_s);
    // Read as it came: had it been sent before the backend answered, it would be here before that.
    QVERIFY2(m_alpha->responseCount("/slow", 200) == 1,
             "\"drained\" arrived before the backend had answered the request in flight");
    const HttpResponse answer = slow.readResponse(false, kEventTimeoutMs);
    QVERIFY2(answer.status == 200, qPrintable(answer.describe()));
    QVERIFY2(idProblem(reader.received()).isEmpty(), qPrintable(idProblem(reader.received())));
}

void TestAdminEvents::streamNeedsTheToken_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::newRow("no token") << QByteArray();
    QTest::newRow("wrong token") << bearer("not-the-token");
    QTest::newRow("token prefix") << bearer(kAdminToken.chopped(1));
}

// Without the token: 401 asking for a bearer token, and no stream.
void TestAdminEvents::streamNeedsTheToken()
{
    QFETCH(QByteArray, authorization);
    QVERIFY2(startWithBackends(), qPrintable(m_error));
    const HttpResponse response =
        fetch(m_adminPort, streamRequest("/api/v1/events", authorization), false, 5'000);
    QVERIFY2(unauthorizedMismatch(response).isEmpty(), qPrintable(unauthorizedMismatch(response)));
}

// No token configured: the stream is refused whatever the request says.
void TestAdminEvents::streamRefusedWithoutConfiguredToken()
{
    QVERIFY2(startWithBackends(Token::None), qPrintable(m_error));
    for (const QByteArray &authorization : {QByteArray(), bearer(kAdminToken)}) {
        const HttpResponse response =
            fetch(m_adminPort, streamRequest("/api/v1/events", authorization), false, 5'000);
        QVERIFY2(noTokenConfiguredMismatch(response).isEmpty(),
                 qPrintable(noTokenConfiguredMismatch(response)));
    }
}

QTEST_GUILESS_MAIN(TestAdminEvents)
#include "tst_admin_events.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// Admin API request bodies: what is accepted, and for what is not, the status and the field named.
#include "admin/AdminBodies.h"

#include <QJsonArray>
#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
QJsonObject objectOf(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

QString fieldOf(const AdminResponse &response)
{
    return QJsonDocument::fromJson(response.body).object().value(u"field"_s).toString();
}
} // namespace

class TestAdminBodies : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void bodyMustBeJsonAndSmall();
    void editReadsWeightAndState();
    void badEditsNameTheField_data();
    void badEditsNameTheField();
    void newBackendNeedsNameAndUrl_data();
    void newBackendNeedsNameAndUrl();
    void splitBody();
};

void TestAdminBodies::bodyMustBeJsonAndSmall()
{
    AdminRequest request;
    request.body = "{\"weight\": ";
    auto parsed = parseJsonBody(request);
    QVERIFY(std::holds_alternative<AdminResponse>(parsed));
    QCOMPARE(std::get<AdminResponse>(parsed).status, 400);

    request.body = "[" + QByteArray(kMaxAdminBodyBytes, ' ') + "]";
    parsed = parseJsonBody(request);
    QVERIFY(std::holds_alternative<AdminResponse>(parsed));
    QCOMPARE(std::get<AdminResponse>(parsed).status, 413);

    request.body = "{\"weight\": 3}";
    parsed = parseJsonBody(request);
    QVERIFY(std::holds_alternative<QJsonDocument>(parsed));
}

void TestAdminBodies::editReadsWeightAndState()
{
    const auto parsed = parseBackendEdit(objectOf(R"({"weight": 12, "state": "drain"})"), u"app-1"_s, {});
    QVERIFY(std::holds_alternative<BackendEdit>(parsed));
    const BackendEdit &edit = std::get<BackendEdit>(parsed);
    QCOMPARE(edit.name, u"app-1"_s);
    QCOMPARE(edit.weight, 12);
    QCOMPARE(edit.state, BackendState::Draining);
}

void TestAdminBodies::badEditsNameTheField_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("pathName");
    QTest::addColumn<QString>("field");
    QTest::newRow("weight too big") << QByteArray(R"({"weight": 1001})") << u"a"_s << u"weight"_s;
    QTest::newRow("negative weight") << QByteArray(R"({"weight": -1})") << u"a"_s << u"weight"_s;
    QTest::newRow("fractional weight") << QByteArray(R"({"weight": 2.5})") << u"a"_s << u"weight"_s;
    QTest::newRow("weight as text") << QByteArray(R"({"weight": "5"})") << u"a"_s << u"weight"_s;
    QTest::newRow("unknown state") << QByteArray(R"({"state": "down"})") << u"a"_s << u"state"_s;
    QTest::newRow("unknown key") << QByteArray(R"({"wieght": 5})") << u"a"_s << u"wieght"_s;
    QTest::newRow("nothing to change") << QByteArray(R"({})") << u"a"_s << u"weight"_s;
    QTest::newRow("list entry without name") << QByteArray(R"({"weight": 5})") << QString() << u"[1].name"_s;
}

void TestAdminBodies::badEditsNameTheField()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, pathName);
    QFETCH(QString, field);
    const auto parsed =
        parseBackendEdit(objectOf(body), pathName, pathName.isEmpty() ? u"[1]."_s : QString());
    QVERIFY(std::holds_alternative<AdminResponse>(parsed));
    QCOMPARE(std::get<AdminResponse>(parsed).status, 422);
    QCOMPARE(fieldOf(std::get<AdminResponse>(parsed)), field);
}

void TestAdminBodies::newBackendNeedsNameAndUrl_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("field"); // empty: accepted
    QTest::newRow("complete") << QByteArray(R"({"name": "b4", "url": "http://127.0.0.1:9004", "weight": 3})")
                              << QString();
    QTest::newRow("no name") << QByteArray(R"({"url": "http://127.0.0.1:9004"})") << u"name"_s;
    QTest::newRow("bad name") << QByteArray(R"({"name": "b 4", "url": "http://127.0.0.1:9004"})")
                              << u"name"_s;
    QTest::newRow("bad url") << QByteArray(R"({"name": "b4", "url": "ftp://127.0.0.1"})") << u"url"_s;
    QTest::newRow("bad weight") << QByteArray(
                                       R"({"name": "b4", "url": "http://127.0.0.1:1", "weight": 5000})")
                                << u"weight"_s;
    QTest::newRow("unknown key") << QByteArray(R"({"name": "b4", "url": "http://127.0.0.1:1", "port": 1})")
                                 << u"port"_s;
}

void TestAdminBodies::newBackendNeedsNameAndUrl()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, field);
    const auto parsed = parseNewBackend(objectOf(body));
    if (field.isEmpty()) {
        QVERIFY(std::holds_alternative<NewBackend>(parsed));
        const NewBackend &added = std::get<NewBackend>(parsed);
        QCOMPARE(added.config.name, u"b4"_s);
        QCOMPARE(added.config.port, quint16(9004));
        QCOMPARE(added.config.weight, 3);
        return;
    }
    QVERIFY(std::holds_alternative<AdminResponse>(parsed));
    QCOMPARE(std::get<AdminResponse>(parsed).status, 422);
    QCOMPARE(fieldOf(std::get<AdminResponse>(parsed)), field);
}

void TestAdminBodies::splitBody()
{
    const auto parsed = parseSplitBody(
        objectOf(R"({"split": [{"pool": "web", "weight": 90}, {"pool": "canary", "weight": 10}]})"));
    QVERIFY(std::holds_alternative<QList<SplitTarget>>(parsed));
    QCOMPARE(std::get<QList<SplitTarget>>(parsed).size(), 2);
    QCOMPARE(std::get<QList<SplitTarget>>(parsed).at(1).weight, 10);

    const auto refused = parseSplitBody(objectOf(R"({"split": [{"pool": "web", "weight": 20000}]})"));
    QVERIFY(std::holds_alternative<AdminResponse>(refused));
    QCOMPARE(fieldOf(std::get<AdminResponse>(refused)), u"split[0].weight"_s);
}

QTEST_GUILESS_MAIN(TestAdminBodies)
#include "tst_adminbodies.moc"

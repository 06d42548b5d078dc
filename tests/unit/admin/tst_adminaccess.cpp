// SPDX-License-Identifier: GPL-3.0-or-later
// Who may call what on the admin listener: the token rules of docs/admin-api.md, one case each.
#include "admin/AdminAccess.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
AdminRequest requestWith(const QByteArray &authorization)
{
    AdminRequest request;
    request.method = "PATCH";
    request.path = u"/api/v1/backends/a"_s;
    request.authorization = authorization;
    return request;
}
} // namespace

class TestAdminAccess : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void secretsCompareWhole_data();
    void secretsCompareWhole();
    void controlNeedsTheToken_data();
    void controlNeedsTheToken();
    void readsAreOpenOnlyOnLoopback();
    void withoutTokenLoopbackServesReadsOnly();
};

void TestAdminAccess::secretsCompareWhole_data()
{
    QTest::addColumn<QByteArray>("given");
    QTest::addColumn<bool>("equal");
    QTest::newRow("same") << QByteArray("s3cret-token") << true;
    QTest::newRow("last byte differs") << QByteArray("s3cret-tokeN") << false;
    QTest::newRow("prefix") << QByteArray("s3cret") << false;
    QTest::newRow("longer") << QByteArray("s3cret-token!") << false;
    QTest::newRow("empty") << QByteArray() << false;
}

void TestAdminAccess::secretsCompareWhole()
{
    QFETCH(QByteArray, given);
    QFETCH(bool, equal);
    QCOMPARE(secretsEqual(given, "s3cret-token"), equal);
}

void TestAdminAccess::controlNeedsTheToken_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<bool>("allowed");
    QTest::addColumn<QString>("error");
    QTest::newRow("right token") << QByteArray("Bearer s3cret") << true << QString();
    QTest::newRow("scheme in any case") << QByteArray("bearer s3cret") << true << QString();
    QTest::newRow("wrong token") << QByteArray("Bearer s3creT") << false << u"wrong admin token"_s;
    QTest::newRow("missing") << QByteArray() << false << u"missing Authorization"_s;
    QTest::newRow("basic scheme") << QByteArray("Basic czNjcmV0") << false << u"missing Authorization"_s;
}

void TestAdminAccess::controlNeedsTheToken()
{
    QFETCH(QByteArray, authorization);
    QFETCH(bool, allowed);
    QFETCH(QString, error);
    const AdminAccess access("s3cret", true);
    const std::optional<AdminResponse> refusal =
        access.refusal(requestWith(authorization), AdminAccess::Need::Control);
    QCOMPARE(!refusal.has_value(), allowed);
    if (!refusal)
        return;
    QCOMPARE(refusal->status, 401);
    QVERIFY(refusal->headers.constFirst().first == "WWW-Authenticate");
    const QString message = QJsonDocument::fromJson(refusal->body).object().value(u"error"_s).toString();
    QVERIFY2(message.contains(error), qPrintable(message));
}

void TestAdminAccess::readsAreOpenOnlyOnLoopback()
{
    QVERIFY(!AdminAccess("s3cret", true).refusal(requestWith({}), AdminAccess::Need::Read));
    QVERIFY(AdminAccess("s3cret", false).refusal(requestWith({}), AdminAccess::Need::Read));
    QVERIFY(!AdminAccess("s3cret", false).refusal(requestWith("Bearer s3cret"), AdminAccess::Need::Read));
}

void TestAdminAccess::withoutTokenLoopbackServesReadsOnly()
{
    const AdminAccess access({}, true);
    QVERIFY(!access.refusal(requestWith({}), AdminAccess::Need::Read));
    const std::optional<AdminResponse> refusal =
        access.refusal(requestWith("Bearer "), AdminAccess::Need::Control);
    QVERIFY(refusal);
    QCOMPARE(refusal->status, 401);
    QVERIFY(refusal->body.contains("no admin token is configured"));
}

QTEST_GUILESS_MAIN(TestAdminAccess)
#include "tst_adminaccess.moc"

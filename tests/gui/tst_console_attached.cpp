// SPDX-License-Identifier: GPL-3.0-or-later
// The console attached to a real fulcrumd over its admin API.
#include "AttachedSource.h"
#include "BackendTableModel.h"
#include "ChangeHistory.h"
#include "EventLogModel.h"
#include "EventTimeline.h"
#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "MainWindow.h"

#include <QApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using namespace fulcrum::console;
using namespace fulcrum::test;

namespace {
const QString kToken = u"console-test-token"_s;
} // namespace

class ConsoleAttachedTest : public QObject
{
    Q_OBJECT

private:
    QUrl adminUrl() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(m_adminPort)); }
    int shownWeight(const BackendTableModel &model, const QString &name) const
    {
        for (int row = 0; row < model.rowCount(); ++row) {
            if (model.backendName(row) == name)
                return model.data(model.index(row, BackendTableModel::Weight), Qt::EditRole).toInt();
        }
        return -1;
    }

    FakeBackend m_one{u"one"_s};
    FakeBackend m_two{u"two"_s};
    FulcrumProcess m_fulcrumd;
    quint16 m_adminPort = 0;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_one.start());
        QVERIFY(m_two.start());
        m_fulcrumd.setEnvironmentVariable(u"FULCRUM_ADMIN_TOKEN"_s, kToken);
        QVERIFY2(
            m_fulcrumd.start({u"--admin"_s, u"127.0.0.1:0"_s, u"--access-log"_s, u"off"_s, u"--backend"_s,
                              m_one.url() + u",name=one"_s, u"--backend"_s, m_two.url() + u",name=two"_s}),
            qPrintable(m_fulcrumd.errorString()));
        m_adminPort = m_fulcrumd.adminPort();
        QVERIFY(m_adminPort != 0);
    }

    void listsBackendsAndChangesAWeight()
    {
        AttachedSource source(adminUrl(), kToken);
        MainWindow window(&source);
        QSignalSpy states(&source, &ConsoleSource::connectionStateChanged);
        source.start();
        QTRY_COMPARE_WITH_TIMEOUT(window.model()->rowCount(), 2, 10000);
        QCOMPARE(shownWeight(*window.model(), u"one"_s), 1);
        QTRY_VERIFY_WITH_TIMEOUT(!states.isEmpty() && states.constLast().at(0).toString() == u"connected"_s,
                                 10000);

        window.setWeight(u"two"_s, 6);
        QTRY_COMPARE_WITH_TIMEOUT(shownWeight(*window.model(), u"two"_s), 6, 10000);
        // The change comes back on the event stream, with the value it replaced, so it can be undone.
        QTRY_VERIFY_WITH_TIMEOUT(window.events()->log()->kindsSeen().contains(u"weight"_s), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(window.history()->undoText(), u"weight of two 1 → 6"_s, 10000);
        QVERIFY(window.history()->undo());
        QTRY_COMPARE_WITH_TIMEOUT(shownWeight(*window.model(), u"two"_s), 1, 10000);

        // This fulcrumd runs from flags alone: its refusal is shown, not a reload.
        source.reload();
        QTRY_VERIFY_WITH_TIMEOUT(window.events()->log()->kindsSeen().contains(u"error"_s), 10000);
        QVERIFY2(!window.events()->log()->kindsSeen().contains(u"reload"_s), qPrintable(window.lastError()));
        QVERIFY2(window.lastError().contains(u"config"_s), qPrintable(window.lastError()));
    }

    void refusalShowsTheApiError()
    {
        AttachedSource source(adminUrl(), kToken);
        QSignalSpy failures(&source, &ConsoleSource::operationFailed);
        source.setWeight(u"one"_s, 5000);
        QVERIFY(failures.wait(10000));
        const QString error = failures.constFirst().at(0).toString();
        QVERIFY2(error.contains(u"weight"_s), qPrintable(error));
    }

    void wrongTokenIsSaidPlainly()
    {
        AttachedSource source(adminUrl(), u"not-the-token"_s);
        QSignalSpy failures(&source, &ConsoleSource::operationFailed);
        source.setWeight(u"one"_s, 2);
        QVERIFY(failures.wait(10000));
        QCOMPARE(failures.constFirst().at(0).toString(), u"wrong or missing admin token"_s);
    }

    void lostConnectionShowsDisconnected()
    {
        // Nothing listens on port 1 of 127.0.0.1.
        AttachedSource source(QUrl(u"http://127.0.0.1:1"_s), kToken);
        QSignalSpy states(&source, &ConsoleSource::connectionStateChanged);
        source.start();
        QTRY_VERIFY_WITH_TIMEOUT(
            !states.isEmpty() && states.constLast().at(0).toString() == u"disconnected"_s, 10000);
    }

    void exportSnapshotCommandWritesAFile()
    {
        const QString path = m_dir.filePath(u"attached.json"_s);
        QProcess console;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(u"FULCRUM_ADMIN_TOKEN"_s, kToken);
        environment.remove(u"DISPLAY"_s);
        environment.remove(u"QT_QPA_PLATFORM"_s); // no window is opened, so no platform is needed
        console.setProcessEnvironment(environment);
        console.start(QStringLiteral(FULCRUM_CONSOLE_PATH),
                      {u"--attach"_s, adminUrl().toString(), u"--export-snapshot"_s, path});
        QVERIFY(console.waitForFinished(20000));
        QCOMPARE(console.exitStatus(), QProcess::NormalExit);
        QVERIFY2(console.exitCode() == 0, console.readAllStandardError().constData());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(root.value(u"schema"_s).toString(), u"fulcrum.snapshot/1"_s);
        QCOMPARE(root.value(u"backends"_s).toArray().size(), 2);
    }

    void exportSnapshotCommandFailsWithAReason()
    {
        QProcess console;
        console.start(
            QStringLiteral(FULCRUM_CONSOLE_PATH),
            {u"--attach"_s, adminUrl().toString(), u"--export-snapshot"_s, m_dir.filePath(u"x.txt"_s)});
        QVERIFY(console.waitForFinished(20000));
        QVERIFY(console.exitCode() != 0);
        QVERIFY(console.readAllStandardError().contains(".json"));
    }
};

QTEST_MAIN(ConsoleAttachedTest)
#include "tst_console_attached.moc"

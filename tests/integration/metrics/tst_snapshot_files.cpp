// SPDX-License-Identifier: GPL-3.0-or-later
// fulcrumd writes metrics snapshots to files: on SIGUSR1 and on a timer, in every format asked for, each
// file whole; a directory it cannot write to costs the snapshot, never the service.
#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "RawClient.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kRequests = 5;

QStringList snapshotFiles(const QString &dir, const QString &extension)
{
    return QDir(dir).entryList({u"fulcrum-snapshot-*."_s + extension}, QDir::Files, QDir::Name);
}

QByteArray contentsOf(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestSnapshotFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void sigusr1WritesEveryFormat();
    void timerWritesPeriodically();
    void unwritableDirectoryKeepsServing();

private:
    std::unique_ptr<FakeBackend> m_backend;
};

void TestSnapshotFiles::init()
{
    m_backend = std::make_unique<FakeBackend>(u"app"_s);
    QVERIFY(m_backend->start());
}

void TestSnapshotFiles::sigusr1WritesEveryFormat()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--backend"_s, m_backend->backendFlag(), u"--snapshot-dir"_s, dir.path(),
                          u"--snapshot-format"_s, u"json,csv,prom"_s}),
             qPrintable(proxy.errorString()));
    RawClient client;
    QVERIFY(client.connectTo(proxy.port()));
    for (int i = 0; i < kRequests; ++i)
        QCOMPARE(client.request(RawClient::get("/")).status, 200);

    QVERIFY(snapshotFiles(dir.path(), u"json"_s).isEmpty()); // no timer: nothing before the signal
    QVERIFY(proxy.sendSignal(SIGUSR1));
    QVERIFY2(proxy.waitForError(QRegularExpression(u"snapshot written: .*\\.prom"_s)),
             proxy.standardError().constData());
    const QStringList json = snapshotFiles(dir.path(), u"json"_s);
    QCOMPARE(json.size(), 1);
    QCOMPARE(snapshotFiles(dir.path(), u"csv"_s).size(), 1);
    QCOMPARE(snapshotFiles(dir.path(), u"prom"_s).size(), 1);
    // Nothing but the three files: the temporary ones were renamed into place.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 3);

    const QJsonObject root = QJsonDocument::fromJson(contentsOf(dir.filePath(json.constFirst()))).object();
    QCOMPARE(root.value("schema"_L1).toString(), u"fulcrum.snapshot/1"_s);
    const QJsonObject app = root.value("backends"_L1).toArray().at(0).toObject();
    QCOMPARE(app.value("name"_L1).toString(), u"app"_s);
    QCOMPARE(app.value("requests"_L1).toInteger(), kRequests);
    QCOMPARE(app.value("response_time_us"_L1).toObject().value("count"_L1).toInteger(), kRequests);

    const QByteArray csv = contentsOf(dir.filePath(snapshotFiles(dir.path(), u"csv"_s).constFirst()));
    QVERIFY(csv.startsWith("time,name,pool,"));
    QCOMPARE(csv.count("\r\n"), 2);

    const QString promtool = QStandardPaths::findExecutable(u"promtool"_s);
    QVERIFY2(!promtool.isEmpty(),
             "promtool not found: install the Debian package \"prometheus\" (./fulcrum.sh test does)");
    QProcess check;
    check.start(promtool, {u"check"_s, u"metrics"_s});
    QVERIFY(check.waitForStarted());
    check.write(contentsOf(dir.filePath(snapshotFiles(dir.path(), u"prom"_s).constFirst())));
    check.closeWriteChannel();
    QVERIFY(check.waitForFinished(30'000));
    QVERIFY2(check.exitCode() == 0, check.readAllStandardError().constData());
    QVERIFY2(check.readAll().isEmpty(), "promtool complained");
}

void TestSnapshotFiles::timerWritesPeriodically()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--backend"_s, m_backend->backendFlag(), u"--snapshot-dir"_s, dir.path(),
                          u"--snapshot-every"_s, u"1"_s}),
             qPrintable(proxy.errorString()));
    // Files are named to the millisecond, so every tick leaves its own.
    QTRY_VERIFY_WITH_TIMEOUT(snapshotFiles(dir.path(), u"json"_s).size() >= 2, 10'000);
    QVERIFY(snapshotFiles(dir.path(), u"prom"_s).isEmpty()); // json only, by default
    QVERIFY(proxy.isRunning());
}

void TestSnapshotFiles::unwritableDirectoryKeepsServing()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString missing = dir.filePath(u"does-not-exist"_s);
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--backend"_s, m_backend->backendFlag(), u"--snapshot-dir"_s, missing}),
             qPrintable(proxy.errorString()));
    QVERIFY(proxy.sendSignal(SIGUSR1));
    QVERIFY2(proxy.waitForError(QRegularExpression(u"cannot write snapshot: .*does-not-exist"_s)),
             proxy.standardError().constData());
    QCOMPARE(fetch(proxy.port(), RawClient::get("/")).status, 200);
    QVERIFY(proxy.isRunning());
    QVERIFY(!QFileInfo::exists(missing));
}

QTEST_GUILESS_MAIN(TestSnapshotFiles)
#include "tst_snapshot_files.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// fulcrumd's own log: --log-level / "log_level" drops what is less severe, a reload changes the level,
// and on journald's stream each line carries its syslog priority instead of a time.
#include "ProxyTest.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

#include <csignal>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace Qt::StringLiterals;

namespace {

constexpr int kTimeoutMs = 10'000;

QRegularExpression literal(const QString &text)
{
    return QRegularExpression(QRegularExpression::escape(text));
}

QJsonObject configWith(const FakeBackend &backend, int weight, const QString &level,
                       int clientHeaderMs = 10'000)
{
    QJsonObject config =
        configJson({&backend}, QJsonObject{{u"client_header_ms"_s, clientHeaderMs}}, {}, {weight});
    config.insert(u"log_level"_s, level);
    config.insert(u"access_log"_s, false);
    return config;
}

// fulcrumd run by a shell that sets JOURNAL_STREAM to the device and inode of the stderr it hands on,
// as systemd does for a service whose stderr is the journal (or to `stream` when given).
QByteArray startupLog(const QString &journalStream)
{
    const QString script = journalStream.isEmpty()
                               ? u"JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" \"$@\""_s
                               : u"JOURNAL_STREAM=%1 exec \"$0\" \"$@\""_s.arg(journalStream);
    QProcess process;
    process.start(u"/bin/sh"_s,
                  {u"-c"_s, script, FulcrumProcess::binaryPath(), u"--listen"_s, u"127.0.0.1:0"_s,
                   u"--backend"_s, u"http://127.0.0.1:9"_s, u"--workers"_s, u"1"_s});
    if (!process.waitForStarted(kTimeoutMs))
        return {};
    QByteArray log;
    QDeadlineTimer deadline(kTimeoutMs);
    while (!log.contains("listening on") && !deadline.hasExpired() && process.state() == QProcess::Running) {
        process.waitForReadyRead(100);
        log += process.readAllStandardError();
    }
    process.terminate();
    process.waitForFinished(kTimeoutMs);
    return log + process.readAllStandardError();
}

} // namespace

class TestLogOutput : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void levelDropsLessSevereMessagesAndReloads();
    void journalStreamGetsPriorities();
    void otherStreamGetsTimes();
};

// A reload's new level applies once it is done. The first reload's weight change is still logged at
// info, its "reloaded" line no longer; the second reload's weight change is dropped, its warning about a
// setting that needs a restart is not; the third reload returns to info, so its own "reloaded" line
// shows, and its weight change (made under warning) does not. Each waited-for line orders the reloads.
void TestLogOutput::levelDropsLessSevereMessagesAndReloads()
{
    FakeBackend backend(u"a"_s);
    QVERIFY(backend.start());
    ConfigFile config;
    QVERIFY(config.write(configWith(backend, 1, u"info"_s)));
    FulcrumProcess proxy;
    QVERIFY2(proxy.start({u"--config"_s, config.path()}, 1), qPrintable(proxy.errorString()));

    QVERIFY(config.write(configWith(backend, 2, u"warning"_s)));
    QVERIFY(proxy.sendSignal(SIGHUP));
    QVERIFY2(proxy.waitForError(literal(u"backend a: weight 1 -> 2"_s)), proxy.standardError().constData());
    QVERIFY(config.write(configWith(backend, 3, u"warning"_s, 5'000)));
    QVERIFY(proxy.sendSignal(SIGHUP));
    QVERIFY2(proxy.waitForError(literal(u"take effect only after a restart"_s)),
             proxy.standardError().constData());
    QVERIFY(config.write(configWith(backend, 4, u"info"_s, 5'000)));
    QVERIFY(proxy.sendSignal(SIGHUP));
    QVERIFY2(proxy.waitForError(literal(u"configuration reloaded"_s)), proxy.standardError().constData());
    const QByteArray log = proxy.standardError();
    QCOMPARE(log.count("configuration reloaded"), 1);
    QVERIFY2(!log.contains("weight 2 -> 3") && !log.contains("weight 3 -> 4"), log.constData());
    QVERIFY(proxy.isRunning());
}

void TestLogOutput::journalStreamGetsPriorities()
{
    const QByteArray log = startupLog({});
    QVERIFY2(log.contains("\n<6>info listening on 127.0.0.1:") || log.startsWith("<6>info listening on"),
             log.constData());
    QVERIFY2(!log.contains("Z info "), log.constData()); // no time: journald adds its own
}

void TestLogOutput::otherStreamGetsTimes()
{
    const QByteArray log = startupLog(u"1:1"_s);
    static const QRegularExpression timed(u"^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z info listening on"_s,
                                          QRegularExpression::MultilineOption);
    QVERIFY2(timed.match(QString::fromUtf8(log)).hasMatch(), log.constData());
    QVERIFY(!log.contains("<6>"));
}

QTEST_GUILESS_MAIN(TestLogOutput)
#include "tst_log_output.moc"

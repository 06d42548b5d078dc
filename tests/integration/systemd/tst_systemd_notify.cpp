// SPDX-License-Identifier: GPL-3.0-or-later
// fulcrumd under systemd (Type=notify): the readiness, reload, watchdog and stop messages on NOTIFY_SOCKET,
// and the unit file shipped in installers/systemd.
#include "ProxyTest.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <memory>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {

quint64 monotonicMicroseconds()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<quint64>(now.tv_sec) * 1'000'000u + static_cast<quint64>(now.tv_nsec) / 1'000u;
}

// What systemd does for a Type=notify service: a datagram socket that collects the service's messages.
class NotifySocket
{
public:
    NotifySocket() = default;
    ~NotifySocket()
    {
        m_notifier.reset();
        if (m_socket >= 0)
            ::close(m_socket);
    }
    NotifySocket(const NotifySocket &) = delete;
    NotifySocket &operator=(const NotifySocket &) = delete;

    // `name` is a path, or an abstract name when it starts with '@' (NOTIFY_SOCKET's own notation).
    bool bind(const QByteArray &name)
    {
        sockaddr_un address{};
        if (name.size() >= static_cast<qsizetype>(sizeof(address.sun_path)))
            return false;
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, name.constData(), static_cast<size_t>(name.size()));
        const bool abstract = name.startsWith('@');
        if (abstract)
            address.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                                   static_cast<size_t>(name.size()) + (abstract ? 0 : 1));
        m_socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m_socket < 0 || ::bind(m_socket, reinterpret_cast<const sockaddr *>(&address), length) != 0)
            return false;
        m_name = QString::fromLocal8Bit(name);
        m_notifier = std::make_unique<QSocketNotifier>(m_socket, QSocketNotifier::Read);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(),
                         [this] { receive(); });
        return true;
    }

    QString name() const { return m_name; }
    QList<QByteArray> messages() const { return m_messages; }
    void clear() { m_messages.clear(); }

    qsizetype count(QByteArrayView line) const
    {
        qsizetype found = 0;
        for (const QByteArray &message : m_messages)
            found += fields(message).contains(line.toByteArray()) ? 1 : 0;
        return found;
    }

    // The first message holding `line` (as one of its newline-separated fields); empty when none does.
    QByteArray firstWith(QByteArrayView line) const
    {
        for (const QByteArray &message : m_messages) {
            if (fields(message).contains(line.toByteArray()))
                return message;
        }
        return {};
    }

    static QList<QByteArray> fields(const QByteArray &message) { return message.split('\n'); }

    static QByteArray field(const QByteArray &message, QByteArrayView key)
    {
        const QByteArray prefix = key.toByteArray() + '=';
        for (const QByteArray &line : fields(message)) {
            if (line.startsWith(prefix))
                return line.mid(prefix.size());
        }
        return {};
    }

    QString describe() const { return QString::fromUtf8(m_messages.join(" | ")); }

private:
    void receive()
    {
        char buffer[4096];
        for (;;) {
            const ssize_t size = ::recv(m_socket, buffer, sizeof(buffer), 0);
            if (size < 0)
                return;
            m_messages.append(QByteArray(buffer, static_cast<qsizetype>(size)));
        }
    }

    int m_socket = -1;
    QString m_name;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QList<QByteArray> m_messages;
};

} // namespace

class TestSystemdNotify : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void readyCarriesMainPidAndStatus();
    void readyReachesAbstractSocket();
    void sighupReportsReloadingThenReady();
    void refusedReloadReportsReadyWithReason();
    void watchdogPingsRepeatedly();
    void sigtermReportsStopping();
    void runsWithoutNotifySocket();
    void unreachableNotifySocketOnlyWarns();
    void unitFileVerifies();

private:
    // Starts fulcrumd against one backend with NOTIFY_SOCKET pointing at m_socket, and waits for READY=1.
    bool startNotifying(const QStringList &arguments);

    QTemporaryDir m_dir;
    std::unique_ptr<FakeBackend> m_backend;
    std::unique_ptr<NotifySocket> m_socket;
    std::unique_ptr<FulcrumProcess> m_proxy;
};

void TestSystemdNotify::initTestCase()
{
    // A test run under a systemd unit inherits these; the fulcrumd under test must see only ours.
    qunsetenv("NOTIFY_SOCKET");
    qunsetenv("WATCHDOG_USEC");
    qunsetenv("WATCHDOG_PID");
    QVERIFY(m_dir.isValid());
}

void TestSystemdNotify::init()
{
    m_backend = std::make_unique<FakeBackend>(u"a"_s);
    QVERIFY(m_backend->start());
    m_socket = std::make_unique<NotifySocket>();
    m_proxy = std::make_unique<FulcrumProcess>();
}

void TestSystemdNotify::cleanup()
{
    m_proxy.reset();
    m_socket.reset();
    m_backend.reset();
    QFile::remove(m_dir.filePath(u"notify"_s));
}

bool TestSystemdNotify::startNotifying(const QStringList &arguments)
{
    m_proxy->setEnvironmentVariable(u"NOTIFY_SOCKET"_s, m_socket->name());
    if (!m_proxy->start(arguments)) {
        qWarning("%s", qPrintable(m_proxy->errorString()));
        return false;
    }
    return QTest::qWaitFor([this] { return m_socket->count("READY=1") > 0; }, 10'000);
}

void TestSystemdNotify::readyCarriesMainPidAndStatus()
{
    QVERIFY(m_socket->bind(QFile::encodeName(m_dir.filePath(u"notify"_s))));
    QVERIFY(startNotifying(backendArgs({m_backend.get()})));
    const QByteArray ready = m_socket->firstWith("READY=1");
    QCOMPARE(NotifySocket::field(ready, "MAINPID"), QByteArray::number(m_proxy->pid()));
    const QByteArray status = NotifySocket::field(ready, "STATUS");
    const QByteArray expected = "listening on 127.0.0.1:" + QByteArray::number(m_proxy->port());
    QVERIFY2(status.startsWith(expected), status.constData());
    // Nothing before readiness: systemd would take an early READY=1 as the service being up.
    QCOMPARE(m_socket->messages().constFirst(), ready);
    QVERIFY(fetch(m_proxy->port(), RawClient::get("/")).status == 200);
}

void TestSystemdNotify::readyReachesAbstractSocket()
{
    const QByteArray name = "@fulcrum-test-notify-" + QByteArray::number(::getpid());
    QVERIFY(m_socket->bind(name));
    QVERIFY(startNotifying(backendArgs({m_backend.get()})));
    QCOMPARE(NotifySocket::field(m_socket->firstWith("READY=1"), "MAINPID"),
             QByteArray::number(m_proxy->pid()));
}

void TestSystemdNotify::sighupReportsReloadingThenReady()
{
    ConfigFile config;
    QVERIFY(config.write(configJson({m_backend.get()})));
    QVERIFY(m_socket->bind(QFile::encodeName(m_dir.filePath(u"notify"_s))));
    QVERIFY(startNotifying({u"--config"_s, config.path()}));
    m_socket->clear();

    const quint64 before = monotonicMicroseconds();
    QVERIFY(m_proxy->sendSignal(SIGHUP));
    QTRY_VERIFY2_WITH_TIMEOUT(m_socket->messages().size() >= 2, qPrintable(m_socket->describe()), 10'000);
    const quint64 after = monotonicMicroseconds();

    const QByteArray reloading = m_socket->messages().at(0);
    QVERIFY2(NotifySocket::fields(reloading).contains("RELOADING=1"), reloading.constData());
    // The same clock as systemd's, read while the reload was under way.
    bool isNumber = false;
    const quint64 stamp = NotifySocket::field(reloading, "MONOTONIC_USEC").toULongLong(&isNumber);
    QVERIFY2(isNumber, reloading.constData());
    QVERIFY2(stamp >= before && stamp <= after, reloading.constData());

    const QByteArray ready = m_socket->messages().at(1);
    QVERIFY2(NotifySocket::fields(ready).contains("READY=1"), ready.constData());
    QVERIFY2(NotifySocket::field(ready, "STATUS").contains("configuration reloaded (SIGHUP reload)"),
             ready.constData());
    QVERIFY(m_proxy->errorContains("configuration reloaded"));
}

void TestSystemdNotify::refusedReloadReportsReadyWithReason()
{
    ConfigFile config;
    QVERIFY(config.write(configJson({m_backend.get()})));
    QVERIFY(m_socket->bind(QFile::encodeName(m_dir.filePath(u"notify"_s))));
    QVERIFY(startNotifying({u"--config"_s, config.path()}));
    m_socket->clear();

    QVERIFY(
        config.writeRaw("{\"version\": 1, \"backends\": [{\"name\": \"x\", \"url\": \"ftp://nowhere\"}]}"));
    QVERIFY(m_proxy->sendSignal(SIGHUP));
    QTRY_VERIFY2_WITH_TIMEOUT(m_socket->messages().size() >= 2, qPrintable(m_socket->describe()), 10'000);
    QVERIFY(NotifySocket::fields(m_socket->messages().at(0)).contains("RELOADING=1"));
    // Still READY=1: the running configuration goes on serving, and systemd must leave the reloading state.
    const QByteArray ready = m_socket->messages().at(1);
    QVERIFY2(NotifySocket::fields(ready).contains("READY=1"), ready.constData());
    const QByteArray status = NotifySocket::field(ready, "STATUS");
    QVERIFY2(status.contains("reload refused") && status.contains("backends[0].url"), ready.constData());
    QVERIFY(fetch(m_proxy->port(), RawClient::get("/")).status == 200);
}

void TestSystemdNotify::watchdogPingsRepeatedly()
{
    QVERIFY(m_socket->bind(QFile::encodeName(m_dir.filePath(u"notify"_s))));
    m_proxy->setEnvironmentVariable(u"WATCHDOG_USEC"_s, u"200000"_s);
    QVERIFY(startNotifying(backendArgs({m_backend.get()})));
    QTRY_VERIFY2_WITH_TIMEOUT(m_socket->count("WATCHDOG=1") >= 4, qPrintable(m_socket->describe()), 10'000);
}

void TestSystemdNotify::sigtermReportsStopping()
{
    QVERIFY(m_socket->bind(QFile::encodeName(m_dir.filePath(u"notify"_s))));
    QVERIFY(startNotifying(backendArgs({m_backend.get()})));
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    const std::optional<int> code = m_proxy->waitForExit(10'000);
    QVERIFY(code.has_value());
    QCOMPARE(*code, 0);
    // Sent before the exit, so it is in the socket's queue by now.
    QTRY_VERIFY2(m_socket->count("STOPPING=1") == 1, qPrintable(m_socket->describe()));
}

void TestSystemdNotify::runsWithoutNotifySocket()
{
    QVERIFY2(m_proxy->start(backendArgs({m_backend.get()})), qPrintable(m_proxy->errorString()));
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QVERIFY(!m_proxy->errorContains("systemd"));
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    const std::optional<int> code = m_proxy->waitForExit(10'000);
    QVERIFY(code.has_value());
    QCOMPARE(*code, 0);
}

void TestSystemdNotify::unreachableNotifySocketOnlyWarns()
{
    m_proxy->setEnvironmentVariable(u"NOTIFY_SOCKET"_s, m_dir.filePath(u"nobody-listens-here"_s));
    m_proxy->setEnvironmentVariable(u"WATCHDOG_USEC"_s, u"100000"_s);
    QVERIFY2(m_proxy->start(backendArgs({m_backend.get()})), qPrintable(m_proxy->errorString()));
    QVERIFY(m_proxy->waitForError(QRegularExpression(u"systemd: cannot notify .*nobody-listens-here"_s)));
    const HttpResponse r = fetch(m_proxy->port(), RawClient::get("/"));
    QVERIFY2(r.complete && r.status == 200, qPrintable(r.describe()));
    QVERIFY(m_proxy->isRunning());
    QVERIFY(m_proxy->sendSignal(SIGTERM));
    const std::optional<int> code = m_proxy->waitForExit(10'000);
    QVERIFY(code.has_value());
    QCOMPARE(*code, 0);
    // Logged once, however many watchdog pings and the STOPPING=1 failed after it.
    QCOMPARE(m_proxy->standardError().count("systemd: cannot notify"), 1);
}

void TestSystemdNotify::unitFileVerifies()
{
    const QString analyze = QStandardPaths::findExecutable(u"systemd-analyze"_s);
    if (analyze.isEmpty())
        QSKIP("systemd-analyze is not installed");
    const QString unitPath = QFINDTESTDATA("../../../installers/systemd/fulcrumd.service");
    QVERIFY2(!unitPath.isEmpty(), "installers/systemd/fulcrumd.service not found");
    QFile unit(unitPath);
    QVERIFY(unit.open(QIODevice::ReadOnly));
    QByteArray text = unit.readAll();
    // verify checks that ExecStart's binary exists, so the unit runs the fulcrumd just built.
    QVERIFY(text.contains("/usr/bin/fulcrumd "));
    const QByteArray builtBinary = QFile::encodeName(FulcrumProcess::binaryPath()) + ' ';
    text.replace("/usr/bin/fulcrumd ", builtBinary);

    QTemporaryDir unitDir;
    QVERIFY(unitDir.isValid());
    const QString copyPath = unitDir.filePath(u"fulcrumd.service"_s);
    QFile copy(copyPath);
    QVERIFY(copy.open(QIODevice::WriteOnly));
    QCOMPARE(copy.write(text), text.size());
    copy.close();

    QProcess verify;
    verify.setProcessChannelMode(QProcess::MergedChannels);
    verify.start(analyze, {u"verify"_s, copyPath});
    QVERIFY(verify.waitForFinished(60'000));
    const QByteArray output = verify.readAll();
    QVERIFY2(verify.exitStatus() == QProcess::NormalExit && verify.exitCode() == 0, output.constData());
    // Complaints about the unit name its file; anything else is about the host, not this unit.
    QVERIFY2(!output.contains("fulcrumd.service"), output.constData());
}

QTEST_GUILESS_MAIN(TestSystemdNotify)
#include "tst_systemd_notify.moc"

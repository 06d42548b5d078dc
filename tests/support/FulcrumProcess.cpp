// SPDX-License-Identifier: GPL-3.0-or-later
#include "FulcrumProcess.h"

#include "FakeBackend.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcessEnvironment>
#include <QSaveFile>
#include <QSignalSpy>
#include <QTimer>

#include <csignal>
#include <sys/prctl.h>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

namespace {

void prepare(QProcess &process)
{
    process.setProgram(FulcrumProcess::binaryPath());
    process.setProcessChannelMode(QProcess::SeparateChannels);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"QT_LOGGING_RULES"_s); // fulcrumd's info lines (the listen address) must show
    process.setProcessEnvironment(environment);
    // A test that crashes or is killed must not leave a fulcrumd behind holding ports.
    process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
}

} // namespace

QString FulcrumProcess::binaryPath()
{
    return QStringLiteral(FULCRUMD_PATH);
}

FulcrumProcess::FulcrumProcess()
{
    prepare(m_process);
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] { collect(); });
    QObject::connect(&m_process, &QProcess::readyReadStandardError, &m_process, [this] { collect(); });
}

FulcrumProcess::~FulcrumProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5'000);
    }
}

void FulcrumProcess::collect()
{
    m_stdout.append(m_process.readAllStandardOutput());
    m_stderr.append(m_process.readAllStandardError());
}

bool FulcrumProcess::start(const QStringList &arguments, int workers, bool addListen)
{
    QStringList args = arguments;
    if (addListen)
        args << u"--listen"_s << u"127.0.0.1:0"_s;
    if (workers > 0)
        args << u"--workers"_s << QString::number(workers);
    const qsizetype expectedListeners = std::max<qsizetype>(1, args.count(u"--listen"_s));

    m_stdout.clear();
    m_stderr.clear();
    m_ports.clear();
    m_error.clear();
    m_process.setArguments(args);
    m_process.start();
    if (!m_process.waitForStarted(kStartTimeoutMs)) {
        m_error = u"cannot start %1: %2"_s.arg(binaryPath(), m_process.errorString());
        return false;
    }

    static const QRegularExpression listening(u"listening on (?:\\[[^\\]]*\\]|[^\\s:]+):(\\d+)"_s);
    QSignalSpy finished(&m_process, &QProcess::finished);
    const QDeadlineTimer deadline(kStartTimeoutMs);
    for (;;) {
        collect();
        m_ports.clear();
        QRegularExpressionMatchIterator it = listening.globalMatch(QString::fromUtf8(m_stderr));
        while (it.hasNext())
            m_ports.append(static_cast<quint16>(it.next().captured(1).toUInt()));
        if (m_ports.size() >= expectedListeners)
            return true;
        if (m_process.state() == QProcess::NotRunning || !finished.isEmpty()) {
            collect();
            m_error = u"fulcrumd exited (code %1) before listening; stderr:\n%2"_s.arg(m_process.exitCode())
                          .arg(QString::fromUtf8(m_stderr));
            return false;
        }
        if (deadline.hasExpired()) {
            m_error =
                u"fulcrumd did not report its listen address within %1 ms; stderr:\n%2"_s.arg(kStartTimeoutMs)
                    .arg(QString::fromUtf8(m_stderr));
            return false;
        }
        // Wakes on more stderr or on the exit, whichever comes first: an exit noticed only after its last
        // words were read would otherwise leave this waiting for output that never comes.
        QEventLoop loop;
        QObject::connect(&m_process, &QProcess::readyReadStandardError, &loop, &QEventLoop::quit);
        QObject::connect(&m_process, &QProcess::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(std::max<qint64>(1, deadline.remainingTime()), &loop, &QEventLoop::quit);
        loop.exec();
    }
}

quint16 FulcrumProcess::adminPort(int timeoutMs)
{
    static const QRegularExpression listening(
        u"admin API listening on http://(?:\\[[^\\]]*\\]|[^\\s/:]+):(\\d+)/"_s);
    if (!waitForError(listening, timeoutMs))
        return 0;
    return static_cast<quint16>(listening.match(QString::fromUtf8(m_stderr)).captured(1).toUInt());
}

void FulcrumProcess::setEnvironmentVariable(const QString &name, const QString &value)
{
    QProcessEnvironment environment = m_process.processEnvironment();
    environment.insert(name, value);
    m_process.setProcessEnvironment(environment);
}

QByteArray FulcrumProcess::standardOutput()
{
    collect();
    return m_stdout;
}

QByteArray FulcrumProcess::standardError()
{
    collect();
    return m_stderr;
}

QList<QByteArray> FulcrumProcess::outputLines()
{
    collect();
    QList<QByteArray> lines = m_stdout.split('\n');
    lines.removeLast(); // the part after the last newline is not a complete line
    return lines;
}

bool FulcrumProcess::errorContains(QByteArrayView text)
{
    collect();
    return m_stderr.contains(text);
}

bool FulcrumProcess::waitForError(const QRegularExpression &pattern, int timeoutMs)
{
    QSignalSpy output(&m_process, &QProcess::readyReadStandardError);
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        collect();
        if (pattern.match(QString::fromUtf8(m_stderr)).hasMatch())
            return true;
        if (m_process.state() == QProcess::NotRunning || deadline.hasExpired())
            return false;
        output.wait(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
    }
}

bool FulcrumProcess::waitForOutputLines(qsizetype count, int timeoutMs)
{
    QSignalSpy output(&m_process, &QProcess::readyReadStandardOutput);
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if (outputLines().size() >= count)
            return true;
        if (m_process.state() == QProcess::NotRunning || deadline.hasExpired())
            return false;
        output.wait(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
    }
}

bool FulcrumProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

qint64 FulcrumProcess::pid() const
{
    return m_process.processId();
}

bool FulcrumProcess::sendSignal(int signalNumber)
{
    const qint64 id = m_process.processId();
    if (id <= 0 || m_process.state() != QProcess::Running)
        return false;
    return ::kill(static_cast<pid_t>(id), signalNumber) == 0;
}

std::optional<int> FulcrumProcess::waitForExit(int timeoutMs)
{
    if (m_process.state() != QProcess::NotRunning) {
        QSignalSpy finished(&m_process, &QProcess::finished);
        if (!finished.wait(timeoutMs) && m_process.state() != QProcess::NotRunning)
            return std::nullopt;
    }
    collect();
    if (m_process.exitStatus() != QProcess::NormalExit)
        return std::nullopt;
    return m_process.exitCode();
}

FulcrumProcess::Result FulcrumProcess::run(const QStringList &arguments, int timeoutMs)
{
    QProcess process;
    prepare(process);
    process.setArguments(arguments);
    process.start();
    Result result;
    if (!process.waitForStarted(timeoutMs))
        return result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(5'000);
    } else {
        result.finished = process.exitStatus() == QProcess::NormalExit;
        result.exitCode = process.exitCode();
    }
    result.standardOutput = process.readAllStandardOutput();
    result.standardError = process.readAllStandardError();
    return result;
}

ConfigFile::ConfigFile()
{
    if (m_dir.isValid())
        m_path = m_dir.filePath(u"fulcrum.json"_s);
}

bool ConfigFile::write(const QJsonObject &config)
{
    return writeRaw(QJsonDocument(config).toJson(QJsonDocument::Indented));
}

bool ConfigFile::writeRaw(const QByteArray &content)
{
    if (m_path.isEmpty())
        return false;
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(content);
    return file.commit();
}

QJsonObject configJson(const QList<const FakeBackend *> &backends, const QJsonObject &timeouts,
                       const QJsonObject &limits, const QList<int> &weights)
{
    QJsonArray list;
    for (qsizetype i = 0; i < backends.size(); ++i) {
        QJsonObject backend{{u"name"_s, backends.at(i)->name()}, {u"url"_s, backends.at(i)->url()}};
        if (i < weights.size())
            backend.insert(u"weight"_s, weights.at(i));
        list.append(backend);
    }
    QJsonObject config{{u"version"_s, 1}, {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}}, {u"backends"_s, list}};
    if (!timeouts.isEmpty())
        config.insert(u"timeouts"_s, timeouts);
    if (!limits.isEmpty())
        config.insert(u"limits"_s, limits);
    return config;
}

} // namespace fulcrum::test

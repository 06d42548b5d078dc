// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <optional>

namespace fulcrum::test {

class FakeBackend;

// The real fulcrumd binary (FULCRUMD_PATH) run as a child process.
class FulcrumProcess
{
public:
    static constexpr int kStartTimeoutMs = 15'000;

    FulcrumProcess();
    // Kills the process if it still runs.
    ~FulcrumProcess();
    FulcrumProcess(const FulcrumProcess &) = delete;
    FulcrumProcess &operator=(const FulcrumProcess &) = delete;

    // Starts fulcrumd with `arguments` plus "--listen 127.0.0.1:0" (when addListen) and
    // "--workers N" (when workers > 0), then waits until it reports every address it listens on.
    // False, with errorString() holding its stderr, if it exits or stays silent instead.
    bool start(const QStringList &arguments, int workers = 1, bool addListen = true);

    quint16 port() const { return m_ports.isEmpty() ? 0 : m_ports.constFirst(); }
    QList<quint16> ports() const { return m_ports; }
    // The admin API's port, from its "admin API listening on http://HOST:PORT/" line; waits up to
    // timeoutMs for the line. 0 when it does not come.
    quint16 adminPort(int timeoutMs = 10'000);

    // Sets a variable in the environment of the next start() (this process's own environment otherwise).
    void setEnvironmentVariable(const QString &name, const QString &value);

    // Everything the process has written so far (read from its pipes as the event loop runs).
    QByteArray standardOutput();
    QByteArray standardError();
    // Complete lines of stdout: the access log.
    QList<QByteArray> outputLines();
    bool errorContains(QByteArrayView text);
    // Spins the event loop until stderr matches (true) or the time runs out or the process exits.
    bool waitForError(const QRegularExpression &pattern, int timeoutMs = 10'000);
    // Spins the event loop until stdout holds at least `count` complete lines.
    bool waitForOutputLines(qsizetype count, int timeoutMs = 10'000);

    bool isRunning() const;
    qint64 pid() const;
    bool sendSignal(int signalNumber);
    // The exit code once the process has exited normally; nullopt on timeout or a crash.
    std::optional<int> waitForExit(int timeoutMs = 10'000);
    QProcess::ExitStatus exitStatus() const { return m_process.exitStatus(); }
    QString errorString() const { return m_error; }

    struct Result
    {
        bool finished = false; // exited normally within the time
        int exitCode = -1;
        QByteArray standardOutput;
        QByteArray standardError;
    };
    // Runs fulcrumd with exactly `arguments` to completion (for --check-config, --help, ...).
    static Result run(const QStringList &arguments, int timeoutMs = 10'000);

    static QString binaryPath();

private:
    void collect();

    QProcess m_process;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QList<quint16> m_ports;
    QString m_error;
};

// A fulcrumd JSON configuration file in a directory that lives as long as this object.
class ConfigFile
{
public:
    ConfigFile();
    bool isValid() const { return !m_path.isEmpty(); }
    QString path() const { return m_path; }
    // Replaces the file atomically (write to a temporary file, then rename), so that a reload
    // never reads a half-written file.
    bool write(const QJsonObject &config);
    bool writeRaw(const QByteArray &content);

private:
    QTemporaryDir m_dir;
    QString m_path;
};

// {"version": 1, "listen": ["127.0.0.1:0"], "backends": [...]} with one entry per backend
// (name and url; weights from `weights` when given), plus "timeouts" and "limits" when non-empty.
QJsonObject configJson(const QList<const FakeBackend *> &backends, const QJsonObject &timeouts = {},
                       const QJsonObject &limits = {}, const QList<int> &weights = {});

} // namespace fulcrum::test

// SPDX-License-Identifier: GPL-3.0-or-later
#include "LogOutput.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
LogFormat g_format = LogFormat::Text;
std::atomic<int> g_leastSeverity{static_cast<int>(LogLevel::Info)};

// Set when stderr is journald's stream (systemd sets JOURNAL_STREAM to its device:inode): a "<N>" prefix
// then gives each line its priority, so that journalctl -p filters, and journald adds the time itself.
bool g_journalPrefix = false;

bool stderrIsJournal()
{
    const QByteArray stream = qgetenv("JOURNAL_STREAM");
    struct stat status
    {};
    if (stream.isEmpty() || ::fstat(STDERR_FILENO, &status) != 0)
        return false;
    return stream ==
           QByteArray::number(quint64(status.st_dev)) + ':' + QByteArray::number(quint64(status.st_ino));
}

// syslog(3) priorities, as sd-daemon(3) prefixes use them.
char journalPriority(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return '7';
    case QtInfoMsg:
        return '6';
    case QtWarningMsg:
        return '4';
    case QtCriticalMsg:
        return '3';
    case QtFatalMsg:
        break;
    }
    return '2';
}

int severityOf(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return static_cast<int>(LogLevel::Debug);
    case QtInfoMsg:
        return static_cast<int>(LogLevel::Info);
    case QtWarningMsg:
        return static_cast<int>(LogLevel::Warning);
    case QtCriticalMsg:
    case QtFatalMsg:
        break;
    }
    return static_cast<int>(LogLevel::Error);
}

QString levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return u"debug"_s;
    case QtInfoMsg:
        return u"info"_s;
    case QtWarningMsg:
        return u"warning"_s;
    case QtCriticalMsg:
        return u"error"_s;
    case QtFatalMsg:
        return u"fatal"_s;
    }
    return u"info"_s;
}

void writeMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (severityOf(type) < g_leastSeverity.load(std::memory_order_relaxed))
        return;
    const QString time = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QByteArray line;
    if (g_format == LogFormat::Json) {
        QJsonObject object{{u"time"_s, time}, {u"level"_s, levelName(type)}, {u"message"_s, message}};
        if (context.category != nullptr && qstrcmp(context.category, "default") != 0)
            object.insert(u"category"_s, QString::fromLatin1(context.category));
        line = QJsonDocument(object).toJson(QJsonDocument::Compact);
    } else if (g_journalPrefix) {
        line = QByteArray("<") + journalPriority(type) + '>' + (levelName(type) + u' ' + message).toUtf8();
    } else {
        line = (time + u' ' + levelName(type) + u' ' + message).toUtf8();
    }
    line.append('\n');
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stderr);
    std::fflush(stderr);
}
} // namespace

void installLogOutput(LogFormat format, LogLevel level)
{
    g_format = format;
    g_journalPrefix = stderrIsJournal();
    setLogLevel(level);
    qInstallMessageHandler(&writeMessage);
}

void setLogLevel(LogLevel level)
{
    g_leastSeverity.store(static_cast<int>(level), std::memory_order_relaxed);
}

} // namespace fulcrum

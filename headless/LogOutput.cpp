// SPDX-License-Identifier: GPL-3.0-or-later
#include "LogOutput.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
LogFormat g_format = LogFormat::Text;

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
    const QString time = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    QByteArray line;
    if (g_format == LogFormat::Json) {
        QJsonObject object{{u"time"_s, time}, {u"level"_s, levelName(type)}, {u"message"_s, message}};
        if (context.category != nullptr && qstrcmp(context.category, "default") != 0)
            object.insert(u"category"_s, QString::fromLatin1(context.category));
        line = QJsonDocument(object).toJson(QJsonDocument::Compact);
    } else {
        line = (time + u' ' + levelName(type) + u' ' + message).toUtf8();
    }
    line.append('\n');
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stderr);
    std::fflush(stderr);
}
} // namespace

void installLogOutput(LogFormat format)
{
    g_format = format;
    qInstallMessageHandler(&writeMessage);
}

} // namespace fulcrum

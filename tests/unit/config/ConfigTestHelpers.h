// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ConfigError.h"
#include "config/ConfigTypes.h"

#include <QFile>
#include <QStringList>
#include <QTemporaryDir>

namespace fulcrum::test {

inline ListenAddress listenOn(const QString &address, quint16 port)
{
    return {QHostAddress(address), port};
}

// The fields the errors name, in order: what the configuration tests compare.
inline QStringList fieldsOf(const QList<ConfigError> &errors)
{
    QStringList fields;
    for (const ConfigError &error : errors)
        fields.append(error.field);
    return fields;
}

// fulcrumd's argument list: the program name, then args.
inline QStringList argv(std::initializer_list<QString> args)
{
    QStringList out{QStringLiteral("fulcrumd")};
    out.append(args);
    return out;
}

// Every error on a line of its own, for failure messages.
inline QString joined(const QList<ConfigError> &errors)
{
    QStringList lines;
    for (const ConfigError &error : errors)
        lines.append(error.toString());
    return lines.join(u'\n');
}

// The path of `name` in dir, written with content; empty when it could not be written.
inline QString writeFileIn(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(content) != content.size())
        return {};
    return path;
}

} // namespace fulcrum::test

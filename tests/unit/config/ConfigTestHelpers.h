// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ConfigError.h"
#include "config/ConfigTypes.h"

#include <QStringList>

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

} // namespace fulcrum::test

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigError.h"
#include "ConfigTypes.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace fulcrum {

// Where --demo opens the admin API unless told otherwise: 127.0.0.1:9901.
ListenAddress defaultDemoAdminAddress();

// 127.0.0.0/8 and ::1 ("localhost" is read as 127.0.0.1): reachable from this host alone.
bool isLoopback(const ListenAddress &address);

// 32 random hex digits from the system's cryptographic source.
QByteArray generateAdminToken();

// The fields errors name: the flag when a flag gave the value, else the config file's field.
struct AdminFieldNames
{
    QString listen = QStringLiteral("admin.listen");
    QString tokenFile = QStringLiteral("admin.token_file");
};

// Completes admin as fulcrumd runs it. --demo (demo) turns it on at defaultDemoAdminAddress() unless a
// listen address is set. While it is on, the token is the token file's content without surrounding white
// space, else environmentToken (FULCRUM_ADMIN_TOKEN, trimmed likewise; empty counts as unset), else, with
// --demo, a random one (generatedToken). A token file that cannot be read or is empty is an error, and so is
// a listener other processes can reach (not loopback) without a token.
void resolveAdmin(AdminConfig &admin, bool demo, const QByteArray &environmentToken,
                  const AdminFieldNames &fields, QList<ConfigError> &errors);

} // namespace fulcrum

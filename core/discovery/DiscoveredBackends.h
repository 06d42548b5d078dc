// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "discovery/DnsAnswer.h"

namespace fulcrum {

// What a discovered backend's name is asked of DNS.
DnsQuestion questionOf(const BackendConfig &discovered);

// The backends that a discovered one stands for, given the addresses its name has: each a copy of it at
// one address (and, from SRV, that target's port and weight), named "NAME-ADDRESS" ("NAME-ADDRESS-PORT"
// from SRV) so that the same address keeps the same backend from one answer to the next. An IPv6
// address's colons become dots, as a name has no colons.
QList<BackendConfig> expandDiscovered(const BackendConfig &discovered,
                                      const QList<DiscoveredAddress> &addresses);

// How one set of backends becomes another, by name.
struct BackendSetChange
{
    QList<BackendConfig> added;
    QStringList removed;
    QList<BackendConfig> reweighed; // the same name and address at another weight
};
BackendSetChange diffBackends(const QList<BackendConfig> &before, const QList<BackendConfig> &after);

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ConfigTypes.h"

#include <QHostAddress>
#include <QList>
#include <QString>

namespace fulcrum {

// What is asked of DNS for a discovered backend: every address of a host name, or the targets of an
// SRV name with their addresses.
struct DnsQuestion
{
    BackendDiscovery kind = BackendDiscovery::Resolve;
    QString name;

    // "resolve NAME" / "srv NAME": the key discovery keeps answers under, and how logs name it.
    QString toString() const;
    friend bool operator==(const DnsQuestion &, const DnsQuestion &) = default;
};

struct DiscoveredAddress
{
    QHostAddress address;
    quint16 port = 0; // from the SRV record; 0 for a resolved name, which keeps its backend's port
    int weight = 0;   // from the SRV record, already within a backend's weights; 0 for a resolved name

    friend bool operator==(const DiscoveredAddress &, const DiscoveredAddress &) = default;
};

struct DnsAnswer
{
    QList<DiscoveredAddress> addresses; // sorted, without duplicates, so answers compare as sets
    int ttlSeconds = 0;                 // the shortest TTL among the records that gave them
    QString error;                      // why the lookup failed; empty on success

    bool ok() const { return error.isEmpty(); }
};

} // namespace fulcrum

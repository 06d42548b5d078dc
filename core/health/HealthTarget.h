// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>

namespace fulcrum {

class BackendTable;

// One backend to probe, as the control thread hands it to the checker thread: a value, so the
// checker never touches the control thread's objects.
struct HealthTarget
{
    QString name;
    QHostAddress address; // resolved by the registry; probes never resolve names
    quint16 port = 0;
    QByteArray authority; // "host:port": the probe's Host unless the check sets one
    HealthCheckConfig check;
    // How the probe connects, as the backend's traffic does: TLS for https://, the pool's PROXY protocol.
    bool https = false;
    QString host; // as configured: the default TLS server name
    UpstreamTransport transport;

    friend bool operator==(const HealthTarget &, const HealthTarget &) = default;
};

// The backends of a table whose active checks are enabled, in table order.
QList<HealthTarget> healthTargetsOf(const BackendTable &table);

} // namespace fulcrum

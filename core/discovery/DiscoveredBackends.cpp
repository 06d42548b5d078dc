// SPDX-License-Identifier: GPL-3.0-or-later
#include "DiscoveredBackends.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

const BackendConfig *findByName(const QList<BackendConfig> &backends, const QString &name)
{
    const auto found = std::find_if(backends.cbegin(), backends.cend(),
                                    [&name](const BackendConfig &backend) { return backend.name == name; });
    return found == backends.cend() ? nullptr : &*found;
}

} // namespace

DnsQuestion questionOf(const BackendConfig &discovered)
{
    return {discovered.discovery, discovered.host};
}

QList<BackendConfig> expandDiscovered(const BackendConfig &discovered,
                                      const QList<DiscoveredAddress> &addresses)
{
    QList<BackendConfig> backends;
    const bool fromSrv = discovered.discovery == BackendDiscovery::Srv;
    for (const DiscoveredAddress &found : addresses) {
        BackendConfig backend = discovered;
        backend.discovery = BackendDiscovery::None;
        QHostAddress address = found.address;
        address.setScopeId(QString()); // a link-local answer's zone is this host's, never DNS's
        backend.host = address.toString();
        // The certificate names the host, not the address it resolved to.
        if (backend.https && !fromSrv && backend.transport.tls.serverName.isEmpty())
            backend.transport.tls.serverName = discovered.host;
        QString addressName = backend.host;
        addressName.replace(u':', u'.');
        backend.name = discovered.name + u'-' + addressName;
        if (fromSrv) {
            backend.port = found.port;
            backend.weight = found.weight;
            backend.name += u'-' + QString::number(found.port);
        }
        if (!findByName(backends, backend.name))
            backends.append(backend);
    }
    return backends;
}

BackendSetChange diffBackends(const QList<BackendConfig> &before, const QList<BackendConfig> &after)
{
    BackendSetChange change;
    for (const BackendConfig &backend : after) {
        const BackendConfig *old = findByName(before, backend.name);
        if (!old)
            change.added.append(backend);
        else if (old->weight != backend.weight)
            change.reweighed.append(backend);
    }
    for (const BackendConfig &backend : before) {
        if (!findByName(after, backend.name))
            change.removed.append(backend.name);
    }
    return change;
}

} // namespace fulcrum

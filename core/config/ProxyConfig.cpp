// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProxyConfig.h"

#include <QThread>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

QString ListenAddress::toString() const
{
    const QString portText = QString::number(port);
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return u'[' + address.toString() + u"]:" + portText;
    return address.toString() + u':' + portText;
}

QString ListenAddress::entryText() const
{
    QString text = toString();
    if (proxyProtocol)
        text += u",proxy-protocol"_s;
    if (tls)
        text += u",tls"_s;
    if (redirectHttpsPort == 443)
        text += u",redirect-https"_s;
    else if (redirectHttpsPort != 0)
        text += u",redirect-https="_s + QString::number(redirectHttpsPort);
    return text;
}

bool ProxyConfig::hasTlsListener() const
{
    return std::any_of(listen.cbegin(), listen.cend(),
                       [](const ListenAddress &address) { return address.tls; });
}

QString BackendConfig::url() const
{
    if (discovery == BackendDiscovery::Srv)
        return u"srv://"_s + host;
    // An IPv6 literal is stored without brackets; a URL needs them to tell the port apart.
    QString authorityHost = host;
    if (host.contains(u':')) {
        authorityHost.replace(u'%', u"%25"_s); // an IPv6 zone, RFC 6874
        authorityHost = u'[' + authorityHost + u']';
    }
    return (https ? u"https://"_s : u"http://"_s) + authorityHost + u':' + QString::number(port);
}

int ProxyConfig::effectiveWorkers() const
{
    if (workers > 0)
        return workers;
    return std::max(1, QThread::idealThreadCount());
}

void ProxyConfig::applyTransports()
{
    for (BackendConfig &backend : backends)
        backend.transport = transport;
    for (PoolConfig &pool : pools) {
        for (BackendConfig &backend : pool.backends)
            backend.transport = pool.transport;
    }
}

BackendConfig ProxyConfig::withPoolSettings(BackendConfig backend, const QString &pool) const
{
    backend.healthCheck = healthCheck;
    backend.circuitBreaker = circuitBreaker;
    backend.transport = transport;
    for (const PoolConfig &candidate : pools) {
        if (candidate.name == pool) {
            backend.healthCheck = candidate.healthCheck;
            backend.circuitBreaker = candidate.circuitBreaker;
            backend.transport = candidate.transport;
        }
    }
    return backend;
}

RequestPolicy ProxyConfig::defaultPolicy() const
{
    RequestPolicy policy;
    policy.retries = retries;
    policy.upstreamConnectMs = timeouts.upstreamConnectMs;
    policy.upstreamResponseMs = timeouts.upstreamResponseMs;
    policy.maxBodyBytes = limits.maxBodyBytes;
    return policy;
}

QList<PoolConfig> ProxyConfig::effectivePools() const
{
    if (!pools.isEmpty())
        return pools;
    PoolConfig pool;
    pool.name = DefaultPoolName;
    pool.balancing = balancing;
    pool.backends = backends;
    pool.healthCheck = healthCheck;
    pool.circuitBreaker = circuitBreaker;
    pool.transport = transport;
    pool.policy = defaultPolicy();
    return {pool};
}

QList<RouteConfig> ProxyConfig::effectiveRoutes() const
{
    if (!routes.isEmpty())
        return routes;
    RouteConfig route;
    route.name = u"default"_s;
    route.pool = pools.isEmpty() ? QString(DefaultPoolName) : pools.constFirst().name;
    return {route};
}

} // namespace fulcrum

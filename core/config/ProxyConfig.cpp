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

QString BackendConfig::url() const
{
    // An IPv6 literal is stored without brackets; a URL needs them to tell the port apart.
    QString authorityHost = host;
    if (host.contains(u':')) {
        authorityHost.replace(u'%', u"%25"_s); // an IPv6 zone, RFC 6874
        authorityHost = u'[' + authorityHost + u']';
    }
    return u"http://" + authorityHost + u':' + QString::number(port);
}

int ProxyConfig::effectiveWorkers() const
{
    if (workers > 0)
        return workers;
    return std::max(1, QThread::idealThreadCount());
}

BackendConfig ProxyConfig::withPoolSettings(BackendConfig backend) const
{
    backend.healthCheck = healthCheck;
    backend.circuitBreaker = circuitBreaker;
    return backend;
}

} // namespace fulcrum

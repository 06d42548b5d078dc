// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendResolver.h"

#include <QHostInfo>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
QByteArray authorityOf(const BackendConfig &config)
{
    const bool v6 = config.host.contains(u':');
    QByteArray authority = v6 ? "[" + config.host.toUtf8() + "]" : config.host.toUtf8();
    if (config.port != (config.https ? 443 : 80))
        authority += ":" + QByteArray::number(config.port);
    return authority;
}
} // namespace

bool resolveBackend(Backend *backend, QString *error)
{
    const BackendConfig &config = backend->config;
    backend->authority = authorityOf(config);
    if (backend->address.setAddress(config.host))
        return true;
    const QHostInfo info = QHostInfo::fromName(config.host);
    if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
        *error =
            u"backend %1: cannot resolve host \"%2\": %3"_s.arg(config.name, config.host, info.errorString());
        return false;
    }
    backend->address = info.addresses().constFirst();
    return true;
}

} // namespace fulcrum

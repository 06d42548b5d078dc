// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientAddressSettings.h"

#include "JsonFieldReader.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

Parsed<AddressRange> parseTrustedProxy(QStringView text)
{
    QString error;
    const std::optional<AddressRange> range = parseAddressRange(text, &error);
    if (!range)
        return reject(error);
    return *range;
}

void readTrustedProxies(JsonObjectReader &root, QList<AddressRange> &target)
{
    QList<AddressRange> accepted;
    JsonDiagnostics &d = root.diagnostics();
    const std::optional<qsizetype> count = root.readStrings(
        "trusted_proxies"_L1, [&](const QString &text, const QString &field, const QJsonValue &entry) {
            const Parsed<AddressRange> parsed = parseTrustedProxy(text);
            if (parsed.ok())
                accepted.append(parsed.value);
            else
                d.add(field, entry, parsed.error);
        });
    if (count)
        target = accepted;
}

void checkProxyProtocolTrust(const ProxyConfig &config, QList<ConfigError> &errors)
{
    if (!config.trustedProxies.isEmpty())
        return;
    for (const ListenAddress &listen : config.listen) {
        if (listen.proxyProtocol)
            errors.append({u"listen"_s, listen.entryText(),
                           u"proxy-protocol needs trusted_proxies (--trusted-proxy): PROXY headers are "
                           u"only taken from those peers"_s});
    }
}

} // namespace fulcrum

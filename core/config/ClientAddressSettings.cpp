// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientAddressSettings.h"

#include "JsonFieldReader.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

Parsed<ListenAddress> parseListenEntry(QStringView text)
{
    const qsizetype comma = text.indexOf(u',');
    Parsed<ListenAddress> parsed = parseListenAddress(comma < 0 ? text : text.first(comma));
    if (!parsed.ok() || comma < 0)
        return parsed;
    const QStringView option = text.sliced(comma + 1);
    if (option != u"proxy-protocol")
        return reject(u"unknown listen option \""_s + option + u"\" (expected proxy-protocol)");
    parsed.value.proxyProtocol = true;
    return parsed;
}

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
    const QLatin1StringView key = "trusted_proxies"_L1;
    const std::optional<QJsonArray> entries = root.array(key, u"strings"_s);
    if (!entries)
        return;
    JsonDiagnostics &d = root.diagnostics();
    QList<AddressRange> accepted;
    for (qsizetype i = 0; i < entries->size(); ++i) {
        const QString field = indexedField(root.field(key), i);
        const QJsonValue entry = entries->at(i);
        const std::optional<QString> text = d.string(field, entry);
        if (!text)
            continue;
        const Parsed<AddressRange> parsed = parseTrustedProxy(*text);
        if (parsed.ok())
            accepted.append(parsed.value);
        else
            d.add(field, entry, parsed.error);
    }
    target = accepted;
}

void checkProxyProtocolTrust(const ProxyConfig &config, QList<ConfigError> &errors)
{
    if (!config.trustedProxies.isEmpty())
        return;
    for (const ListenAddress &listen : config.listen) {
        if (listen.proxyProtocol)
            errors.append({u"listen"_s, listen.toString() + u",proxy-protocol"_s,
                           u"proxy-protocol needs trusted_proxies (--trusted-proxy): PROXY headers are "
                           u"only taken from those peers"_s});
    }
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ListenReader.h"

#include "JsonFieldReader.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
constexpr quint16 kDefaultHttpsPort = 443;

// Applies one option after the address; an error text when it is not one.
QString applyListenOption(QStringView option, ListenAddress &listen)
{
    if (option == u"proxy-protocol") {
        listen.proxyProtocol = true;
        return {};
    }
    if (option == u"tls") {
        listen.tls = true;
        return {};
    }
    if (option == u"redirect-https") {
        listen.redirectHttpsPort = kDefaultHttpsPort;
        return {};
    }
    if (option.startsWith(u"redirect-https=")) {
        const Parsed<qint64> port = parseInteger(option.sliced(15), IntRange{1, 65535});
        if (!port.ok())
            return u"redirect-https port "_s + port.error;
        listen.redirectHttpsPort = static_cast<quint16>(port.value);
        return {};
    }
    return u"unknown listen option \""_s + option +
           u"\" (expected proxy-protocol, tls or redirect-https[=PORT])"_s;
}
} // namespace

Parsed<ListenAddress> parseListenEntry(QStringView text)
{
    const qsizetype comma = text.indexOf(u',');
    Parsed<ListenAddress> parsed = parseListenAddress(comma < 0 ? text : text.first(comma));
    if (!parsed.ok() || comma < 0)
        return parsed;
    QList<QStringView> seen;
    for (const QStringView option : text.sliced(comma + 1).split(u',')) {
        const QStringView name =
            option.first(option.indexOf(u'=') < 0 ? option.size() : option.indexOf(u'='));
        if (seen.contains(name))
            return reject(u"listen option \""_s + name + u"\" is given more than once"_s);
        seen.append(name);
        if (const QString error = applyListenOption(option, parsed.value); !error.isEmpty())
            return reject(error);
    }
    if (parsed.value.tls && parsed.value.redirectHttpsPort != 0)
        return reject(
            u"tls and redirect-https exclude each other: the redirect is for plain HTTP listeners"_s);
    return parsed;
}

void readListen(JsonObjectReader &root, QList<ListenAddress> &target)
{
    QList<ListenAddress> accepted;
    JsonDiagnostics &d = root.diagnostics();
    const std::optional<qsizetype> count = root.readStrings(
        "listen"_L1, [&](const QString &text, const QString &field, const QJsonValue &entry) {
            const Parsed<ListenAddress> parsed = parseListenEntry(text);
            if (!parsed.ok())
                d.add(field, entry, parsed.error);
            else if (isDuplicateListen(accepted, parsed.value))
                d.add(field, entry, u"duplicate listen address"_s);
            else
                accepted.append(parsed.value);
        });
    if (!count)
        return;
    if (*count == 0)
        d.add(root.field("listen"_L1), QJsonArray(), u"must list at least one address"_s);
    target = accepted;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientAddress.h"

namespace fulcrum {

namespace {
constexpr QByteArrayView kForwardedFor = "x-forwarded-for";

bool isSpace(char c)
{
    return c == ' ' || c == '\t';
}

QByteArrayView trimmed(QByteArrayView text)
{
    while (!text.isEmpty() && isSpace(text.front()))
        text = text.sliced(1);
    while (!text.isEmpty() && isSpace(text.back()))
        text.chop(1);
    return text;
}

QHostAddress unmapped(const QHostAddress &address)
{
    bool isMappedV4 = false;
    const quint32 v4 = address.toIPv4Address(&isMappedV4);
    return isMappedV4 ? QHostAddress(v4) : address;
}

// Every X-Forwarded-For entry of the request, in order; several headers are one list (RFC 9110 5.3).
QList<QByteArrayView> forwardedEntries(const HttpHeaders &headers)
{
    QList<QByteArrayView> entries;
    for (const HttpHeader &header : headers) {
        if (!headerNameEquals(header.name, kForwardedFor))
            continue;
        QByteArrayView rest = header.value;
        while (true) {
            const qsizetype comma = rest.indexOf(',');
            entries.append(trimmed(comma < 0 ? rest : rest.first(comma)));
            if (comma < 0)
                break;
            rest = rest.sliced(comma + 1);
        }
    }
    return entries;
}
} // namespace

QByteArray addressText(const QHostAddress &address)
{
    return unmapped(address).toString().toLatin1();
}

std::optional<QHostAddress> parseForwardedAddress(QByteArrayView text)
{
    // QHostAddress also reads "10.1", "1e.0.0.1" and zone-scoped addresses; a client address is none of them.
    const bool dotted = text.count('.') == 3;
    const bool colons = text.contains(':');
    if (text.isEmpty() || text.size() > 45 || (!dotted && !colons) || text.contains('%') ||
        text.contains('['))
        return std::nullopt;
    for (const char c : text) {
        const bool allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                             c == '.' || c == ':';
        if (!allowed || (!colons && !(c == '.' || (c >= '0' && c <= '9'))))
            return std::nullopt;
    }
    QHostAddress address;
    if (!address.setAddress(QString::fromLatin1(text)))
        return std::nullopt;
    return unmapped(address);
}

QHostAddress resolveClientAddress(const QHostAddress &peer, bool peerTrusted, const HttpHeaders &headers,
                                  const QList<AddressRange> &trusted)
{
    if (!peerTrusted)
        return peer;
    const QList<QByteArrayView> entries = forwardedEntries(headers);
    QHostAddress client = peer;
    for (auto it = entries.crbegin(); it != entries.crend(); ++it) {
        const std::optional<QHostAddress> hop = parseForwardedAddress(*it);
        if (!hop)
            break;
        client = *hop;
        if (!isInAnyRange(trusted, client))
            break;
    }
    return client;
}

QByteArray forwardedForValue(QByteArrayView peerText, bool peerTrusted, const HttpHeaders &headers)
{
    if (!peerTrusted)
        return peerText.toByteArray();
    QByteArray value;
    for (const HttpHeader &header : headers) {
        if (headerNameEquals(header.name, kForwardedFor) && !trimmed(header.value).isEmpty())
            value.append(trimmed(header.value)).append(", ");
    }
    return value.append(peerText);
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "AddressRange.h"

#include <QList>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
constexpr int kMappedV4PrefixBits = 96;

bool isDecimal(QStringView text)
{
    return !text.isEmpty() && text.size() <= 3 &&
           std::all_of(text.begin(), text.end(), [](QChar c) { return c >= u'0' && c <= u'9'; });
}

// Dotted quad only: QHostAddress also takes "10.1" or "0x0a.0.0.1", which no one means in a trust list.
bool isDottedQuad(QStringView text)
{
    const QList<QStringView> parts = text.split(u'.');
    return parts.size() == 4 && std::all_of(parts.begin(), parts.end(), [](QStringView part) {
               return isDecimal(part) && part.toInt() <= 255;
           });
}

std::optional<QHostAddress> parseLiteral(QStringView text, bool *isV4)
{
    *isV4 = isDottedQuad(text);
    if (!*isV4 && (!text.contains(u':') || text.contains(u'%')))
        return std::nullopt;
    QHostAddress address;
    if (!address.setAddress(text.toString()))
        return std::nullopt;
    return address;
}
} // namespace

AddressBytes addressBytes(const QHostAddress &address)
{
    AddressBytes bytes{};
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4) {
        bytes[10] = 0xff;
        bytes[11] = 0xff;
        for (int i = 0; i < 4; ++i)
            bytes[static_cast<std::size_t>(12 + i)] = static_cast<quint8>(v4 >> (24 - 8 * i));
        return bytes;
    }
    const Q_IPV6ADDR v6 = address.toIPv6Address();
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = v6[static_cast<int>(i)];
    return bytes;
}

bool AddressRange::contains(const AddressBytes &address) const
{
    const int wholeBytes = prefixBits / 8;
    for (int i = 0; i < wholeBytes; ++i) {
        if (address[static_cast<std::size_t>(i)] != network[static_cast<std::size_t>(i)])
            return false;
    }
    const int restBits = prefixBits % 8;
    if (restBits == 0)
        return true;
    const auto mask = static_cast<quint8>(0xff << (8 - restBits));
    return (address[static_cast<std::size_t>(wholeBytes)] & mask) ==
           network[static_cast<std::size_t>(wholeBytes)];
}

std::optional<AddressRange> parseAddressRange(QStringView text, QString *error)
{
    const qsizetype slash = text.indexOf(u'/');
    const QStringView addressText = slash < 0 ? text : text.first(slash);
    bool isV4 = false;
    const std::optional<QHostAddress> address = parseLiteral(addressText, &isV4);
    if (!address) {
        *error = u"must be an IPv4 or IPv6 address with an optional /PREFIX (e.g. 10.0.0.0/8, ::1/128)"_s;
        return std::nullopt;
    }
    const int familyBits = isV4 ? 32 : 128;
    int prefix = familyBits;
    if (slash >= 0) {
        const QStringView prefixText = text.sliced(slash + 1);
        const bool digits = isDecimal(prefixText) && (prefixText.size() == 1 || prefixText.front() != u'0');
        prefix = digits ? prefixText.toInt() : -1;
        if (prefix < 0 || prefix > familyBits) {
            *error = u"prefix length must be 0..%1"_s.arg(familyBits);
            return std::nullopt;
        }
    }
    AddressRange range;
    range.network = addressBytes(*address);
    range.prefixBits = prefix + (isV4 ? kMappedV4PrefixBits : 0);
    AddressRange masked = range;
    for (std::size_t i = 0; i < masked.network.size(); ++i) {
        const int bitsBefore = static_cast<int>(i) * 8;
        const int keep = std::clamp(range.prefixBits - bitsBefore, 0, 8);
        masked.network[i] &= static_cast<quint8>(0xff << (8 - keep));
    }
    // A range written with host bits set is usually a typo for a different range; say which one it means.
    if (masked.network != range.network) {
        const QHostAddress meant =
            isV4 ? QHostAddress(quint32(masked.network[12]) << 24 | quint32(masked.network[13]) << 16 |
                                quint32(masked.network[14]) << 8 | masked.network[15])
                 : QHostAddress(masked.network.data());
        *error = u"has bits set after the prefix (did you mean %1/%2?)"_s.arg(meant.toString()).arg(prefix);
        return std::nullopt;
    }
    return range;
}

bool isInAnyRange(const QList<AddressRange> &ranges, const QHostAddress &address)
{
    if (ranges.isEmpty())
        return false;
    const AddressBytes bytes = addressBytes(address);
    return std::any_of(ranges.begin(), ranges.end(),
                       [&bytes](const AddressRange &r) { return r.contains(bytes); });
}

} // namespace fulcrum

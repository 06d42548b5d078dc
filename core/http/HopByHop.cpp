// SPDX-License-Identifier: GPL-3.0-or-later
#include "HopByHop.h"

#include <array>

namespace fulcrum {

namespace {
constexpr std::array<QByteArrayView, 6> kAlwaysHopByHop = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
};
} // namespace

HopByHopFilter::HopByHopFilter(const HttpHeaders &headers)
{
    for (const HttpHeader &header : headers) {
        if (!headerNameEquals(header.name, "connection"))
            continue;
        for (const QByteArray &token : header.value.split(',')) {
            const QByteArray name = token.trimmed().toLower();
            if (!name.isEmpty())
                m_connectionTokens.append(name);
        }
    }
}

bool HopByHopFilter::isHopByHop(QByteArrayView name) const
{
    for (const QByteArrayView fixed : kAlwaysHopByHop) {
        if (headerNameEquals(name, fixed))
            return true;
    }
    for (const QByteArray &token : m_connectionTokens) {
        if (headerNameEquals(name, token))
            return true;
    }
    return false;
}

} // namespace fulcrum

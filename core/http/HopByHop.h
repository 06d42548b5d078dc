// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "HttpHeaders.h"

#include <QByteArrayList>

namespace fulcrum {

// The headers that describe one connection rather than the message (RFC 9110 §7.6.1), so a proxy
// must not forward them: the fixed set plus every name listed in Connection.
class HopByHopFilter
{
public:
    explicit HopByHopFilter(const HttpHeaders &headers);

    bool isHopByHop(QByteArrayView name) const;
    // Connection lists this option (a lowercase name), e.g. "upgrade" or "close".
    bool hasConnectionOption(QByteArrayView option) const { return m_connectionTokens.contains(option); }

private:
    QByteArrayList m_connectionTokens;
};

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "DnsAnswer.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

QString DnsQuestion::toString() const
{
    return (kind == BackendDiscovery::Srv ? u"srv "_s : u"resolve "_s) + name;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "HeaderRewrite.h"

namespace fulcrum {

void applyHeaderRules(HttpHeaders &headers, const HeaderRules &rules)
{
    for (const QByteArray &name : rules.remove)
        headers.removeAll(name);
    for (const HeaderValue &header : rules.set) {
        headers.removeAll(header.name);
        headers.append(header.name, header.value);
    }
    for (const HeaderValue &header : rules.add)
        headers.append(header.name, header.value);
}

} // namespace fulcrum

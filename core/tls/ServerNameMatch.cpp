// SPDX-License-Identifier: GPL-3.0-or-later
#include "ServerNameMatch.h"

namespace fulcrum {

bool serverNameMatches(QByteArrayView certificateName, QByteArrayView serverName)
{
    if (certificateName.isEmpty() || serverName.isEmpty())
        return false;
    if (!certificateName.startsWith("*.")) {
        return certificateName.compare(serverName, Qt::CaseInsensitive) == 0;
    }
    const QByteArrayView suffix = certificateName.sliced(1); // ".example.com"
    const qsizetype firstDot = serverName.indexOf('.');
    // The wildcard's label must be there and be one label: the rest of the name is the suffix exactly.
    return firstDot > 0 && serverName.sliced(firstDot).compare(suffix, Qt::CaseInsensitive) == 0;
}

} // namespace fulcrum

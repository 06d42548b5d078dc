// SPDX-License-Identifier: GPL-3.0-or-later
#include "HttpHeaders.h"

namespace fulcrum {

qsizetype HttpHeaders::removeAll(QByteArrayView name)
{
    return m_headers.removeIf(
        [name](const HttpHeader &header) { return headerNameEquals(header.name, name); });
}

bool headerNameEquals(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

qsizetype HttpHeaders::count(QByteArrayView name) const
{
    qsizetype n = 0;
    for (const HttpHeader &header : m_headers) {
        if (headerNameEquals(header.name, name))
            ++n;
    }
    return n;
}

QByteArray HttpHeaders::value(QByteArrayView name) const
{
    for (const HttpHeader &header : m_headers) {
        if (headerNameEquals(header.name, name))
            return header.value;
    }
    return {};
}

} // namespace fulcrum

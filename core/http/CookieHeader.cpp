// SPDX-License-Identifier: GPL-3.0-or-later
#include "CookieHeader.h"

namespace fulcrum {

std::optional<QByteArrayView> requestCookie(const HttpHeaders &headers, QByteArrayView name)
{
    for (const HttpHeader &header : headers) {
        if (!headerNameEquals(header.name, "cookie"))
            continue;
        QByteArrayView rest = header.value;
        while (!rest.isEmpty()) {
            const qsizetype end = rest.indexOf(';');
            const QByteArrayView pair = (end < 0 ? rest : rest.first(end)).trimmed();
            rest = end < 0 ? QByteArrayView() : rest.sliced(end + 1);
            const qsizetype equals = pair.indexOf('=');
            if (equals < 0 || pair.first(equals).trimmed() != name)
                continue;
            QByteArrayView value = pair.sliced(equals + 1).trimmed();
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.sliced(1, value.size() - 2);
            return value;
        }
    }
    return std::nullopt;
}

} // namespace fulcrum

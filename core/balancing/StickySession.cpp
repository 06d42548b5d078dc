// SPDX-License-Identifier: GPL-3.0-or-later
#include "StickySession.h"

#include "http/CookieHeader.h"

namespace fulcrum {

namespace {
QByteArrayView cookieFrom(const BackendTable &table, const RequestHead &request)
{
    return requestCookie(request.headers, table.balancing().stickyCookie.name.toLatin1())
        .value_or(QByteArrayView());
}
} // namespace

qsizetype stickyBackend(const BackendTable &table, const RequestHead &request)
{
    const QByteArrayView value = cookieFrom(table, request);
    if (value.isEmpty())
        return -1;
    const qsizetype index = table.indexOfStickyValue(value);
    return index >= 0 && table.at(index).acceptsSticky() ? index : -1;
}

bool needsStickyCookie(const BackendTable &table, const RequestHead &request, qsizetype chosen)
{
    return cookieFrom(table, request) != table.at(chosen).stickyValue;
}

QByteArray stickySetCookie(const StickyCookie &cookie, const Backend &backend)
{
    return stickySetCookie(cookie, backend.stickyValue);
}

QByteArray stickySetCookie(const StickyCookie &cookie, QByteArrayView value)
{
    QByteArray line = cookie.name.toLatin1() + '=' + value + "; Path=/; HttpOnly; SameSite=Lax";
    if (cookie.maxAgeS > 0)
        line += "; Max-Age=" + QByteArray::number(cookie.maxAgeS);
    return line;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BackendTable.h"

namespace fulcrum {

// The backend a request's sticky cookie pins it to, or -1 when it carries none, names no backend of
// this table, or names one that no longer takes sticky clients (down, draining, in maintenance).
qsizetype stickyBackend(const BackendTable &table, const RequestHead &request);

// True when the request's cookie does not already name this backend, so the response must set it.
bool needsStickyCookie(const BackendTable &table, const RequestHead &request, qsizetype chosen);

// The Set-Cookie value pinning a client to a backend: Path=/, HttpOnly, SameSite=Lax and, when
// configured, Max-Age.
QByteArray stickySetCookie(const StickyCookie &cookie, const Backend &backend);
// The same for any value (a route's split pins a client to a pool).
QByteArray stickySetCookie(const StickyCookie &cookie, QByteArrayView value);

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "HttpHeaders.h"

#include <optional>

namespace fulcrum {

// The value of the named cookie from the request's Cookie header lines ("a=1; b=2", RFC 6265 §5.4),
// without surrounding double quotes, as a view into the headers; nothing when no pair has that name.
std::optional<QByteArrayView> requestCookie(const HttpHeaders &headers, QByteArrayView name);

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigError.h"
#include "ConfigValues.h"

namespace fulcrum {

class JsonObjectReader;

// A "listen" entry or --listen value: ADDRESS:PORT, then any of ",proxy-protocol", ",tls" and
// ",redirect-https[=PORT]" (the last two exclude each other: a redirect is for plain HTTP).
Parsed<ListenAddress> parseListenEntry(QStringView text);

// "listen": a non-empty array of such strings; leaves target alone when absent.
void readListen(JsonObjectReader &root, QList<ListenAddress> &target);

} // namespace fulcrum

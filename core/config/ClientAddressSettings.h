// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigError.h"
#include "ConfigValues.h"

namespace fulcrum {

class JsonObjectReader;

// The settings that decide who a request comes from: trusted_proxies and the listeners' proxy-protocol
// option, shared by the JSON loader and the command line.

// A trusted_proxies entry or --trusted-proxy value: a CIDR block or a single address.
Parsed<AddressRange> parseTrustedProxy(QStringView text);

// "trusted_proxies": an array of strings; leaves target alone when absent.
void readTrustedProxies(JsonObjectReader &root, QList<AddressRange> &target);

// A proxy-protocol listener with no trusted_proxies would refuse every connection: an error, once the
// file and the flags are merged.
void checkProxyProtocolTrust(const ProxyConfig &config, QList<ConfigError> &errors);

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigError.h"
#include "ProxyConfig.h"

namespace fulcrum {

class JsonObjectReader;

// "tls": {"certificates": [{"cert": FILE, "key": FILE}, ...]}; leaves target alone when absent.
void readTls(JsonObjectReader &root, TlsConfig &target);

// Once the file and the flags are merged: a tls listener needs a certificate, and every certificate
// must load (readable PEM files, a key that belongs to its certificate).
void checkTlsSettings(const ProxyConfig &config, QList<ConfigError> &errors);

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArrayView>

namespace fulcrum {

// Whether a certificate name serves the server name a client asked for, as browsers decide it: equal
// ignoring case, or "*.example.com" standing for exactly one label ("a.example.com", not
// "a.b.example.com" nor "example.com").
bool serverNameMatches(QByteArrayView certificateName, QByteArrayView serverName);

} // namespace fulcrum

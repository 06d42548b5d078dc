// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArrayView>

namespace fulcrum {

// The RFC 9110 reason phrase for a status, or "Unknown" for one it does not name.
QByteArrayView reasonPhrase(int status);

} // namespace fulcrum

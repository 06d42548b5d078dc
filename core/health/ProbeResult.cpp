// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProbeResult.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

QString formatProbeLatency(qint64 latencyUs)
{
    return QString::number(static_cast<double>(latencyUs) / 1000.0, 'f', 1) + u" ms"_s;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>

namespace fulcrum {

// Why a message was rejected and which status the peer gets for it.
struct ParseFailure
{
    int status = 0;    // 400, 408, 413, 414, 431, 501, 505 for requests; 502 for upstream responses
    QByteArray reason; // short, safe to show to a client
};

struct ParserLimits
{
    int maxHeaderBytes = 64 * 1024;
    int maxRequestTargetBytes = 8 * 1024;
    int maxHeaderCount = 100;
    qint64 maxBodyBytes = 0; // 0: unlimited
};

} // namespace fulcrum

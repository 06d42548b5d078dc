// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "HttpHeaders.h"

namespace fulcrum {

// How a message body is delimited on the wire, as decided by the parser (RFC 9112 §6.3).
enum class BodyFraming
{
    None,
    ContentLength,
    Chunked,
    UntilClose
};

struct RequestHead
{
    QByteArray method;
    QByteArray target;
    int versionMinor = 1; // HTTP/1.x only; the parser rejects every other major version
    HttpHeaders headers;
    QByteArray host; // the single Host header value (empty for HTTP/1.0 without one)
    BodyFraming framing = BodyFraming::None;
    quint64 contentLength = 0;
    bool keepAlive = true;
    bool expectContinue = false;
    bool isHead = false;
    // The Upgrade header's value when the request asks to switch protocols (Connection: upgrade, no
    // body); empty otherwise, and then Upgrade is dropped like any hop-by-hop header.
    QByteArray upgrade;
};

struct ResponseHead
{
    int status = 0;
    QByteArray reason;
    int versionMinor = 1;
    HttpHeaders headers;
    BodyFraming framing = BodyFraming::None;
    quint64 contentLength = 0;
    bool keepAlive = true;

    bool isInformational() const { return status >= 100 && status < 200; }
};

} // namespace fulcrum

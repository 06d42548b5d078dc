// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "http/HttpHeaders.h"

#include <QByteArrayView>

namespace fulcrum {

// What routes match on, for one request: host and path normalised (see RequestPath.h), the rest as sent.
// Views into buffers the caller keeps alive while matching.
struct RoutingRequest
{
    QByteArrayView method;
    QByteArrayView host;  // normalised; empty when the request named none
    QByteArrayView path;  // normalised
    QByteArrayView query; // as sent, without the '?'
    const HttpHeaders *headers = nullptr;
};

} // namespace fulcrum

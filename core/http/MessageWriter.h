// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "HttpMessage.h"

namespace fulcrum {

// What the proxy adds to a request on its way to a backend.
struct ForwardingInfo
{
    QByteArrayView forwardedFor; // the whole X-Forwarded-For value, the peer last
    QByteArrayView requestId;
    QByteArrayView scheme = "http";
    QByteArrayView backendAuthority; // Host for HTTP/1.0 requests that sent none
    QByteArrayView target;           // the request target to send; empty: the client's
    QByteArrayView host; // the Host to send (a route's header rule); empty: the client's. X-Forwarded-Host
                         // keeps the client's.
};

// How the body of a response travels to the client; the backend's framing is rewritten when the
// client cannot take it (chunked to HTTP/1.0) or when the backend's was close-delimited.
enum class ClientBodyFraming
{
    None,
    ContentLength,
    Chunked,
    UntilClose
};

// Serialisation of the heads the proxy sends. Framing headers (Content-Length, Transfer-Encoding)
// are always written from the parsed framing, never copied, so that no header named in Connection
// can strip them and desynchronise the two sides.
namespace writer {

void upstreamRequestHead(QByteArray &out, const RequestHead &head, const ForwardingInfo &forwarding);
void clientResponseHead(QByteArray &out, const ResponseHead &head, ClientBodyFraming framing,
                        QByteArrayView requestId, bool keepAlive, int clientVersionMinor);
void interimResponseHead(QByteArray &out, const ResponseHead &head);
// A backend's 101 to an upgrade request: its Upgrade and Connection go to the client too.
void switchingProtocolsHead(QByteArray &out, const ResponseHead &head, QByteArrayView requestId);
// retryAfterSeconds, when positive, adds Retry-After (503s that expect to clear up).
void errorResponse(QByteArray &out, int status, QByteArrayView reason, QByteArrayView requestId,
                   bool keepAlive, bool withBody = true, int retryAfterSeconds = 0);
void chunk(QByteArray &out, const char *data, qsizetype length);
void lastChunk(QByteArray &out);

} // namespace writer
} // namespace fulcrum

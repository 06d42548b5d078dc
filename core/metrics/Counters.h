// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "WorkerSlots.h"

namespace fulcrum {

enum class UpstreamError
{
    Connect,
    Timeout,
    Reset,
    InvalidResponse
};

// What one worker counted for one backend.
struct BackendCounterSlot
{
    SlotCounter requests;
    std::array<SlotCounter, 5> responsesByClass; // 1xx..5xx
    SlotCounter connectErrors;
    SlotCounter timeouts;
    SlotCounter resets;
    SlotCounter invalidResponses;
    SlotCounter bytesFromClient; // request bytes sent to the backend
    SlotCounter bytesToClient;   // response bytes received from the backend
    SlotCounter connectionsOpened;
    SlotGauge activeRequests;
    // Requests sent elsewhere because this backend was at a circuit-breaker limit, by LimitKind.
    std::array<SlotCounter, 3> limitRejections;
    SlotCounter retries; // attempts on this backend that were retries of a failed one
    // Requests whose last attempt failed here with no retry left or allowed: the client got the failure.
    SlotCounter retryExhausted;
    // Clients gone before the response was complete while their request was here (or awaiting a retry
    // after failing here).
    SlotCounter clientAborts;

    void countError(UpstreamError error)
    {
        switch (error) {
        case UpstreamError::Connect:
            connectErrors.add();
            break;
        case UpstreamError::Timeout:
            timeouts.add();
            break;
        case UpstreamError::Reset:
            resets.add();
            break;
        case UpstreamError::InvalidResponse:
            invalidResponses.add();
            break;
        }
    }
};

// What one worker counted for its listeners, whatever the backend. Whatever is also counted per
// backend (requests forwarded, retries, ...) is not counted here: the collector sums the backends'
// counts, so that the totals of one snapshot always agree with its backends.
struct ListenerCounterSlot
{
    SlotCounter connectionsAccepted;
    SlotCounter requests;
    SlotCounter clientErrors;     // requests refused by the proxy itself (4xx/5xx from parsing and limits)
    SlotCounter noBackend;        // 503: nothing in rotation
    SlotCounter upstreamFailures; // 502/504 produced by the proxy
    SlotCounter allAtLimits;      // 503: every usable backend at a circuit-breaker limit
    SlotCounter retriesDenied;    // retries the budget refused
    SlotCounter rateLimited;      // 429: the client's token bucket was empty
    // New connections closed at once, by ConnectionRefusal - 1: at the listener's, at the client's limit.
    std::array<SlotCounter, 2> connectionsRefused;
    std::array<SlotCounter, 5> responsesByClass; // final responses clients got, proxy's own included
    SlotCounter bytesFromClients;                // read from client connections
    SlotCounter bytesToClients;                  // written to client connections
    SlotGauge openConnections;
    SlotCounter tunnels; // upgrades a backend accepted (101): connections turned into tunnels
    SlotGauge openTunnels;
    SlotCounter tunnelBytesFromClients; // the part of bytesFromClients carried by tunnels
    SlotCounter tunnelBytesToClients;   // the part of bytesToClients carried by tunnels
};

} // namespace fulcrum

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

// What one worker counted for its listeners, whatever the backend.
struct ListenerCounterSlot
{
    SlotCounter connectionsAccepted;
    SlotCounter requests;
    SlotCounter clientErrors;     // requests refused by the proxy itself (4xx/5xx from parsing and limits)
    SlotCounter noBackend;        // 503: nothing in rotation
    SlotCounter upstreamFailures; // 502/504 produced by the proxy
    SlotCounter allAtLimits;      // 503: every usable backend at a circuit-breaker limit
    SlotCounter retries;          // attempts after the first
    SlotCounter retriesDenied;    // retries the budget refused
    SlotGauge openConnections;
};

} // namespace fulcrum

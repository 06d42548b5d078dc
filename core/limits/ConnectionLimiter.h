// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "limits/ShardedClientTable.h"

#include <atomic>
#include <memory>

namespace fulcrum {

class ConnectionLimiter;

enum class ConnectionRefusal
{
    None,
    ListenerLimit, // the listener had max_client_connections open
    ClientLimit,   // the client had max_connections_per_client open
};

// A connection's place under the limits, given back when it ends (when this is destroyed).
class ConnectionAdmission
{
public:
    ConnectionAdmission() = default;
    ConnectionAdmission(ConnectionAdmission &&other) noexcept { *this = std::move(other); }
    ConnectionAdmission &operator=(ConnectionAdmission &&other) noexcept;
    ~ConnectionAdmission() { release(); }

    ConnectionRefusal refusal() const { return m_refusal; }
    bool admitted() const { return m_refusal == ConnectionRefusal::None; }

private:
    friend class ConnectionLimiter;
    void release();

    ConnectionLimiter *m_limiter = nullptr; // null: nothing to give back
    int m_listener = 0;
    ClientKey m_client;
    ConnectionRefusal m_refusal = ConnectionRefusal::None;
};

// Open client connections per listener (one atomic count, over every worker's socket of it) and per
// client (a sharded map whose entries go at zero, so it holds only clients with connections open).
class ConnectionLimiter
{
public:
    // A limit of 0 is none.
    ConnectionLimiter(int maxPerListener, int maxPerClient, int listenerCount);

    ConnectionAdmission admit(int listener, const ClientKey &client);
    int openConnections(int listener) const;
    int openConnections(const ClientKey &client);
    std::size_t trackedClients() { return m_perClient.size(); }

private:
    friend class ConnectionAdmission;
    void release(int listener, const ClientKey &client);

    const int m_maxPerListener;
    const int m_maxPerClient;
    std::unique_ptr<std::atomic<int>[]> m_perListener;
    ShardedClientTable<int> m_perClient;
};

} // namespace fulcrum

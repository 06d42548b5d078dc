// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConnectionLimiter.h"

#include <utility>

namespace fulcrum {

ConnectionAdmission &ConnectionAdmission::operator=(ConnectionAdmission &&other) noexcept
{
    if (this != &other) {
        release();
        m_limiter = std::exchange(other.m_limiter, nullptr);
        m_listener = other.m_listener;
        m_client = other.m_client;
        m_refusal = other.m_refusal;
    }
    return *this;
}

void ConnectionAdmission::release()
{
    if (ConnectionLimiter *limiter = std::exchange(m_limiter, nullptr))
        limiter->release(m_listener, m_client);
}

ConnectionLimiter::ConnectionLimiter(int maxPerListener, int maxPerClient, int listenerCount)
    : m_maxPerListener(maxPerListener), m_maxPerClient(maxPerClient),
      m_perListener(std::make_unique<std::atomic<int>[]>(static_cast<std::size_t>(listenerCount)))
{}

ConnectionAdmission ConnectionLimiter::admit(int listener, const ClientKey &client)
{
    ConnectionAdmission admission;
    std::atomic<int> &listenerOpen = m_perListener[static_cast<std::size_t>(listener)];
    // Counted first and taken back when over: two workers racing for the last place cannot both get it.
    if (listenerOpen.fetch_add(1, std::memory_order_relaxed) >= m_maxPerListener && m_maxPerListener > 0) {
        listenerOpen.fetch_sub(1, std::memory_order_relaxed);
        admission.m_refusal = ConnectionRefusal::ListenerLimit;
        return admission;
    }
    if (m_maxPerClient > 0) {
        auto &shard = m_perClient.shardFor(client);
        const std::lock_guard lock(shard.mutex);
        int &open = shard.entries[client];
        if (open >= m_maxPerClient) {
            listenerOpen.fetch_sub(1, std::memory_order_relaxed);
            admission.m_refusal = ConnectionRefusal::ClientLimit;
            return admission;
        }
        ++open;
    }
    admission.m_limiter = this;
    admission.m_listener = listener;
    admission.m_client = client;
    return admission;
}

void ConnectionLimiter::release(int listener, const ClientKey &client)
{
    m_perListener[static_cast<std::size_t>(listener)].fetch_sub(1, std::memory_order_relaxed);
    if (m_maxPerClient <= 0)
        return;
    auto &shard = m_perClient.shardFor(client);
    const std::lock_guard lock(shard.mutex);
    const auto found = shard.entries.find(client);
    if (found != shard.entries.end() && --found->second <= 0)
        shard.entries.erase(found);
}

int ConnectionLimiter::openConnections(int listener) const
{
    return m_perListener[static_cast<std::size_t>(listener)].load(std::memory_order_relaxed);
}

int ConnectionLimiter::openConnections(const ClientKey &client)
{
    auto &shard = m_perClient.shardFor(client);
    const std::lock_guard lock(shard.mutex);
    const auto found = shard.entries.find(client);
    return found == shard.entries.end() ? 0 : found->second;
}

} // namespace fulcrum

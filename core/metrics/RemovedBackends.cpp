// SPDX-License-Identifier: GPL-3.0-or-later
#include "RemovedBackends.h"

#include <QSet>

#include <atomic>

namespace fulcrum {

void RemovedBackends::update(const PoolTables &tables)
{
    std::vector<std::shared_ptr<BackendRuntime>> present;
    QSet<const BackendRuntime *> lookup;
    for (const PoolTable &pool : tables) {
        for (const Backend &backend : pool.table->backends()) {
            present.push_back(backend.runtime);
            lookup.insert(backend.runtime.get());
        }
    }
    const auto isPresent = [&lookup](const std::shared_ptr<BackendRuntime> &runtime) {
        return lookup.contains(runtime.get());
    };
    for (std::shared_ptr<BackendRuntime> &runtime : m_present) {
        if (!isPresent(runtime))
            m_removed.push_back(std::move(runtime));
    }
    // A runtime is never put back into a table today; should one be, it must not count twice.
    std::erase_if(m_removed, isPresent);
    m_present = std::move(present);
}

void RemovedBackends::addTo(ListenerSums &sums, int workerCount)
{
    std::erase_if(m_removed, [this, &sums, workerCount](const std::shared_ptr<BackendRuntime> &runtime) {
        // Looked at before the counters are read: with no other owner left, no worker can count any
        // more, and the fence makes the counts they made before letting go visible here.
        const bool lastOwner = runtime.use_count() == 1;
        if (lastOwner)
            std::atomic_thread_fence(std::memory_order_acquire);
        BackendMetrics counts;
        readBackendCounters(*runtime, workerCount, counts);
        if (lastOwner)
            m_released.add(counts);
        else
            sums.add(counts);
        return lastOwner;
    });
    sums.add(m_released);
}

} // namespace fulcrum

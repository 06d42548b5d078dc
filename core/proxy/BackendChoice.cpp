// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendChoice.h"

#include "proxy/UpstreamPool.h"

namespace fulcrum {

namespace {
struct Chooser
{
    const BackendTable &table;
    const TriedBackends &tried;
    const UpstreamPool &pool;
    int workerIndex;
    BackendChoice choice;

    bool wasTried(qsizetype index) const { return tried.contains(table.at(index).runtime.get()); }

    bool underLimits(qsizetype index)
    {
        const Backend &backend = table.at(index);
        const std::optional<LimitKind> limit = exceededLimit(backend, pool.hasIdle(backend));
        if (!limit)
            return true;
        backend.runtime->counters.slot(workerIndex).limitRejections[static_cast<std::size_t>(*limit)].add();
        choice.limitHit = limit;
        return false;
    }

    // The first of the `steps` backends of the rotation after `from` (wrapping) that passes `accept`,
    // or -1.
    template <typename Accept>
    qsizetype nextAfter(qsizetype from, qsizetype steps, Accept accept)
    {
        for (qsizetype step = 1; step <= steps; ++step) {
            const qsizetype index = (from + step) % table.size();
            if (table.inRotation(index) && accept(index))
                return index;
        }
        return -1;
    }
};
} // namespace

BackendChoice chooseBackend(const BackendTable &table, const PickContext &context, const TriedBackends &tried,
                            const UpstreamPool &pool, int workerIndex)
{
    Chooser chooser{table, tried, pool, workerIndex, {}};
    const qsizetype picked = table.pick(context);
    if (picked < 0)
        return chooser.choice;
    if (!chooser.wasTried(picked) && chooser.underLimits(picked)) {
        chooser.choice.index = picked;
        return chooser.choice;
    }
    // Each backend is looked at once per pass (the pick already was), so a backend at a limit counts
    // one refusal per request: the others not tried yet, then, for a retry, the ones tried before.
    chooser.choice.index = chooser.nextAfter(picked, table.size() - 1, [&chooser](qsizetype i) {
        return !chooser.wasTried(i) && chooser.underLimits(i);
    });
    if (chooser.choice.index < 0 && !tried.isEmpty())
        chooser.choice.index = chooser.nextAfter(picked - 1, table.size(), [&chooser](qsizetype i) {
            return chooser.wasTried(i) && chooser.underLimits(i);
        });
    if (chooser.choice.index >= 0)
        chooser.choice.limitHit.reset();
    return chooser.choice;
}

} // namespace fulcrum

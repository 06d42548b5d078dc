// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Backend tables for the strategy tests: backends named a, b, c... with the given weights.

#include "balancing/BackendTable.h"

#include <QList>
#include <QString>

#include <cmath>
#include <vector>

namespace fulcrum::test {

inline QString backendName(qsizetype index)
{
    return QString(QChar(char16_t(u'a' + index)));
}

inline QList<Backend> backendsWithWeights(const QList<int> &weights, const QStringList &names = {})
{
    QList<Backend> backends;
    for (qsizetype i = 0; i < weights.size(); ++i) {
        Backend backend;
        backend.config.name = names.isEmpty() ? backendName(i) : names.at(i);
        backend.config.weight = weights.at(i);
        backend.runtime = std::make_shared<BackendRuntime>();
        backends.append(backend);
    }
    return backends;
}

inline BalancingConfig balancing(StrategyKind kind, HashKey key = {})
{
    BalancingConfig config;
    config.strategy = kind;
    config.hashKey = std::move(key);
    return config;
}

inline BackendTable tableWithWeights(const QList<int> &weights, StrategyKind kind, HashKey key = {})
{
    return BackendTable(backendsWithWeights(weights), 1, balancing(kind, std::move(key)));
}

// The table's picks as letters, "-" for no backend.
inline QString picks(const BackendTable &table, int count, const PickContext &context = {})
{
    QString sequence;
    for (int i = 0; i < count; ++i) {
        const qsizetype index = table.pick(context);
        sequence += index < 0 ? QChar(u'-') : QChar(char16_t(u'a' + index));
    }
    return sequence;
}

// How often each backend was picked over `count` picks.
inline std::vector<int> pickCounts(const BackendTable &table, int count, const PickContext &context = {})
{
    std::vector<int> counts(std::size_t(table.size()), 0);
    for (int i = 0; i < count; ++i) {
        const qsizetype index = table.pick(context);
        if (index < 0 || index >= table.size())
            return {};
        ++counts[std::size_t(index)];
    }
    return counts;
}

inline void setInFlight(const BackendTable &table, const QList<int> &inFlight)
{
    for (qsizetype i = 0; i < inFlight.size(); ++i)
        table.at(i).runtime->inFlight.store(inFlight.at(i));
}

// Five standard deviations of a binomial count: `trials` independent picks, each landing on the
// backend with probability p. A correct strategy strays further than this about once in 1.7 million
// checks (normal approximation, fine at these sizes), so a failure means a wrong share, not bad luck.
inline double fiveSigma(int trials, double p)
{
    return 5.0 * std::sqrt(trials * p * (1.0 - p));
}

} // namespace fulcrum::test

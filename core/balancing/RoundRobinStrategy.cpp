// SPDX-License-Identifier: GPL-3.0-or-later
#include "RoundRobinStrategy.h"

#include <algorithm>
#include <numeric>

namespace fulcrum {

namespace {

qint64 reduceByGcd(std::vector<qint64> &weights)
{
    qint64 divisor = 0;
    for (const qint64 weight : weights)
        divisor = std::gcd(divisor, weight);
    qint64 total = 0;
    for (qint64 &weight : weights) {
        weight /= divisor;
        total += weight;
    }
    return total;
}

} // namespace

std::vector<qint32> smoothWeightedSchedule(std::vector<qint64> weights, qsizetype maxLength, qint64 maxWork)
{
    std::vector<qint32> schedule;
    if (weights.empty())
        return schedule;
    const auto count = qint64(weights.size());
    for (qint64 &weight : weights)
        weight = std::max<qint64>(weight, 1);
    qint64 total = reduceByGcd(weights);
    // Each backend keeps at least one turn, so the period can never be shorter than the rotation.
    const qint64 limit = std::max(count, std::min<qint64>(maxLength, maxWork / count));
    if (total > limit) {
        for (qint64 &weight : weights)
            weight = std::max<qint64>(1, weight * limit / total);
        total = reduceByGcd(weights);
    }

    schedule.reserve(std::size_t(total));
    std::vector<qint64> score(weights.size(), 0);
    for (qint64 step = 0; step < total; ++step) {
        qsizetype best = 0;
        for (qsizetype i = 0; i < qsizetype(weights.size()); ++i) {
            score[i] += weights[i];
            if (score[i] > score[best])
                best = i;
        }
        score[best] -= total;
        schedule.push_back(qint32(best));
    }
    return schedule;
}

RoundRobinStrategy::RoundRobinStrategy(const std::vector<RotationEntry> &rotation)
{
    std::vector<qint64> weights;
    weights.reserve(rotation.size());
    for (const RotationEntry &entry : rotation)
        weights.push_back(entry.weight);
    m_schedule = smoothWeightedSchedule(std::move(weights), MaxScheduleLength, MaxScheduleWork);
    for (qint32 &step : m_schedule)
        step = qint32(rotation[std::size_t(step)].tableIndex);
}

} // namespace fulcrum

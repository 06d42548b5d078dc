// SPDX-License-Identifier: GPL-3.0-or-later
#include "SnapshotEvents.h"

#include <QHash>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

QList<ConsoleEvent> eventsBetween(const MetricsSnapshot &before, const MetricsSnapshot &after)
{
    QHash<QString, const BackendMetrics *> earlier;
    for (const BackendMetrics &backend : before.backends)
        earlier.insert(backend.name, &backend);
    QList<ConsoleEvent> events;
    const QDateTime time = after.time.isValid() ? after.time.toLocalTime() : QDateTime::currentDateTime();
    for (const BackendMetrics &backend : after.backends) {
        const BackendMetrics *previous = earlier.value(backend.name);
        // A backend that is new, or came back with fresh counters, has no interval to speak of.
        if (!previous || backend.requests < previous->requests)
            continue;
        if (backend.circuitOpen > previous->circuitOpen)
            events.append(
                {time,
                 u"breaker"_s,
                 backend.name,
                 u"circuit breaker refused %1 requests"_s.arg(backend.circuitOpen - previous->circuitOpen),
                 {},
                 {}});
        if (backend.retryExhausted > previous->retryExhausted)
            events.append({time,
                           u"retry-exhausted"_s,
                           backend.name,
                           u"%1 requests failed here with no retry left"_s.arg(backend.retryExhausted -
                                                                               previous->retryExhausted),
                           {},
                           {}});
    }
    return events;
}

} // namespace fulcrum::console

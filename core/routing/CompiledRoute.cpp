// SPDX-License-Identifier: GPL-3.0-or-later
#include "CompiledRoute.h"

#include "balancing/BackendTable.h"
#include "balancing/RoundRobinStrategy.h"
#include "balancing/StickySession.h"
#include "http/CookieHeader.h"
#include "routing/RequestPath.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
// Far beyond any split an operator writes (weights are at most 10000 each); the bound only keeps a
// pathological configuration from costing memory.
constexpr qsizetype kMaxSplitSchedule = 1 << 16;
constexpr qint64 kMaxSplitScheduleWork = qint64(1) << 22;

bool anyValueEquals(const HttpHeaders &headers, QByteArrayView name, QByteArrayView value)
{
    for (const HttpHeader &header : headers) {
        if (headerNameEquals(header.name, name) && header.value == value)
            return true;
    }
    return false;
}
} // namespace

CompiledRoute::CompiledRoute(const RouteConfig &config, const QStringList &poolNames,
                             const QHash<QString, RequestPolicy> &policies)
    : m_config(config)
{
    if (config.match) {
        const RouteMatch &match = *config.match;
        m_host = match.host.toUtf8().toLower();
        // Compared with normalised request paths, so normalised the same way.
        m_path = normaliseRoutingPath(match.path.toUtf8()).value_or(match.path.toUtf8());
        m_pathPrefix = normaliseRoutingPath(match.pathPrefix.toUtf8()).value_or(match.pathPrefix.toUtf8());
        m_method = match.method.toUtf8();
        for (const HeaderMatch &header : match.headers) {
            m_headers.append({header.name.toLatin1(), header.value.toUtf8()});
            m_headerPresentOnly.append(header.presentOnly);
        }
        for (const QueryMatch &parameter : match.query)
            m_query.append({parameter.name.toUtf8(), parameter.value.toUtf8()});
    }
    m_stickyName = config.stickyCookie.name.toLatin1();

    QList<SplitTarget> targets;
    if (config.action == RouteActionKind::Forward)
        targets.append({config.pool, 1});
    else if (config.action == RouteActionKind::Split)
        targets = config.split;
    std::vector<qint64> weights;
    std::vector<qint32> weighted; // target index of each entry of weights
    for (const SplitTarget &split : std::as_const(targets)) {
        RouteTarget target;
        target.pool = poolNames.indexOf(split.pool);
        target.poolName = split.pool;
        target.weight = split.weight;
        target.policy = config.overrides.appliedTo(policies.value(split.pool));
        target.stickyValue = stickyValueFor(u"pool:"_s + split.pool);
        if (split.weight > 0) {
            weights.push_back(split.weight);
            weighted.push_back(qint32(m_targets.size()));
        }
        m_targets.push_back(std::move(target));
    }
    m_schedule = smoothWeightedSchedule(std::move(weights), kMaxSplitSchedule, kMaxSplitScheduleWork);
    for (qint32 &step : m_schedule)
        step = weighted[std::size_t(step)];
}

bool CompiledRoute::matches(const RoutingRequest &request) const
{
    if (!m_method.isEmpty() && request.method != m_method)
        return false;
    if (!m_host.isEmpty() && !hostMatches(m_host, request.host))
        return false;
    if (!m_path.isEmpty() && request.path != m_path)
        return false;
    if (!m_pathPrefix.isEmpty() && !pathHasPrefix(request.path, m_pathPrefix))
        return false;
    for (qsizetype i = 0; i < m_headers.size(); ++i) {
        const HttpHeader &wanted = m_headers.at(i);
        const bool present = m_headerPresentOnly.at(i)
                                 ? request.headers->contains(wanted.name)
                                 : anyValueEquals(*request.headers, wanted.name, wanted.value);
        if (!present)
            return false;
    }
    for (const HttpHeader &parameter : m_query) {
        if (!queryHasParameter(request.query, parameter.name, parameter.value))
            return false;
    }
    return true;
}

qsizetype CompiledRoute::chooseTarget(const RequestHead &request, QByteArray *setCookie) const
{
    if (m_config.action == RouteActionKind::Forward)
        return 0;
    const bool sticky = !m_stickyName.isEmpty();
    QByteArrayView pinned;
    if (sticky) {
        pinned = requestCookie(request.headers, m_stickyName).value_or(QByteArrayView());
        // A pool whose weight went to zero gets no client, pinned or not: that is how a canary is
        // rolled back.
        for (qsizetype i = 0; !pinned.isEmpty() && i < targetCount(); ++i) {
            if (m_targets[std::size_t(i)].stickyValue == pinned && m_targets[std::size_t(i)].weight > 0)
                return i;
        }
    }
    if (m_schedule.empty())
        return -1;
    const qsizetype chosen = m_schedule[m_cursor.fetch_add(1, std::memory_order_relaxed) % m_schedule.size()];
    if (sticky)
        *setCookie = stickySetCookie(m_config.stickyCookie, m_targets[std::size_t(chosen)].stickyValue);
    return chosen;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "balancing/CacheLine.h"
#include "config/RoutingConfig.h"
#include "http/HttpMessage.h"
#include "routing/RoutingRequest.h"

#include <QByteArray>
#include <QStringList>

#include <atomic>
#include <vector>

namespace fulcrum {

// One pool a route sends requests to, with what those requests are allowed.
struct RouteTarget
{
    qsizetype pool = -1; // into the route set's pool names
    QString poolName;
    int weight = 1;
    RequestPolicy policy;   // the pool's, with the route's overrides on top
    QByteArray stickyValue; // the split cookie's value naming this pool
};

// A route prepared for the data plane: its conditions as bytes, its targets resolved to pools and, for a
// split, the smooth weighted round robin schedule over them. Immutable but for the split's cursor, an
// atomic shared by every worker, so a split of 80/20 holds exactly over all of them together.
class CompiledRoute
{
public:
    CompiledRoute(const RouteConfig &config, const QStringList &poolNames,
                  const QHash<QString, RequestPolicy> &policies);
    CompiledRoute(const CompiledRoute &) = delete;
    CompiledRoute &operator=(const CompiledRoute &) = delete;

    const RouteConfig &config() const { return m_config; }
    bool matches(const RoutingRequest &request) const;
    bool looksAtPath() const { return !m_path.isEmpty() || !m_pathPrefix.isEmpty(); }
    bool looksAtHost() const { return !m_host.isEmpty(); }

    // Forward and split: the target for this request, or -1 when every weight of the split is zero.
    // setCookie receives the split's Set-Cookie value when the client is to be pinned anew.
    qsizetype chooseTarget(const RequestHead &request, QByteArray *setCookie) const;
    const RouteTarget &target(qsizetype index) const { return m_targets[std::size_t(index)]; }
    qsizetype targetCount() const { return qsizetype(m_targets.size()); }

private:
    RouteConfig m_config;
    QByteArray m_host;
    QByteArray m_path;
    QByteArray m_pathPrefix;
    QByteArray m_method;
    QList<HttpHeader> m_headers; // value empty and m_headerPresentOnly set: presence is enough
    QList<bool> m_headerPresentOnly;
    QList<HttpHeader> m_query;
    QByteArray m_stickyName;
    std::vector<RouteTarget> m_targets;
    std::vector<qint32> m_schedule;
    alignas(CacheLineSize) mutable std::atomic<quint64> m_cursor{0};
};

} // namespace fulcrum

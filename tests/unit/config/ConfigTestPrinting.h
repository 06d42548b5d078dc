// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Readable QCOMPARE failures for the config types (QTest finds toString by argument-dependent lookup).

#include "config/ConfigError.h"
#include "config/ConfigValues.h"
#include "config/ProxyConfig.h"

#include <QStringList>
#include <QTest>

namespace fulcrum {

inline QString describe(const ListenAddress &a)
{
    return a.toString();
}

inline QString describe(const HealthCheckConfig &h)
{
    return QStringLiteral("{%1 %2 %3 expect %4 \"%5\" host \"%6\" every %7 timeout %8 jitter %9%")
               .arg(h.enabled ? QStringLiteral("on") : QStringLiteral("off"), h.method, h.path,
                    statusRangeText({h.expectStatusMin, h.expectStatusMax}), h.expectBody, h.host)
               .arg(h.intervalMs)
               .arg(h.timeoutMs)
               .arg(h.jitterPercent) +
           QStringLiteral(" rise %1 fall %2}").arg(h.rise).arg(h.fall);
}

inline QString describe(const CircuitBreakerConfig &c)
{
    return QStringLiteral("{connections %1 pending %2 requests %3}")
        .arg(c.maxConnections)
        .arg(c.maxPendingRequests)
        .arg(c.maxRequests);
}

inline QString describe(const BackendConfig &b)
{
    const QString slowStart =
        b.slowStartMs < 0 ? QString() : QStringLiteral(" slow start ") + QString::number(b.slowStartMs);
    // Only what differs from the defaults, to keep lists of backends readable.
    const QString healthCheck = b.healthCheck == HealthCheckConfig{}
                                    ? QString()
                                    : QStringLiteral(" health_check ") + describe(b.healthCheck);
    const QString circuitBreaker = b.circuitBreaker == CircuitBreakerConfig{}
                                       ? QString()
                                       : QStringLiteral(" circuit_breaker ") + describe(b.circuitBreaker);
    return b.name + u'=' + b.url() + u" weight " + QString::number(b.weight) + slowStart + healthCheck +
           circuitBreaker;
}

inline QString describe(const BalancingConfig &b)
{
    const QString cookie = b.stickyCookie.enabled()
                               ? b.stickyCookie.name + u" max-age " + QString::number(b.stickyCookie.maxAgeS)
                               : QStringLiteral("none");
    return QStringLiteral("strategy=%1 hash_key=%2 sticky_cookie=%3 slow_start=%4 panic_mode=%5")
        .arg(strategyName(b.strategy), hashKeyText(b.hashKey), cookie)
        .arg(b.slowStartMs)
        .arg(panicModeName(b.panicMode));
}

inline QString describe(const OutlierDetectionConfig &o)
{
    return QStringLiteral("{%1 after %2%3 eject %4..%5 ms at most %6%}")
        .arg(o.enabled ? QStringLiteral("on") : QStringLiteral("off"))
        .arg(o.consecutiveFailures)
        .arg(o.count5xx ? QStringLiteral(" with 5xx") : QString())
        .arg(o.baseEjectionMs)
        .arg(o.maxEjectionMs)
        .arg(o.maxEjectionPercent);
}

inline QString describe(const RetryConfig &r)
{
    QStringList statuses;
    for (const int status : r.retryStatuses)
        statuses.append(QString::number(status));
    return QStringLiteral("{max %1 statuses [%2] backoff %3..%4 ms budget %5% of %6 ms min %7 body %8}")
        .arg(r.maxRetries)
        .arg(statuses.join(u','))
        .arg(r.backoffBaseMs)
        .arg(r.backoffMaxMs)
        .arg(r.budgetPercent)
        .arg(r.budgetWindowMs)
        .arg(r.budgetMinRetries)
        .arg(r.maxBufferedBodyBytes);
}

template <typename T>
QString describeList(const QList<T> &items)
{
    QStringList parts;
    for (const T &item : items)
        parts.append(describe(item));
    return u'[' + parts.join(u", ") + u']';
}

inline QString describe(const ProxyConfig &c)
{
    const Timeouts &t = c.timeouts;
    const Limits &l = c.limits;
    return QStringLiteral("listen=%1 workers=%2 backends=%3 %4 timeouts={%5 %6 %7 %8 %9 %10 %11}")
               .arg(describeList(c.listen))
               .arg(c.workers)
               .arg(describeList(c.backends))
               .arg(describe(c.balancing))
               .arg(t.clientHeaderMs)
               .arg(t.clientIdleMs)
               .arg(t.upstreamConnectMs)
               .arg(t.upstreamResponseMs)
               .arg(t.upstreamIdleMs)
               .arg(t.drainMs)
               .arg(t.tunnelIdleMs) +
           QStringLiteral(" limits={%1 %2 %3 %4} log=%5 access_log=%6 metrics=%7")
               .arg(l.maxHeaderBytes)
               .arg(l.maxRequestTargetBytes)
               .arg(l.maxBodyBytes)
               .arg(l.upstreamIdlePerBackend)
               .arg(logFormatName(c.logFormat))
               .arg(c.accessLog ? QStringLiteral("on") : QStringLiteral("off"))
               .arg(c.metricsIntervalMs) +
           QStringLiteral(" health_check=%1 circuit_breaker=%2 outlier_detection=%3 retries=%4")
               .arg(describe(c.healthCheck), describe(c.circuitBreaker), describe(c.outlierDetection),
                    describe(c.retries));
}

inline QString describe(const RequestPolicy &p)
{
    return QStringLiteral("{retries %1 connect %2 response %3 body %4}")
        .arg(describe(p.retries))
        .arg(p.upstreamConnectMs)
        .arg(p.upstreamResponseMs)
        .arg(p.maxBodyBytes);
}

inline QString describe(const PoolConfig &p)
{
    return p.name + QStringLiteral(" {%1 backends=%2 health_check=%3 circuit_breaker=%4 policy=%5}")
                        .arg(describe(p.balancing), describeList(p.backends), describe(p.healthCheck),
                             describe(p.circuitBreaker), describe(p.policy));
}

inline QString describe(const RouteMatch &m)
{
    QStringList parts;
    for (const HeaderMatch &h : m.headers)
        parts.append(h.presentOnly ? QStringLiteral("header %1 present").arg(h.name)
                                   : QStringLiteral("header %1=%2").arg(h.name, h.value));
    for (const QueryMatch &q : m.query)
        parts.append(QStringLiteral("query %1=%2").arg(q.name, q.value));
    return QStringLiteral("{host %1 path %2 prefix %3 method %4 %5}")
        .arg(m.host, m.path, m.pathPrefix, m.method, parts.join(u' '));
}

inline QString describe(const HeaderRules &r)
{
    QStringList parts;
    for (const QByteArray &name : r.remove)
        parts.append(QStringLiteral("-") + QString::fromLatin1(name));
    for (const HeaderValue &h : r.set)
        parts.append(QString::fromLatin1(h.name) + u'=' + QString::fromUtf8(h.value));
    for (const HeaderValue &h : r.add)
        parts.append(QStringLiteral("+") + QString::fromLatin1(h.name) + u'=' + QString::fromUtf8(h.value));
    return u'{' + parts.join(u' ') + u'}';
}

inline QString describe(const RouteConfig &r)
{
    QStringList split;
    for (const SplitTarget &t : r.split)
        split.append(t.pool + u' ' + QString::number(t.weight));
    const PolicyOverrides &o = r.overrides;
    const QString overrides =
        QStringLiteral("{retries %1 connect %2 response %3 body %4}")
            .arg(o.retries ? describe(*o.retries) : QStringLiteral("-"),
                 o.upstreamConnectMs ? QString::number(*o.upstreamConnectMs) : QStringLiteral("-"),
                 o.upstreamResponseMs ? QString::number(*o.upstreamResponseMs) : QStringLiteral("-"),
                 o.maxBodyBytes ? QString::number(*o.maxBodyBytes) : QStringLiteral("-"));
    return r.name +
           QStringLiteral(" match=%1 action=%2 pool=%3 split=[%4] cookie=%5/%6 redirect=%7 %8 respond=%9")
               .arg(r.match ? describe(*r.match) : QStringLiteral("none"))
               .arg(int(r.action))
               .arg(r.pool, split.join(u", "), r.stickyCookie.name)
               .arg(r.stickyCookie.maxAgeS)
               .arg(r.redirect.status)
               .arg(r.redirect.location)
               .arg(r.respond.status) +
           QStringLiteral(" \"%1\" %2 request_headers=%3 response_headers=%4 rewrite=%5->%6 overrides=%7")
               .arg(QString::fromUtf8(r.respond.body), r.respond.contentType, describe(r.requestHeaders),
                    describe(r.responseHeaders), r.rewrite.prefix, r.rewrite.replacement, overrides);
}

inline char *toString(const PoolConfig &p)
{
    return QTest::toString(describe(p));
}

inline char *toString(const RouteConfig &r)
{
    return QTest::toString(describe(r));
}

inline char *toString(const RequestPolicy &p)
{
    return QTest::toString(describe(p));
}

inline char *toString(const ProxyConfig &c)
{
    return QTest::toString(describe(c));
}

inline char *toString(const ListenAddress &a)
{
    return QTest::toString(describe(a));
}

inline char *toString(const BackendConfig &b)
{
    return QTest::toString(describe(b));
}

inline char *toString(const BalancingConfig &b)
{
    return QTest::toString(describe(b));
}

inline char *toString(const HealthCheckConfig &h)
{
    return QTest::toString(describe(h));
}

inline char *toString(const CircuitBreakerConfig &c)
{
    return QTest::toString(describe(c));
}

inline char *toString(const OutlierDetectionConfig &o)
{
    return QTest::toString(describe(o));
}

inline char *toString(const RetryConfig &r)
{
    return QTest::toString(describe(r));
}

inline char *toString(const HashKey &k)
{
    return QTest::toString(hashKeyText(k));
}

inline char *toString(const ConfigError &e)
{
    return QTest::toString(e.toString());
}

// Empty when errors holds exactly one error with this field, this value (unless expectedValue is null)
// and a reason containing reasonFragment; otherwise what differs, for QVERIFY2.
inline QString mismatchOfSingleError(const QList<ConfigError> &errors, const QString &field,
                                     const QString &expectedValue, const QString &reasonFragment)
{
    const QString all = formatConfigErrors(errors);
    if (errors.size() != 1)
        return QStringLiteral("expected exactly one error, got %1:\n").arg(errors.size()) + all;
    const ConfigError &e = errors.constFirst();
    if (e.field != field)
        return QStringLiteral("field: expected \"%1\" in ").arg(field) + all;
    if (!expectedValue.isNull() && e.value != expectedValue)
        return QStringLiteral("value: expected \"%1\" in ").arg(expectedValue) + all;
    if (!e.reason.contains(reasonFragment))
        return QStringLiteral("reason: expected \"%1\" in ").arg(reasonFragment) + all;
    return {};
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "BalancingTest.h"

#include <QHostAddress>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

BackendConfig backendConfigFor(const FakeBackend &backend, int weight)
{
    BackendConfig config;
    config.name = backend.name();
    config.host = u"127.0.0.1"_s;
    config.port = backend.port();
    config.weight = weight;
    return config;
}

ProxyConfig inProcessConfig(const QList<BackendConfig> &backends, const BalancingConfig &balancing,
                            int workers)
{
    ProxyConfig config;
    config.listen = {{QHostAddress(QHostAddress::LocalHost), 0}};
    config.workers = workers;
    config.backends = backends;
    config.balancing = balancing;
    config.accessLog = false;
    return config;
}

QString binomialMiss(int count, int trials, double p, double sigmas)
{
    const double mean = trials * p;
    const double sigma = std::sqrt(trials * p * (1.0 - p));
    const double deviation = std::abs(count - mean);
    if (deviation <= sigmas * sigma)
        return {};
    return u"%1 of %2 where %3 ± %4 (%5 σ) was expected: %6 σ off"_s.arg(count)
        .arg(trials)
        .arg(mean, 0, 'f', 1)
        .arg(sigmas * sigma, 0, 'f', 1)
        .arg(sigmas)
        .arg(deviation / sigma, 0, 'f', 1);
}

QString describeCounts(const QHash<QByteArray, int> &counts)
{
    QList<QByteArray> names = counts.keys();
    std::sort(names.begin(), names.end());
    QStringList parts;
    for (const QByteArray &name : std::as_const(names))
        parts.append(QString::fromLatin1(name.isEmpty() ? QByteArray("(none)") : name) + u'=' +
                     QString::number(counts.value(name)));
    return parts.join(u' ');
}

} // namespace fulcrum::test

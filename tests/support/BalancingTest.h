// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "FakeBackend.h"
#include "LoadGenerator.h"
#include "config/ProxyConfig.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

namespace fulcrum::test {

// The in-process configuration of a FakeBackend: named after it, on 127.0.0.1.
BackendConfig backendConfigFor(const FakeBackend &backend, int weight = 1);

// An in-process ProxyServer configuration: one ephemeral listener on 127.0.0.1, no access log.
ProxyConfig inProcessConfig(const QList<BackendConfig> &backends, const BalancingConfig &balancing = {},
                            int workers = 2);

// Empty when `count` successes out of `trials` lie within `sigmas` standard deviations of a binomial
// distribution with success probability p; otherwise says by how much they miss.
QString binomialMiss(int count, int trials, double p, double sigmas);

// "a=500 b=100 c=100": per-backend counts, sorted by name, for failure messages.
QString describeCounts(const QHash<QByteArray, int> &counts);

} // namespace fulcrum::test

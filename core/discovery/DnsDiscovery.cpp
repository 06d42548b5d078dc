// SPDX-License-Identifier: GPL-3.0-or-later
#include "DnsDiscovery.h"

#include "control/BackendRegistry.h"
#include "discovery/DiscoveredBackends.h"
#include "discovery/DnsLookupJob.h"

#include <QEventLoop>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

// However short a TTL, a name is not asked for more often than this.
constexpr int minimumLookupIntervalMs = 500;
// After a failure the next try comes sooner than the interval, so a blip costs little.
constexpr int retryAfterFailureMs = 5'000;

} // namespace

DnsDiscovery::DnsDiscovery(BackendRegistry &registry, QObject *parent) : QObject(parent), m_registry(registry)
{}

DnsDiscovery::~DnsDiscovery() = default;

QList<DnsDiscovery::Discovered> DnsDiscovery::discoveredIn(const ProxyConfig &config)
{
    QList<Discovered> found;
    const auto collect = [&found](const QString &pool, const QList<BackendConfig> &backends) {
        for (const BackendConfig &backend : backends) {
            if (backend.discovery != BackendDiscovery::None)
                found.append({pool, backend});
        }
    };
    collect(QString(), config.backends);
    for (const PoolConfig &pool : config.pools)
        collect(pool.name, pool.backends);
    return found;
}

bool DnsDiscovery::discovers(const ProxyConfig &config)
{
    return !discoveredIn(config).isEmpty();
}

DnsDiscovery::Name &DnsDiscovery::nameFor(const DnsQuestion &question)
{
    const QString key = question.toString();
    auto found = m_names.find(key);
    if (found == m_names.end()) {
        found = m_names.emplace(key, Name{question, std::nullopt, nullptr, std::make_unique<QTimer>()}).first;
        QTimer *timer = found->second.timer.get();
        timer->setSingleShot(true);
        connect(timer, &QTimer::timeout, this, [this, key] {
            if (const auto name = m_names.find(key); name != m_names.end())
                lookUp(name->second);
        });
    }
    return found->second;
}

void DnsDiscovery::lookUp(Name &name)
{
    if (name.job)
        return;
    name.timer->stop();
    name.job = new DnsLookupJob(name.question, m_dns.server, this);
    const QString key = name.question.toString();
    connect(name.job, &DnsLookupJob::finished, this,
            [this, key](const DnsAnswer &answer) { answered(key, answer); });
    name.job->start();
}

void DnsDiscovery::lookUpNow(const ProxyConfig &config, int timeoutMs)
{
    m_dns = config.dns;
    for (const Discovered &discovered : discoveredIn(config))
        lookUp(nameFor(questionOf(discovered.backend)));
    const auto pending = [this] {
        return std::any_of(m_names.cbegin(), m_names.cend(),
                           [](const auto &entry) { return entry.second.job != nullptr; });
    };
    if (!pending())
        return;
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(this, &DnsDiscovery::lookedUp, &loop, [&loop, &pending] {
        if (!pending())
            loop.quit();
    });
    deadline.start(timeoutMs);
    loop.exec();
}

ProxyConfig DnsDiscovery::expand(const ProxyConfig &config) const
{
    const auto expandList = [this](const QList<BackendConfig> &backends) {
        QList<BackendConfig> expanded;
        for (const BackendConfig &backend : backends) {
            if (backend.discovery == BackendDiscovery::None) {
                expanded.append(backend);
                continue;
            }
            const auto name = m_names.find(questionOf(backend).toString());
            if (name != m_names.cend() && name->second.addresses)
                expanded.append(expandDiscovered(backend, *name->second.addresses));
        }
        return expanded;
    };
    ProxyConfig expanded = config;
    expanded.backends = expandList(config.backends);
    for (PoolConfig &pool : expanded.pools)
        pool.backends = expandList(pool.backends);
    return expanded;
}

void DnsDiscovery::follow(const ProxyConfig &config)
{
    m_dns = config.dns;
    m_followed = discoveredIn(config);
    QStringList wanted;
    for (const Discovered &discovered : std::as_const(m_followed))
        wanted.append(questionOf(discovered.backend).toString());
    for (auto name = m_names.begin(); name != m_names.end();) {
        if (wanted.contains(name->first)) {
            ++name;
            continue;
        }
        delete name->second.job;
        name = m_names.erase(name);
    }
    for (const Discovered &discovered : std::as_const(m_followed)) {
        Name &name = nameFor(questionOf(discovered.backend));
        if (name.job || name.timer->isActive())
            continue; // already looked up, and due again
        if (name.addresses)
            name.timer->start(m_dns.intervalMs);
        else
            lookUp(name);
    }
}

int DnsDiscovery::store(Name &name, const DnsAnswer &answer)
{
    if (!answer.ok())
        return std::min(m_dns.intervalMs, retryAfterFailureMs);
    name.addresses = answer.addresses;
    const qint64 ttlMs = qint64(answer.ttlSeconds) * 1000;
    return static_cast<int>(std::clamp<qint64>(ttlMs, minimumLookupIntervalMs, m_dns.intervalMs));
}

void DnsDiscovery::answered(const QString &key, const DnsAnswer &answer)
{
    const auto found = m_names.find(key);
    if (found == m_names.end())
        return;
    Name &name = found->second;
    name.job->deleteLater();
    name.job = nullptr;
    const QList<DiscoveredAddress> before = name.addresses.value_or(QList<DiscoveredAddress>());
    const bool changed = answer.ok() && (!name.addresses || before != answer.addresses);
    name.timer->start(store(name, answer));
    if (changed) {
        const QString reason = u"DNS: %1 has %2 addresses"_s.arg(key).arg(answer.addresses.size());
        for (const Discovered &discovered : std::as_const(m_followed)) {
            if (questionOf(discovered.backend) == name.question)
                applyChange(discovered, before, answer.addresses, reason);
        }
    }
    const qsizetype kept = name.addresses ? name.addresses->size() : 0;
    Q_EMIT lookedUp(key, static_cast<int>(answer.ok() ? answer.addresses.size() : kept), answer.error);
}

void DnsDiscovery::applyChange(const Discovered &discovered, const QList<DiscoveredAddress> &before,
                               const QList<DiscoveredAddress> &after, const QString &reason)
{
    const BackendSetChange change = diffBackends(expandDiscovered(discovered.backend, before),
                                                 expandDiscovered(discovered.backend, after));
    QString error;
    for (const QString &name : change.removed) {
        if (!m_registry.removeBackend(name, reason, &error))
            qWarning("DNS: cannot remove backend %s: %s", qPrintable(name), qPrintable(error));
    }
    for (const BackendConfig &backend : change.added) {
        if (!m_registry.addBackend(backend, reason, &error, discovered.pool))
            qWarning("DNS: cannot add backend %s: %s", qPrintable(backend.name), qPrintable(error));
    }
    for (const BackendConfig &backend : change.reweighed) {
        if (!m_registry.setWeight(backend.name, backend.weight, reason, &error))
            qWarning("DNS: cannot set the weight of backend %s: %s", qPrintable(backend.name),
                     qPrintable(error));
    }
}

} // namespace fulcrum

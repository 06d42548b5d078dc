// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"
#include "discovery/DnsAnswer.h"

#include <QObject>
#include <QTimer>

#include <map>
#include <memory>
#include <optional>

namespace fulcrum {

class BackendRegistry;
class DnsLookupJob;

// Keeps the backends given by DNS (BackendDiscovery: "resolve", srv://) in step with their names. Each
// name is looked up again on the interval, or sooner when its records' TTL ends; what changed reaches the
// registry like any live change: new addresses are added (and take slow start), vanished ones are
// removed (and drain), SRV weights follow. A failed look-up keeps the last good set and logs why. Lives
// on the control thread, beside the registry.
class DnsDiscovery final : public QObject
{
    Q_OBJECT
public:
    explicit DnsDiscovery(BackendRegistry &registry, QObject *parent = nullptr);
    ~DnsDiscovery() override;

    // Whether config has any backend to discover.
    static bool discovers(const ProxyConfig &config);

    // Looks up every discovered name of config now and waits for the answers, up to timeoutMs: before the
    // proxy starts, so that it starts with its backends. A name without an answer starts with none.
    void lookUpNow(const ProxyConfig &config, int timeoutMs);
    // config with each discovered backend replaced by the backends of the addresses last found for its
    // name (none for a name not looked up yet).
    ProxyConfig expand(const ProxyConfig &config) const;
    // From now on keeps config's discovered backends (already applied as expand gave them) up to date;
    // a name not looked up before is looked up at once. Called again after each reload.
    void follow(const ProxyConfig &config);

Q_SIGNALS:
    // After each look-up: error is empty when it succeeded.
    void lookedUp(const QString &question, int addresses, const QString &error);

private:
    struct Discovered
    {
        QString pool; // empty for the top-level backends
        BackendConfig backend;
    };
    struct Name
    {
        DnsQuestion question;
        std::optional<QList<DiscoveredAddress>> addresses; // the last good answer
        DnsLookupJob *job = nullptr;
        std::unique_ptr<QTimer> timer;
    };

    static QList<Discovered> discoveredIn(const ProxyConfig &config);
    Name &nameFor(const DnsQuestion &question);
    void lookUp(Name &name);
    // Returns how long until the name is looked up again.
    int store(Name &name, const DnsAnswer &answer);
    void answered(const QString &key, const DnsAnswer &answer);
    void applyChange(const Discovered &discovered, const QList<DiscoveredAddress> &before,
                     const QList<DiscoveredAddress> &after, const QString &reason);

    BackendRegistry &m_registry;
    DnsConfig m_dns;
    QList<Discovered> m_followed;
    std::map<QString, Name> m_names; // by DnsQuestion::toString(); entries stay where they are
};

} // namespace fulcrum

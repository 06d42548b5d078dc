// SPDX-License-Identifier: GPL-3.0-or-later
#include "LogOutput.h"
#include "SignalWatcher.h"
#include "SystemdNotifier.h"
#include "admin/AdminServer.h"
#include "config/CommandLine.h"
#include "config/ConfigValues.h"
#include "control/RuntimeStateKeeper.h"
#include "demo/DemoBackends.h"
#include "discovery/DnsDiscovery.h"
#include "metrics/SnapshotFiles.h"
#include "proxy/ProxyServer.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <memory>

using namespace Qt::StringLiterals;
using namespace fulcrum;

namespace {

void printTo(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stream);
    if (!bytes.endsWith('\n'))
        std::fputc('\n', stream);
}

void printErrors(const QList<ConfigError> &errors)
{
    for (const ConfigError &error : errors)
        printTo(stderr, u"fulcrumd: "_s + error.toString());
}

// Settings a reload cannot apply to running workers: say so instead of silently ignoring them.
void warnAboutRestartOnlyChanges(const ProxyConfig &running, const ProxyConfig &loaded)
{
    if (running.listen != loaded.listen || running.workers != loaded.workers)
        qWarning("reload: listen addresses and worker count take effect only after a restart");
    if (running.trustedProxies != loaded.trustedProxies)
        qWarning("reload: trusted_proxies takes effect only after a restart");
    // Upstream timeouts and the body limit reach the pools' policies, which do reload.
    const Timeouts &before = running.timeouts;
    const Timeouts &after = loaded.timeouts;
    if (before.clientHeaderMs != after.clientHeaderMs || before.clientIdleMs != after.clientIdleMs ||
        before.upstreamIdleMs != after.upstreamIdleMs || before.drainMs != after.drainMs ||
        before.tunnelIdleMs != after.tunnelIdleMs ||
        running.limits.maxHeaderBytes != loaded.limits.maxHeaderBytes ||
        running.limits.maxRequestTargetBytes != loaded.limits.maxRequestTargetBytes ||
        running.limits.upstreamIdlePerBackend != loaded.limits.upstreamIdlePerBackend)
        qWarning(
            "reload: client and idle timeouts, drain_ms and header limits take effect only after a restart");
    if (running.rateLimit != loaded.rateLimit || running.pathRateLimits != loaded.pathRateLimits ||
        running.limits.maxClientConnections != loaded.limits.maxClientConnections ||
        running.limits.maxConnectionsPerClient != loaded.limits.maxConnectionsPerClient)
        qWarning("reload: rate_limit and the client connection limits take effect only after a restart");
}

QString describeListenOptions(const ListenAddress &address)
{
    QString text;
    if (address.proxyProtocol)
        text += u", PROXY protocol from trusted proxies only"_s;
    if (address.tls)
        text += u", TLS"_s;
    if (address.redirectHttpsPort != 0)
        text += u", redirecting every request to https on port %1"_s.arg(address.redirectHttpsPort);
    return text;
}

// Once per pool at start and on every reload: a pool that trusts any certificate is easy to forget.
void warnAboutUnverifiedTls(const ProxyConfig &config)
{
    for (const PoolConfig &pool : config.effectivePools()) {
        if (!pool.transport.tls.verify)
            qWarning(
                "pool %s: certificates of https backends are NOT verified (backend_tls.verify is false): "
                "anyone on the path can impersonate them",
                qPrintable(pool.name));
    }
}

QString describeBalancing(const BalancingConfig &balancing)
{
    QString text = strategyName(balancing.strategy);
    if (balancing.strategy == StrategyKind::ConsistentHash)
        text += u" on "_s + hashKeyText(balancing.hashKey);
    if (balancing.stickyCookie.enabled())
        text += u", sticky cookie "_s + balancing.stickyCookie.name;
    if (balancing.slowStartMs > 0)
        text += u", slow start %1 ms"_s.arg(balancing.slowStartMs);
    return text;
}

} // namespace

int main(int argc, char **argv)
{
    // Qt's own UNIX event dispatcher instead of glib's, whose per-wake-up list work dominated a
    // profile of a Qt proxy; every worker thread's dispatcher follows this setting.
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"fulcrumd"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(FULCRUM_VERSION));

    const CommandLineParseResult parsed = parseCommandLine(QCoreApplication::arguments());
    const CommandLineOptions &options = parsed.options;
    if (options.showHelp) {
        printTo(stdout, commandLineHelpText());
        return 0;
    }
    if (options.showVersion) {
        printTo(stdout, commandLineVersionText());
        return 0;
    }
    if (!parsed.ok()) {
        printErrors(parsed.errors);
        return 2;
    }
    const ConfigLoadResult resolved = resolveConfig(options);
    if (!resolved.ok()) {
        printErrors(resolved.errors);
        return 2;
    }
    if (options.checkConfig) {
        printTo(stdout, u"fulcrumd: configuration is valid"_s);
        return 0;
    }
    ProxyConfig config = resolved.config;
    installLogOutput(config.logFormat, config.logLevel);

    // Installed before anything listens, so a signal sent as soon as the listen line appears is
    // queued for the event loop instead of killing the process.
    SignalWatcher signals;
    QString error;
    if (!signals.install(&error)) {
        qCritical("cannot install signal handlers: %s", qPrintable(error));
        return 1;
    }
    SystemdNotifier systemd;

    DemoBackends demo;
    if (options.demo) {
        if (!demo.start()) {
            qCritical("cannot start the demo backends: %s", qPrintable(demo.errorString()));
            return 1;
        }
        if (config.backends.isEmpty()) {
            for (const BackendConfig &backend : demo.backends())
                config.backends.append(config.withPoolSettings(backend));
        }
        for (const BackendConfig &backend : demo.backends())
            qInfo("demo backend %s on %s", qPrintable(backend.name), qPrintable(backend.url()));
    }

    ProxyServer server;

    // Backends from DNS: the names are looked up before anything listens, so the proxy starts with them.
    DnsDiscovery discovery(server.backends());
    QObject::connect(&discovery, &DnsDiscovery::lookedUp, &server,
                     [](const QString &question, int addresses, const QString &lookupError) {
                         if (lookupError.isEmpty())
                             qDebug("DNS: %s: %d addresses", qPrintable(question), addresses);
                         else
                             qWarning("DNS: %s failed (%s); keeping the last %d addresses",
                                      qPrintable(question), qPrintable(lookupError), addresses);
                     });
    if (DnsDiscovery::discovers(config))
        discovery.lookUpNow(config, config.timeouts.upstreamConnectMs);
    const ProxyConfig declared = config;
    config = discovery.expand(declared);

    // Runtime state (--state-file): the changes people made at runtime are put back into the configuration
    // before it runs, and saved again on every change.
    std::unique_ptr<RuntimeStateKeeper> stateKeeper;
    if (!config.stateFile.isEmpty()) {
        stateKeeper =
            std::make_unique<RuntimeStateKeeper>(config.stateFile, server.backends(), server.routing());
        if (!stateKeeper->restore(config, &error)) {
            qCritical("%s", qPrintable(error));
            return 1;
        }
        qInfo("runtime state kept in %s", qPrintable(config.stateFile));
    }
    // End of runtime state.

    if (!server.start(config, &error)) {
        qCritical("%s", qPrintable(error));
        return 1;
    }
    discovery.follow(declared);
    QStringList boundAddresses;
    for (const ListenAddress &address : server.boundAddresses()) {
        qInfo("listening on %s with %d workers%s", qPrintable(address.toString()), server.workerCount(),
              qPrintable(describeListenOptions(address)));
        boundAddresses.append(address.toString());
    }
    for (const QString &certificate : server.describeCertificates())
        qInfo("TLS certificate %s", qPrintable(certificate));
    QString serviceStatus = u"listening on "_s + boundAddresses.join(u", "_s);
    for (const PoolConfig &pool : config.effectivePools()) {
        qInfo("pool %s: %s", qPrintable(pool.name), qPrintable(describeBalancing(pool.balancing)));
        for (const BackendConfig &backend : pool.backends)
            qInfo("backend %s at %s weight %d", qPrintable(backend.name), qPrintable(backend.url()),
                  backend.weight);
    }
    for (const RouteConfig &route : config.effectiveRoutes())
        qInfo("route %s: %s", qPrintable(route.name), qPrintable(describeRoute(route)));
    warnAboutUnverifiedTls(config);

    QObject::connect(&server.backends(), &BackendRegistry::backendChanged, &server,
                     [](const BackendChange &change) { qInfo("%s", qPrintable(change.describe())); });
    QObject::connect(&server.routing(), &RoutingRegistry::splitChanged, &server,
                     [](const QString &route, const QString &from, const QString &to, const QString &reason) {
                         qInfo("route %s: split %s -> %s (%s)", qPrintable(route), qPrintable(from),
                               qPrintable(to), qPrintable(reason));
                     });
    const ExportInfo exportInfo{QStringLiteral(FULCRUM_VERSION), QDateTime::currentSecsSinceEpoch()};
    const auto writeSnapshot = [&server, &config, &exportInfo](bool onRequest) {
        QString snapshotError;
        const QStringList written =
            writeSnapshotFiles(*server.collectSnapshot(), config.snapshotFiles, exportInfo, &snapshotError);
        // A failed write leaves the proxy serving: only the snapshot is lost, and the log says why.
        if (!snapshotError.isEmpty())
            qWarning("cannot write snapshot: %s", qPrintable(snapshotError));
        else if (onRequest)
            qInfo("snapshot written: %s", qPrintable(written.join(u", "_s)));
    };
    QTimer snapshotTimer;
    if (config.snapshotFiles.enabled()) {
        QObject::connect(&signals, &SignalWatcher::snapshotRequested, &app,
                         [&writeSnapshot] { writeSnapshot(true); });
        if (config.snapshotFiles.everySeconds > 0) {
            QObject::connect(&snapshotTimer, &QTimer::timeout, &app,
                             [&writeSnapshot] { writeSnapshot(false); });
            snapshotTimer.start(config.snapshotFiles.everySeconds * 1000);
        }
    } else {
        QObject::connect(&signals, &SignalWatcher::snapshotRequested, &app,
                         [] { qWarning("SIGUSR1: no --snapshot-dir to write a snapshot to"); });
    }
    QObject::connect(&server, &ProxyServer::drained, &app, [](bool complete) {
        qInfo(complete ? "drained, exiting" : "drain timeout, exiting with requests cut short");
        QCoreApplication::exit(0);
    });

    bool terminating = false;
    QObject::connect(&signals, &SignalWatcher::terminateRequested, &app, [&](int signalNumber) {
        if (terminating) {
            qWarning("second termination signal: exiting without waiting for in-flight requests");
            QCoreApplication::exit(1);
            return;
        }
        terminating = true;
        systemd.notifyStopping(u"draining (up to %1 ms)"_s.arg(config.timeouts.drainMs));
        qInfo("received %s: draining (up to %d ms)", signalNumber == SIGINT ? "SIGINT" : "SIGTERM",
              config.timeouts.drainMs);
        server.drain();
    });
    // SIGHUP and the admin API reload alike: the whole file is checked before anything changes.
    ProxyConfig running = config;
    const auto applyConfiguration = [&](const QString &reason, QString *reloadError) {
        const ConfigLoadResult reloaded = resolveConfig(options);
        if (!reloaded.ok()) {
            *reloadError = joinConfigErrors(reloaded.errors);
            return false;
        }
        ProxyConfig next = discovery.expand(reloaded.config);
        if (next.backends.isEmpty() && next.pools.isEmpty() && options.demo) {
            for (const BackendConfig &backend : demo.backends())
                next.backends.append(next.withPoolSettings(backend));
        }
        QHash<QString, BalancingConfig> balancingBefore;
        for (const QString &pool : server.backends().poolNames())
            balancingBefore.insert(pool, server.backends().balancing(pool));
        if (stateKeeper && !stateKeeper->restore(next, reloadError)) // runtime state (--state-file)
            return false;
        if (running.hasTlsListener() && !server.reloadCertificates(next.tls, reloadError))
            return false;
        if (!server.applyRouting(next, reason, reloadError))
            return false;
        for (const PoolConfig &pool : next.effectivePools()) {
            const auto before = balancingBefore.constFind(pool.name);
            if (before == balancingBefore.cend())
                qInfo("pool %s added: %s (%s)", qPrintable(pool.name),
                      qPrintable(describeBalancing(pool.balancing)), qPrintable(reason));
            else if (!(*before == pool.balancing))
                qInfo("pool %s balancing: %s -> %s (%s)", qPrintable(pool.name),
                      qPrintable(describeBalancing(*before)), qPrintable(describeBalancing(pool.balancing)),
                      qPrintable(reason));
        }
        warnAboutRestartOnlyChanges(running, reloaded.config);
        warnAboutUnverifiedTls(next);
        discovery.follow(reloaded.config);
        setLogLevel(next.logLevel);
        running = next;
        qInfo("configuration reloaded from %s (%s)", qPrintable(options.configFile), qPrintable(reason));
        return true;
    };
    const auto reloadConfiguration = [&](const QString &reason, QString *reloadError) {
        systemd.notifyReloading();
        const bool applied = applyConfiguration(reason, reloadError);
        const QString outcome = applied ? QString(u"configuration reloaded ("_s + reason + u')')
                                        : QString(u"reload refused: "_s + *reloadError);
        systemd.notifyReloaded(serviceStatus + u"; "_s + outcome);
        return applied;
    };
    QObject::connect(&signals, &SignalWatcher::reloadRequested, &app, [&] {
        if (options.configFile.isEmpty()) {
            // The certificate files may still have been renewed: they are what SIGHUP reloads here.
            if (!running.hasTlsListener()) {
                qWarning("SIGHUP: no --config file to reload");
                return;
            }
            QString certificateError;
            if (server.reloadCertificates(running.tls, &certificateError))
                qInfo("TLS certificates reloaded (SIGHUP)");
            else
                qWarning("TLS certificate reload refused, keeping the loaded ones: %s",
                         qPrintable(certificateError));
            return;
        }
        QString reloadError;
        if (!reloadConfiguration(u"SIGHUP reload"_s, &reloadError))
            qWarning("reload refused, keeping the running configuration: %s", qPrintable(reloadError));
    });

    std::unique_ptr<AdminApi> adminApi;
    std::unique_ptr<AdminServer> adminServer;
    if (config.admin.enabled()) {
        AdminSettings settings;
        settings.token = config.admin.token;
        settings.loopbackListener = config.admin.listen->address.isLoopback();
        settings.exportInfo = exportInfo;
        AdminHooks hooks;
        if (!options.configFile.isEmpty())
            hooks.reload = reloadConfiguration;
        hooks.completeBackend = [&running](const BackendConfig &backend, const QString &pool) {
            return running.withPoolSettings(backend, pool);
        };
        adminApi = std::make_unique<AdminApi>(server, settings, hooks);
        adminServer = std::make_unique<AdminServer>(*adminApi);
        if (!adminServer->listen(*config.admin.listen, &error)) {
            qCritical("%s", qPrintable(error));
            return 1;
        }
        qInfo("admin API listening on http://%s/", qPrintable(adminServer->boundAddress().toString()));
        serviceStatus += u", admin API on "_s + adminServer->boundAddress().toString();
        if (config.admin.generatedToken)
            qInfo("admin API token for this demo run: %s", config.admin.token.constData());
        else if (config.admin.token.isEmpty())
            qInfo("admin API: no token set, so it serves reads only (see --admin-token-file)");
    }

    systemd.notifyReady(serviceStatus);
    return app.exec();
}

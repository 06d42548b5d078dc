// SPDX-License-Identifier: GPL-3.0-or-later
#include "EmbeddedSource.h"

#include "TrafficGenerator.h"
#include "balancing/BackendState.h"
#include "config/CommandLine.h"
#include "config/ConfigValues.h"
#include "demo/DemoBackends.h"
#include "metrics/SnapshotExport.h"
#include "proxy/ProxyServer.h"

#include <QHostAddress>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
const QString kReason = u"console"_s;
} // namespace

EmbeddedSource::EmbeddedSource(QString configFile, bool demo, QObject *parent)
    : ConsoleSource(parent), m_configFile(std::move(configFile)), m_demo(demo),
      m_server(std::make_unique<ProxyServer>())
{
    connect(m_server.get(), &ProxyServer::snapshotPublished, this, &ConsoleSource::snapshotArrived);
    connect(&m_server->backends(), &BackendRegistry::backendChanged, this,
            [this](const BackendChange &change) {
                Q_EMIT eventArrived({QDateTime::currentDateTime(), backendChangeKindName(change.kind),
                                     change.backend, change.describe(), change.from, change.to});
            });
}

EmbeddedSource::~EmbeddedSource()
{
    if (m_traffic)
        m_traffic->stop();
    if (m_running)
        m_server->stop();
    if (m_demoBackends)
        m_demoBackends->stop();
}

QString EmbeddedSource::description() const
{
    return m_demo ? u"embedded (demo)"_s : u"embedded: "_s + m_configFile;
}

bool EmbeddedSource::loadConfig(ProxyConfig *config, QString *error) const
{
    CommandLineOptions options;
    options.configFile = m_configFile;
    options.accessLog = false;
    options.demo = m_demo; // backends come from DemoBackends after loading
    // (the admin API this also turns on belongs to fulcrumd: the in-process core never serves it)
    if (m_configFile.isEmpty()) {
        options.listen = {ListenAddress{QHostAddress(QHostAddress::LocalHost), 0}};
        options.workers = 2;
    }
    const ConfigLoadResult loaded = resolveConfig(options);
    if (!loaded.ok()) {
        *error = joinConfigErrors(loaded.errors);
        return false;
    }
    *config = loaded.config;
    return true;
}

void EmbeddedSource::start()
{
    ProxyConfig config;
    QString error;
    if (!loadConfig(&config, &error)) {
        fail(error);
        return;
    }
    if (m_demo) {
        m_demoBackends = std::make_unique<DemoBackends>();
        if (!m_demoBackends->start()) {
            fail(m_demoBackends->errorString());
            return;
        }
        if (config.backends.isEmpty() && config.pools.isEmpty()) {
            for (const BackendConfig &backend : m_demoBackends->backends())
                config.backends.append(config.withPoolSettings(backend));
        }
    }
    if (!m_server->start(config, &error)) {
        fail(error);
        return;
    }
    m_running = true;
    m_startedSecs = QDateTime::currentSecsSinceEpoch();
    if (m_demo && !m_server->boundAddresses().isEmpty()) {
        m_traffic = new TrafficGenerator(m_server->boundAddresses().constFirst().port, this);
        m_traffic->start();
    }
    Q_EMIT connectionStateChanged(u"running"_s, description());
}

void EmbeddedSource::fail(const QString &reason)
{
    m_failure = reason;
    Q_EMIT connectionStateChanged(u"failed"_s, reason);
}

void EmbeddedSource::report(bool ok, const QString &error)
{
    if (!ok)
        Q_EMIT operationFailed(error);
}

void EmbeddedSource::setWeight(const QString &name, int weight)
{
    QString error;
    report(m_server->backends().setWeight(name, weight, kReason, &error), error);
}

void EmbeddedSource::setState(const QString &name, const QString &state)
{
    const std::optional<BackendState> parsed = parseAdminState(state);
    if (!parsed) {
        Q_EMIT operationFailed(u"unknown state: "_s + state);
        return;
    }
    QString error;
    report(m_server->backends().setState(name, *parsed, kReason, &error), error);
}

void EmbeddedSource::addBackend(const QString &name, const QString &url, int weight)
{
    const Parsed<BackendEndpoint> endpoint = parseBackendUrl(url);
    if (!endpoint.ok()) {
        Q_EMIT operationFailed(endpoint.error);
        return;
    }
    BackendConfig backend;
    backend.name = name;
    applyEndpoint(backend, endpoint.value);
    backend.weight = weight;
    QString error;
    report(m_server->backends().addBackend(backend, kReason, &error), error);
}

void EmbeddedSource::removeBackend(const QString &name)
{
    QString error;
    report(m_server->backends().removeBackend(name, kReason, &error), error);
}

void EmbeddedSource::reload()
{
    if (m_configFile.isEmpty()) {
        Q_EMIT operationFailed(u"nothing to reload: the console was started without --config"_s);
        return;
    }
    ProxyConfig config;
    QString error;
    if (!loadConfig(&config, &error)) {
        Q_EMIT operationFailed(error);
        return;
    }
    // Pools (with their backends) and routes together, checked whole first, as fulcrumd's reload does.
    if (!m_server->applyRouting(config, u"console reload"_s, &error)) {
        Q_EMIT operationFailed(error);
        return;
    }
    Q_EMIT eventArrived(
        {QDateTime::currentDateTime(), u"reload"_s, QString(), u"re-read "_s + m_configFile, {}, {}});
}

int EmbeddedSource::demoRate() const
{
    return m_traffic ? m_traffic->rate() : -1;
}

void EmbeddedSource::setDemoRate(int rate)
{
    if (m_traffic)
        m_traffic->setRate(rate);
}

void EmbeddedSource::exportSnapshot(ExportFormat format)
{
    const MetricsSnapshotPtr snapshot = m_server->collectSnapshot();
    const ExportInfo info{QStringLiteral(FULCRUM_VERSION), m_startedSecs};
    switch (format) {
    case ExportFormat::Json:
        Q_EMIT exportReady(format, snapshotToJson(*snapshot, info));
        break;
    case ExportFormat::Csv:
        Q_EMIT exportReady(format, snapshotToCsv(*snapshot));
        break;
    case ExportFormat::Prometheus:
        Q_EMIT exportReady(format, snapshotToPrometheus(*snapshot, info));
        break;
    }
}

} // namespace fulcrum::console

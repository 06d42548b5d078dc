// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"
#include "config/ProxyConfig.h"

#include <memory>

namespace fulcrum {
class DemoBackends;
class ProxyServer;
} // namespace fulcrum

namespace fulcrum::console {

class TrafficGenerator;

// The core in this process: a ProxyServer on 127.0.0.1, with the demo backends and demo traffic when
// asked. Operations go straight to its BackendRegistry.
class EmbeddedSource final : public ConsoleSource
{
    Q_OBJECT
public:
    // configFile empty and demo true: the three demo backends plus generated traffic.
    EmbeddedSource(QString configFile, bool demo, QObject *parent = nullptr);
    ~EmbeddedSource() override;

    QString description() const override;
    // Starts the proxy; failures come through connectionStateChanged("failed", reason).
    void start() override;
    bool isRunning() const { return m_running; }
    // Why start() failed; empty while it has not.
    QString failure() const { return m_failure; }

    void setWeight(const QString &name, int weight) override;
    void setState(const QString &name, const QString &state) override;
    void addBackend(const QString &name, const QString &url, int weight) override;
    void removeBackend(const QString &name) override;
    void reload() override;
    void exportSnapshot(ExportFormat format) override;
    QString configFile() const override { return m_configFile; }
    int demoRate() const override;
    void setDemoRate(int rate) override;

    ProxyServer &server() { return *m_server; }
    TrafficGenerator *traffic() const { return m_traffic; }

private:
    bool loadConfig(ProxyConfig *config, QString *error) const;
    void report(bool ok, const QString &error);
    void fail(const QString &reason);

    QString m_configFile;
    bool m_demo;
    bool m_running = false;
    QString m_failure;
    qint64 m_startedSecs = 0;
    std::unique_ptr<DemoBackends> m_demoBackends;
    std::unique_ptr<ProxyServer> m_server;
    TrafficGenerator *m_traffic = nullptr;
};

} // namespace fulcrum::console

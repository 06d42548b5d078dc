// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

#include <QByteArray>
#include <QDateTime>
#include <QObject>
#include <QString>

namespace fulcrum::console {

// One change the console heard of, for the event timeline.
struct ConsoleEvent
{
    QDateTime time;
    // "weight", "state", "added", "removed", "address", "drained", "split", "breaker", "reload", "error"
    // and connection changes
    QString kind;
    QString backend;
    QString text;
    QString from; // for weight, state and address changes: the old and the new value
    QString to;
};

enum class ExportFormat
{
    Json,
    Csv,
    Prometheus,
};

// Where the console's data comes from and where its operations go: the core in this process, or a
// fulcrumd over its admin API. The views know only this interface.
class ConsoleSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // A short description for the status bar: "embedded", "attached to http://...".
    virtual QString description() const = 0;
    virtual void start() = 0;

    // Each answers later through operationFailed on refusal; success shows in the next snapshot.
    virtual void setWeight(const QString &name, int weight) = 0;
    // "up", "drain" or "maintenance".
    virtual void setState(const QString &name, const QString &state) = 0;
    virtual void addBackend(const QString &name, const QString &url, int weight) = 0;
    virtual void removeBackend(const QString &name) = 0;
    virtual void reload() = 0;
    // The latest snapshot in one format; exportReady or operationFailed follows.
    virtual void exportSnapshot(ExportFormat format) = 0;

    // The configuration file the core runs from; empty when there is none here (attached, demo).
    virtual QString configFile() const { return {}; }
    // Requests/s of the built-in demo traffic; -1 when this source has none.
    virtual int demoRate() const { return -1; }
    virtual void setDemoRate(int rate) { Q_UNUSED(rate) }

Q_SIGNALS:
    void snapshotArrived(fulcrum::MetricsSnapshotPtr snapshot);
    void eventArrived(const fulcrum::console::ConsoleEvent &event);
    void connectionStateChanged(const QString &state, const QString &text);
    void operationFailed(const QString &error);
    void exportReady(fulcrum::console::ExportFormat format, const QByteArray &bytes);
};

// ".json", ".csv", ".prom" → format; false for any other name.
bool exportFormatForFile(const QString &fileName, ExportFormat *format);

} // namespace fulcrum::console

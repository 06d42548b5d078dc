// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"

#include <QObject>
#include <QTimer>

namespace fulcrum::console {

// Asks a source for one snapshot in the format the file name says (.json, .csv, .prom) and writes it;
// finished follows exactly once, within the timeout. The window's Export action and
// --export-snapshot both use it.
class SnapshotFileExport final : public QObject
{
    Q_OBJECT
public:
    static constexpr int kTimeoutMs = 10'000;

    SnapshotFileExport(ConsoleSource *source, QString path, QObject *parent = nullptr);
    void start();

Q_SIGNALS:
    // message: the file written, or why nothing was.
    void finished(bool ok, const QString &message);

private:
    void finish(bool ok, const QString &message);
    void write(const QByteArray &bytes);

    ConsoleSource *m_source;
    QString m_path;
    ExportFormat m_format = ExportFormat::Json;
    QTimer m_timeout;
    bool m_done = false;
};

} // namespace fulcrum::console

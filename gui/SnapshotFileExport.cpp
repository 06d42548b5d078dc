// SPDX-License-Identifier: GPL-3.0-or-later
#include "SnapshotFileExport.h"

#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

SnapshotFileExport::SnapshotFileExport(ConsoleSource *source, QString path, QObject *parent)
    : QObject(parent), m_source(source), m_path(std::move(path))
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] { finish(false, u"no snapshot within 10 s"_s); });
}

void SnapshotFileExport::start()
{
    if (!exportFormatForFile(m_path, &m_format)) {
        // Queued, so that callers connecting after start() still hear of it.
        QMetaObject::invokeMethod(
            this, [this] { finish(false, u"%1: the name must end in .json, .csv or .prom"_s.arg(m_path)); },
            Qt::QueuedConnection);
        return;
    }
    connect(m_source, &ConsoleSource::exportReady, this,
            [this](ExportFormat format, const QByteArray &bytes) {
                if (format == m_format)
                    write(bytes);
            });
    connect(m_source, &ConsoleSource::operationFailed, this,
            [this](const QString &error) { finish(false, error); });
    m_timeout.start(kTimeoutMs);
    m_source->exportSnapshot(m_format);
}

void SnapshotFileExport::write(const QByteArray &bytes)
{
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        finish(false, u"cannot write %1: %2"_s.arg(m_path, file.errorString()));
        return;
    }
    finish(true, m_path);
}

void SnapshotFileExport::finish(bool ok, const QString &message)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    disconnect(m_source, nullptr, this, nullptr);
    Q_EMIT finished(ok, message);
}

} // namespace fulcrum::console

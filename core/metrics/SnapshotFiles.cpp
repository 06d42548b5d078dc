// SPDX-License-Identifier: GPL-3.0-or-later
#include "SnapshotFiles.h"

#include "config/ConfigValues.h"

#include <QDir>
#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
QByteArray exported(const MetricsSnapshot &snapshot, SnapshotFormat format, const ExportInfo &info)
{
    switch (format) {
    case SnapshotFormat::Json:
        return snapshotToJson(snapshot, info);
    case SnapshotFormat::Csv:
        return snapshotToCsv(snapshot);
    case SnapshotFormat::Prometheus:
        return snapshotToPrometheus(snapshot, info);
    }
    return {};
}
} // namespace

QStringList writeSnapshotFiles(const MetricsSnapshot &snapshot, const SnapshotFilesConfig &config,
                               const ExportInfo &info, QString *error)
{
    const QDir dir(config.dir);
    const QString stem =
        u"fulcrum-snapshot-"_s + snapshot.time.toUTC().toString(u"yyyyMMdd'T'HHmmss.zzz'Z'"_s) + u'.';
    QStringList written;
    for (const SnapshotFormat format : config.formats) {
        const QString path = dir.filePath(stem + snapshotFormatName(format));
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            *error = u"%1: %2"_s.arg(path, file.errorString());
            return written;
        }
        file.write(exported(snapshot, format, info));
        if (!file.commit()) {
            *error = u"%1: %2"_s.arg(path, file.errorString());
            return written;
        }
        written.append(path);
    }
    return written;
}

} // namespace fulcrum

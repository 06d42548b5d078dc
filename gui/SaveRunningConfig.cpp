// SPDX-License-Identifier: GPL-3.0-or-later
#include "SaveRunningConfig.h"

#include "ConfigDiffDialog.h"
#include "RunningConfigWriter.h"
#include "TextDiff.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace fulcrum::console {
namespace {

SaveRunningConfigOutcome failed(const QString &path, const QString &reason)
{
    return {false, path + u": " + reason};
}

struct FileText
{
    QByteArray text;
    QString error;
};

FileText readConfig(const QString &path)
{
    // Only a file that is not there at all is a fresh start; a dangling symlink or a directory is not.
    if (!QFileInfo(path).isSymLink() && !QFileInfo::exists(path))
        return {};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {QByteArray(), u"cannot open: "_s + file.errorString()};
    FileText result{file.readAll(), QString()};
    if (file.error() != QFileDevice::NoError)
        result.error = u"cannot read: "_s + file.errorString();
    return result;
}

} // namespace

SaveRunningConfigOutcome saveRunningConfig(QWidget *parent, const QString &path,
                                           const MetricsSnapshot &snapshot)
{
    return saveRunningConfig(parent, path, snapshot,
                             [](ConfigDiffDialog &dialog) { return dialog.exec() == QDialog::Accepted; });
}

SaveRunningConfigOutcome saveRunningConfig(QWidget *parent, const QString &path,
                                           const MetricsSnapshot &snapshot, const ConfirmSave &confirm)
{
    const FileText original = readConfig(path);
    if (!original.error.isEmpty())
        return failed(path, original.error);
    const RunningConfigText updated = writeRunningConfig(original.text, snapshot.backends);
    if (!updated.ok())
        return failed(path, updated.error);

    const UnifiedDiff diff = unifiedDiff(QString::fromUtf8(original.text), QString::fromUtf8(updated.text),
                                         path, path + u" (running table)"_s);
    ConfigDiffDialog dialog(path, diff, parent);
    if (!confirm(dialog) || diff.identical())
        return {};

    // The diff the operator approved was against what the file held then; someone may have saved since.
    const FileText current = readConfig(path);
    if (!current.error.isEmpty())
        return failed(path, current.error);
    if (current.text != original.text)
        return failed(path, u"changed on disk while the changes were shown; nothing written (save again to "
                            u"see the new changes)"_s);

    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return failed(path, u"cannot write: "_s + file.errorString());
    file.write(updated.text);
    if (!file.commit())
        return failed(path, u"cannot write: "_s + file.errorString());
    return {true, QString()};
}

} // namespace fulcrum::console

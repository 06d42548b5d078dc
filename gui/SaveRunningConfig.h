// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

#include <QString>

#include <functional>

class QWidget;

namespace fulcrum::console {

class ConfigDiffDialog;

struct SaveRunningConfigOutcome
{
    bool saved = false; // the file now holds the running table
    QString error;      // why nothing was written; empty when saved or when the operator cancelled
};

// "Save running table to config…": reads `path` (a missing file counts as empty), rewrites its backends
// to the snapshot's, shows the change in a ConfigDiffDialog and, on Save, replaces the file atomically.
// Nothing is written on an error or a cancel.
SaveRunningConfigOutcome saveRunningConfig(QWidget *parent, const QString &path,
                                           const MetricsSnapshot &snapshot);

// The same with the question put by `confirm` instead of a modal exec(): true means Save. For tests,
// which cannot click through a nested event loop as easily.
using ConfirmSave = std::function<bool(ConfigDiffDialog &dialog)>;
SaveRunningConfigOutcome saveRunningConfig(QWidget *parent, const QString &path,
                                           const MetricsSnapshot &snapshot, const ConfirmSave &confirm);

} // namespace fulcrum::console

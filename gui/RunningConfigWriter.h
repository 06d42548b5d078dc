// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "metrics/MetricsSnapshot.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace fulcrum::console {

struct RunningConfigText
{
    QByteArray text; // the whole new file; meaningful only if ok()
    QString error;   // why no file can be written; empty on success

    bool ok() const { return error.isEmpty(); }
};

// The configuration file `original` rewritten so that its backends are the running ones (name, pool,
// url, weight), every other field left as it was. Backends keep their own extra fields; running
// backends the file lacks are appended to their pool's list; backends that no longer run are dropped.
// An empty original gives the smallest file the loader accepts with these backends. When nothing
// changes in meaning, `text` is `original` byte for byte, so that saving never merely reformats.
RunningConfigText writeRunningConfig(const QByteArray &original, const QList<BackendMetrics> &running);

} // namespace fulcrum::console

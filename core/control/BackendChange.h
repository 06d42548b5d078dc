// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaType>
#include <QString>

namespace fulcrum {

// One change to one backend, as the console, the admin API and the log hear of it.
struct BackendChange
{
    enum class Kind
    {
        Added,
        Removed,
        WeightChanged,
        StateChanged,
        AddressChanged,
    };

    Kind kind = Kind::Added;
    QString backend;
    QString from;   // the old weight, state or URL; empty for Added and Removed
    QString to;     // the new one; for Added the URL, for Removed empty
    QString reason; // who asked, or what happened: "SIGHUP reload", "admin API", "drained"

    // "backend app-1: weight 5 -> 10 (admin API)"
    QString describe() const;
};

QString backendChangeKindName(BackendChange::Kind kind);

} // namespace fulcrum
Q_DECLARE_METATYPE(fulcrum::BackendChange)

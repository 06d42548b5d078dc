// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace fulcrum::console {

struct UnifiedDiff
{
    // "--- old", "+++ new", then "@@ -a,b +c,d @@" hunks of ' ', '-' and '+' lines; empty when identical.
    QString text;

    bool identical() const { return text.isEmpty(); }
};

// A line diff of two texts in unified format (a longest common subsequence of lines, so a change shows
// as the few lines it touches). A last line without a newline is flagged as diff(1) does, so that two
// texts differing only there do not come out identical.
UnifiedDiff unifiedDiff(const QString &oldText, const QString &newText, const QString &oldLabel,
                        const QString &newLabel, int contextLines = 3);

} // namespace fulcrum::console

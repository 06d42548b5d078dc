// SPDX-License-Identifier: GPL-3.0-or-later
#include "TextDiff.h"

#include <QList>
#include <QStringList>

#include <algorithm>
#include <vector>

using namespace Qt::StringLiterals;

namespace fulcrum::console {
namespace {

// Beyond this many cells the table of common lengths would cost more memory than a config file
// deserves; the changed middle is then shown as removed and added whole, which is still a correct diff.
constexpr qsizetype kMaxTableCells = 4'000'000;

enum class Edit
{
    Keep,
    Remove,
    Add,
};

struct Step
{
    Edit edit;
    qsizetype oldLine; // the old line kept or removed, or the one an added line goes before
    qsizetype newLine; // the new line kept or added, or the one a removed line would go before
};

// Each line keeps its '\n', so a missing newline at the end is a difference like any other.
QStringList splitLines(const QString &text)
{
    QStringList lines;
    qsizetype start = 0;
    while (start < text.size()) {
        const qsizetype end = text.indexOf(u'\n', start);
        const qsizetype stop = end < 0 ? text.size() : end + 1;
        lines.append(text.sliced(start, stop - start));
        start = stop;
    }
    return lines;
}

void appendMiddle(std::vector<Step> &steps, const QStringList &oldLines, const QStringList &newLines,
                  qsizetype oldBegin, qsizetype oldEnd, qsizetype newBegin, qsizetype newEnd)
{
    const qsizetype rows = oldEnd - oldBegin;
    const qsizetype columns = newEnd - newBegin;
    if ((rows + 1) * (columns + 1) > kMaxTableCells) {
        for (qsizetype o = oldBegin; o < oldEnd; ++o)
            steps.push_back({Edit::Remove, o, newBegin});
        for (qsizetype n = newBegin; n < newEnd; ++n)
            steps.push_back({Edit::Add, oldEnd, n});
        return;
    }
    // common[i][j]: the longest common subsequence of the old lines from i and the new lines from j.
    const qsizetype width = columns + 1;
    std::vector<int> common(size_t((rows + 1) * width), 0);
    for (qsizetype i = rows - 1; i >= 0; --i) {
        for (qsizetype j = columns - 1; j >= 0; --j) {
            common[size_t(i * width + j)] =
                oldLines.at(oldBegin + i) == newLines.at(newBegin + j)
                    ? common[size_t((i + 1) * width + j + 1)] + 1
                    : std::max(common[size_t((i + 1) * width + j)], common[size_t(i * width + j + 1)]);
        }
    }
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < rows || j < columns) {
        if (i < rows && j < columns && oldLines.at(oldBegin + i) == newLines.at(newBegin + j)) {
            steps.push_back({Edit::Keep, oldBegin + i++, newBegin + j++});
        } else if (j == columns ||
                   (i < rows && common[size_t((i + 1) * width + j)] >= common[size_t(i * width + j + 1)])) {
            // Removals before additions: a replaced line reads as "-old" then "+new".
            steps.push_back({Edit::Remove, oldBegin + i++, newBegin + j});
        } else {
            steps.push_back({Edit::Add, oldBegin + i, newBegin + j++});
        }
    }
}

std::vector<Step> diffLines(const QStringList &oldLines, const QStringList &newLines)
{
    // Edits to a config file are local: the shared head and tail need no table.
    qsizetype head = 0;
    while (head < oldLines.size() && head < newLines.size() && oldLines.at(head) == newLines.at(head))
        ++head;
    qsizetype tail = 0;
    while (tail < oldLines.size() - head && tail < newLines.size() - head &&
           oldLines.at(oldLines.size() - 1 - tail) == newLines.at(newLines.size() - 1 - tail))
        ++tail;

    std::vector<Step> steps;
    for (qsizetype line = 0; line < head; ++line)
        steps.push_back({Edit::Keep, line, line});
    appendMiddle(steps, oldLines, newLines, head, oldLines.size() - tail, head, newLines.size() - tail);
    for (qsizetype back = tail; back > 0; --back)
        steps.push_back({Edit::Keep, oldLines.size() - back, newLines.size() - back});
    return steps;
}

// diff(1)'s range: "start,count", the count left out when it is 1, and an empty range named by the line
// before it.
QString range(qsizetype firstLine, qsizetype count)
{
    const qsizetype start = count == 0 ? firstLine : firstLine + 1;
    return count == 1 ? QString::number(start) : u"%1,%2"_s.arg(start).arg(count);
}

void appendLine(QString &out, QChar prefix, const QString &line)
{
    out += prefix;
    out += line;
    if (!line.endsWith(u'\n'))
        out += u"\n\\ No newline at end of file\n"_s;
}

} // namespace

UnifiedDiff unifiedDiff(const QString &oldText, const QString &newText, const QString &oldLabel,
                        const QString &newLabel, int contextLines)
{
    if (oldText == newText)
        return {};
    const QStringList oldLines = splitLines(oldText);
    const QStringList newLines = splitLines(newText);
    const std::vector<Step> steps = diffLines(oldLines, newLines);
    const qsizetype total = qsizetype(steps.size());
    const qsizetype context = std::max(contextLines, 0);

    QString out = u"--- "_s + oldLabel + u"\n+++ "_s + newLabel + u'\n';
    qsizetype next = 0;
    while (next < total) {
        if (steps[size_t(next)].edit == Edit::Keep) {
            ++next;
            continue;
        }
        const qsizetype begin = std::max(qsizetype(0), next - context);
        // A hunk runs on while the kept lines between two changes are few enough to serve as the
        // context of both.
        qsizetype lastChange = next;
        qsizetype scan = next + 1;
        while (scan < total) {
            if (steps[size_t(scan)].edit != Edit::Keep) {
                lastChange = scan++;
                continue;
            }
            qsizetype keptEnd = scan;
            while (keptEnd < total && steps[size_t(keptEnd)].edit == Edit::Keep)
                ++keptEnd;
            if (keptEnd == total || keptEnd - scan > 2 * context)
                break;
            scan = keptEnd;
        }
        const qsizetype end = std::min(total, lastChange + 1 + context);

        qsizetype oldCount = 0;
        qsizetype newCount = 0;
        QString body;
        for (qsizetype s = begin; s < end; ++s) {
            const Step &step = steps[size_t(s)];
            switch (step.edit) {
            case Edit::Keep:
                appendLine(body, u' ', oldLines.at(step.oldLine));
                ++oldCount;
                ++newCount;
                break;
            case Edit::Remove:
                appendLine(body, u'-', oldLines.at(step.oldLine));
                ++oldCount;
                break;
            case Edit::Add:
                appendLine(body, u'+', newLines.at(step.newLine));
                ++newCount;
                break;
            }
        }
        const Step &first = steps[size_t(begin)];
        out += u"@@ -"_s + range(first.oldLine, oldCount) + u" +"_s + range(first.newLine, newCount) +
               u" @@\n"_s + body;
        next = end;
    }
    return {out};
}

} // namespace fulcrum::console

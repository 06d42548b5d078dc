// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHash>
#include <QList>
#include <QPointF>
#include <QSet>
#include <QString>

namespace fulcrum::console {

// A sliding window of (seconds, value) points per named line: a ring of at most `capacity` points
// each, read back oldest first.
class SeriesHistory
{
public:
    explicit SeriesHistory(qsizetype capacity) : m_capacity(capacity) {}

    void append(const QString &line, double seconds, double value);
    QList<QPointF> points(const QString &line) const;
    QStringList lines() const { return m_order; }
    bool contains(const QString &line) const { return m_rings.contains(line); }
    // Forgets the lines not in `keep` (backends that left).
    void retain(const QSet<QString> &keep);

private:
    struct Ring
    {
        QList<QPointF> points;
        qsizetype next = 0; // where the next point goes once full
    };

    qsizetype m_capacity;
    QHash<QString, Ring> m_rings;
    QStringList m_order;
};

} // namespace fulcrum::console

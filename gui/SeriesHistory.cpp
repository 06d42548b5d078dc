// SPDX-License-Identifier: GPL-3.0-or-later
#include "SeriesHistory.h"

namespace fulcrum::console {

void SeriesHistory::append(const QString &line, double seconds, double value)
{
    if (!m_rings.contains(line))
        m_order.append(line);
    Ring &ring = m_rings[line];
    if (ring.points.size() < m_capacity) {
        ring.points.append(QPointF(seconds, value));
        return;
    }
    ring.points[ring.next] = QPointF(seconds, value);
    ring.next = (ring.next + 1) % m_capacity;
}

QList<QPointF> SeriesHistory::points(const QString &line) const
{
    const auto found = m_rings.constFind(line);
    if (found == m_rings.constEnd())
        return {};
    const Ring &ring = found.value();
    QList<QPointF> ordered;
    ordered.reserve(ring.points.size());
    for (qsizetype i = 0; i < ring.points.size(); ++i)
        ordered.append(ring.points[(ring.next + i) % ring.points.size()]);
    return ordered;
}

void SeriesHistory::retain(const QSet<QString> &keep)
{
    for (qsizetype i = m_order.size() - 1; i >= 0; --i) {
        if (!keep.contains(m_order[i])) {
            m_rings.remove(m_order[i]);
            m_order.removeAt(i);
        }
    }
}

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QStyledItemDelegate>

namespace fulcrum::console {

// Draws a backend's state as a rounded, coloured chip with its name in it.
class StateChipDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // up green, draining amber, maintenance blue, down red, anything else grey.
    static QColor colorFor(const QString &state);
};

} // namespace fulcrum::console

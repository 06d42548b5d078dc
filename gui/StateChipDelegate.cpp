// SPDX-License-Identifier: GPL-3.0-or-later
#include "StateChipDelegate.h"

#include <QApplication>
#include <QPainter>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

QColor StateChipDelegate::colorFor(const QString &state)
{
    if (state == u"up"_s)
        return QColor(0x2e, 0x7d, 0x32);
    if (state == u"draining"_s)
        return QColor(0xb2, 0x6a, 0x00);
    if (state == u"maintenance"_s)
        return QColor(0x15, 0x65, 0xc0);
    if (state == u"down"_s)
        return QColor(0xc6, 0x28, 0x28);
    return QColor(0x61, 0x61, 0x61);
}

QSize StateChipDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // Room for the chip's rounded ends around the text.
    return QStyledItemDelegate::sizeHint(option, index) + QSize(24, 6);
}

void StateChipDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const
{
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    const QString state = background.text;
    background.text.clear();
    QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &background, painter);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QRect chip = option.rect.adjusted(4, 3, -4, -3);
    painter->setPen(Qt::NoPen);
    painter->setBrush(colorFor(state));
    painter->drawRoundedRect(chip, chip.height() / 2.0, chip.height() / 2.0);
    painter->setPen(Qt::white);
    painter->drawText(chip, Qt::AlignCenter, state);
    painter->restore();
}

} // namespace fulcrum::console

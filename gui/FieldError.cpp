// SPDX-License-Identifier: GPL-3.0-or-later
#include "FieldError.h"

#include <QLabel>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

QLabel *makeFieldErrorLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setStyleSheet(u"color: #e53935"_s); // readable on light and dark palettes
    label->setWordWrap(true);
    label->setVisible(false);
    return label;
}

void showFieldError(QLabel *label, const QString &error)
{
    label->setText(error);
    label->setVisible(!error.isEmpty());
}

} // namespace fulcrum::console

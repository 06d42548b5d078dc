// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

class QLabel;
class QWidget;

namespace fulcrum::console {

// A red line under a dialog's field that says what is wrong with it; hidden while nothing is.
QLabel *makeFieldErrorLabel(QWidget *parent);
void showFieldError(QLabel *label, const QString &error);

} // namespace fulcrum::console

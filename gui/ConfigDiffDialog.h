// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "TextDiff.h"

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace fulcrum::console {

// Shows what saving would change in a configuration file and asks before anything is written; Save
// accepts the dialog. With nothing to change, it says so and Save stays disabled.
class ConfigDiffDialog final : public QDialog
{
    Q_OBJECT
public:
    ConfigDiffDialog(const QString &path, const UnifiedDiff &diff, QWidget *parent = nullptr);

    QString diffText() const;
    QString summary() const;
    QPushButton *saveButton() const { return m_save; }
    QPlainTextEdit *diffView() const { return m_view; }

private:
    QLabel *m_summary;
    QPlainTextEdit *m_view;
    QPushButton *m_save;
};

} // namespace fulcrum::console

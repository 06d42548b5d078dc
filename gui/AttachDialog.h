// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSettings.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;

namespace fulcrum::console {

// Where to attach: the admin API's URL (recent ones offered) and the token file. A bad URL or an
// unreadable token file shows under its field and keeps the dialog open.
class AttachDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit AttachDialog(QWidget *parent = nullptr);

    AttachTarget target() const;
    void setTarget(const AttachTarget &target);
    // Checks both fields, shows each problem under its field; true when there is none.
    bool validate();
    QString urlError() const;
    QString tokenFileError() const;

    void accept() override;

private:
    QComboBox *m_url;
    QLineEdit *m_tokenFile;
    QLabel *m_urlError;
    QLabel *m_tokenFileError;
    QList<AttachTarget> m_recent;
};

} // namespace fulcrum::console

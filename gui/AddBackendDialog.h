// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>

class QLabel;
class QLineEdit;
class QSpinBox;

namespace fulcrum::console {

// Name, URL and weight of a new backend, each checked with the core's rules before the dialog
// accepts; a problem shows under its field.
class AddBackendDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit AddBackendDialog(QWidget *parent = nullptr);

    QString name() const;
    QString url() const;
    int weight() const;

    void setValues(const QString &name, const QString &url, int weight);
    // Checks every field, shows each problem under its field; true when there is none.
    bool validate();
    QString nameError() const;
    QString urlError() const;

    void accept() override;

private:
    QLineEdit *m_name;
    QLineEdit *m_url;
    QSpinBox *m_weight;
    QLabel *m_nameError;
    QLabel *m_urlError;
};

} // namespace fulcrum::console

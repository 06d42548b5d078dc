// SPDX-License-Identifier: GPL-3.0-or-later
#include "AddBackendDialog.h"

#include "FieldError.h"
#include "config/ConfigValues.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

AddBackendDialog::AddBackendDialog(QWidget *parent)
    : QDialog(parent), m_name(new QLineEdit(this)), m_url(new QLineEdit(this)), m_weight(new QSpinBox(this)),
      m_nameError(makeFieldErrorLabel(this)), m_urlError(makeFieldErrorLabel(this))
{
    setWindowTitle(u"Add backend"_s);
    m_url->setPlaceholderText(u"http://127.0.0.1:8081"_s);
    m_weight->setRange(0, 1000);
    m_weight->setValue(1);
    auto *form = new QFormLayout(this);
    form->addRow(u"&Name"_s, m_name);
    form->addRow(QString(), m_nameError);
    form->addRow(u"&URL"_s, m_url);
    form->addRow(QString(), m_urlError);
    form->addRow(u"&Weight"_s, m_weight);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &AddBackendDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &AddBackendDialog::reject);
    form->addRow(buttons);
}

QString AddBackendDialog::name() const
{
    return m_name->text().trimmed();
}

QString AddBackendDialog::url() const
{
    return m_url->text().trimmed();
}

int AddBackendDialog::weight() const
{
    return m_weight->value();
}

void AddBackendDialog::setValues(const QString &name, const QString &url, int weight)
{
    m_name->setText(name);
    m_url->setText(url);
    m_weight->setValue(weight);
}

QString AddBackendDialog::nameError() const
{
    return m_nameError->text();
}

QString AddBackendDialog::urlError() const
{
    return m_urlError->text();
}

bool AddBackendDialog::validate()
{
    showFieldError(m_nameError, checkBackendName(name()));
    showFieldError(m_urlError, url().isEmpty() ? u"a URL is needed"_s : parseBackendUrl(url()).error);
    return m_nameError->text().isEmpty() && m_urlError->text().isEmpty();
}

void AddBackendDialog::accept()
{
    if (validate())
        QDialog::accept();
}

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttachDialog.h"

#include "AttachedSource.h"
#include "ConsoleOptions.h"
#include "FieldError.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

AttachDialog::AttachDialog(QWidget *parent)
    : QDialog(parent), m_url(new QComboBox(this)), m_tokenFile(new QLineEdit(this)),
      m_urlError(makeFieldErrorLabel(this)), m_tokenFileError(makeFieldErrorLabel(this)),
      m_recent(ConsoleSettings::recentAttachTargets())
{
    setWindowTitle(u"Attach to fulcrumd"_s);
    m_url->setEditable(true);
    m_url->setMinimumContentsLength(32);
    for (const AttachTarget &target : std::as_const(m_recent))
        m_url->addItem(target.url.toString());
    m_url->setCurrentText(m_recent.isEmpty() ? u"http://127.0.0.1:9901"_s
                                             : m_recent.constFirst().url.toString());
    m_tokenFile->setText(m_recent.isEmpty() ? QString() : m_recent.constFirst().tokenFile);
    m_tokenFile->setPlaceholderText(u"empty: $FULCRUM_ADMIN_TOKEN"_s);
    // Choosing a recent URL brings back the token file it was used with.
    connect(m_url, &QComboBox::activated, this, [this](int index) {
        if (index >= 0 && index < m_recent.size())
            m_tokenFile->setText(m_recent.at(index).tokenFile);
    });

    auto *browse = new QPushButton(u"&Browse…"_s, this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, u"Admin token file"_s, m_tokenFile->text());
        if (!path.isEmpty())
            m_tokenFile->setText(path);
    });
    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_tokenFile, 1);
    tokenRow->addWidget(browse);

    auto *form = new QFormLayout(this);
    form->addRow(u"Admin API &URL"_s, m_url);
    form->addRow(QString(), m_urlError);
    form->addRow(u"&Token file"_s, tokenRow);
    form->addRow(QString(), m_tokenFileError);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(u"Attach"_s);
    connect(buttons, &QDialogButtonBox::accepted, this, &AttachDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &AttachDialog::reject);
    form->addRow(buttons);
}

AttachTarget AttachDialog::target() const
{
    QString ignored;
    return {parseAttachUrl(m_url->currentText(), &ignored), m_tokenFile->text().trimmed()};
}

void AttachDialog::setTarget(const AttachTarget &target)
{
    m_url->setCurrentText(target.url.toString());
    m_tokenFile->setText(target.tokenFile);
}

QString AttachDialog::urlError() const
{
    return m_urlError->text();
}

QString AttachDialog::tokenFileError() const
{
    return m_tokenFileError->text();
}

bool AttachDialog::validate()
{
    QString urlProblem;
    parseAttachUrl(m_url->currentText(), &urlProblem);
    showFieldError(m_urlError, urlProblem);
    QString tokenProblem;
    if (!m_tokenFile->text().trimmed().isEmpty())
        AttachedSource::readToken(m_tokenFile->text().trimmed(), &tokenProblem);
    showFieldError(m_tokenFileError, tokenProblem);
    return urlProblem.isEmpty() && tokenProblem.isEmpty();
}

void AttachDialog::accept()
{
    if (validate())
        QDialog::accept();
}

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigDiffDialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSyntaxHighlighter>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace fulcrum::console {
namespace {

// Tints behind the palette's own text colour, translucent so that they read on light and dark themes
// alike (a fixed foreground colour would vanish on one of them).
class DiffHighlighter final : public QSyntaxHighlighter
{
public:
    explicit DiffHighlighter(QTextDocument *document) : QSyntaxHighlighter(document)
    {
        m_added.setBackground(QColor(46, 160, 67, 90));
        m_removed.setBackground(QColor(248, 81, 73, 90));
        m_hunk.setFontWeight(QFont::Bold);
    }

protected:
    void highlightBlock(const QString &line) override
    {
        if (line.startsWith(u"+++ ") || line.startsWith(u"--- ") || line.startsWith(u"@@"))
            setFormat(0, int(line.size()), m_hunk);
        else if (line.startsWith(u'+'))
            setFormat(0, int(line.size()), m_added);
        else if (line.startsWith(u'-'))
            setFormat(0, int(line.size()), m_removed);
    }

private:
    QTextCharFormat m_added;
    QTextCharFormat m_removed;
    QTextCharFormat m_hunk;
};

} // namespace

ConfigDiffDialog::ConfigDiffDialog(const QString &path, const UnifiedDiff &diff, QWidget *parent)
    : QDialog(parent), m_summary(new QLabel(this)), m_view(new QPlainTextEdit(this))
{
    setWindowTitle(u"Save running table to config"_s);
    auto *target = new QLabel(u"File: "_s + path, this);
    target->setTextInteractionFlags(Qt::TextSelectableByMouse);
    target->setWordWrap(true);
    m_summary->setText(diff.identical()
                           ? u"No changes: the file already matches the running table."_s
                           : u"Saving makes these changes (removed lines in red, added lines in green):"_s);
    m_summary->setWordWrap(true);

    m_view->setReadOnly(true);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    new DiffHighlighter(m_view->document());
    m_view->setPlainText(diff.text);
    m_view->setVisible(!diff.identical());

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_save = buttons->button(QDialogButtonBox::Save);
    m_save->setEnabled(!diff.identical());
    // Writing a file should never be what a stray Enter does.
    m_save->setAutoDefault(false);
    buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(target);
    layout->addWidget(m_summary);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);
    resize(diff.identical() ? QSize(480, 140) : QSize(760, 560));
}

QString ConfigDiffDialog::diffText() const
{
    return m_view->toPlainText();
}

QString ConfigDiffDialog::summary() const
{
    return m_summary->text();
}

} // namespace fulcrum::console

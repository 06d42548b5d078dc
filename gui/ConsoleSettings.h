// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

class QWidget;

namespace fulcrum::console {

// A fulcrumd the console attached to before.
struct AttachTarget
{
    QUrl url;
    QString tokenFile; // may be empty: FULCRUM_ADMIN_TOKEN then

    bool operator==(const AttachTarget &other) const = default;
};

// What the console remembers between runs, in QSettings (~/.config/Fulcrum/fulcrum-console.conf on
// Linux): the recent configuration files and attach targets, and the window's layout.
namespace ConsoleSettings {

inline constexpr qsizetype kMaxRecent = 8;

QStringList recentConfigs();
void rememberConfig(const QString &path);
QList<AttachTarget> recentAttachTargets();
void rememberAttachTarget(const AttachTarget &target);

// The window's geometry and toolbars, and the state of every splitter and header view inside it that
// has an object name.
void saveLayout(const QWidget *window);
// Whether a layout was saved for the widget of this object name.
bool hasSavedLayout(const QString &objectName);
void restoreLayout(QWidget *window);

} // namespace ConsoleSettings

} // namespace fulcrum::console

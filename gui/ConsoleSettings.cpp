// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConsoleSettings.h"

#include <QHeaderView>
#include <QMainWindow>
#include <QSettings>
#include <QSplitter>

using namespace Qt::StringLiterals;

namespace fulcrum::console::ConsoleSettings {

namespace {
const QString kRecentConfigs = u"recent/configs"_s;
const QString kRecentAttach = u"recent/attach"_s;
const QString kTokenFiles = u"recent/attachTokenFiles"_s;

// Most recent first, no repeats, at most kMaxRecent.
template <typename T>
void moveToFront(QList<T> &list, const T &value)
{
    list.removeAll(value);
    list.prepend(value);
    if (list.size() > kMaxRecent)
        list.resize(kMaxRecent);
}

template <typename Widget, typename Visit>
void forEachNamed(const QWidget *window, Visit visit)
{
    for (Widget *widget : window->findChildren<Widget *>()) {
        if (!widget->objectName().isEmpty())
            visit(widget, u"layout/"_s + widget->objectName());
    }
}
} // namespace

QStringList recentConfigs()
{
    return QSettings().value(kRecentConfigs).toStringList();
}

void rememberConfig(const QString &path)
{
    QStringList recent = recentConfigs();
    moveToFront(recent, path);
    QSettings().setValue(kRecentConfigs, recent);
}

QList<AttachTarget> recentAttachTargets()
{
    const QSettings settings;
    const QStringList urls = settings.value(kRecentAttach).toStringList();
    const QStringList tokenFiles = settings.value(kTokenFiles).toStringList();
    QList<AttachTarget> targets;
    for (qsizetype i = 0; i < urls.size(); ++i)
        targets.append({QUrl(urls[i]), tokenFiles.value(i)});
    return targets;
}

void rememberAttachTarget(const AttachTarget &target)
{
    QList<AttachTarget> targets = recentAttachTargets();
    moveToFront(targets, target);
    QStringList urls;
    QStringList tokenFiles;
    for (const AttachTarget &each : targets) {
        urls.append(each.url.toString());
        tokenFiles.append(each.tokenFile);
    }
    QSettings settings;
    settings.setValue(kRecentAttach, urls);
    settings.setValue(kTokenFiles, tokenFiles);
}

void saveLayout(const QWidget *window)
{
    QSettings settings;
    settings.setValue(u"layout/geometry"_s, window->saveGeometry());
    if (const auto *main = qobject_cast<const QMainWindow *>(window))
        settings.setValue(u"layout/windowState"_s, main->saveState());
    forEachNamed<QSplitter>(window, [&settings](QSplitter *splitter, const QString &key) {
        settings.setValue(key, splitter->saveState());
    });
    forEachNamed<QHeaderView>(window, [&settings](QHeaderView *header, const QString &key) {
        settings.setValue(key, header->saveState());
    });
}

bool hasSavedLayout(const QString &objectName)
{
    return QSettings().contains(u"layout/"_s + objectName);
}

void restoreLayout(QWidget *window)
{
    const QSettings settings;
    if (settings.contains(u"layout/geometry"_s))
        window->restoreGeometry(settings.value(u"layout/geometry"_s).toByteArray());
    if (auto *main = qobject_cast<QMainWindow *>(window))
        main->restoreState(settings.value(u"layout/windowState"_s).toByteArray());
    forEachNamed<QSplitter>(window, [&settings](QSplitter *splitter, const QString &key) {
        if (settings.contains(key))
            splitter->restoreState(settings.value(key).toByteArray());
    });
    forEachNamed<QHeaderView>(window, [&settings](QHeaderView *header, const QString &key) {
        if (settings.contains(key))
            header->restoreState(settings.value(key).toByteArray());
    });
}

} // namespace fulcrum::console::ConsoleSettings

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>
#include <QUrl>

namespace fulcrum::console {

struct ConsoleOptions
{
    bool demo = false;       // --demo
    QString configFile;      // --config FILE
    QUrl attach;             // --attach http://HOST:PORT
    QString tokenFile;       // --token-file FILE
    QString exportSnapshot;  // --export-snapshot FILE: write one snapshot and exit, no window
    int rate = 200;          // --rate N: demo traffic, requests per second
    QString screenshot;      // --screenshot FILE: grab the window after --screenshot-after seconds, exit
    int screenshotAfter = 5; // --screenshot-after SECONDS
    bool showHelp = false;

    bool needsWindow() const { return exportSnapshot.isEmpty() && !showHelp; }
};

struct ConsoleOptionsResult
{
    ConsoleOptions options;
    QString error; // empty when the arguments are valid
};

// "http://HOST:PORT" of an admin API; an empty URL and *error otherwise.
QUrl parseAttachUrl(const QString &text, QString *error);

// arguments[0] is the program name.
ConsoleOptionsResult parseConsoleOptions(const QStringList &arguments);
QString consoleHelpText();

} // namespace fulcrum::console

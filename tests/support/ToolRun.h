// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace fulcrum::test {

// How a command-line program run by a test ended.
struct ToolRun
{
    bool finished = false; // exited within the time
    int exitCode = -1;     // -1 after a crash
    QString out;
    QString err; // the program's stderr, or why it could not be started

    bool ok() const { return finished && exitCode == 0; }
    QString describe() const;
};

// Runs program to its end, at most timeoutMs, with input on its stdin (then closed). The event loop
// keeps running meanwhile, so a fulcrumd child of the test keeps having its pipes drained.
ToolRun runTool(const QString &program, const QStringList &arguments, const QByteArray &input = {},
                const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment(),
                int timeoutMs = 20'000);

} // namespace fulcrum::test

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConsoleOptions.h"
#include "ConsoleSettings.h"
#include "EmbeddedSource.h"
#include "MainWindow.h"
#include "SnapshotFileExport.h"
#include "SourceFactory.h"

#include <QApplication>
#include <QCoreApplication>
#include <QIcon>
#include <QPointer>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace Qt::StringLiterals;
using namespace fulcrum::console;

namespace {

void printTo(FILE *stream, const QString &text)
{
    std::fprintf(stream, "%s\n", qPrintable(text.trimmed()));
}

QStringList argumentsOf(int argc, char **argv)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    return arguments;
}

// --export-snapshot: no window, no display needed.
int exportAndExit(ConsoleSource &source, const QString &path)
{
    SnapshotFileExport job(&source, path);
    int code = 1;
    QObject::connect(&job, &SnapshotFileExport::finished, [&code](bool ok, const QString &message) {
        if (!ok)
            printTo(stderr, u"fulcrum-console: "_s + message);
        code = ok ? 0 : 1;
        QCoreApplication::quit();
    });
    QObject::connect(&source, &ConsoleSource::connectionStateChanged,
                     [](const QString &state, const QString &text) {
                         if (state == u"failed"_s) {
                             printTo(stderr, u"fulcrum-console: "_s + text);
                             QCoreApplication::exit(1);
                         }
                     });
    // Started from the event loop, so that quitting works even when the answer comes at once.
    QTimer::singleShot(0, &job, &SnapshotFileExport::start);
    QCoreApplication::exec();
    return code;
}

} // namespace

int main(int argc, char **argv)
{
    const ConsoleOptionsResult parsed = parseConsoleOptions(argumentsOf(argc, argv));
    const ConsoleOptions &options = parsed.options;
    if (options.showHelp) {
        printTo(stdout, consoleHelpText());
        return 0;
    }
    if (!parsed.error.isEmpty()) {
        printTo(stderr, u"fulcrum-console: "_s + parsed.error);
        return 2;
    }

    // A window needs QApplication (and a display); an export must run without either.
    std::unique_ptr<QCoreApplication> app;
    if (options.needsWindow())
        app = std::make_unique<QApplication>(argc, argv);
    else
        app = std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setOrganizationName(u"Fulcrum"_s);
    QCoreApplication::setApplicationName(u"fulcrum-console"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(FULCRUM_VERSION));

    QString error;
    const SourceChoice choice{options.demo, options.configFile, {options.attach, options.tokenFile}};
    std::unique_ptr<ConsoleSource> source = makeSource(choice, &error);
    if (!source) {
        printTo(stderr, u"fulcrum-console: "_s + error);
        return 2;
    }
    if (!options.needsWindow()) {
        if (auto *embedded = qobject_cast<EmbeddedSource *>(source.get())) {
            embedded->start();
            if (!embedded->isRunning()) {
                printTo(stderr, u"fulcrum-console: "_s + embedded->failure());
                return 1;
            }
        }
        return exportAndExit(*source, options.exportSnapshot);
    }

    QApplication::setWindowIcon(QIcon(u":/console/fulcrum-console.svg"_s));
    if (!options.configFile.isEmpty())
        ConsoleSettings::rememberConfig(options.configFile);
    if (!options.attach.isEmpty())
        ConsoleSettings::rememberAttachTarget(choice.attach);
    MainWindow *window = MainWindow::open(std::move(source));
    window->setDemoRate(options.rate);
    if (!options.screenshot.isEmpty()) {
        window->resize(1600, 940);
        QTimer::singleShot(options.screenshotAfter * 1000, window, [window, &options] {
            const bool saved = window->grab().save(options.screenshot);
            if (!saved)
                printTo(stderr, u"fulcrum-console: cannot save "_s + options.screenshot);
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    const int code = QApplication::exec();
    // Windows still open when the loop ended (a screenshot run, a signal) stop their sources here,
    // while the application still exists.
    // (Collected first: deleting a window deletes other top-level widgets it owns, such as its menus.)
    QList<QPointer<MainWindow>> windows;
    for (QWidget *widget : QApplication::topLevelWidgets()) {
        if (auto *mainWindow = qobject_cast<MainWindow *>(widget))
            windows.append(mainWindow);
    }
    for (const QPointer<MainWindow> &mainWindow : windows)
        delete mainWindow.data();
    return code;
}

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "EmbeddedSource.h"
#include "MainWindow.h"

#include <QSignalSpy>

#include <memory>

namespace fulcrum::test {

// The console's demo in this process with a window on it, as `fulcrum-console --demo` opens it.
struct EmbeddedDemoWindow
{
    std::unique_ptr<console::EmbeddedSource> source;
    std::unique_ptr<console::MainWindow> window;

    // Empty once the first snapshot has reached the window; the reason otherwise.
    QString start()
    {
        source = std::make_unique<console::EmbeddedSource>(QString(), true);
        window = std::make_unique<console::MainWindow>(source.get());
        QSignalSpy snapshots(source.get(), &console::ConsoleSource::snapshotArrived);
        source->start();
        if (!source->isRunning())
            return source->failure();
        return snapshots.wait(5000) ? QString() : QStringLiteral("no snapshot within 5 s");
    }

    // The window first: it lets go of the source before the source stops.
    void stop()
    {
        window.reset();
        source.reset();
    }
};

} // namespace fulcrum::test

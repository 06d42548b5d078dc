// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QSocketNotifier>

#include <memory>

namespace fulcrum {

// Turns SIGTERM, SIGINT, SIGHUP and SIGUSR1 into Qt signals on the main thread. The handler only writes the
// signal number to a socket pair (the one async-signal-safe way out); the event loop does the rest.
class SignalWatcher final : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    bool install(QString *error);

Q_SIGNALS:
    void terminateRequested(int signalNumber);
    void reloadRequested();
    void snapshotRequested(); // SIGUSR1

private:
    void onReadable();

    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace fulcrum

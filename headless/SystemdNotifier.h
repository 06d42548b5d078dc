// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QTimer>

#include <sys/socket.h>
#include <sys/un.h>

namespace fulcrum {

// systemd's readiness protocol (Type=notify) spoken directly on the NOTIFY_SOCKET datagram socket, so that
// fulcrumd needs no libsystemd. Without NOTIFY_SOCKET every call does nothing.
class SystemdNotifier final : public QObject
{
    Q_OBJECT
public:
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, and starts the watchdog pings when asked for.
    explicit SystemdNotifier(QObject *parent = nullptr);
    ~SystemdNotifier() override;
    SystemdNotifier(const SystemdNotifier &) = delete;
    SystemdNotifier &operator=(const SystemdNotifier &) = delete;

    bool isActive() const { return m_socket >= 0; }

    void notifyReady(const QString &status);
    void notifyReloading();
    // READY=1 again after RELOADING=1, whether or not the reload was applied.
    void notifyReloaded(const QString &status);
    void notifyStopping(const QString &status);

private:
    void send(const QByteArray &message);
    void startWatchdog();

    int m_socket = -1;
    sockaddr_un m_address{};
    socklen_t m_addressLength = 0;
    QString m_socketName;
    bool m_sendFailureLogged = false;
    QTimer m_watchdogTimer;
};

} // namespace fulcrum

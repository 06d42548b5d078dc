// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTimer>

class QTcpSocket;

namespace fulcrum::console {

// Demo traffic: keep-alive GET requests to the proxy on 127.0.0.1 at a bounded rate, a few
// connections, one request in flight on each; stops with its owner.
class TrafficGenerator final : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxRate = 2'000;
    static constexpr int kConnections = 8;

    explicit TrafficGenerator(quint16 port, QObject *parent = nullptr);
    // Requests per second, clamped to 0..kMaxRate.
    void setRate(int requestsPerSecond);
    int rate() const { return m_rate; }
    void start();
    void stop();

private:
    void tick();
    void send(QTcpSocket *socket);
    void onReadyRead(QTcpSocket *socket);

    quint16 m_port;
    int m_rate = 200;
    double m_credit = 0;
    QTimer m_timer;
    QList<QTcpSocket *> m_sockets;
    QList<bool> m_busy;
    QList<QByteArray> m_buffers; // bytes of the response each connection is reading
};

} // namespace fulcrum::console

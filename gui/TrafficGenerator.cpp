// SPDX-License-Identifier: GPL-3.0-or-later
#include "TrafficGenerator.h"

#include <QHostAddress>
#include <QTcpSocket>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {
constexpr int kTickMs = 20;
} // namespace

TrafficGenerator::TrafficGenerator(quint16 port, QObject *parent) : QObject(parent), m_port(port)
{
    m_timer.setInterval(kTickMs);
    connect(&m_timer, &QTimer::timeout, this, &TrafficGenerator::tick);
}

void TrafficGenerator::setRate(int requestsPerSecond)
{
    m_rate = std::clamp(requestsPerSecond, 0, kMaxRate);
}

void TrafficGenerator::start()
{
    for (int i = 0; i < kConnections; ++i) {
        auto *socket = new QTcpSocket(this);
        const qsizetype index = m_sockets.size();
        m_sockets.append(socket);
        m_busy.append(false);
        m_buffers.append(QByteArray());
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, index] {
            m_busy[index] = false;
            m_buffers[index].clear();
        });
    }
    m_timer.start();
}

void TrafficGenerator::stop()
{
    m_timer.stop();
    for (QTcpSocket *socket : std::as_const(m_sockets))
        socket->abort();
}

void TrafficGenerator::tick()
{
    // Credit accumulates at the rate; it is capped so a stalled proxy never causes a burst.
    m_credit = std::min(m_credit + m_rate * kTickMs / 1000.0, double(kConnections));
    for (qsizetype i = 0; i < m_sockets.size() && m_credit >= 1; ++i) {
        if (m_busy[i])
            continue;
        m_credit -= 1;
        m_busy[i] = true;
        send(m_sockets[i]);
    }
}

void TrafficGenerator::send(QTcpSocket *socket)
{
    if (socket->state() == QAbstractSocket::UnconnectedState)
        socket->connectToHost(QHostAddress::LocalHost, m_port);
    socket->write("GET /demo HTTP/1.1\r\nHost: fulcrum-console\r\n\r\n");
}

void TrafficGenerator::onReadyRead(QTcpSocket *socket)
{
    // The demo backends answer with a short body and Content-Length: a response is complete once
    // the body after the head has arrived; anything unexpected closes and reopens the connection.
    const qsizetype index = m_sockets.indexOf(socket);
    QByteArray &buffer = m_buffers[index];
    buffer += socket->readAll();
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return;
    const QByteArray head = buffer.left(headEnd).toLower();
    const qsizetype lengthAt = head.indexOf("content-length:");
    qsizetype length = 0;
    if (lengthAt >= 0) {
        const qsizetype lineEnd = head.indexOf('\r', lengthAt);
        length = head.mid(lengthAt + 15, lineEnd < 0 ? -1 : lineEnd - lengthAt - 15).trimmed().toLongLong();
    }
    if (buffer.size() < headEnd + 4 + length)
        return;
    buffer.remove(0, headEnd + 4 + length);
    if (!buffer.isEmpty()) {
        buffer.clear();
        socket->abort();
    }
    m_busy[index] = false;
}

} // namespace fulcrum::console

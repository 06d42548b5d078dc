// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QIODevice>
#include <QSocketNotifier>

namespace fulcrum {

// A connected, non-blocking TCP descriptor as an unbuffered QIODevice. Qt 6.4 keeps accepted
// QTcpSockets buffered whatever their open mode: every read goes through a ring buffer after an
// FIONREAD, and every write through a write buffer and a notifier toggle. Here a read is one recv()
// into the caller's buffer and a write is one send() from the caller's bytes; only what the kernel
// did not take is kept, and written when the socket is writable again.
//
// Reading follows Qt's unbuffered sockets: readyRead is emitted when bytes (or the peer's FIN)
// arrive; a handler that stops reading before the socket is drained gets no further readyRead until
// it reads again. The end of the connection is told once, after the readyRead that saw it, by
// disconnected() (the peer closed or reset it, or a write failed); then reads and writes fail.
// bytesWritten is emitted only for kept bytes that were written later, never inside write().
class StreamSocket final : public QIODevice
{
    Q_OBJECT
public:
    // Takes ownership of descriptor, which must be a connected, non-blocking stream socket.
    explicit StreamSocket(qintptr descriptor, QObject *parent = nullptr);
    // Not connected yet: see connectTo().
    explicit StreamSocket(QObject *parent = nullptr);
    ~StreamSocket() override;

    // Starts a non-blocking connect. connected() follows when it is up; disconnected() when it failed,
    // with the reason in errorString(), also for a failure found at once (never from inside this call).
    // Bytes written meanwhile go out once the connection is up.
    void connectTo(const QHostAddress &address, quint16 port);

    qintptr descriptor() const { return m_descriptor; }
    bool isSequential() const override { return true; }
    qint64 bytesToWrite() const override { return m_pending.size() - m_pendingOffset; }
    // True once the connection has ended (disconnected() was or is about to be emitted) or was aborted.
    bool hasEnded() const { return m_ended || m_descriptor < 0; }
    // The end was an error (a reset, a failed write or connect), not the peer's FIN.
    bool endedByError() const { return m_endedByError; }

    QHostAddress peerAddress() const;
    quint16 peerPort() const;
    QHostAddress localAddress() const;
    quint16 localPort() const;

    // Sends a FIN: the peer sees the end of the stream, and reading goes on.
    void shutdownWrite();
    // Reads and drops whatever has arrived; the number of bytes dropped.
    qint64 discardInput();
    // Closes the descriptor at once, dropping unsent bytes; no signal follows.
    void abort();

Q_SIGNALS:
    void connected();
    void disconnected();

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *data, qint64 maxSize) override;

private:
    void adopt(qintptr descriptor);
    void onReadable();
    void onWritable();
    void writePending();
    // Records the end of the connection; disconnected() is emitted from the event loop, never from
    // inside a read or a write the owner called.
    void markEnded();
    void fail(int error);
    void finishConnecting();
    void emitDisconnected();

    qintptr m_descriptor = -1;
    QSocketNotifier m_readNotifier;
    QSocketNotifier m_writeNotifier;
    QByteArray m_pending; // bytes the kernel did not take yet, from m_pendingOffset on
    qsizetype m_pendingOffset = 0;
    bool m_readSinceNotified = false; // the owner read since the last readable notification
    bool m_drained = false;           // the last read found the kernel's buffer empty
    bool m_connecting = false;
    bool m_ended = false;
    bool m_endedByError = false;
    bool m_disconnectedEmitted = false;
    bool m_aborted = false;
    bool m_inReadyRead = false;
};

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "http/HttpHeaders.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QTcpSocket>

#include <functional>
#include <memory>
#include <optional>

namespace fulcrum::test {

// One Server-Sent Events frame: the fields of the lines before a blank line.
struct SseEvent
{
    QByteArray id;
    QByteArray name = "message"; // the event field, "message" when the frame has none
    QByteArray data;             // the data lines joined with "\n"

    // data parsed as a JSON object; an empty object when it is not one.
    QJsonObject json() const;
    // Readable summary for failure messages.
    QString describe() const;
};

// A client for a text/event-stream response: writes the request as given, reads the response head,
// then reads the body frame by frame (de-chunking it when the response is chunked).
//
// Waits spin a local event loop (not QAbstractSocket::waitFor*), so the main thread keeps serving
// everything else meanwhile: a fulcrumd QProcess keeps having its pipes drained.
class SseReader
{
public:
    static constexpr int kDefaultTimeoutMs = 10'000;

    SseReader();
    ~SseReader();
    SseReader(const SseReader &) = delete;
    SseReader &operator=(const SseReader &) = delete;

    // Connects to 127.0.0.1:port, writes `request` and reads the response head. True when a head
    // arrived (whatever its status); status() and header() then describe it.
    bool open(quint16 port, QByteArrayView request, int timeoutMs = kDefaultTimeoutMs);
    int status() const { return m_status; }
    QByteArray header(QByteArrayView name) const { return m_headers.value(name); }
    QByteArray head() const { return m_head; }

    // The next event, or nullopt when none is complete in time or the stream ends first.
    std::optional<SseEvent> next(int timeoutMs = kDefaultTimeoutMs);
    // Reads events until one named `name` that `accept` (when given) takes arrives; nullopt when none
    // does in time. Every event read, skipped or not, stays in received().
    std::optional<SseEvent> waitFor(QByteArrayView name, int timeoutMs = kDefaultTimeoutMs,
                                    const std::function<bool(const SseEvent &)> &accept = {});
    // Every event read so far, in order.
    QList<SseEvent> received() const { return m_received; }
    // Comment lines (": ...") read so far.
    int commentCount() const { return m_comments; }
    bool streamEnded() const { return m_ended; }
    QString errorString() const { return m_error; }
    // The events read so far, described one per line, and the error: for failure messages.
    QString describe() const;
    void close();

private:
    bool waitForMore(const QDeadlineTimer &deadline);
    void pull();
    // Moves what arrived of the body from m_raw to m_body, de-chunking it when the response is chunked.
    void decodeBody();
    // One complete frame from m_body, or nullopt when m_body holds none yet.
    std::optional<SseEvent> takeFrame();

    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_raw;  // bytes read and not decoded yet
    QByteArray m_body; // the decoded body not parsed into frames yet
    QByteArray m_head;
    HttpHeaders m_headers;
    int m_status = 0;
    bool m_chunked = false;
    bool m_ended = false; // the peer closed, or the last chunk arrived
    bool m_peerClosed = false;
    int m_comments = 0;
    SseEvent m_pending; // the frame being read: its lines so far
    bool m_pendingFields = false;
    bool m_pendingData = false;
    QList<SseEvent> m_received;
    QString m_error;
};

} // namespace fulcrum::test

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>

namespace fulcrum::console {

struct SseEvent
{
    QByteArray id;
    QByteArray name; // "message" when the frame has no event: line
    QByteArray data; // data: lines joined with '\n'
};

// Server-Sent Events frames from a byte stream that arrives in arbitrary pieces.
class SseParser
{
public:
    // The events completed by these bytes; a partial frame waits for the next call.
    QList<SseEvent> feed(const QByteArray &bytes);
    void reset();

private:
    QByteArray m_buffer;
    SseEvent m_current;
    bool m_hasData = false;
};

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
#include "SseParser.h"

namespace fulcrum::console {

QList<SseEvent> SseParser::feed(const QByteArray &bytes)
{
    m_buffer += bytes;
    QList<SseEvent> events;
    qsizetype lineStart = 0;
    for (;;) {
        const qsizetype newline = m_buffer.indexOf('\n', lineStart);
        if (newline < 0)
            break;
        QByteArray line = m_buffer.mid(lineStart, newline - lineStart);
        lineStart = newline + 1;
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty()) {
            if (m_hasData) {
                if (m_current.name.isEmpty())
                    m_current.name = "message";
                events.append(m_current);
            }
            m_current = {};
            m_hasData = false;
            continue;
        }
        if (line.startsWith(':'))
            continue; // a comment: keep-alive
        const qsizetype colon = line.indexOf(':');
        const QByteArray field = colon < 0 ? line : line.left(colon);
        QByteArray value = colon < 0 ? QByteArray() : line.mid(colon + 1);
        if (value.startsWith(' '))
            value.remove(0, 1);
        if (field == "data") {
            if (m_hasData)
                m_current.data += '\n';
            m_current.data += value;
            m_hasData = true;
        } else if (field == "event") {
            m_current.name = value;
        } else if (field == "id") {
            m_current.id = value;
        }
    }
    m_buffer.remove(0, lineStart);
    return events;
}

void SseParser::reset()
{
    m_buffer.clear();
    m_current = {};
    m_hasData = false;
}

} // namespace fulcrum::console

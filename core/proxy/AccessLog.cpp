// SPDX-License-Identifier: GPL-3.0-or-later
#include "AccessLog.h"

#include <QDateTime>

#include <climits>
#include <unistd.h>

namespace fulcrum {

namespace {
constexpr qsizetype kFlushThreshold = 16 * 1024;

void appendJsonString(QByteArray &out, QByteArrayView value)
{
    out.append('"');
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.append('\\').append(c);
        } else if (byte < 0x20 || byte == 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            out.append("\\u00").append(kHex[byte >> 4]).append(kHex[byte & 0xf]);
        } else {
            out.append(c);
        }
    }
    out.append('"');
}

QByteArray utcNow()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
}
} // namespace

AccessLog::AccessLog(int fd, LogFormat format) : m_fd(fd), m_format(format) {}

AccessLog::~AccessLog()
{
    flush();
}

void AccessLog::record(const AccessRecord &record)
{
    if (m_fd < 0)
        return;
    if (m_format == LogFormat::Json)
        appendJson(record);
    else
        appendText(record);
    if (m_buffer.size() >= kFlushThreshold)
        flush();
}

void AccessLog::appendText(const AccessRecord &r)
{
    // Targets come from clients: quote-safe by construction since the parser rejects spaces and
    // control characters in the request target.
    m_buffer.append(utcNow()).append(' ').append(r.client).append(" \"").append(r.method).append(' ');
    m_buffer.append(r.target).append(" HTTP/1.").append(QByteArray::number(r.versionMinor)).append("\" ");
    m_buffer.append(QByteArray::number(r.status)).append(' ');
    m_buffer.append(r.backend.isEmpty() ? QByteArrayView("-") : r.backend).append(' ');
    m_buffer.append(QByteArray::number(r.bytesIn))
        .append(' ')
        .append(QByteArray::number(r.bytesOut))
        .append(' ');
    m_buffer.append(QByteArray::number(r.durationUs)).append("us ").append(r.requestId);
    if (!r.peer.isEmpty() && r.peer != r.client)
        m_buffer.append(" via ").append(r.peer);
    if (!r.note.isEmpty())
        m_buffer.append(" \"").append(r.note).append('"');
    m_buffer.append('\n');
}

void AccessLog::appendJson(const AccessRecord &r)
{
    m_buffer.append("{\"time\":\"").append(utcNow()).append("\",\"client\":");
    appendJsonString(m_buffer, r.client);
    m_buffer.append(",\"peer\":");
    appendJsonString(m_buffer, r.peer.isEmpty() ? r.client : r.peer);
    m_buffer.append(",\"method\":");
    appendJsonString(m_buffer, r.method);
    m_buffer.append(",\"target\":");
    appendJsonString(m_buffer, r.target);
    m_buffer.append(",\"protocol\":\"HTTP/1.").append(QByteArray::number(r.versionMinor));
    m_buffer.append("\",\"status\":").append(QByteArray::number(r.status)).append(",\"backend\":");
    if (r.backend.isEmpty())
        m_buffer.append("null");
    else
        appendJsonString(m_buffer, r.backend);
    m_buffer.append(",\"bytes_in\":").append(QByteArray::number(r.bytesIn));
    m_buffer.append(",\"bytes_out\":").append(QByteArray::number(r.bytesOut));
    m_buffer.append(",\"duration_us\":").append(QByteArray::number(r.durationUs));
    m_buffer.append(",\"request_id\":");
    appendJsonString(m_buffer, r.requestId);
    if (!r.note.isEmpty()) {
        m_buffer.append(",\"note\":");
        appendJsonString(m_buffer, r.note);
    }
    m_buffer.append("}\n");
}

void AccessLog::flush()
{
    qsizetype start = 0;
    while (start < m_buffer.size() && m_fd >= 0) {
        qsizetype end = std::min<qsizetype>(m_buffer.size(), start + PIPE_BUF);
        if (end < m_buffer.size()) {
            const qsizetype lastNewline = m_buffer.lastIndexOf('\n', end - 1);
            if (lastNewline >= start)
                end = lastNewline + 1;
        }
        const ssize_t written = ::write(m_fd, m_buffer.constData() + start, static_cast<size_t>(end - start));
        if (written <= 0)
            break; // a log that cannot be written must not stall the proxy
        start += written;
    }
    m_buffer.clear();
}

} // namespace fulcrum

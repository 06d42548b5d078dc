// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>

#include <optional>

namespace fulcrum {

// Reads the PROXY protocol header (v1 text or v2 binary, haproxy.org/download/2.9/doc/proxy-protocol.txt)
// that a load balancer sends before the first byte of the client's stream. Bytes arrive in any pieces;
// the parser takes exactly the header's bytes and not one more, so what follows goes to the HTTP parser.
class ProxyHeaderParser
{
public:
    enum class State
    {
        NeedMore, // every byte so far can still start a valid header
        Done,
        Failed,
    };

    // The longest v1 line, CRLF included, and the longest v2 address block accepted (TLVs included):
    // enough for every address family and the TLVs load balancers add, small enough to bound the buffer.
    static constexpr qsizetype MaxV1Bytes = 107;
    static constexpr qsizetype MaxV2PayloadBytes = 1024;

    // Takes bytes of the header from data; returns how many were its (fewer than length once Done).
    qsizetype feed(const char *data, qsizetype length);
    State state() const { return m_state; }
    // Once Done: the client's address, or nothing when the header asks to keep the connection's own
    // (v1 UNKNOWN, v2 LOCAL, v2 with an unspecified family).
    const std::optional<QHostAddress> &source() const { return m_source; }
    quint16 sourcePort() const { return m_sourcePort; }
    // Once Failed: why, for the log.
    const QByteArray &error() const { return m_error; }

private:
    qsizetype bytesWanted() const;
    void decide();
    void parseV1();
    void parseV2();
    void fail(QByteArray why);

    QByteArray m_buffer;
    State m_state = State::NeedMore;
    std::optional<QHostAddress> m_source;
    quint16 m_sourcePort = 0;
    QByteArray m_error;
};

} // namespace fulcrum

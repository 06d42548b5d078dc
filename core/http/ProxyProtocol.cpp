// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProxyProtocol.h"

#include "ProxyProtocolFormat.h"

#include <QList>

#include <algorithm>

namespace fulcrum {

namespace {
using namespace proxyprotocol;

bool isPrefixOf(QByteArrayView start, QByteArrayView whole)
{
    return whole.startsWith(start.first(std::min(start.size(), whole.size())));
}

quint8 byteAt(const QByteArray &bytes, qsizetype index)
{
    return static_cast<quint8>(bytes.at(index));
}

quint16 bigEndian16(const QByteArray &bytes, qsizetype index)
{
    return static_cast<quint16>(byteAt(bytes, index) << 8 | byteAt(bytes, index + 1));
}

// Decimal 0..65535 without a sign or leading zeros, as the v1 grammar writes ports.
std::optional<quint16> parsePort(QByteArrayView text)
{
    if (text.isEmpty() || text.size() > 5 || (text.size() > 1 && text.front() == '0'))
        return std::nullopt;
    quint32 value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<quint32>(c - '0');
    }
    return value <= 0xffff ? std::optional<quint16>(static_cast<quint16>(value)) : std::nullopt;
}

bool isDottedQuad(QByteArrayView text)
{
    const QList<QByteArray> parts = text.toByteArray().split('.');
    return parts.size() == 4 && std::all_of(parts.begin(), parts.end(), [](const QByteArray &part) {
               if (part.isEmpty() || part.size() > 3 || (part.size() > 1 && part.front() == '0'))
                   return false;
               int value = 0;
               for (const char c : part) {
                   if (c < '0' || c > '9')
                       return false;
                   value = value * 10 + (c - '0');
               }
               return value <= 255;
           });
}

std::optional<QHostAddress> parseV1Address(QByteArrayView text, bool v6)
{
    if (v6 ? (!text.contains(':') || text.contains('%')) : !isDottedQuad(text))
        return std::nullopt;
    QHostAddress address;
    if (!address.setAddress(QString::fromLatin1(text)))
        return std::nullopt;
    const bool isV6 = address.protocol() == QAbstractSocket::IPv6Protocol;
    return isV6 == v6 ? std::optional<QHostAddress>(address) : std::nullopt;
}
} // namespace

qsizetype ProxyHeaderParser::bytesWanted() const
{
    if (m_buffer.size() < kV2Signature.size() && !m_buffer.startsWith(kV1Prefix))
        return 1; // not yet known which version this is
    if (m_buffer.startsWith(kV1Prefix))
        return 1; // a line: one byte at a time, so nothing after its CRLF is taken
    if (m_buffer.size() < kV2FixedBytes)
        return kV2FixedBytes - m_buffer.size();
    return kV2FixedBytes + bigEndian16(m_buffer, 14) - m_buffer.size();
}

qsizetype ProxyHeaderParser::feed(const char *data, qsizetype length)
{
    qsizetype taken = 0;
    while (m_state == State::NeedMore && taken < length) {
        const qsizetype chunk = std::min(bytesWanted(), length - taken);
        m_buffer.append(data + taken, chunk);
        taken += chunk;
        decide();
    }
    return taken;
}

void ProxyHeaderParser::decide()
{
    if (!isPrefixOf(m_buffer, kV1Prefix) && !isPrefixOf(m_buffer, kV2Signature)) {
        fail("not a PROXY protocol header");
        return;
    }
    if (m_buffer.startsWith(kV1Prefix)) {
        if (m_buffer.endsWith("\r\n"))
            parseV1();
        else if (m_buffer.endsWith('\n'))
            fail("PROXY v1 line not ended by CRLF");
        else if (m_buffer.size() >= MaxV1Bytes)
            fail("PROXY v1 line longer than 107 bytes");
        return;
    }
    if (m_buffer.size() < kV2FixedBytes)
        return;
    const quint16 payload = bigEndian16(m_buffer, 14);
    if (payload > MaxV2PayloadBytes) {
        fail("PROXY v2 address block longer than " + QByteArray::number(MaxV2PayloadBytes) + " bytes");
        return;
    }
    if (m_buffer.size() == kV2FixedBytes + payload)
        parseV2();
}

void ProxyHeaderParser::parseV1()
{
    const QList<QByteArray> words = m_buffer.sliced(kV1Prefix.size()).chopped(2).split(' ');
    if (words.front() == "UNKNOWN") {
        // The sender could not tell the client (a health check of its own): the connection speaks for itself.
        m_state = State::Done;
        return;
    }
    const bool v6 = words.front() == "TCP6";
    if (words.size() != 5 || !(v6 || words.front() == "TCP4")) {
        fail("malformed PROXY v1 line");
        return;
    }
    const std::optional<QHostAddress> source = parseV1Address(words.at(1), v6);
    const std::optional<QHostAddress> destination = parseV1Address(words.at(2), v6);
    const std::optional<quint16> sourcePort = parsePort(words.at(3));
    if (!source || !destination || !sourcePort || !parsePort(words.at(4))) {
        fail("malformed PROXY v1 addresses or ports");
        return;
    }
    m_source = source;
    m_sourcePort = *sourcePort;
    m_state = State::Done;
}

void ProxyHeaderParser::parseV2()
{
    const quint8 versionCommand = byteAt(m_buffer, 12);
    const quint8 family = byteAt(m_buffer, 13);
    const qsizetype payload = m_buffer.size() - kV2FixedBytes;
    if ((versionCommand & 0xf0) != kV2Version) {
        fail("unsupported PROXY v2 version");
        return;
    }
    const quint8 command = versionCommand & 0x0f;
    if (command == kV2CommandLocal) {
        // The sender's own connection (its health checks): whatever the block holds, the peer is the client.
        m_state = State::Done;
        return;
    }
    if (command != kV2CommandProxy) {
        fail("unknown PROXY v2 command");
        return;
    }
    // TLVs after the addresses (AWS's VPC endpoint, SSL details, ...) are skipped: nothing here needs them.
    if (family == kV2Tcp4 && payload >= kV2Tcp4AddressBytes) {
        const quint32 v4 = quint32(byteAt(m_buffer, 16)) << 24 | quint32(byteAt(m_buffer, 17)) << 16 |
                           quint32(byteAt(m_buffer, 18)) << 8 | byteAt(m_buffer, 19);
        m_source = QHostAddress(v4);
        m_sourcePort = bigEndian16(m_buffer, 24);
    } else if (family == kV2Tcp6 && payload >= kV2Tcp6AddressBytes) {
        m_source = QHostAddress(reinterpret_cast<const quint8 *>(m_buffer.constData() + kV2FixedBytes));
        m_sourcePort = bigEndian16(m_buffer, 48);
    } else if (family != kV2Unspecified) {
        fail("unsupported PROXY v2 address family or short address block");
        return;
    }
    m_state = State::Done;
}

void ProxyHeaderParser::fail(QByteArray why)
{
    m_state = State::Failed;
    m_error = std::move(why);
}

} // namespace fulcrum

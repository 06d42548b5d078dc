// SPDX-License-Identifier: GPL-3.0-or-later
#include "TlsStream.h"

#include "tls/TlsContextSet.h"

#include <climits>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace fulcrum {

TlsStream::TlsStream(std::shared_ptr<const TlsContextSet> contexts)
    : m_contexts(std::move(contexts)), m_ssl(m_contexts->newSession()), m_incoming(BIO_new(BIO_s_mem())),
      m_outgoing(BIO_new(BIO_s_mem()))
{
    // An empty memory BIO reports "retry", not end of file: more bytes may come from the socket.
    BIO_set_mem_eof_return(m_incoming, -1);
    SSL_set_bio(m_ssl, m_incoming, m_outgoing);
}

TlsStream::~TlsStream()
{
    SSL_free(m_ssl);
}

void TlsStream::feed(const char *data, qsizetype length)
{
    while (length > 0) {
        const int chunk = static_cast<int>(std::min<qsizetype>(length, INT_MAX));
        BIO_write(m_incoming, data, chunk);
        data += chunk;
        length -= chunk;
    }
}

qsizetype TlsStream::read(char *buffer, qsizetype capacity)
{
    if (m_failed)
        return -1;
    if (m_peerClosed)
        return 0;
    ERR_clear_error();
    const int received = SSL_read(m_ssl, buffer, static_cast<int>(std::min<qsizetype>(capacity, INT_MAX)));
    if (received > 0)
        return received;
    switch (SSL_get_error(m_ssl, received)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: // memory BIOs never fill: this only means "handshake output pending"
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        m_peerClosed = true;
        return 0;
    default:
        fail();
        return -1;
    }
}

bool TlsStream::write(const char *data, qsizetype length)
{
    if (m_failed || m_closed || !isEstablished())
        return false;
    while (length > 0) {
        ERR_clear_error();
        const int chunk = static_cast<int>(std::min<qsizetype>(length, INT_MAX));
        const int written = SSL_write(m_ssl, data, chunk);
        if (written <= 0) {
            fail();
            return false;
        }
        data += written;
        length -= written;
    }
    return true;
}

void TlsStream::close()
{
    if (m_closed || m_failed || !isEstablished())
        return;
    m_closed = true;
    // One call sends the alert; the client's answering alert is not waited for (the socket closes).
    SSL_shutdown(m_ssl);
}

QByteArray TlsStream::takeOutgoing()
{
    const qsizetype pending = static_cast<qsizetype>(BIO_ctrl_pending(m_outgoing));
    if (pending == 0)
        return {};
    QByteArray bytes(pending, Qt::Uninitialized);
    BIO_read(m_outgoing, bytes.data(), static_cast<int>(pending));
    return bytes;
}

bool TlsStream::isEstablished() const
{
    return SSL_is_init_finished(m_ssl) == 1;
}

void TlsStream::fail()
{
    m_failed = true;
    const unsigned long code = ERR_peek_last_error();
    const char *reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
    m_failure = reason != nullptr ? QByteArray(reason) : QByteArrayLiteral("connection closed during TLS");
    ERR_clear_error();
}

} // namespace fulcrum

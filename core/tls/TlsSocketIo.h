// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

class QIODevice;

namespace fulcrum {

class TlsStream;

// Reading and writing a socket through a TlsStream, for whoever owns the socket at the time: the client
// connection while it speaks HTTP, a tunnel after an upgrade.

// What the peer sent next, decrypted into buffer: the byte count; 0 when nothing more is there now (or
// the peer sent its close_notify); -1 when TLS failed (the alert saying why is already written).
// *encryptedBytes: what was read from the socket, for the byte counters. Handshake messages TLS has
// to answer with are written to the socket on the way; the buffer also takes the encrypted bytes.
qint64 readDecrypted(TlsStream &tls, QIODevice &socket, char *buffer, qint64 capacity,
                     qint64 *encryptedBytes);

// Encrypts data and writes the records to the socket; false when TLS cannot send (no finished
// handshake yet, or failed): then nothing is written.
bool writeEncrypted(TlsStream &tls, QIODevice &socket, const char *data, qint64 length);

// Writes what TLS has for the peer (handshake messages, alerts such as close_notify).
void writeTlsOutput(TlsStream &tls, QIODevice &socket);

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "TlsSocketIo.h"

#include "tls/TlsStream.h"

#include <QIODevice>

namespace fulcrum {

qint64 readDecrypted(TlsStream &tls, QIODevice &socket, char *buffer, qint64 capacity, qint64 *encryptedBytes)
{
    *encryptedBytes = 0;
    while (true) {
        const qsizetype decrypted = tls.read(buffer, capacity);
        if (decrypted < 0)
            writeTlsOutput(tls, socket);
        if (decrypted != 0)
            return decrypted;
        writeTlsOutput(tls, socket);
        // The encrypted bytes land in the buffer and are copied into TLS at once, before it is reused.
        const qint64 received = socket.read(buffer, capacity);
        if (received <= 0)
            return 0;
        *encryptedBytes += received;
        tls.feed(buffer, received);
    }
}

bool writeEncrypted(TlsStream &tls, QIODevice &socket, const char *data, qint64 length)
{
    if (!tls.write(data, length))
        return false;
    writeTlsOutput(tls, socket);
    return true;
}

void writeTlsOutput(TlsStream &tls, QIODevice &socket)
{
    const QByteArray records = tls.takeOutgoing();
    if (!records.isEmpty())
        socket.write(records);
}

} // namespace fulcrum

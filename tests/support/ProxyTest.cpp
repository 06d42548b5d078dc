// SPDX-License-Identifier: GPL-3.0-or-later
#include "ProxyTest.h"

using namespace Qt::StringLiterals;

namespace fulcrum::test {

QStringList backendArgs(const QList<const FakeBackend *> &backends, const QList<int> &weights)
{
    QStringList args;
    for (qsizetype i = 0; i < backends.size(); ++i)
        args << u"--backend"_s << backends.at(i)->backendFlag(i < weights.size() ? weights.at(i) : -1);
    return args;
}

bool isGeneratedRequestId(QByteArrayView id)
{
    if (id.size() != 32)
        return false;
    for (const char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

QByteArray chunkedRequest(QByteArrayView method, QByteArrayView target, QByteArrayView body,
                          qsizetype chunkSize)
{
    QByteArray out;
    out.reserve(body.size() + body.size() / chunkSize * 12 + 128);
    out.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
    out.append("Transfer-Encoding: chunked\r\n\r\n");
    for (qsizetype offset = 0; offset < body.size(); offset += chunkSize) {
        const qsizetype length = std::min(chunkSize, body.size() - offset);
        out.append(QByteArray::number(length, 16)).append("\r\n");
        out.append(body.sliced(offset, length)).append("\r\n");
    }
    out.append("0\r\n\r\n");
    return out;
}

} // namespace fulcrum::test

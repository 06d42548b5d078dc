// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestId.h"

namespace fulcrum {

namespace {
constexpr qsizetype kMaxClientIdLength = 128;
}

RequestIdGenerator::RequestIdGenerator() : m_random(QRandomGenerator::system()->generate64()) {}

bool RequestIdGenerator::isAcceptable(QByteArrayView id)
{
    if (id.isEmpty() || id.size() > kMaxClientIdLength)
        return false;
    for (const char c : id) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          c == '-' || c == '_' || c == '.' || c == ':';
        if (!safe)
            return false;
    }
    return true;
}

QByteArray RequestIdGenerator::generate()
{
    static constexpr char kHex[] = "0123456789abcdef";
    QByteArray id(32, Qt::Uninitialized);
    quint64 words[2] = {m_random.generate64(), m_random.generate64()};
    for (int i = 0; i < 32; ++i) {
        const quint64 word = words[i / 16];
        id[i] = kHex[(word >> ((i % 16) * 4)) & 0xf];
    }
    return id;
}

} // namespace fulcrum

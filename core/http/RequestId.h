// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QRandomGenerator>

namespace fulcrum {

// X-Request-ID handling: a client's id is kept when it is short and made of safe characters (so it
// can go into logs and headers verbatim); otherwise a random 128-bit id is generated.
class RequestIdGenerator
{
public:
    RequestIdGenerator();

    static bool isAcceptable(QByteArrayView id);
    QByteArray generate();

private:
    QRandomGenerator64 m_random;
};

} // namespace fulcrum

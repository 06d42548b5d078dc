// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace fulcrum {

// What consistent hashing hashes for one request, by BalancingConfig::hashKey: the client address,
// the first value of a header, a cookie's value, or the path without its query. A request without
// that key (no such header or cookie, or an empty value) has none, and the caller balances it
// another way.
class RequestHashKey
{
public:
    explicit RequestHashKey(const HashKey &key);

    // The bytes the key is made of, a view into the context or its request; nothing when absent.
    std::optional<QByteArrayView> extract(const PickContext &context) const;
    // hash64 of those bytes; nothing when absent.
    std::optional<quint64> hash(const PickContext &context) const;

    // The path of a request target: up to the query, and for an absolute-form target
    // ("http://host/p?q") its path part ("/p", or "/" when it has none). Other forms ("*",
    // "host:port") come back whole.
    static QByteArrayView pathOf(QByteArrayView target);
    // The value of the first cookie with this exact name over every Cookie header ("a=1; b=2"),

private:
    HashKey::Source m_source;
    QByteArray m_name; // header or cookie name
};

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestHashKey.h"

#include "Hash64.h"
#include "http/CookieHeader.h"

namespace fulcrum {

RequestHashKey::RequestHashKey(const HashKey &key) : m_source(key.source), m_name(key.name.toUtf8()) {}

std::optional<QByteArrayView> RequestHashKey::extract(const PickContext &context) const
{
    std::optional<QByteArrayView> key;
    if (m_source == HashKey::Source::ClientIp) {
        key = context.clientAddress;
    } else if (context.request) {
        switch (m_source) {
        case HashKey::Source::ClientIp:
            break;
        case HashKey::Source::Header:
            for (const HttpHeader &header : context.request->headers) {
                if (headerNameEquals(header.name, m_name)) {
                    key = header.value;
                    break;
                }
            }
            break;
        case HashKey::Source::Cookie:
            key = requestCookie(context.request->headers, m_name);
            break;
        case HashKey::Source::Path:
            key = pathOf(context.request->target);
            break;
        }
    }
    if (key && key->isEmpty())
        return std::nullopt;
    return key;
}

std::optional<quint64> RequestHashKey::hash(const PickContext &context) const
{
    if (const std::optional<QByteArrayView> key = extract(context))
        return hash64(*key);
    return std::nullopt;
}

QByteArrayView RequestHashKey::pathOf(QByteArrayView target)
{
    if (!target.startsWith('/')) {
        const qsizetype scheme = target.indexOf("://");
        if (scheme >= 0) {
            const qsizetype authority = scheme + 3;
            const qsizetype slash = target.indexOf('/', authority);
            const qsizetype query = target.indexOf('?', authority);
            if (slash < 0 || (query >= 0 && query < slash))
                return "/";
            target = target.sliced(slash);
        }
    }
    const qsizetype query = target.indexOf('?');
    return query < 0 ? target : target.first(query);
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

namespace fulcrum {

struct HttpHeader
{
    QByteArray name;
    QByteArray value;
};

// Headers in arrival order; order and duplicates matter when forwarding, so this is a list, not a map.
class HttpHeaders
{
public:
    void append(QByteArray name, QByteArray value) { m_headers.append({std::move(name), std::move(value)}); }
    void reserve(qsizetype count) { m_headers.reserve(count); }
    qsizetype size() const { return m_headers.size(); }
    bool isEmpty() const { return m_headers.isEmpty(); }
    const HttpHeader &at(qsizetype index) const { return m_headers.at(index); }
    HttpHeader &last() { return m_headers.last(); }
    auto begin() const { return m_headers.cbegin(); }
    auto end() const { return m_headers.cend(); }

    qsizetype count(QByteArrayView name) const;
    // First value of the named header, or a null QByteArray when absent.
    QByteArray value(QByteArrayView name) const;
    bool contains(QByteArrayView name) const { return count(name) > 0; }
    // Removes every header of that name; returns how many.
    qsizetype removeAll(QByteArrayView name);

private:
    QList<HttpHeader> m_headers;
};

bool headerNameEquals(QByteArrayView a, QByteArrayView b);

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>
#include <QUrlQuery>

#include <utility>

namespace fulcrum {

// An admin API call as the API sees it, whatever carried it: the HTTP listener, or a test.
struct AdminRequest
{
    QByteArray method; // upper case
    QString path;      // decoded, without the query
    QUrlQuery query;
    QByteArray authorization; // the Authorization header's value, if any
    QByteArray body;
    QHostAddress peer;
    quint16 peerPort = 0;

    // "127.0.0.1:53124", as the audit log and the event stream name the caller.
    QString caller() const;
};

struct AdminResponse
{
    int status = 200;
    QByteArray contentType;
    QByteArray body;
    QList<std::pair<QByteArray, QByteArray>> headers; // besides Content-Type and Content-Length
    // The call opened the event stream: the transport keeps the connection and sends what
    // AdminEvents publishes, after `body` (the first frames).
    bool opensEventStream = false;
    bool streamsSnapshots = true; // false: the subscriber asked for changes only
};

} // namespace fulcrum

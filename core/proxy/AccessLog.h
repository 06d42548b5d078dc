// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ProxyConfig.h"

#include <QByteArray>

namespace fulcrum {

struct AccessRecord
{
    QByteArrayView client; // who the request is from, through trusted proxies
    QByteArrayView peer;   // the connection's peer (or PROXY header source); empty: same as client
    QByteArrayView method;
    QByteArrayView target;
    int versionMinor = 1;
    int status = 0;
    QByteArrayView backend; // empty when the proxy answered itself
    qint64 bytesIn = 0;     // request body bytes from the client
    qint64 bytesOut = 0;    // response bytes written to the client
    qint64 durationUs = 0;
    QByteArrayView requestId;
    QByteArrayView note; // why the proxy answered itself, if it did
};

// One line per request, buffered per worker and written in whole lines of at most PIPE_BUF bytes
// per write(2), so that lines from several workers never interleave and no lock is taken.
class AccessLog
{
public:
    AccessLog(int fd, LogFormat format);
    ~AccessLog();
    AccessLog(const AccessLog &) = delete;
    AccessLog &operator=(const AccessLog &) = delete;

    bool isEnabled() const { return m_fd >= 0; }
    void record(const AccessRecord &record);
    void flush();

private:
    void appendText(const AccessRecord &record);
    void appendJson(const AccessRecord &record);

    QByteArray m_buffer;
    int m_fd;
    LogFormat m_format;
};

} // namespace fulcrum

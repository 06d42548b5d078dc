// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHostAddress>
#include <QList>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

namespace fulcrum::test {

struct SrvRecord
{
    QString target;
    quint16 port = 0;
    int priority = 0;
    int weight = 0;
};

// A DNS server for discovery tests: dnsmasq (Debian's dnsmasq-base) on a random 127.53.x.y address,
// port 53 (what QDnsLookup asks), answering only from records the test gives. Host records live in a
// file dnsmasq watches, so setHosts changes the answers while it runs; SRV records are flags, so
// setSrv takes effect on the next start(). TTLs are 1 s.
class DnsServer
{
public:
    DnsServer();
    ~DnsServer();
    DnsServer(const DnsServer &) = delete;
    DnsServer &operator=(const DnsServer &) = delete;

    // name -> addresses; replaces every host record at once.
    bool setHosts(const QList<std::pair<QString, QStringList>> &hosts);
    void setSrv(const QString &name, const QList<SrvRecord> &records);

    // Starts dnsmasq and waits until it answers; false with errorString() saying why.
    bool start();
    void stop();

    QHostAddress address() const { return m_address; }
    QString errorString() const { return m_error; }
    QByteArray log();

private:
    bool answers();

    QTemporaryDir m_dir;
    QHostAddress m_address;
    QProcess m_process;
    QByteArray m_log;
    QString m_srvName;
    QList<SrvRecord> m_srvRecords;
    QString m_error;
};

} // namespace fulcrum::test

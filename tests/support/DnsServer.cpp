// SPDX-License-Identifier: GPL-3.0-or-later
#include "DnsServer.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QDnsLookup>
#include <QEventLoop>
#include <QFile>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

namespace {

constexpr int kStartTimeoutMs = 10'000;
// Always in the hosts file, so that a look-up of it tells whether dnsmasq answers.
const QString kProbeName = u"probe.fulcrum.test"_s;

QString hostsDirectory(const QTemporaryDir &dir)
{
    return dir.filePath(u"hosts"_s);
}

} // namespace

DnsServer::DnsServer()
{
    // 127.53.0.0/16 is loopback that nothing else here uses, so a port-53 listener cannot collide.
    QRandomGenerator *random = QRandomGenerator::global();
    m_address = QHostAddress(u"127.53.%1.%2"_s.arg(random->bounded(1, 255)).arg(random->bounded(1, 255)));
    QDir().mkpath(hostsDirectory(m_dir));
    setHosts({});
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

DnsServer::~DnsServer()
{
    stop();
}

bool DnsServer::setHosts(const QList<std::pair<QString, QStringList>> &hosts)
{
    QByteArray text = "127.0.0.1 " + kProbeName.toUtf8() + '\n';
    for (const auto &[name, addresses] : hosts) {
        for (const QString &address : addresses)
            text += address.toUtf8() + ' ' + name.toUtf8() + '\n';
    }
    // Written beside the watched directory and renamed into it, so dnsmasq never reads half a file.
    QSaveFile file(hostsDirectory(m_dir) + u"/records"_s);
    file.setDirectWriteFallback(false);
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
        m_error = u"cannot write the hosts file: "_s + file.errorString();
        return false;
    }
    return true;
}

void DnsServer::setSrv(const QString &name, const QList<SrvRecord> &records)
{
    m_srvName = name;
    m_srvRecords = records;
}

bool DnsServer::start()
{
    const QString dnsmasq = QStandardPaths::findExecutable(u"dnsmasq"_s, {u"/usr/sbin"_s, u"/sbin"_s});
    if (dnsmasq.isEmpty()) {
        m_error = u"dnsmasq not found (apt-get install dnsmasq-base; ./fulcrum.sh setup does)"_s;
        return false;
    }
    QStringList arguments{u"--keep-in-foreground"_s,
                          u"--conf-file=/dev/null"_s,
                          u"--no-resolv"_s,
                          u"--no-hosts"_s,
                          u"--hostsdir="_s + hostsDirectory(m_dir),
                          u"--listen-address="_s + m_address.toString(),
                          u"--bind-interfaces"_s,
                          u"--port=53"_s,
                          u"--user=root"_s,
                          u"--local-ttl=1"_s,
                          u"--pid-file="_s,
                          u"--log-facility=-"_s,
                          u"--log-queries"_s};
    for (const SrvRecord &record : std::as_const(m_srvRecords))
        arguments.append(u"--srv-host=%1,%2,%3,%4,%5"_s.arg(m_srvName, record.target)
                             .arg(record.port)
                             .arg(record.priority)
                             .arg(record.weight));
    m_process.start(dnsmasq, arguments);
    if (!m_process.waitForStarted(kStartTimeoutMs)) {
        m_error = u"cannot start dnsmasq: "_s + m_process.errorString();
        return false;
    }
    const QDeadlineTimer deadline(kStartTimeoutMs);
    while (!deadline.hasExpired()) {
        if (m_process.state() != QProcess::Running) {
            m_error = u"dnsmasq exited: "_s + QString::fromUtf8(log());
            return false;
        }
        if (answers())
            return true;
    }
    m_error = u"dnsmasq does not answer on "_s + m_address.toString() + u": "_s + QString::fromUtf8(log());
    stop();
    return false;
}

bool DnsServer::answers()
{
    QDnsLookup lookup(QDnsLookup::A, kProbeName, m_address);
    QEventLoop loop;
    QObject::connect(&lookup, &QDnsLookup::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(1'000, &loop, &QEventLoop::quit);
    lookup.lookup();
    if (!lookup.isFinished())
        loop.exec();
    return lookup.isFinished() && lookup.error() == QDnsLookup::NoError &&
           !lookup.hostAddressRecords().isEmpty();
}

void DnsServer::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(5'000)) {
        m_process.kill();
        m_process.waitForFinished(5'000);
    }
    log();
}

QByteArray DnsServer::log()
{
    m_log += m_process.readAll();
    return m_log;
}

} // namespace fulcrum::test

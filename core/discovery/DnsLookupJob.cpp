// SPDX-License-Identifier: GPL-3.0-or-later
#include "DnsLookupJob.h"

#include "config/ConfigValues.h"

#include <QDnsLookup>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

// SRV weights run 0..65535 and only their ratios matter; a backend's are 1..1000. Weight 0 means "rarely"
// in RFC 2782, not "never", so it becomes the smallest weight that still takes traffic.
int backendWeightOf(quint16 srvWeight)
{
    return std::clamp<int>(srvWeight, 1, static_cast<int>(ranges::weight.max));
}

bool addressBefore(const DiscoveredAddress &a, const DiscoveredAddress &b)
{
    const QString left = a.address.toString();
    const QString right = b.address.toString();
    return left != right ? left < right : a.port < b.port;
}

} // namespace

DnsLookupJob::DnsLookupJob(DnsQuestion question, QHostAddress server, QObject *parent)
    : QObject(parent), m_question(std::move(question)), m_server(std::move(server))
{}

void DnsLookupJob::start()
{
    if (m_question.kind == BackendDiscovery::Srv) {
        QDnsLookup *lookup = startLookup(QDnsLookup::SRV, m_question.name);
        connect(lookup, &QDnsLookup::finished, this, [this, lookup] { targetsFound(lookup); });
        lookup->lookup();
        return;
    }
    lookUpAddresses(m_question.name, 0, 0);
}

QDnsLookup *DnsLookupJob::startLookup(int type, const QString &name)
{
    ++m_pending;
    auto *lookup = new QDnsLookup(static_cast<QDnsLookup::Type>(type), name, this);
    if (!m_server.isNull())
        lookup->setNameserver(m_server);
    return lookup;
}

void DnsLookupJob::lookUpAddresses(const QString &name, quint16 port, int weight)
{
    for (const QDnsLookup::Type type : {QDnsLookup::A, QDnsLookup::AAAA}) {
        QDnsLookup *lookup = startLookup(type, name);
        connect(lookup, &QDnsLookup::finished, this,
                [this, lookup, port, weight] { addressesFound(lookup, port, weight); });
        lookup->lookup();
    }
}

void DnsLookupJob::addressesFound(QDnsLookup *lookup, quint16 port, int weight)
{
    // A name with addresses of one family only answers the other with nothing: failures count only when
    // no look-up found anything.
    if (lookup->error() != QDnsLookup::NoError)
        m_failures.append(lookup->name() + u": "_s + lookup->errorString());
    for (const QDnsHostAddressRecord &record : lookup->hostAddressRecords()) {
        m_found.append({record.value(), port, weight});
        noteTtl(record.timeToLive());
    }
    lookup->deleteLater();
    lookupDone();
}

void DnsLookupJob::targetsFound(QDnsLookup *lookup)
{
    QList<QDnsServiceRecord> records = lookup->serviceRecords();
    if (lookup->error() != QDnsLookup::NoError)
        m_failures.append(lookup->name() + u": "_s + lookup->errorString());
    // "." as the only target says the service is decidedly not available here (RFC 2782).
    records.removeIf([](const QDnsServiceRecord &record) {
        return record.target().isEmpty() || record.target() == u"."_s;
    });
    if (!records.isEmpty()) {
        const auto lowest =
            std::min_element(records.cbegin(), records.cend(), [](const auto &a, const auto &b) {
                return a.priority() < b.priority();
            })->priority();
        for (const QDnsServiceRecord &record : std::as_const(records)) {
            noteTtl(record.timeToLive());
            if (record.priority() == lowest)
                lookUpAddresses(record.target(), record.port(), backendWeightOf(record.weight()));
        }
    }
    lookup->deleteLater();
    lookupDone();
}

void DnsLookupJob::noteTtl(quint32 seconds)
{
    m_ttlSeconds = std::min(m_ttlSeconds, seconds);
}

void DnsLookupJob::lookupDone()
{
    if (--m_pending > 0 || m_finished)
        return;
    m_finished = true;
    DnsAnswer answer;
    std::sort(m_found.begin(), m_found.end(), addressBefore);
    m_found.erase(std::unique(m_found.begin(), m_found.end()), m_found.end());
    answer.addresses = m_found;
    answer.ttlSeconds = static_cast<int>(std::min<quint32>(m_ttlSeconds, 86'400));
    // Partial answers (one target of several failed) are used; only nothing at all keeps the last set.
    if (answer.addresses.isEmpty())
        answer.error = m_failures.isEmpty() ? u"no addresses found"_s : m_failures.join(u"; "_s);
    Q_EMIT finished(answer);
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "discovery/DnsAnswer.h"

#include <QObject>
#include <QStringList>

#include <limits>

QT_BEGIN_NAMESPACE
class QDnsLookup;
QT_END_NAMESPACE

namespace fulcrum {

// One look-up of a DnsQuestion, asynchronous on the thread it lives on: A and AAAA together for a host
// name; for an SRV name the records of the lowest priority (the others are fallbacks), then A and AAAA
// of each target. Emits finished once; the owner deletes it afterwards.
class DnsLookupJob final : public QObject
{
    Q_OBJECT
public:
    // A null server asks the system's resolvers.
    DnsLookupJob(DnsQuestion question, QHostAddress server, QObject *parent = nullptr);

    const DnsQuestion &question() const { return m_question; }
    void start();

Q_SIGNALS:
    void finished(const fulcrum::DnsAnswer &answer);

private:
    QDnsLookup *startLookup(int type, const QString &name);
    void lookUpAddresses(const QString &name, quint16 port, int weight);
    void addressesFound(QDnsLookup *lookup, quint16 port, int weight);
    void targetsFound(QDnsLookup *lookup);
    void noteTtl(quint32 seconds);
    void lookupDone();

    DnsQuestion m_question;
    QHostAddress m_server;
    int m_pending = 0;
    QList<DiscoveredAddress> m_found;
    QStringList m_failures;
    quint32 m_ttlSeconds = std::numeric_limits<quint32>::max();
    bool m_finished = false;
};

} // namespace fulcrum

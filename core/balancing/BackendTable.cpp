// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendTable.h"

#include <QCryptographicHash>

namespace fulcrum {

BackendTable::BackendTable(QList<Backend> backends, quint64 generation, const BalancingConfig &balancing)
    : m_backends(std::move(backends)), m_generation(generation), m_balancing(balancing)
{
    for (qsizetype i = 0; i < m_backends.size(); ++i) {
        Backend &backend = m_backends[i];
        if (backend.effectiveWeight < 0)
            backend.effectiveWeight = backend.config.weight;
        if (backend.stickyValue.isEmpty())
            backend.stickyValue = stickyValueFor(backend.config.name);
        m_stickyIndex.insert(backend.stickyValue, i);
    }
    std::vector<RotationEntry> rotation =
        rotationOf([](const Backend &backend) { return backend.inRotation(); });
    // Panic: with nothing usable, failing open beats refusing everything when the health verdicts are
    // what is wrong. Only backends an operator took out stay out.
    if (rotation.empty() && m_balancing.panicMode == PanicMode::FailOpen) {
        m_panicking = true;
        rotation = rotationOf([](const Backend &backend) {
            return backend.state == BackendState::Down && backend.effectiveWeight > 0;
        });
    }
    m_inRotation.assign(static_cast<std::size_t>(m_backends.size()), false);
    for (const RotationEntry &entry : rotation)
        m_inRotation[static_cast<std::size_t>(entry.tableIndex)] = true;
    m_strategy = makeStrategy(m_balancing, std::move(rotation));
}

template <typename Predicate>
std::vector<RotationEntry> BackendTable::rotationOf(Predicate belongs)
{
    std::vector<RotationEntry> rotation;
    for (qsizetype i = 0; i < m_backends.size(); ++i) {
        Backend &backend = m_backends[i];
        if (belongs(backend))
            rotation.push_back({i, backend.effectiveWeight, &backend.runtime->inFlight, backend.config.name});
    }
    return rotation;
}

qsizetype BackendTable::indexOf(const QString &name) const
{
    for (qsizetype i = 0; i < m_backends.size(); ++i) {
        if (m_backends.at(i).config.name == name)
            return i;
    }
    return -1;
}

qsizetype BackendTable::indexOfStickyValue(QByteArrayView value) const
{
    return m_stickyIndex.value(value.toByteArray(), -1);
}

QByteArray stickyValueFor(const QString &backendName)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData("fulcrum-sticky-v1:");
    hash.addData(backendName.toUtf8());
    return hash.result().first(8).toHex();
}

} // namespace fulcrum

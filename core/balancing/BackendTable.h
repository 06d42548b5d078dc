// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "BalancingStrategy.h"

#include <QHash>
#include <QList>

#include <memory>

namespace fulcrum {

// An immutable view of the backends with the strategy built over them, made by the control thread on
// every change and handed to workers whole, so a worker never locks to read it.
class BackendTable
{
public:
    BackendTable(QList<Backend> backends, quint64 generation, const BalancingConfig &balancing = {});

    const QList<Backend> &backends() const { return m_backends; }
    qsizetype size() const { return m_backends.size(); }
    const Backend &at(qsizetype index) const { return m_backends.at(index); }
    qsizetype indexOf(const QString &name) const;
    quint64 generation() const { return m_generation; }
    const BalancingConfig &balancing() const { return m_balancing; }

    // Index of the backend for this request, or -1 when none is in rotation.
    qsizetype pick(const PickContext &context) const { return m_strategy->pick(context); }
    // Whether the strategy may pick this backend: up with a weight, or, in fail-open panic, down.
    bool inRotation(qsizetype index) const { return m_inRotation[static_cast<std::size_t>(index)]; }
    // No backend is usable and panic mode fails open: the rotation is the backends that are down.
    bool isPanicking() const { return m_panicking; }
    // Index of the backend whose sticky cookie value this is, or -1.
    qsizetype indexOfStickyValue(QByteArrayView value) const;

private:
    template <typename Predicate>
    std::vector<RotationEntry> rotationOf(Predicate belongs);

    QList<Backend> m_backends;
    quint64 m_generation;
    BalancingConfig m_balancing;
    std::unique_ptr<const BalancingStrategy> m_strategy;
    QHash<QByteArray, qsizetype> m_stickyIndex;
    std::vector<bool> m_inRotation;
    bool m_panicking = false;
};

using BackendTablePtr = std::shared_ptr<const BackendTable>;

// One pool's table, as published.
struct PoolTable
{
    QString name;
    BackendTablePtr table;
};
using PoolTables = QList<PoolTable>;

// The sticky cookie value for a backend name: a digest, so the cookie names no address.
QByteArray stickyValueFor(const QString &backendName);

} // namespace fulcrum
Q_DECLARE_METATYPE(fulcrum::BackendTablePtr)

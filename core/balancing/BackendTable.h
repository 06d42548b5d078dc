// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Backend.h"

#include <QList>

#include <memory>

namespace fulcrum {

// An immutable view of the backends, built by the control thread on every change and handed to
// workers whole, so a worker never locks to read it.
class BackendTable
{
public:
    BackendTable(QList<Backend> backends, quint64 generation);

    const QList<Backend> &backends() const { return m_backends; }
    qsizetype size() const { return m_backends.size(); }
    const Backend &at(qsizetype index) const { return m_backends.at(index); }
    qsizetype indexOf(const QString &name) const;
    quint64 generation() const { return m_generation; }

private:
    QList<Backend> m_backends;
    quint64 m_generation;
};

using BackendTablePtr = std::shared_ptr<const BackendTable>;

} // namespace fulcrum
Q_DECLARE_METATYPE(fulcrum::BackendTablePtr)

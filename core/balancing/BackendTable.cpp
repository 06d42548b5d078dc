// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendTable.h"

namespace fulcrum {

BackendTable::BackendTable(QList<Backend> backends, quint64 generation)
    : m_backends(std::move(backends)), m_generation(generation)
{}

qsizetype BackendTable::indexOf(const QString &name) const
{
    for (qsizetype i = 0; i < m_backends.size(); ++i) {
        if (m_backends.at(i).config.name == name)
            return i;
    }
    return -1;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "tls/TlsContextSet.h"

#include <memory>
#include <mutex>

namespace fulcrum {

// The certificates tls listeners present now: replaced whole on reload by the control thread, read by
// the workers at each TLS accept. Connections keep the set they started with until they close, so a
// reload drops none of them.
class TlsContextHolder
{
public:
    std::shared_ptr<const TlsContextSet> current() const
    {
        const std::lock_guard lock(m_mutex);
        return m_current;
    }
    void replace(std::shared_ptr<const TlsContextSet> contexts)
    {
        const std::lock_guard lock(m_mutex);
        m_current = std::move(contexts);
    }

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<const TlsContextSet> m_current;
};

} // namespace fulcrum

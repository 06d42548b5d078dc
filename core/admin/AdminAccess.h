// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "admin/AdminMessages.h"

#include <QByteArray>

#include <optional>

namespace fulcrum {

// Who may do what on the admin listener. Mutations and the event stream always need the bearer
// token; reads need it only when the listener is reachable from other hosts. With no token set,
// a loopback listener serves reads only: local users and local browsers' pages can reach it.
class AdminAccess
{
public:
    enum class Need
    {
        Read,
        Control, // mutations and the event stream
    };

    AdminAccess(QByteArray token, bool loopbackListener);

    // nullopt when the call may go on, else the 401 to answer.
    std::optional<AdminResponse> refusal(const AdminRequest &request, Need need) const;

private:
    QByteArray m_token;
    bool m_loopbackListener;
};

// Whether two secrets are equal, taking the same time wherever they first differ.
bool secretsEqual(QByteArrayView given, QByteArrayView expected);

} // namespace fulcrum

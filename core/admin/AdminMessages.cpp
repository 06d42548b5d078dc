// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminMessages.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

QString AdminRequest::caller() const
{
    const QString address = peer.toString();
    return address.contains(u':') ? u"[%1]:%2"_s.arg(address).arg(peerPort)
                                  : u"%1:%2"_s.arg(address).arg(peerPort);
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendChange.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

QString backendChangeKindName(BackendChange::Kind kind)
{
    switch (kind) {
    case BackendChange::Kind::Added:
        return u"added"_s;
    case BackendChange::Kind::Removed:
        return u"removed"_s;
    case BackendChange::Kind::WeightChanged:
        return u"weight"_s;
    case BackendChange::Kind::StateChanged:
        return u"state"_s;
    case BackendChange::Kind::AddressChanged:
        return u"address"_s;
    }
    return {};
}

QString BackendChange::describe() const
{
    QString text = u"backend "_s + backend + u": "_s;
    switch (kind) {
    case Kind::Added:
        text += u"added at "_s + to;
        break;
    case Kind::Removed:
        text += u"removed"_s;
        break;
    case Kind::WeightChanged:
    case Kind::StateChanged:
    case Kind::AddressChanged:
        text += backendChangeKindName(kind) + u' ' + from + u" -> "_s + to;
        break;
    }
    if (!reason.isEmpty())
        text += u" ("_s + reason + u')';
    return text;
}

} // namespace fulcrum

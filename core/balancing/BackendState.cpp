// SPDX-License-Identifier: GPL-3.0-or-later
#include "BackendState.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
constexpr BackendState kAllStates[] = {BackendState::Up, BackendState::Down, BackendState::Draining,
                                       BackendState::Maintenance};
}

QString backendStateName(BackendState state)
{
    switch (state) {
    case BackendState::Up:
        return u"up"_s;
    case BackendState::Down:
        return u"down"_s;
    case BackendState::Draining:
        return u"draining"_s;
    case BackendState::Maintenance:
        return u"maintenance"_s;
    }
    return {};
}

std::optional<BackendState> parseBackendState(QStringView text)
{
    for (const BackendState state : kAllStates) {
        if (text == backendStateName(state))
            return state;
    }
    return std::nullopt;
}

QString adminStateName(BackendState operatorState)
{
    switch (operatorState) {
    case BackendState::Draining:
        return u"drain"_s;
    case BackendState::Maintenance:
        return u"maintenance"_s;
    case BackendState::Up:
    case BackendState::Down: // health's verdict, never an admin state
        break;
    }
    return u"up"_s;
}

std::optional<BackendState> parseAdminState(QStringView text)
{
    for (const BackendState state : {BackendState::Up, BackendState::Draining, BackendState::Maintenance}) {
        if (text == adminStateName(state))
            return state;
    }
    return std::nullopt;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSettings.h"
#include "ConsoleSource.h"

#include <memory>

namespace fulcrum::console {

// What a console window watches: the demo, a configuration file run in-process, or a fulcrumd.
struct SourceChoice
{
    bool demo = false;
    QString configFile;
    AttachTarget attach; // used when its URL is set
};

// The source for the choice, not started; null and *error when the token file cannot be read.
std::unique_ptr<ConsoleSource> makeSource(const SourceChoice &choice, QString *error);

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
// The JSON configuration file through ConfigLoader::loadJson, the same path loadFile and reloads take
// after reading the file. Every input must end in a configuration or in errors that name the problem,
// and the same bytes must always mean the same thing (a reload of an unchanged file changes nothing).
#include "FuzzSupport.h"
#include "config/ConfigLoader.h"

using namespace fulcrum;
using namespace fulcrum::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const ConfigLoadResult first = ConfigLoader::loadJson(json, QStringLiteral("fuzz.json"));
    for (const ConfigError &error : first.errors)
        check(!error.reason.isEmpty(), "a configuration error without a reason");
    const ConfigLoadResult second = ConfigLoader::loadJson(json, QStringLiteral("fuzz.json"));
    check(first.errors == second.errors, "the same file gave different errors");
    if (first.ok())
        check(first.config == second.config, "the same file gave a different configuration");
    return 0;
}

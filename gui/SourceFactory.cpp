// SPDX-License-Identifier: GPL-3.0-or-later
#include "SourceFactory.h"

#include "AttachedSource.h"
#include "EmbeddedSource.h"

namespace fulcrum::console {

std::unique_ptr<ConsoleSource> makeSource(const SourceChoice &choice, QString *error)
{
    if (choice.attach.url.isEmpty())
        return std::make_unique<EmbeddedSource>(choice.configFile, choice.demo);
    const QString token = AttachedSource::readToken(choice.attach.tokenFile, error);
    if (!error->isEmpty())
        return nullptr;
    return std::make_unique<AttachedSource>(choice.attach.url, token);
}

} // namespace fulcrum::console

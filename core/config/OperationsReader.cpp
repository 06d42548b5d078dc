// SPDX-License-Identifier: GPL-3.0-or-later
#include "OperationsReader.h"

#include "SettingsReaders.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

QString checkFileName(QStringView path)
{
    return path.isEmpty() ? u"must name a file"_s : QString();
}

QString checkDirectoryName(QStringView path)
{
    return path.isEmpty() ? u"must name a directory"_s : QString();
}

void readAdmin(JsonObjectReader &root, AdminConfig &target)
{
    std::optional<JsonObjectReader> object = root.object("admin"_L1);
    if (!object)
        return;
    ListenAddress listen;
    if (readParsed(*object, "listen"_L1, parseListenAddress, listen) == ReadStatus::Valid)
        target.listen = listen;
    std::optional<QString> tokenFile;
    readOptional(*object, "token_file"_L1, checkFileName, tokenFile);
    if (tokenFile)
        target.tokenFile = *tokenFile;
    object->reportUnknown();
}

void readSnapshotFormatList(JsonObjectReader &object, QList<SnapshotFormat> &target)
{
    const QLatin1StringView key = "formats"_L1;
    const std::optional<QJsonArray> entries = object.array(key, u"strings"_s);
    if (!entries)
        return;
    JsonDiagnostics &d = object.diagnostics();
    if (entries->isEmpty()) {
        d.add(object.field(key), *entries, u"must list at least one format"_s);
        return;
    }
    QList<SnapshotFormat> accepted;
    for (qsizetype i = 0; i < entries->size(); ++i) {
        const QString field = indexedField(object.field(key), i);
        const QJsonValue entry = entries->at(i);
        const std::optional<QString> text = d.string(field, entry);
        if (!text)
            continue;
        const Parsed<SnapshotFormat> format = parseSnapshotFormat(*text);
        if (!format.ok())
            d.add(field, entry, format.error);
        else if (accepted.contains(format.value))
            d.add(field, entry, u"duplicate format"_s);
        else
            accepted.append(format.value);
    }
    target = accepted;
}

void readSnapshots(JsonObjectReader &root, SnapshotFilesConfig &target)
{
    std::optional<JsonObjectReader> object = root.object("snapshots"_L1);
    if (!object)
        return;
    // Without a directory the other settings would silently do nothing.
    if (!object->contains("dir"_L1))
        object->diagnostics().add(object->field("dir"_L1), QJsonValue::Undefined, u"is required"_s);
    SnapshotFilesConfig read = target;
    std::optional<QString> dir;
    readOptional(*object, "dir"_L1, checkDirectoryName, dir);
    read.dir = dir.value_or(read.dir);
    object->readInteger("every_seconds"_L1, ranges::snapshotEverySeconds, read.everySeconds);
    readSnapshotFormatList(*object, read.formats);
    object->reportUnknown();
    target = read;
}

void readDns(JsonObjectReader &root, DnsConfig &target)
{
    std::optional<JsonObjectReader> object = root.object("dns"_L1);
    if (!object)
        return;
    readParsed(*object, "server"_L1, parseDnsServer, target.server);
    object->readInteger("interval_ms"_L1, ranges::dnsIntervalMs, target.intervalMs);
    object->reportUnknown();
}

} // namespace

void readOperations(JsonObjectReader &root, ProxyConfig &config)
{
    readAdmin(root, config.admin);
    readDns(root, config.dns);
    std::optional<QString> stateFile;
    readOptional(root, "state_file"_L1, checkFileName, stateFile);
    if (stateFile)
        config.stateFile = *stateFile;
    readSnapshots(root, config.snapshotFiles);
}

} // namespace fulcrum

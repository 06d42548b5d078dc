// SPDX-License-Identifier: GPL-3.0-or-later
#include "RunningConfigWriter.h"

#include "config/ConfigValues.h"
#include "config/ProxyConfig.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <optional>

using namespace Qt::StringLiterals;

namespace fulcrum::console {
namespace {

// The loader rejects every other version.
constexpr int kConfigVersion = 1;
constexpr int kDefaultWeight = 1;

// A backend list of the file: the top-level "backends" (the pool "default") or one pool's.
struct BackendList
{
    QString pool;        // the pool the running table names it by
    QString namePrefix;  // what unnamed entries are called after: empty for the top level
    QString field;       // the list's JSON path, for errors
    qsizetype poolIndex; // position in "pools"; -1 for the top level
    QJsonArray entries;
};

struct PlacedEntry
{
    QJsonObject entry;
    QString name;
};

QString poolOf(const BackendMetrics &backend)
{
    return backend.pool.isEmpty() ? QString(ProxyConfig::DefaultPoolName) : backend.pool;
}

QString quoted(const QString &text)
{
    return u'"' + text + u'"';
}

QString quotedList(const QStringList &texts)
{
    QStringList quotedTexts;
    for (const QString &text : texts)
        quotedTexts.append(quoted(text));
    return quotedTexts.join(u", "_s);
}

// Byte offsets alone are hard to find in an editor; worded as fulcrumd words it (ConfigLoader).
QString describeOffset(const QByteArray &text, qsizetype offset)
{
    const QByteArray before = text.first(qBound(qsizetype(0), offset, text.size()));
    const qsizetype line = before.count('\n') + 1;
    const qsizetype column = before.size() - (before.lastIndexOf('\n') + 1) + 1;
    return u"byte %1 (line %2, column %3)"_s.arg(offset).arg(line).arg(column);
}

QString nameOf(const QJsonObject &entry, qsizetype index, const QString &namePrefix)
{
    const QJsonValue name = entry.value("name"_L1);
    return name.isString() ? name.toString() : defaultBackendName(index, namePrefix);
}

bool sameEndpoint(const QString &left, const QString &right)
{
    const Parsed<BackendEndpoint> a = parseBackendUrl(left);
    const Parsed<BackendEndpoint> b = parseBackendUrl(right);
    return a.ok() && b.ok() && a.value.host == b.value.host && a.value.port == b.value.port &&
           a.value.https == b.value.https;
}

// Leaves the file's own spelling ("http://a/" for "http://a:80") and an omitted default weight alone:
// they already say what runs, and rewriting them would only add noise to the diff.
void applyRunning(QJsonObject &entry, const BackendMetrics &running)
{
    const QJsonValue url = entry.value("url"_L1);
    if (!url.isString() || !sameEndpoint(url.toString(), running.url))
        entry.insert("url"_L1, running.url);
    const QJsonValue weight = entry.value("weight"_L1);
    const bool weightSaysSo = weight.isUndefined() ? running.weight == kDefaultWeight
                                                   : weight.isDouble() && weight.toDouble() == running.weight;
    if (!weightSaysSo)
        entry.insert("weight"_L1, running.weight);
}

QJsonObject newEntry(const BackendMetrics &running)
{
    return QJsonObject{{"name"_L1, running.name}, {"url"_L1, running.url}, {"weight"_L1, running.weight}};
}

// An unnamed entry is named by its position, which removals and moves change: pin the name it ran under.
QJsonArray toArray(const QList<PlacedEntry> &placed, const QString &namePrefix)
{
    QJsonArray array;
    for (qsizetype index = 0; index < placed.size(); ++index) {
        QJsonObject entry = placed.at(index).entry;
        if (!entry.contains("name"_L1) && defaultBackendName(index, namePrefix) != placed.at(index).name)
            entry.insert("name"_L1, placed.at(index).name);
        array.append(entry);
    }
    return array;
}

RunningConfigText failure(QString error)
{
    return {QByteArray(), std::move(error)};
}

// With no file to start from, the running table's pools decide the shape: the pool "default" is the
// top-level "backends"; one other pool needs "pools"; several would need routes nobody can guess.
RunningConfigText writeFromScratch(const QList<BackendMetrics> &running)
{
    QStringList pools;
    QJsonArray backends;
    for (const BackendMetrics &backend : running) {
        if (!pools.contains(poolOf(backend)))
            pools.append(poolOf(backend));
        backends.append(newEntry(backend));
    }
    QJsonObject root{{"version"_L1, kConfigVersion}};
    if (pools.size() > 1)
        return failure(u"the running backends are in several pools ("_s + quotedList(pools) +
                       u"), which need routes: save into the configuration file they came from instead");
    if (pools.isEmpty() || pools.constFirst() == ProxyConfig::DefaultPoolName)
        root.insert("backends"_L1, backends);
    else
        root.insert("pools"_L1,
                    QJsonArray{QJsonObject{{"name"_L1, pools.constFirst()}, {"backends"_L1, backends}}});
    return {QJsonDocument(root).toJson(QJsonDocument::Indented), QString()};
}

std::optional<QString> readLists(const QJsonObject &root, QList<BackendList> &lists)
{
    const QJsonValue pools = root.value("pools"_L1);
    const QJsonValue backends = root.value("backends"_L1);
    if (pools.isUndefined()) {
        if (!backends.isUndefined() && !backends.isArray())
            return u"backends: must be an array"_s;
        lists.append(
            {QString(ProxyConfig::DefaultPoolName), QString(), u"backends"_s, -1, backends.toArray()});
        return std::nullopt;
    }
    if (!backends.isUndefined())
        return u"backends: must not be given with \"pools\""_s;
    if (!pools.isArray())
        return u"pools: must be an array"_s;
    const QJsonArray poolArray = pools.toArray();
    for (qsizetype index = 0; index < poolArray.size(); ++index) {
        const QString field = u"pools[%1]"_s.arg(index);
        const QJsonObject pool = poolArray.at(index).toObject();
        const QJsonValue name = pool.value("name"_L1);
        if (!name.isString())
            return field + u".name: must be a string"_s;
        const QJsonValue poolBackends = pool.value("backends"_L1);
        if (!poolBackends.isUndefined() && !poolBackends.isArray())
            return field + u".backends: must be an array"_s;
        lists.append(
            {name.toString(), name.toString(), field + u".backends"_s, index, poolBackends.toArray()});
    }
    return std::nullopt;
}

struct FileBackend
{
    qsizetype list;
    QJsonObject entry;
};

} // namespace

RunningConfigText writeRunningConfig(const QByteArray &original, const QList<BackendMetrics> &running)
{
    if (original.trimmed().isEmpty())
        return writeFromScratch(running);

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(original, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return failure(u"JSON syntax error at "_s + describeOffset(original, parseError.offset) + u": " +
                       parseError.errorString());
    if (!document.isObject())
        return failure(u"the top level must be a JSON object"_s);
    const QJsonObject originalRoot = document.object();

    QList<BackendList> lists;
    if (const std::optional<QString> error = readLists(originalRoot, lists))
        return failure(*error);
    const bool usesPools = originalRoot.contains("pools"_L1);

    QHash<QString, FileBackend> inFile;
    for (qsizetype list = 0; list < lists.size(); ++list) {
        const QJsonArray &entries = lists.at(list).entries;
        for (qsizetype index = 0; index < entries.size(); ++index) {
            if (!entries.at(index).isObject())
                return failure(lists.at(list).field + u"[%1]: must be an object"_s.arg(index));
            const QJsonObject entry = entries.at(index).toObject();
            inFile.insert(nameOf(entry, index, lists.at(list).namePrefix), {list, entry});
        }
    }
    QHash<QString, qsizetype> listOfPool;
    QStringList poolNames;
    for (qsizetype list = 0; list < lists.size(); ++list) {
        listOfPool.insert(lists.at(list).pool, list);
        poolNames.append(lists.at(list).pool);
    }
    QHash<QString, const BackendMetrics *> runningByName;
    for (const BackendMetrics &backend : running)
        runningByName.insert(backend.name, &backend);

    // The file's order first, then what it lacks in the running table's order.
    QList<QList<PlacedEntry>> placed(lists.size());
    for (qsizetype list = 0; list < lists.size(); ++list) {
        const QJsonArray &entries = lists.at(list).entries;
        for (qsizetype index = 0; index < entries.size(); ++index) {
            QJsonObject entry = entries.at(index).toObject();
            const QString name = nameOf(entry, index, lists.at(list).namePrefix);
            const BackendMetrics *backend = runningByName.value(name);
            if (!backend || poolOf(*backend) != lists.at(list).pool)
                continue;
            applyRunning(entry, *backend);
            placed[list].append({entry, name});
        }
    }
    for (const BackendMetrics &backend : running) {
        const auto file = inFile.constFind(backend.name);
        if (file != inFile.cend() && lists.at(file->list).pool == poolOf(backend))
            continue;
        const auto target = listOfPool.constFind(poolOf(backend));
        if (target == listOfPool.cend()) {
            const QString where = !usesPools
                                      ? u"the file has no \"pools\": its backends are the pool \"default\""_s
                                  : poolNames.isEmpty() ? u"the file's \"pools\" is empty"_s
                                                        : u"the file's pools are "_s + quotedList(poolNames);
            return failure(u"backend "_s + quoted(backend.name) + u" is in the pool " +
                           quoted(poolOf(backend)) + u", which the file does not have (" + where + u')');
        }
        // A backend moved to another pool keeps the settings the file gave it.
        QJsonObject entry = file != inFile.cend() ? file->entry : QJsonObject();
        if (entry.isEmpty()) {
            entry = newEntry(backend);
        } else {
            applyRunning(entry, backend);
            entry.insert("name"_L1, backend.name);
        }
        placed[*target].append({entry, backend.name});
    }

    QJsonObject root = originalRoot;
    if (!usesPools) {
        // An absent list and an empty one mean the same: adding one would be a change in form only.
        if (root.contains("backends"_L1) || !placed.constFirst().isEmpty())
            root.insert("backends"_L1, toArray(placed.constFirst(), QString()));
    } else {
        QJsonArray pools = root.value("pools"_L1).toArray();
        for (qsizetype list = 0; list < lists.size(); ++list) {
            QJsonObject pool = pools.at(lists.at(list).poolIndex).toObject();
            pool.insert("backends"_L1, toArray(placed.at(list), lists.at(list).namePrefix));
            pools.replace(lists.at(list).poolIndex, pool);
        }
        root.insert("pools"_L1, pools);
    }
    if (root == originalRoot)
        return {original, QString()};
    return {QJsonDocument(root).toJson(QJsonDocument::Indented), QString()};
}

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
#include "RuntimeState.h"

#include "config/ConfigValues.h"
#include "config/JsonFieldReader.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QSaveFile>
#include <QSet>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

constexpr QLatin1StringView kOriginConfig{"config"};
constexpr QLatin1StringView kOriginRuntime{"runtime"};

QJsonObject declaredToJson(const DeclaredBackend &declared)
{
    return {{u"pool"_s, declared.pool}, {u"url"_s, declared.url}, {u"weight"_s, declared.weight}};
}

QJsonArray splitToJson(const QList<SplitTarget> &split)
{
    QJsonArray targets;
    for (const SplitTarget &target : split)
        targets.append(QJsonObject{{u"pool"_s, target.pool}, {u"weight"_s, target.weight}});
    return targets;
}

QJsonObject backendToJson(const SavedBackend &backend)
{
    QJsonObject json{{u"name"_s, backend.name},
                     {u"pool"_s, backend.pool},
                     {u"url"_s, backend.url},
                     {u"weight"_s, backend.weight},
                     {u"admin_state"_s, adminStateName(backend.adminState)},
                     {u"origin"_s, backend.declared ? kOriginConfig : kOriginRuntime}};
    if (backend.declared)
        json.insert(u"declared"_s, declaredToJson(*backend.declared));
    return json;
}

// The reading side: every member is required unless said otherwise, and checked as the configuration
// checks the same values, so a state file edited by hand is held to the same rules.
class StateReader
{
public:
    explicit StateReader(JsonObjectReader &object) : m_object(object) {}

    std::optional<QJsonValue> required(QLatin1StringView key)
    {
        const QJsonValue value = m_object.take(key);
        if (value.isUndefined()) {
            m_object.diagnostics().add(m_object.field(key), value, u"is required"_s);
            return std::nullopt;
        }
        return value;
    }

    std::optional<QString> string(QLatin1StringView key, QString (*check)(QStringView) = nullptr)
    {
        const std::optional<QJsonValue> value = required(key);
        if (!value)
            return std::nullopt;
        const std::optional<QString> text = m_object.diagnostics().string(m_object.field(key), *value);
        if (!text)
            return std::nullopt;
        const QString problem = check ? check(*text) : QString();
        if (!problem.isEmpty()) {
            m_object.diagnostics().add(m_object.field(key), *value, problem);
            return std::nullopt;
        }
        return text;
    }

    std::optional<int> integer(QLatin1StringView key, IntRange range)
    {
        const std::optional<QJsonValue> value = required(key);
        if (!value)
            return std::nullopt;
        const std::optional<qint64> n = m_object.diagnostics().integer(m_object.field(key), *value, range);
        if (!n)
            return std::nullopt;
        return static_cast<int>(*n);
    }

    template <typename T>
    std::optional<T> parsed(QLatin1StringView key, Parsed<T> (*parse)(QStringView))
    {
        const std::optional<QString> text = string(key);
        if (!text)
            return std::nullopt;
        const Parsed<T> result = parse(*text);
        if (!result.ok()) {
            m_object.diagnostics().add(m_object.field(key), *text, result.error);
            return std::nullopt;
        }
        return result.value;
    }

private:
    JsonObjectReader &m_object;
};

QString checkNotEmpty(QStringView text)
{
    return text.isEmpty() ? u"must not be empty"_s : QString();
}

Parsed<QString> parseUrl(QStringView text)
{
    const Parsed<BackendEndpoint> endpoint = parseBackendUrl(text);
    if (!endpoint.ok())
        return reject(endpoint.error);
    return text.toString();
}

Parsed<BackendState> parseSavedAdminState(QStringView text)
{
    if (const std::optional<BackendState> state = parseAdminState(text))
        return *state;
    return reject(u"must be \"up\", \"drain\" or \"maintenance\""_s);
}

Parsed<bool> parseOriginIsConfig(QStringView text)
{
    if (text == kOriginConfig)
        return true;
    if (text == kOriginRuntime)
        return false;
    return reject(u"must be \"config\" or \"runtime\""_s);
}

std::optional<DeclaredBackend> readDeclared(JsonObjectReader &owner)
{
    if (!owner.contains("declared"_L1)) {
        owner.diagnostics().add(owner.field("declared"_L1), QJsonValue::Undefined, u"is required"_s);
        return std::nullopt;
    }
    std::optional<JsonObjectReader> object = owner.object("declared"_L1);
    if (!object)
        return std::nullopt;
    StateReader reader(*object);
    const std::optional<QString> pool = reader.string("pool"_L1, checkNotEmpty);
    const std::optional<QString> url = reader.parsed("url"_L1, parseUrl);
    const std::optional<int> weight = reader.integer("weight"_L1, ranges::weight);
    object->reportUnknown();
    if (!pool || !url || !weight)
        return std::nullopt;
    return DeclaredBackend{*pool, *url, *weight};
}

std::optional<QList<SplitTarget>> readSplit(JsonObjectReader &owner, QLatin1StringView key)
{
    QList<SplitTarget> split;
    bool valid = true;
    const std::optional<qsizetype> size = owner.readObjects(key, [&](JsonObjectReader &element, qsizetype) {
        StateReader reader(element);
        const std::optional<QString> pool = reader.string("pool"_L1, checkNotEmpty);
        const std::optional<int> weight = reader.integer("weight"_L1, ranges::splitWeight);
        element.reportUnknown();
        if (pool && weight)
            split.append({*pool, *weight});
        else
            valid = false;
    });
    if (!size) {
        if (!owner.contains(key))
            owner.diagnostics().add(owner.field(key), QJsonValue::Undefined, u"is required"_s);
        return std::nullopt;
    }
    if (!valid || split.size() != *size)
        return std::nullopt;
    return split;
}

// Names are unique in the file, as they are in the running proxy.
void checkUnique(JsonDiagnostics &d, QSet<QString> &seen, const QString &field, const QString &name)
{
    if (seen.contains(name))
        d.add(field, name, u"duplicate name"_s);
    seen.insert(name);
}

void readBackends(JsonObjectReader &root, RuntimeState &state, QSet<QString> &names)
{
    root.readObjects("backends"_L1, [&](JsonObjectReader &element, qsizetype) {
        StateReader reader(element);
        const std::optional<QString> name = reader.string("name"_L1, checkBackendName);
        const std::optional<QString> pool = reader.string("pool"_L1, checkNotEmpty);
        const std::optional<QString> url = reader.parsed("url"_L1, parseUrl);
        const std::optional<int> weight = reader.integer("weight"_L1, ranges::weight);
        const std::optional<BackendState> adminState = reader.parsed("admin_state"_L1, parseSavedAdminState);
        const std::optional<bool> fromConfig = reader.parsed("origin"_L1, parseOriginIsConfig);
        std::optional<DeclaredBackend> declared;
        if (fromConfig.value_or(false))
            declared = readDeclared(element);
        else if (fromConfig && element.contains("declared"_L1))
            element.diagnostics().add(element.field("declared"_L1), QJsonValue::Undefined,
                                      u"only a backend of origin \"config\" has one"_s);
        element.take("declared"_L1);
        element.reportUnknown();
        if (name)
            checkUnique(element.diagnostics(), names, element.field("name"_L1), *name);
        if (name && pool && url && weight && adminState && fromConfig && (declared || !*fromConfig))
            state.backends.append({*name, *pool, *url, *weight, *adminState, declared});
    });
}

void readRemoved(JsonObjectReader &root, RuntimeState &state, QSet<QString> &names)
{
    root.readObjects("removed"_L1, [&](JsonObjectReader &element, qsizetype) {
        StateReader reader(element);
        const std::optional<QString> name = reader.string("name"_L1, checkBackendName);
        const std::optional<DeclaredBackend> declared = readDeclared(element);
        element.reportUnknown();
        if (name)
            checkUnique(element.diagnostics(), names, element.field("name"_L1), *name);
        if (name && declared)
            state.removed.append({*name, *declared});
    });
}

void readRoutes(JsonObjectReader &root, RuntimeState &state)
{
    QSet<QString> names;
    root.readObjects("routes"_L1, [&](JsonObjectReader &element, qsizetype) {
        StateReader reader(element);
        const std::optional<QString> name = reader.string("name"_L1, checkNotEmpty);
        const std::optional<QList<SplitTarget>> split = readSplit(element, "split"_L1);
        std::optional<QList<SplitTarget>> declared;
        if (std::optional<JsonObjectReader> object = element.object("declared"_L1)) {
            declared = readSplit(*object, "split"_L1);
            object->reportUnknown();
        } else if (!element.contains("declared"_L1)) {
            element.diagnostics().add(element.field("declared"_L1), QJsonValue::Undefined, u"is required"_s);
        }
        element.reportUnknown();
        if (name)
            checkUnique(element.diagnostics(), names, element.field("name"_L1), *name);
        if (name && split && declared)
            state.splits.append({*name, *split, *declared});
    });
}

} // namespace

DeclaredBackend declaredBackend(const BackendConfig &backend, const QString &pool)
{
    return {pool, backend.url(), backend.weight};
}

QByteArray runtimeStateToJson(const RuntimeState &state)
{
    QJsonArray backends;
    for (const SavedBackend &backend : state.backends)
        backends.append(backendToJson(backend));
    QJsonArray removed;
    for (const RemovedBackend &backend : state.removed)
        removed.append(
            QJsonObject{{u"name"_s, backend.name}, {u"declared"_s, declaredToJson(backend.declared)}});
    QJsonArray routes;
    for (const SavedSplit &split : state.splits)
        routes.append(QJsonObject{{u"name"_s, split.route},
                                  {u"split"_s, splitToJson(split.split)},
                                  {u"declared"_s, QJsonObject{{u"split"_s, splitToJson(split.declared)}}}});
    const QJsonObject root{{u"schema"_s, RuntimeStateSchema},
                           {u"backends"_s, backends},
                           {u"removed"_s, removed},
                           {u"routes"_s, routes}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

std::optional<RuntimeState> runtimeStateFromJson(const QByteArray &json, const QString &source,
                                                 QList<ConfigError> *errors)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        errors->append(
            {source, QString(),
             u"JSON syntax error at byte %1: %2"_s.arg(parseError.offset).arg(parseError.errorString())});
        return std::nullopt;
    }
    if (!document.isObject()) {
        errors->append({source, QString(), u"the top level must be a JSON object"_s});
        return std::nullopt;
    }
    const qsizetype errorsBefore = errors->size();
    JsonDiagnostics diagnostics(*errors);
    JsonObjectReader root(diagnostics, document.object(), QString());
    const QJsonValue schema = root.take("schema"_L1);
    if (schema.toString() != RuntimeStateSchema) {
        // Another schema's fields may mean something else: nothing more is worth reading.
        diagnostics.add(u"schema"_s, schema,
                        (schema.isUndefined() ? u"is required"_s : u"unsupported schema"_s) +
                            u" (this build reads \"" + RuntimeStateSchema + u"\")");
        return std::nullopt;
    }
    RuntimeState state;
    QSet<QString> backendNames;
    readBackends(root, state, backendNames);
    readRemoved(root, state, backendNames);
    readRoutes(root, state);
    root.reportUnknown();
    if (errors->size() != errorsBefore)
        return std::nullopt;
    return state;
}

std::optional<RuntimeState> loadRuntimeState(const QString &path, QList<ConfigError> *errors)
{
    if (!QFileInfo::exists(path))
        return RuntimeState{};
    if (QFileInfo(path).isDir()) {
        errors->append({path, QString(), u"cannot read: is a directory"_s});
        return std::nullopt;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        errors->append({path, QString(), u"cannot open: "_s + file.errorString()});
        return std::nullopt;
    }
    const QByteArray json = file.readAll();
    if (file.error() != QFileDevice::NoError) {
        errors->append({path, QString(), u"cannot read: "_s + file.errorString()});
        return std::nullopt;
    }
    return runtimeStateFromJson(json, path, errors);
}

bool saveRuntimeState(const QString &path, const RuntimeState &state, QString *error)
{
    QSaveFile file(path);
    const QByteArray json = runtimeStateToJson(state);
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size() || !file.commit()) {
        *error = file.errorString();
        return false;
    }
    return true;
}

} // namespace fulcrum

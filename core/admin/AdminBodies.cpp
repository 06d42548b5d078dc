// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminBodies.h"

#include "admin/AdminReplies.h"
#include "admin/BackendJson.h"
#include "config/ConfigValues.h"

#include <QJsonArray>
#include <QJsonParseError>
#include <QSet>

#include <cmath>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

AdminResponse invalid(const QString &field, const QString &why)
{
    return errorReply(422, u"%1 %2"_s.arg(field, why), field);
}

// Every key of the object must be one of `known`, so that a typo is refused instead of ignored.
std::optional<AdminResponse> unknownKey(const QJsonObject &object, const QSet<QString> &known,
                                        const QString &where)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!known.contains(it.key()))
            return invalid(where + it.key(), u"is not a known field"_s);
    }
    return std::nullopt;
}

BodyOr<int> integerField(const QJsonValue &value, const QString &field, IntRange range)
{
    const double number = value.toDouble(std::nan(""));
    if (!value.isDouble() || std::trunc(number) != number || number < static_cast<double>(range.min) ||
        number > static_cast<double>(range.max))
        return invalid(field, range.requirement());
    return static_cast<int>(number);
}

BodyOr<QString> stringField(const QJsonObject &object, const QString &key, const QString &field,
                            bool required)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined() && !required)
        return QString();
    if (!value.isString())
        return invalid(field, required && value.isUndefined() ? u"is required"_s : u"must be a string"_s);
    return value.toString();
}

} // namespace

BodyOr<QJsonDocument> parseJsonBody(const AdminRequest &request)
{
    if (request.body.size() > kMaxAdminBodyBytes)
        return errorReply(413, u"request body over %1 bytes"_s.arg(kMaxAdminBodyBytes));
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return errorReply(
            400, u"malformed JSON at offset %1: %2"_s.arg(parseError.offset).arg(parseError.errorString()));
    return document;
}

BodyOr<BackendEdit> parseBackendEdit(const QJsonObject &object, const QString &pathName, const QString &where)
{
    const bool nameFromBody = pathName.isEmpty();
    QSet<QString> known{u"weight"_s, u"state"_s};
    if (nameFromBody)
        known.insert(u"name"_s);
    if (auto refused = unknownKey(object, known, where))
        return *refused;
    BackendEdit edit;
    edit.name = pathName;
    if (nameFromBody) {
        BodyOr<QString> name = stringField(object, u"name"_s, where + u"name"_s, true);
        if (auto *error = std::get_if<AdminResponse>(&name))
            return *error;
        edit.name = std::get<QString>(name);
    }
    if (object.contains(u"weight"_s)) {
        BodyOr<int> weight = integerField(object.value(u"weight"_s), where + u"weight"_s, ranges::weight);
        if (auto *error = std::get_if<AdminResponse>(&weight))
            return *error;
        edit.weight = std::get<int>(weight);
    }
    if (object.contains(u"state"_s)) {
        const std::optional<BackendState> state = parseAdminState(object.value(u"state"_s).toString());
        if (!state)
            return invalid(where + u"state"_s, u"must be \"up\", \"drain\" or \"maintenance\""_s);
        edit.state = state;
    }
    if (!edit.weight && !edit.state)
        return invalid(where + u"weight"_s, u"or state is required: there is nothing to change"_s);
    return edit;
}

BodyOr<NewBackend> parseNewBackend(const QJsonObject &object)
{
    if (auto refused = unknownKey(object, {u"name"_s, u"url"_s, u"weight"_s, u"pool"_s}, {}))
        return *refused;
    NewBackend added;
    BodyOr<QString> name = stringField(object, u"name"_s, u"name"_s, true);
    if (auto *error = std::get_if<AdminResponse>(&name))
        return *error;
    added.config.name = std::get<QString>(name);
    if (const QString why = checkBackendName(added.config.name); !why.isEmpty())
        return invalid(u"name"_s, why);
    BodyOr<QString> url = stringField(object, u"url"_s, u"url"_s, true);
    if (auto *error = std::get_if<AdminResponse>(&url))
        return *error;
    const Parsed<BackendEndpoint> endpoint = parseBackendUrl(std::get<QString>(url));
    if (!endpoint.ok())
        return invalid(u"url"_s, endpoint.error);
    applyEndpoint(added.config, endpoint.value);
    if (object.contains(u"weight"_s)) {
        BodyOr<int> weight = integerField(object.value(u"weight"_s), u"weight"_s, ranges::weight);
        if (auto *error = std::get_if<AdminResponse>(&weight))
            return *error;
        added.config.weight = std::get<int>(weight);
    }
    BodyOr<QString> pool = stringField(object, u"pool"_s, u"pool"_s, false);
    if (auto *error = std::get_if<AdminResponse>(&pool))
        return *error;
    added.pool = std::get<QString>(pool);
    return added;
}

BodyOr<QList<SplitTarget>> parseSplitBody(const QJsonObject &object)
{
    if (auto refused = unknownKey(object, {u"split"_s}, {}))
        return *refused;
    const QJsonValue split = object.value(u"split"_s);
    if (!split.isArray() || split.toArray().isEmpty())
        return invalid(u"split"_s, u"must be a non-empty list of {\"pool\", \"weight\"}"_s);
    QList<SplitTarget> targets;
    const QJsonArray entries = split.toArray();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QString where = u"split[%1]."_s.arg(i);
        if (!entries.at(i).isObject())
            return invalid(u"split[%1]"_s.arg(i), u"must be an object {\"pool\", \"weight\"}"_s);
        const QJsonObject entry = entries.at(i).toObject();
        if (auto refused = unknownKey(entry, {u"pool"_s, u"weight"_s}, where))
            return *refused;
        BodyOr<QString> pool = stringField(entry, u"pool"_s, where + u"pool"_s, true);
        if (auto *error = std::get_if<AdminResponse>(&pool))
            return *error;
        BodyOr<int> weight =
            integerField(entry.value(u"weight"_s), where + u"weight"_s, IntRange{0, MaxSplitWeight});
        if (auto *error = std::get_if<AdminResponse>(&weight))
            return *error;
        targets.append({std::get<QString>(pool), std::get<int>(weight)});
    }
    return targets;
}

} // namespace fulcrum

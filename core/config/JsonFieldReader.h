// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigError.h"
#include "ConfigValues.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace fulcrum {

// "backends" and 2 make "backends[2]".
QString indexedField(const QString &field, qsizetype index);

// Typed access to JSON values for the config loader. Every check reports into the error list and
// carries on, so one run shows every problem in a file.
class JsonDiagnostics
{
public:
    explicit JsonDiagnostics(QList<ConfigError> &errors) : m_errors(errors) {}

    // value may be QJsonValue::Undefined when there is nothing to show.
    void add(const QString &field, const QJsonValue &value, const QString &reason);
    // Errors found elsewhere (already rendered), in order.
    void add(const QList<ConfigError> &errors) { m_errors.append(errors); }
    // "must be <expected>, not <what value is>"
    void wrongType(const QString &field, const QJsonValue &value, const QString &expected);

    std::optional<qint64> integer(const QString &field, const QJsonValue &value, IntRange range);
    std::optional<QString> string(const QString &field, const QJsonValue &value);
    std::optional<bool> boolean(const QString &field, const QJsonValue &value);

    // How many errors have been reported so far, to tell whether a stretch of reading found any.
    qsizetype errorCount() const { return m_errors.size(); }

private:
    QList<ConfigError> &m_errors;
};

// Hands out the members of one JSON object; members nobody asked for are reported as unknown, so the
// list of known names lives in the reading code alone.
class JsonObjectReader
{
public:
    // path is the object's own field name ("timeouts", "backends[2]"); empty for the top level.
    JsonObjectReader(JsonDiagnostics &diagnostics, QJsonObject object, QString path);

    JsonDiagnostics &diagnostics() { return m_diagnostics; }
    // The object's own field name, as given to the constructor.
    const QString &path() const { return m_path; }
    QString field(QLatin1StringView key) const;

    // Whether key is present, without taking it.
    bool contains(QLatin1StringView key) const { return m_object.contains(key); }
    // Undefined when absent; either way key counts as known from now on.
    QJsonValue take(QLatin1StringView key);

    // Each leaves target alone when key is absent or its value is invalid (then reported).
    void readInteger(QLatin1StringView key, IntRange range, int &target);
    void readInteger(QLatin1StringView key, IntRange range, qint64 &target);
    void readBoolean(QLatin1StringView key, bool &target);

    // Nothing when absent or not of the JSON type asked for (then reported).
    std::optional<JsonObjectReader> object(QLatin1StringView key);
    std::optional<QJsonArray> array(QLatin1StringView key, const QString &elementsDescription);

    // Hands each element of the array key to read as a reader of its own ("routes[2]"), reporting the
    // elements that are not objects. The array's size; nothing when key is absent or not an array (then
    // reported).
    std::optional<qsizetype>
    readObjects(QLatin1StringView key,
                const std::function<void(JsonObjectReader &element, qsizetype index)> &read);

    // Hands each element of the array key to read with its field name ("listen[1]"), reporting the elements
    // that are not strings. The array's size; nothing when key is absent or not an array (then reported).
    std::optional<qsizetype> readStrings(
        QLatin1StringView key,
        const std::function<void(const QString &text, const QString &elementField, const QJsonValue &element)>
            &read);

    // Call after the last take(): reports every member not taken, suggesting a near known name.
    void reportUnknown();

private:
    QString suggestionFor(const QString &key) const;

    JsonDiagnostics &m_diagnostics;
    QJsonObject m_object;
    QString m_path;
    QStringList m_known;
};

} // namespace fulcrum

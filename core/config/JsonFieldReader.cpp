// SPDX-License-Identifier: GPL-3.0-or-later
#include "JsonFieldReader.h"

#include <QJsonDocument>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

// Long values (a whole object given where a number belongs) would drown the reason.
constexpr qsizetype kMaxRenderedValue = 60;
// Close enough to a known name to be a typo of it.
constexpr qsizetype kMaxSuggestionDistance = 2;
// Shorter prefixes match too many names to be a useful hint.
constexpr qsizetype kMinPrefixLength = 4;

QString typeName(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return u"null"_s;
    case QJsonValue::Bool:
        return u"a boolean"_s;
    case QJsonValue::Double:
        return u"a number"_s;
    case QJsonValue::String:
        return u"a string"_s;
    case QJsonValue::Array:
        return u"an array"_s;
    case QJsonValue::Object:
        return u"an object"_s;
    case QJsonValue::Undefined:
        break;
    }
    return u"missing"_s;
}

// The value as the operator wrote it (near enough), for the quoted part of an error; null for Undefined.
QString render(const QJsonValue &value)
{
    QString text;
    switch (value.type()) {
    case QJsonValue::Undefined:
        return {};
    case QJsonValue::Null:
        text = u"null"_s;
        break;
    case QJsonValue::Bool:
        text = value.toBool() ? u"true"_s : u"false"_s;
        break;
    case QJsonValue::Double:
        text = QString::number(value.toDouble(), 'g', QLocale::FloatingPointShortest);
        break;
    case QJsonValue::String:
        text = value.toString();
        break;
    case QJsonValue::Array:
        text = QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
        break;
    case QJsonValue::Object:
        text = QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
        break;
    }
    if (text.size() > kMaxRenderedValue)
        text = text.first(kMaxRenderedValue) + u"...";
    return text;
}

qsizetype editDistance(QStringView a, QStringView b)
{
    QList<qsizetype> row(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (qsizetype i = 1; i <= a.size(); ++i) {
        qsizetype diagonal = row[0];
        row[0] = i;
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const qsizetype above = row[j];
            const qsizetype substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

} // namespace

QString indexedField(const QString &field, qsizetype index)
{
    return field + u'[' + QString::number(index) + u']';
}

void JsonDiagnostics::add(const QString &field, const QJsonValue &value, const QString &reason)
{
    m_errors.append({field, render(value), reason});
}

void JsonDiagnostics::wrongType(const QString &field, const QJsonValue &value, const QString &expected)
{
    add(field, value, u"must be "_s + expected + u", not " + typeName(value));
}

std::optional<qint64> JsonDiagnostics::integer(const QString &field, const QJsonValue &value, IntRange range)
{
    if (!value.isDouble()) {
        add(field, value, range.requirement() + u", not " + typeName(value));
        return std::nullopt;
    }
    const double d = value.toDouble();
    // Every range ends below 2^53, so once d is inside one, the comparisons and the cast are exact.
    if (!std::isfinite(d) || std::trunc(d) != d || d < static_cast<double>(range.min) ||
        d > static_cast<double>(range.max)) {
        add(field, value, range.requirement());
        return std::nullopt;
    }
    return static_cast<qint64>(d);
}

std::optional<QString> JsonDiagnostics::string(const QString &field, const QJsonValue &value)
{
    if (!value.isString()) {
        wrongType(field, value, u"a string"_s);
        return std::nullopt;
    }
    return value.toString();
}

std::optional<bool> JsonDiagnostics::boolean(const QString &field, const QJsonValue &value)
{
    if (!value.isBool()) {
        add(field, value, u"must be true or false, not "_s + typeName(value));
        return std::nullopt;
    }
    return value.toBool();
}

JsonObjectReader::JsonObjectReader(JsonDiagnostics &diagnostics, QJsonObject object, QString path)
    : m_diagnostics(diagnostics), m_object(std::move(object)), m_path(std::move(path))
{}

QString JsonObjectReader::field(QLatin1StringView key) const
{
    return m_path.isEmpty() ? QString(key) : m_path + u'.' + key;
}

QJsonValue JsonObjectReader::take(QLatin1StringView key)
{
    m_known.append(QString(key));
    return m_object.value(key);
}

void JsonObjectReader::readInteger(QLatin1StringView key, IntRange range, int &target)
{
    qint64 wide = target;
    readInteger(key, range, wide);
    target = static_cast<int>(wide); // every int field's range fits in int
}

void JsonObjectReader::readInteger(QLatin1StringView key, IntRange range, qint64 &target)
{
    const QJsonValue value = take(key);
    if (value.isUndefined())
        return;
    if (const std::optional<qint64> n = m_diagnostics.integer(field(key), value, range))
        target = *n;
}

void JsonObjectReader::readBoolean(QLatin1StringView key, bool &target)
{
    const QJsonValue value = take(key);
    if (value.isUndefined())
        return;
    if (const std::optional<bool> b = m_diagnostics.boolean(field(key), value))
        target = *b;
}

std::optional<JsonObjectReader> JsonObjectReader::object(QLatin1StringView key)
{
    const QJsonValue value = take(key);
    if (value.isUndefined())
        return std::nullopt;
    if (!value.isObject()) {
        m_diagnostics.wrongType(field(key), value, u"an object"_s);
        return std::nullopt;
    }
    return JsonObjectReader(m_diagnostics, value.toObject(), field(key));
}

std::optional<QJsonArray> JsonObjectReader::array(QLatin1StringView key, const QString &elementsDescription)
{
    const QJsonValue value = take(key);
    if (value.isUndefined())
        return std::nullopt;
    if (!value.isArray()) {
        m_diagnostics.wrongType(field(key), value, u"an array of "_s + elementsDescription);
        return std::nullopt;
    }
    return value.toArray();
}

std::optional<qsizetype>
JsonObjectReader::readObjects(QLatin1StringView key,
                              const std::function<void(JsonObjectReader &element, qsizetype index)> &read)
{
    const std::optional<QJsonArray> elements = array(key, u"objects"_s);
    if (!elements)
        return std::nullopt;
    for (qsizetype i = 0; i < elements->size(); ++i) {
        const QString elementField = indexedField(field(key), i);
        const QJsonValue element = elements->at(i);
        if (!element.isObject()) {
            m_diagnostics.wrongType(elementField, element, u"an object"_s);
            continue;
        }
        JsonObjectReader reader(m_diagnostics, element.toObject(), elementField);
        read(reader, i);
    }
    return elements->size();
}

std::optional<qsizetype> JsonObjectReader::readStrings(
    QLatin1StringView key,
    const std::function<void(const QString &text, const QString &elementField, const QJsonValue &element)>
        &read)
{
    const std::optional<QJsonArray> elements = array(key, u"strings"_s);
    if (!elements)
        return std::nullopt;
    for (qsizetype i = 0; i < elements->size(); ++i) {
        const QString elementField = indexedField(field(key), i);
        const QJsonValue element = elements->at(i);
        if (const std::optional<QString> text = m_diagnostics.string(elementField, element))
            read(*text, elementField, element);
    }
    return elements->size();
}

void JsonObjectReader::reportUnknown()
{
    for (auto it = m_object.constBegin(); it != m_object.constEnd(); ++it) {
        const QString key = it.key();
        if (m_known.contains(key))
            continue;
        const QString name = m_path.isEmpty() ? key : m_path + u'.' + key;
        m_diagnostics.add(name, QJsonValue::Undefined, u"unknown field"_s + suggestionFor(key));
    }
}

QString JsonObjectReader::suggestionFor(const QString &key) const
{
    // A typo, a case slip or a dropped unit suffix ("drain" for "drain_ms"); the closest one wins.
    QString best;
    qsizetype bestDistance = 0;
    for (const QString &known : m_known) {
        const qsizetype distance = editDistance(key.toLower(), known);
        const bool truncated = key.size() >= kMinPrefixLength && known.startsWith(key, Qt::CaseInsensitive);
        if ((distance <= kMaxSuggestionDistance || truncated) &&
            (best.isEmpty() || distance < bestDistance)) {
            best = known;
            bestDistance = distance;
        }
    }
    return best.isEmpty() ? QString() : u" (did you mean \""_s + best + u"\"?)";
}

} // namespace fulcrum

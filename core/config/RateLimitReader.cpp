// SPDX-License-Identifier: GPL-3.0-or-later
#include "RateLimitReader.h"

#include "SettingsReaders.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
constexpr int kSecondMs = 1000;
constexpr int kMinuteMs = 60 * kSecondMs;
} // namespace

Parsed<RateLimitConfig> parseRateLimitFlag(QStringView text)
{
    const QList<QStringView> parts = text.split(u',');
    const QStringView rateAndUnit = parts.first();
    const qsizetype slash = rateAndUnit.indexOf(u'/');
    if (slash < 0)
        return reject(u"must be RATE/s or RATE/m, optionally followed by ,burst=N"_s);
    RateLimitConfig config;
    const Parsed<qint64> rate = parseInteger(rateAndUnit.first(slash), ranges::rateLimitRate);
    if (!rate.ok())
        return reject(u"rate "_s + rate.error);
    config.rate = static_cast<int>(rate.value);
    const QStringView unit = rateAndUnit.sliced(slash + 1);
    if (unit == u"s")
        config.periodMs = kSecondMs;
    else if (unit == u"m")
        config.periodMs = kMinuteMs;
    else
        return reject(u"unit must be s or m"_s);
    bool sawBurst = false;
    for (const QStringView part : parts.sliced(1)) {
        if (!part.startsWith(u"burst="))
            return reject(u"unknown rate limit option \""_s + part + u"\" (expected burst=N)");
        if (sawBurst)
            return reject(u"burst is given more than once"_s);
        sawBurst = true;
        const Parsed<qint64> burst = parseInteger(part.sliced(6), ranges::rateLimitBurst);
        if (!burst.ok())
            return reject(u"burst "_s + burst.error);
        config.burst = static_cast<int>(burst.value);
    }
    return config;
}

namespace {
// "rate", "per" and "burst" of one bucket; "rate" is reported missing when required.
void readBucket(JsonObjectReader &object, bool rateRequired, RateLimitConfig &read)
{
    const QString rateField = object.field("rate"_L1);
    if (rateRequired && !object.contains("rate"_L1))
        object.diagnostics().add(rateField, QJsonValue::Undefined, u"is required"_s);
    object.readInteger("rate"_L1, ranges::rateLimitRate, read.rate);
    const QString perField = object.field("per"_L1);
    const QJsonValue per = object.take("per"_L1);
    if (!per.isUndefined()) {
        const std::optional<QString> unit = object.diagnostics().string(perField, per);
        if (unit && *unit == "second"_L1)
            read.periodMs = kSecondMs;
        else if (unit && *unit == "minute"_L1)
            read.periodMs = kMinuteMs;
        else if (unit)
            object.diagnostics().add(perField, per, u"must be \"second\" or \"minute\""_s);
    }
    object.readInteger("burst"_L1, ranges::rateLimitBurst, read.burst);
}

Parsed<QString> parsePathPrefix(QStringView text)
{
    if (!text.startsWith(u'/'))
        return reject(u"must start with \"/\""_s);
    return text.toString();
}
} // namespace

void readRateLimit(JsonObjectReader &root, RateLimitConfig &target, QList<PathRateLimit> &paths)
{
    std::optional<JsonObjectReader> object = root.object("rate_limit"_L1);
    if (!object)
        return;
    QList<PathRateLimit> readPaths;
    const bool hasPaths = object->contains("paths"_L1);
    object->readObjects("paths"_L1, [&readPaths](JsonObjectReader &entry, qsizetype) {
        PathRateLimit rule;
        requirePresent(entry, "prefix"_L1);
        readParsed(entry, "prefix"_L1, parsePathPrefix, rule.prefix);
        readBucket(entry, true, rule.limit);
        entry.reportUnknown();
        if (!rule.prefix.isEmpty() && rule.limit.enabled())
            readPaths.append(rule);
    });
    RateLimitConfig read;
    readBucket(*object, !hasPaths, read);
    object->reportUnknown();
    if (read.enabled())
        target = read;
    if (hasPaths)
        paths = readPaths;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigValues.h"

#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

bool allDigits(QStringView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), isAsciiDigit);
}

// Strict dotted quad. QHostAddress also takes "127.1" and "0x7f.1" (inet_aton forms), which read as
// typos in a config file and mean different things to different tools.
bool isIpv4Literal(QStringView text)
{
    const QList<QStringView> parts = text.split(u'.');
    if (parts.size() != 4)
        return false;
    return std::all_of(parts.cbegin(), parts.cend(), [](QStringView part) {
        if (!allDigits(part) || part.size() > 3 || (part.size() > 1 && part.front() == u'0'))
            return false;
        return part.toInt() <= 255;
    });
}

// Looks like an attempt at an IPv4 address, so "not a valid IPv4 address" is the helpful reason.
bool looksNumeric(QStringView text)
{
    return std::all_of(text.begin(), text.end(), [](QChar c) { return isAsciiDigit(c) || c == u'.'; });
}

bool parseIpv6Literal(QStringView text, QHostAddress &out)
{
    QHostAddress address;
    if (!address.setAddress(text.toString()) || address.protocol() != QAbstractSocket::IPv6Protocol)
        return false;
    out = address;
    return true;
}

// RFC 1123 labels; '_' is accepted because container runtimes hand out such names.
bool isHostName(QStringView text)
{
    static const QRegularExpression label(u"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$"_s);
    QStringView name = text;
    if (name.endsWith(u'.'))
        name.chop(1);
    if (name.isEmpty() || name.size() > 253)
        return false;
    const QList<QStringView> labels = name.split(u'.');
    return std::all_of(labels.cbegin(), labels.cend(),
                       [](QStringView l) { return label.match(l).hasMatch(); });
}

QString portRequirement(int minPort)
{
    return u"port must be %1..65535"_s.arg(minPort);
}

Parsed<quint16> parsePort(QStringView text, int minPort)
{
    if (!allDigits(text) || text.size() > 5 || text.toInt() < minPort || text.toInt() > 65535)
        return reject(portRequirement(minPort));
    return static_cast<quint16>(text.toInt());
}

struct HostPort
{
    QStringView host;
    QStringView port; // null when no ':' follows the host
    bool bracketed = false;
};

// Splits "host:port" / "[v6]:port"; the caller decides whether the port may be left out.
Parsed<HostPort> splitHostPort(QStringView text)
{
    HostPort out;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0)
            return reject(u"missing ']' after the IPv6 address"_s);
        out.host = text.sliced(1, close - 1);
        out.bracketed = true;
        const QStringView rest = text.sliced(close + 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(u':'))
                return reject(u"expected ':' and a port after ']'"_s);
            out.port = rest.sliced(1);
        }
        return out;
    }
    const qsizetype colon = text.indexOf(u':');
    if (colon < 0) {
        out.host = text;
        return out;
    }
    if (text.indexOf(u':', colon + 1) >= 0)
        return reject(u"IPv6 addresses must be in brackets, e.g. [::1]:8080"_s);
    out.host = text.first(colon);
    out.port = text.sliced(colon + 1);
    return out;
}

struct StrategySpelling
{
    StrategyKind strategy;
    QStringView name;
};

constexpr StrategySpelling kStrategies[] = {
    {StrategyKind::RoundRobin, u"round-robin"},
    {StrategyKind::LeastConnections, u"least-connections"},
    {StrategyKind::PowerOfTwo, u"power-of-two"},
    {StrategyKind::Random, u"random"},
    {StrategyKind::ConsistentHash, u"consistent-hash"},
};

// Header and cookie names: anything longer is a mistake, not a name.
constexpr qsizetype kMaxTokenLength = 256;

// RFC 9110 section 5.6.2 tchar; RFC 6265 cookie-name is the same set (RFC 2616 token).
bool isTokenChar(QChar c)
{
    static constexpr QStringView kSymbols = u"!#$%&'*+-.^_`|~";
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || isAsciiDigit(c) || kSymbols.contains(c);
}

QString checkToken(QStringView text)
{
    if (text.isEmpty() || text.size() > kMaxTokenLength ||
        !std::all_of(text.begin(), text.end(), isTokenChar))
        return u"must be 1 to "_s + QString::number(kMaxTokenLength) +
               u" characters from A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~";
    return {};
}

struct PanicModeSpelling
{
    PanicMode mode;
    QStringView name;
};

constexpr PanicModeSpelling kPanicModes[] = {
    {PanicMode::FailClosed, u"fail-closed"},
    {PanicMode::FailOpen, u"fail-open"},
};

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;

// Exactly three digits, within kMinStatus..kMaxStatus; -1 otherwise.
int statusCode(QStringView text)
{
    if (text.size() != 3 || !allDigits(text))
        return -1;
    const int status = text.toInt();
    return status >= kMinStatus && status <= kMaxStatus ? status : -1;
}

} // namespace

QString IntRange::requirement() const
{
    return u"must be an integer from %1 to %2"_s.arg(min).arg(max);
}

ListenAddress defaultListenAddress()
{
    return {QHostAddress(QHostAddress::LocalHost), 8080};
}

QString defaultBackendName(qsizetype index, QStringView pool)
{
    return (pool.isEmpty() ? u"backend"_s : pool.toString()) + u'-' + QString::number(index + 1);
}

Parsed<qint64> parseInteger(QStringView text, IntRange range)
{
    const QStringView digits = text.startsWith(u'-') ? text.sliced(1) : text;
    // 18 digits always fit in qint64, so toLongLong cannot overflow past this check.
    if (!allDigits(digits) || digits.size() > 18)
        return reject(range.requirement());
    const qint64 v = text.toLongLong();
    if (!range.contains(v))
        return reject(range.requirement());
    return v;
}

Parsed<ListenAddress> parseListenAddress(QStringView text)
{
    const Parsed<HostPort> split = splitHostPort(text);
    if (!split.ok())
        return reject(split.error);
    const HostPort &hp = split.value;
    if (hp.host.isEmpty())
        return reject(u"missing address (use 0.0.0.0 or [::] for all interfaces)"_s);
    if (hp.port.isNull())
        return reject(u"missing port (expected ADDRESS:PORT)"_s);

    ListenAddress out;
    if (hp.bracketed) {
        if (!parseIpv6Literal(hp.host, out.address))
            return reject(u"not a valid IPv6 address"_s);
    } else if (hp.host.compare(u"localhost", Qt::CaseInsensitive) == 0) {
        out.address = QHostAddress(QHostAddress::LocalHost);
    } else if (isIpv4Literal(hp.host)) {
        out.address = QHostAddress(hp.host.toString());
    } else if (looksNumeric(hp.host)) {
        return reject(u"not a valid IPv4 address"_s);
    } else {
        return reject(u"must be an IP address or localhost (host names are not resolved for listening)"_s);
    }

    const Parsed<quint16> port = parsePort(hp.port, 0);
    if (!port.ok())
        return reject(port.error);
    out.port = port.value;
    return out;
}

namespace {

// "_service._proto.name": the two leading labels are what makes it an SRV name.
Parsed<BackendEndpoint> parseSrvName(QStringView name)
{
    if (name.endsWith(u'/'))
        name.chop(1);
    const QList<QStringView> labels = name.split(u'.');
    if (labels.size() < 3 || !labels.at(0).startsWith(u'_') || !labels.at(1).startsWith(u'_') ||
        !isHostName(name))
        return reject(u"an SRV name must look like srv://_service._proto.name (for example "
                      u"srv://_http._tcp.web.example)"_s);
    BackendEndpoint out;
    out.host = name.toString();
    out.port = 0;
    out.srv = true;
    return out;
}

} // namespace

Parsed<BackendEndpoint> parseBackendUrl(QStringView text)
{
    const qsizetype schemeEnd = text.indexOf(u"://");
    if (schemeEnd < 0)
        return reject(u"must start with http:// or https://"_s);
    const QStringView scheme = text.first(schemeEnd);
    if (scheme.compare(u"srv", Qt::CaseInsensitive) == 0)
        return parseSrvName(text.sliced(schemeEnd + 3));
    const bool https = scheme.compare(u"https", Qt::CaseInsensitive) == 0;
    if (!https && scheme.compare(u"http", Qt::CaseInsensitive) != 0)
        return reject(u"scheme must be http:// or https://"_s);

    const QStringView rest = text.sliced(schemeEnd + 3);
    const auto authorityEnd =
        std::find_if(rest.begin(), rest.end(), [](QChar c) { return c == u'/' || c == u'?' || c == u'#'; });
    const QStringView authority = rest.first(authorityEnd - rest.begin());
    const QStringView tail = rest.sliced(authority.size());
    if (tail.contains(u'#'))
        return reject(u"a fragment is not allowed"_s);
    if (tail.contains(u'?'))
        return reject(u"a query is not allowed"_s);
    if (!tail.isEmpty() && tail != u"/")
        return reject(u"path must be empty or \"/\" (the client's path is forwarded as is)"_s);
    if (authority.contains(u'@'))
        return reject(u"user info is not allowed"_s);

    const Parsed<HostPort> split = splitHostPort(authority);
    if (!split.ok())
        return reject(split.error);
    const HostPort &hp = split.value;
    if (hp.host.isEmpty())
        return reject(u"missing host"_s);

    BackendEndpoint out;
    out.host = hp.host.toString();
    out.https = https;
    out.port = https ? 443 : 80;
    if (hp.bracketed) {
        // RFC 6874 writes a zone as "%25eth0" inside a URL; sockets want "%eth0".
        out.host.replace(u"%25"_s, u"%"_s);
        QHostAddress ignored;
        if (!parseIpv6Literal(out.host, ignored))
            return reject(u"not a valid IPv6 address"_s);
    } else if (looksNumeric(hp.host)) {
        if (!isIpv4Literal(hp.host))
            return reject(u"not a valid IPv4 address"_s);
    } else if (!isHostName(hp.host)) {
        return reject(u"host must be an IP address or a host name of letters, digits, '-', '_' and '.'"_s);
    }

    if (!hp.port.isNull()) {
        const Parsed<quint16> port = parsePort(hp.port, 1);
        if (!port.ok())
            return reject(port.error);
        out.port = port.value;
    }
    return out;
}

Parsed<SendProxy> parseSendProxy(QStringView text)
{
    for (const SendProxy candidate : {SendProxy::Off, SendProxy::V1, SendProxy::V2}) {
        if (text == sendProxyName(candidate))
            return candidate;
    }
    return reject(u"must be \"v1\", \"v2\" or \"off\""_s);
}

QString sendProxyName(SendProxy sendProxy)
{
    switch (sendProxy) {
    case SendProxy::V1:
        return u"v1"_s;
    case SendProxy::V2:
        return u"v2"_s;
    case SendProxy::Off:
        break;
    }
    return u"off"_s;
}

Parsed<QString> parseTlsServerName(QStringView text)
{
    if (looksNumeric(text) || text.contains(u':') || !isHostName(text))
        return reject(u"must be a host name of letters, digits, '-', '_' and '.'"_s);
    return text.toString();
}

void applyEndpoint(BackendConfig &backend, const BackendEndpoint &endpoint)
{
    backend.host = endpoint.host;
    backend.port = endpoint.port;
    backend.https = endpoint.https;
}

QString checkBackendName(QStringView name)
{
    static const QRegularExpression pattern(u"^[A-Za-z0-9._-]{1,64}$"_s);
    if (!pattern.match(name).hasMatch())
        return u"must be 1 to 64 characters from A-Z a-z 0-9 . _ -"_s;
    return {};
}

Parsed<LogFormat> parseLogFormat(QStringView text)
{
    if (text == u"text")
        return LogFormat::Text;
    if (text == u"json")
        return LogFormat::Json;
    return reject(u"must be \"text\" or \"json\""_s);
}

Parsed<LogLevel> parseLogLevel(QStringView text)
{
    constexpr std::pair<QStringView, LogLevel> levels[] = {
        {u"debug", LogLevel::Debug},
        {u"info", LogLevel::Info},
        {u"warning", LogLevel::Warning},
        {u"error", LogLevel::Error},
    };
    for (const auto &[name, level] : levels) {
        if (text == name)
            return level;
    }
    return reject(u"must be \"debug\", \"info\", \"warning\" or \"error\""_s);
}

QString checkDiscoveredBackend(const BackendConfig &backend)
{
    // "NAME-" + an IPv6 address (39) + "-" + a port (5) stays within the 64 characters of a name.
    constexpr qsizetype maxPrefix = 16;
    if (backend.discovery == BackendDiscovery::None)
        return {};
    if (backend.discovery == BackendDiscovery::Resolve) {
        QHostAddress literal;
        if (literal.setAddress(backend.host))
            return u"resolve needs a host name, not an address"_s;
    }
    if (backend.name.size() > maxPrefix)
        return u"the name of a discovered backend must be at most %1 characters: it prefixes the name of "
               u"each address found"_s.arg(maxPrefix);
    return {};
}

Parsed<QHostAddress> parseDnsServer(QStringView text)
{
    QStringView address = text;
    if (address.startsWith(u'[') && address.endsWith(u']'))
        address = address.sliced(1, address.size() - 2);
    QHostAddress server;
    if (!server.setAddress(address.toString()))
        return reject(u"must be an IPv4 or IPv6 address (queried on port 53)"_s);
    return server;
}

Parsed<SnapshotFormat> parseSnapshotFormat(QStringView text)
{
    constexpr SnapshotFormat all[] = {SnapshotFormat::Json, SnapshotFormat::Csv, SnapshotFormat::Prometheus};
    const auto known = std::find_if(std::begin(all), std::end(all), [text](SnapshotFormat format) {
        return snapshotFormatName(format) == text;
    });
    if (known == std::end(all))
        return reject(u"must be \"json\", \"csv\" or \"prom\""_s);
    return *known;
}

Parsed<QList<SnapshotFormat>> parseSnapshotFormats(QStringView text)
{
    QList<SnapshotFormat> formats;
    for (const QStringView word : text.split(u',')) {
        const Parsed<SnapshotFormat> format = parseSnapshotFormat(word);
        if (!format.ok())
            return reject(u"must be a comma-separated list of json, csv and prom"_s);
        if (formats.contains(format.value))
            return reject(u"names %1 twice"_s.arg(word));
        formats.append(format.value);
    }
    return formats;
}

QString snapshotFormatName(SnapshotFormat format)
{
    switch (format) {
    case SnapshotFormat::Json:
        return u"json"_s;
    case SnapshotFormat::Csv:
        return u"csv"_s;
    case SnapshotFormat::Prometheus:
        return u"prom"_s;
    }
    return {};
}

QString logFormatName(LogFormat format)
{
    switch (format) {
    case LogFormat::Text:
        return u"text"_s;
    case LogFormat::Json:
        return u"json"_s;
    }
    return {};
}

Parsed<StrategyKind> parseStrategy(QStringView text)
{
    for (const StrategySpelling &s : kStrategies) {
        if (text == s.name)
            return s.strategy;
    }
    QStringList names;
    for (const StrategySpelling &s : kStrategies)
        names.append(u'"' + s.name.toString() + u'"');
    const QString last = names.takeLast();
    return reject(u"must be "_s + names.join(u", "_s) + u" or " + last);
}

QString strategyName(StrategyKind strategy)
{
    for (const StrategySpelling &s : kStrategies) {
        if (s.strategy == strategy)
            return s.name.toString();
    }
    return {};
}

Parsed<HashKey> parseHashKey(QStringView text)
{
    if (text == u"client-ip")
        return HashKey{HashKey::Source::ClientIp, {}};
    if (text == u"path")
        return HashKey{HashKey::Source::Path, {}};
    const qsizetype colon = text.indexOf(u':');
    const QStringView kind = colon < 0 ? text : text.first(colon);
    const QStringView name = colon < 0 ? QStringView() : text.sliced(colon + 1);
    if (colon >= 0 && (kind == u"header" || kind == u"cookie")) {
        const QString problem = checkToken(name);
        if (!problem.isEmpty())
            return reject(kind + u" name " + problem);
        return HashKey{kind == u"header" ? HashKey::Source::Header : HashKey::Source::Cookie,
                       name.toString()};
    }
    return reject(u"must be \"client-ip\", \"path\", \"header:NAME\" or \"cookie:NAME\""_s);
}

QString hashKeyText(const HashKey &key)
{
    switch (key.source) {
    case HashKey::Source::ClientIp:
        return u"client-ip"_s;
    case HashKey::Source::Path:
        return u"path"_s;
    case HashKey::Source::Header:
        return u"header:"_s + key.name;
    case HashKey::Source::Cookie:
        return u"cookie:"_s + key.name;
    }
    return {};
}

QString checkHashKeyApplies(StrategyKind strategy)
{
    if (strategy == StrategyKind::ConsistentHash)
        return {};
    return u"only applies to the consistent-hash strategy (the strategy is \""_s + strategyName(strategy) +
           u"\")";
}

QString checkCookieName(QStringView name)
{
    const QString problem = checkToken(name);
    if (!problem.isEmpty())
        return problem;
    // RFC 6265bis section 4.1.3; browsers compare these prefixes case-insensitively.
    if (name.startsWith(u"__Secure-", Qt::CaseInsensitive) ||
        name.startsWith(u"__Host-", Qt::CaseInsensitive))
        return u"must not start with __Secure- or __Host- (browsers accept such cookies only with the "
               u"Secure attribute, which Fulcrum does not set)"_s;
    return {};
}

Parsed<PanicMode> parsePanicMode(QStringView text)
{
    for (const PanicModeSpelling &s : kPanicModes) {
        if (text == s.name)
            return s.mode;
    }
    return reject(u"must be \"fail-closed\" or \"fail-open\""_s);
}

QString panicModeName(PanicMode mode)
{
    for (const PanicModeSpelling &s : kPanicModes) {
        if (s.mode == mode)
            return s.name.toString();
    }
    return {};
}

Parsed<StatusRange> parseStatusRange(QStringView text)
{
    const qsizetype dash = text.indexOf(u'-');
    const int min = statusCode(dash < 0 ? text : text.first(dash));
    const int max = dash < 0 ? min : statusCode(text.sliced(dash + 1));
    if (min < 0 || max < 0)
        return reject(
            u"must be a status from %1 to %2 (\"200\") or a range of them (\"200-399\")"_s.arg(kMinStatus)
                .arg(kMaxStatus));
    if (min > max)
        return reject(u"the range's first status must not be above its last"_s);
    return StatusRange{min, max};
}

QString statusRangeText(StatusRange range)
{
    if (range.min == range.max)
        return QString::number(range.min);
    return QString::number(range.min) + u'-' + QString::number(range.max);
}

QString checkHeaderName(QStringView name)
{
    return checkToken(name);
}

QString checkHeaderValue(QStringView value)
{
    const bool clean = std::all_of(value.begin(), value.end(), [](QChar c) {
        return c == u'\t' || (c.unicode() >= 0x20 && c.unicode() != 0x7f);
    });
    if (!clean)
        return u"must not contain control characters (a tab is fine)"_s;
    return {};
}

Parsed<QString> parseHostPattern(QStringView text)
{
    QStringView host = text;
    if (host.startsWith(u'[')) {
        QHostAddress ignored;
        if (!host.endsWith(u']'))
            return reject(u"must not have a port (the Host header's port is ignored when matching)"_s);
        if (host.contains(u'%') || !parseIpv6Literal(host.sliced(1, host.size() - 2), ignored))
            return reject(u"not a valid IPv6 address (no zone)"_s);
        return host.toString().toLower();
    }
    if (host.contains(u':'))
        return reject(u"must not have a port (the Host header's port is ignored when matching)"_s);
    if (host.endsWith(u'.'))
        host.chop(1);
    const bool wildcard = host.startsWith(u"*.");
    const QStringView name = wildcard ? host.sliced(2) : host;
    if (looksNumeric(name) && !name.isEmpty()) {
        if (wildcard || !isIpv4Literal(name))
            return reject(u"not a valid IPv4 address"_s);
    } else if (!isHostName(name) || name.endsWith(u'.')) {
        return reject(u"must be a host name of letters, digits, '-', '_' and '.', optionally starting with "
                      u"\"*.\" for any subdomain, or an IP address"_s);
    }
    return host.toString().toLower();
}

QString checkHttpMethod(QStringView method)
{
    return checkToken(method);
}

QString checkProbePath(QStringView path)
{
    if (!path.startsWith(u'/'))
        return u"must start with \"/\""_s;
    const bool visibleAscii = std::all_of(path.begin(), path.end(),
                                          [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
    if (!visibleAscii)
        return u"must be visible ASCII characters: no spaces or control characters (percent-encode "
               u"anything else)"_s;
    if (path.contains(u'#'))
        return u"a fragment is not allowed (it is never sent to a server)"_s;
    return {};
}

QString checkProbeHost(QStringView host)
{
    if (host.isEmpty())
        return {};
    const Parsed<HostPort> split = splitHostPort(host);
    if (!split.ok())
        return split.error;
    const HostPort &hp = split.value;
    if (hp.host.isEmpty())
        return u"missing host"_s;
    if (hp.bracketed) {
        if (hp.host.contains(u'%'))
            return u"an IPv6 zone is not allowed in a Host header"_s;
        QHostAddress ignored;
        if (!parseIpv6Literal(hp.host, ignored))
            return u"not a valid IPv6 address"_s;
    } else if (looksNumeric(hp.host)) {
        if (!isIpv4Literal(hp.host))
            return u"not a valid IPv4 address"_s;
    } else if (!isHostName(hp.host)) {
        return u"host must be an IP address or a host name of letters, digits, '-', '_' and '.'"_s;
    }
    if (!hp.port.isNull()) {
        const Parsed<quint16> port = parsePort(hp.port, 1);
        if (!port.ok())
            return port.error;
    }
    return {};
}

bool isDuplicateListen(const QList<ListenAddress> &accepted, const ListenAddress &candidate)
{
    // proxy-protocol or not, one address can be bound once.
    return candidate.port != 0 &&
           std::any_of(accepted.cbegin(), accepted.cend(), [&candidate](const ListenAddress &a) {
               return a.address == candidate.address && a.port == candidate.port;
           });
}

bool isDuplicateBackendName(const QList<BackendConfig> &accepted, const QString &name)
{
    return std::any_of(accepted.cbegin(), accepted.cend(),
                       [&name](const BackendConfig &b) { return b.name == name; });
}

} // namespace fulcrum

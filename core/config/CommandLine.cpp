// SPDX-License-Identifier: GPL-3.0-or-later
#include "CommandLine.h"

#include "AdminResolution.h"
#include "CaCertificates.h"
#include "ClientAddressSettings.h"
#include "ConfigValues.h"
#include "ListenReader.h"
#include "RateLimitReader.h"
#include "TlsReader.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QRegularExpression>

#include <algorithm>
#include <optional>
#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

struct OptionSpec
{
    QStringList names;
    QString valueName; // empty for a switch
    QString description;
};

// One table feeds both the parser and the help text, so they cannot disagree.
const QList<OptionSpec> &optionSpecs()
{
    static const QList<OptionSpec> specs = {
        {{u"listen"_s},
         u"ADDR:PORT"_s,
         u"Accept clients on ADDR:PORT: an IPv4 address, a bracketed IPv6 address or localhost; port "
         u"0..65535. Options after the port: ,proxy-protocol takes a PROXY v1 or v2 header first on each "
         u"connection, from --trusted-proxy peers only; ,tls speaks TLS with the --tls-cert certificates; "
         u",redirect-https[=PORT] answers every request with a redirect to https (port 443). Repeatable; "
         u"replaces the config file's \"listen\". Default: "
         u"127.0.0.1:8080."_s},
        {{u"tls-cert"_s},
         u"FILE"_s,
         u"A PEM certificate chain (leaf first) for the tls listeners, with the key of the --tls-key at the "
         u"same position. Repeatable: the first is the default, the others are chosen by the server name "
         u"a client sends (SNI) among the names each certificate is for. Replaces the config file's "
         u"tls.certificates."_s},
        {{u"tls-key"_s}, u"FILE"_s, u"The PEM private key of the --tls-cert at the same position."_s},
        {{u"trusted-proxy"_s},
         u"CIDR"_s,
         u"Believe X-Forwarded-For and PROXY headers from peers in CIDR (10.0.0.0/8, ::1/128 or one "
         u"address). Repeatable; replaces the config file's \"trusted_proxies\". Default: none."_s},
        {{u"backend"_s},
         u"URL[,weight=N][,name=NAME][,slow-start=MS][,resolve]"_s,
         u"Forward to the backend at http://HOST[:PORT] (port 80 by default) or https://HOST[:PORT] (TLS, "
         u"port 443 by default) with weight 0..1000 "
         u"(default 1), a name of 1..64 characters from A-Za-z0-9._- (default backend-<position>) and a "
         u"slow start of its own (default: --slow-start). With resolve, every address of the host name "
         u"is a backend, kept up to date from DNS; srv://_service._proto.NAME makes one of every address "
         u"of the SRV record's targets, with their ports and weights. Repeatable; replaces the config "
         u"file's \"backends\"."_s},
        {{u"backend-ca"_s},
         u"FILE"_s,
         u"Verify https:// backends against the CA certificates in the PEM FILE instead of the system's "
         u"CA store."_s},
        {{u"backend-tls-no-verify"_s},
         {},
         u"Do not verify the certificates of https:// backends (a warning is logged): for testing only."_s},
        {{u"backend-sni"_s},
         u"NAME"_s,
         u"Ask https:// backends for the certificate of NAME (SNI) and verify it against NAME. Default: the "
         u"backend URL's host when it is a name."_s},
        {{u"send-proxy"_s},
         u"v1|v2"_s,
         u"Start every connection to a backend with a PROXY protocol header (v1 text or v2 binary) naming "
         u"the client and the address it connected to. Health checks send a LOCAL (v2) or UNKNOWN (v1) "
         u"header. Default: off."_s},
        {{u"strategy"_s},
         u"NAME"_s,
         u"How requests are spread over the backends: round-robin, least-connections, power-of-two, "
         u"random or consistent-hash. Default: round-robin."_s},
        {{u"hash-key"_s},
         u"KEY"_s,
         u"What consistent-hash hashes: client-ip, path, header:NAME or cookie:NAME. Only with the "
         u"consistent-hash strategy. Default: client-ip."_s},
        {{u"sticky-cookie"_s},
         u"NAME[,max-age=SECONDS]"_s,
         u"Keep each client on one backend with the cookie NAME; a session cookie unless max-age "
         u"0..31536000 is given. Default: none."_s},
        {{u"slow-start"_s},
         u"MS"_s,
         u"A backend back up or newly added ramps from 10% to 100% of its weight over MS milliseconds, "
         u"0..3600000. Default: 0 (no ramp)."_s},
        {{u"health-check"_s},
         u"PATH"_s,
         u"Health-check every backend with requests for PATH (starting with /): by default GET every 2 s, "
         u"passing on a 2xx or 3xx answer within 1 s; 2 passes in a row bring a backend up, 3 failures "
         u"take it down. Turns the config file's \"health_check\" on with this path and keeps its other "
         u"settings. Default: off."_s},
        {{u"panic-mode"_s},
         u"fail-closed|fail-open"_s,
         u"What happens when no backend is usable: fail-closed answers 503 with Retry-After, fail-open "
         u"spreads requests over every backend not in maintenance or draining. Default: fail-closed."_s},
        {{u"retries"_s},
         u"N"_s,
         u"Retry a failed request up to N times, 0..10, each on another backend, when it is safe to (see "
         u"docs/configuration.md); 0 turns retries off. Default: 2."_s},
        {{u"rate-limit"_s},
         u"RATE/s|RATE/m[,burst=N]"_s,
         u"Limit each client address (IPv6: its /64) to RATE requests per second or minute, 1..1000000, "
         u"with bursts of up to N (1..10000000, default RATE); beyond it the answer is 429 with "
         u"Retry-After. Replaces the config file's \"rate_limit\". Default: off."_s},
        {{u"max-connections"_s},
         u"N"_s,
         u"Close new client connections at once while N are open on their listener, 0..10000000; 0: no "
         u"limit. Default: 0."_s},
        {{u"max-connections-per-client"_s},
         u"N"_s,
         u"Close a client address's (IPv6: its /64's) new connections at once while it has N open, "
         u"0..10000000; 0: no limit. Default: 0."_s},
        {{u"workers"_s}, u"N"_s, u"Worker threads, 0..64; 0 starts one per CPU core. Default: 0."_s},
        {{u"snapshot-dir"_s},
         u"DIR"_s,
         u"Write metrics snapshots into DIR (which must exist): on SIGUSR1, and every --snapshot-every "
         u"seconds when given. Each file is written whole or not at all. Replaces the config file's "
         u"snapshots.dir."_s},
        {{u"snapshot-every"_s},
         u"S"_s,
         u"Write a snapshot every S seconds, 1..86400. Needs a snapshot directory (--snapshot-dir or the "
         u"config file's)."_s},
        {{u"snapshot-format"_s},
         u"LIST"_s,
         u"Comma-separated formats of each snapshot: json, csv, prom (Prometheus text). Needs a snapshot "
         u"directory. Default: json."_s},
        {{u"admin"_s},
         u"ADDR:PORT"_s,
         u"Serve the admin API, metrics and status page on ADDR:PORT (port 0 picks a free port). An "
         u"address other than loopback needs a token. Replaces the config file's admin.listen. Default: "
         u"off (127.0.0.1:9901 with --demo)."_s},
        {{u"admin-token-file"_s},
         u"FILE"_s,
         u"Read the admin API's bearer token from FILE (surrounding white space is ignored). Without it, "
         u"the token is taken from the environment variable FULCRUM_ADMIN_TOKEN."_s},
        {{u"state-file"_s},
         u"FILE"_s,
         u"Keep runtime changes (weights, admin states, added and removed backends, split weights) in "
         u"FILE and restore them at start and on reload; a backend or split whose config entry changed "
         u"since takes the config's values."_s},
        {{u"dns-server"_s},
         u"ADDR"_s,
         u"Look up discovered backends (resolve, srv://) at the DNS server ADDR, port 53, instead of the "
         u"system's resolvers. Replaces the config file's dns.server."_s},
        {{u"dns-interval"_s},
         u"MS"_s,
         u"Look discovered names up again every MS milliseconds, 500..86400000, or sooner when their "
         u"records' TTL ends (but not more often than every 500 ms). Default: 30000."_s},
        {{u"config"_s}, u"FILE"_s, u"Read the JSON configuration FILE; the other flags override it."_s},
        {{u"check-config"_s},
         {},
         u"Validate the configuration (file and flags), report every error and exit."_s},
        {{u"log-format"_s}, u"text|json"_s, u"Log line format. Default: text."_s},
        {{u"log-level"_s},
         u"LEVEL"_s,
         u"The least severe messages logged: debug, info, warning or error. Default: info."_s},
        {{u"access-log"_s}, u"on|off"_s, u"Log one line per request. Default: on."_s},
        {{u"demo"_s},
         {},
         u"Run Fulcrum's built-in demo backends, so no --backend is needed to try it out."_s},
        {{u"h"_s, u"help"_s}, {}, u"Show this help and exit."_s},
        {{u"v"_s, u"version"_s}, {}, u"Show the version and exit."_s},
    };
    return specs;
}

QString flag(const QString &name)
{
    return (name.size() == 1 ? u"-"_s : u"--"_s) + name;
}

void addFlagError(QList<ConfigError> &errors, const QString &name, const QString &value,
                  const QString &reason)
{
    errors.append({flag(name), value, reason});
}

const OptionSpec *findSpec(QStringView argument)
{
    while (argument.startsWith(u'-'))
        argument = argument.sliced(1);
    for (const OptionSpec &spec : optionSpecs()) {
        if (spec.names.contains(argument))
            return &spec;
    }
    return nullptr;
}

void reportParserErrors(const QCommandLineParser &parser, const QStringList &arguments,
                        QList<ConfigError> &errors)
{
    const QStringList unknown = parser.unknownOptionNames();
    for (const QString &name : unknown)
        addFlagError(errors, name, QString(), u"unknown option (see --help)"_s);
    // Any other word is taken as a flag's value, so a value can only be missing after the last word.
    const OptionSpec *last = arguments.size() > 1 ? findSpec(arguments.constLast()) : nullptr;
    if (last && !last->valueName.isEmpty()) {
        errors.append({flag(last->names.constLast()), QString(),
                       u"missing value (expected "_s + last->valueName + u')'});
        return;
    }
    if (!unknown.isEmpty())
        return;
    // What remains (a value given to a switch, "--help=1") is best said in Qt's own words, under the
    // flag it quotes.
    static const QRegularExpression quotedFlag(u"'(-[^'=]*)"_s);
    const QRegularExpressionMatch match = quotedFlag.match(parser.errorText());
    errors.append({match.hasMatch() ? match.captured(1) : u"arguments"_s, QString(), parser.errorText()});
}

struct FlagOption
{
    QStringView key;
    QStringView value; // null when the option has no '='
};

// "key=value" after a comma in --backend and --sticky-cookie.
FlagOption splitFlagOption(QStringView part)
{
    const qsizetype equals = part.indexOf(u'=');
    if (equals < 0)
        return {part, QStringView()};
    return {part.first(equals), part.sliced(equals + 1)};
}

Parsed<BackendConfig> parseBackendFlag(const QString &text, qsizetype index)
{
    const QList<QStringView> parts = QStringView(text).split(u',');
    const Parsed<BackendEndpoint> endpoint = parseBackendUrl(parts.first());
    if (!endpoint.ok())
        return reject(endpoint.error);

    BackendConfig backend;
    backend.name = defaultBackendName(index);
    applyEndpoint(backend, endpoint.value);
    if (endpoint.value.srv)
        backend.discovery = BackendDiscovery::Srv;
    bool sawWeight = false;
    bool sawName = false;
    bool sawSlowStart = false;
    for (const QStringView part : parts.sliced(1)) {
        const auto [key, value] = splitFlagOption(part);
        if (key == u"weight") {
            if (sawWeight)
                return reject(u"weight is given more than once"_s);
            sawWeight = true;
            const Parsed<qint64> weight = parseInteger(value, ranges::weight);
            if (!weight.ok())
                return reject(u"weight "_s + weight.error);
            backend.weight = static_cast<int>(weight.value);
        } else if (key == u"name") {
            if (sawName)
                return reject(u"name is given more than once"_s);
            sawName = true;
            const QString problem = checkBackendName(value);
            if (!problem.isEmpty())
                return reject(u"name "_s + problem);
            backend.name = value.toString();
        } else if (key == u"slow-start") {
            if (sawSlowStart)
                return reject(u"slow-start is given more than once"_s);
            sawSlowStart = true;
            const Parsed<qint64> slowStart = parseInteger(value, ranges::slowStartMs);
            if (!slowStart.ok())
                return reject(u"slow-start "_s + slowStart.error);
            backend.slowStartMs = static_cast<int>(slowStart.value);
        } else if (part == u"resolve") {
            if (backend.discovery == BackendDiscovery::Srv)
                return reject(u"resolve is implied by an srv:// url"_s);
            backend.discovery = BackendDiscovery::Resolve;
        } else {
            return reject(u"unknown backend option \""_s + part +
                          u"\" (expected weight=N, name=NAME, slow-start=MS or resolve)");
        }
    }
    const QString discoveryProblem = checkDiscoveredBackend(backend);
    if (!discoveryProblem.isEmpty())
        return reject(discoveryProblem);
    return backend;
}

Parsed<StickyCookie> parseStickyCookieFlag(QStringView text)
{
    const QList<QStringView> parts = text.split(u',');
    const QString problem = checkCookieName(parts.first());
    if (!problem.isEmpty())
        return reject(u"name "_s + problem);

    StickyCookie cookie;
    cookie.name = parts.first().toString();
    bool sawMaxAge = false;
    for (const QStringView part : parts.sliced(1)) {
        const auto [key, value] = splitFlagOption(part);
        if (key != u"max-age")
            return reject(u"unknown sticky cookie option \""_s + part + u"\" (expected max-age=SECONDS)");
        if (sawMaxAge)
            return reject(u"max-age is given more than once"_s);
        sawMaxAge = true;
        const Parsed<qint64> maxAge = parseInteger(value, ranges::cookieMaxAgeS);
        if (!maxAge.ok())
            return reject(u"max-age "_s + maxAge.error);
        cookie.maxAgeS = static_cast<int>(maxAge.value);
    }
    return cookie;
}

void readListen(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    const QString name = u"listen"_s;
    for (const QString &text : parser.values(name)) {
        const Parsed<ListenAddress> parsed = parseListenEntry(text);
        if (!parsed.ok())
            addFlagError(errors, name, text, parsed.error);
        else if (isDuplicateListen(options.listen, parsed.value))
            addFlagError(errors, name, text, u"duplicate listen address"_s);
        else
            options.listen.append(parsed.value);
    }
}

void readTlsFiles(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    options.tlsCertificateFiles = parser.values(u"tls-cert"_s);
    options.tlsKeyFiles = parser.values(u"tls-key"_s);
    if (options.tlsCertificateFiles.size() != options.tlsKeyFiles.size())
        addFlagError(errors, u"tls-key"_s, options.tlsKeyFiles.join(u' '),
                     u"give one --tls-key per --tls-cert, in the same order (%1 certificates, %2 keys)"_s
                         .arg(options.tlsCertificateFiles.size())
                         .arg(options.tlsKeyFiles.size()));
}

void readTrustedProxies(const QCommandLineParser &parser, CommandLineOptions &options,
                        QList<ConfigError> &errors)
{
    const QString name = u"trusted-proxy"_s;
    for (const QString &text : parser.values(name)) {
        const Parsed<AddressRange> parsed = parseTrustedProxy(text);
        if (parsed.ok())
            options.trustedProxies.append(parsed.value);
        else
            addFlagError(errors, name, text, parsed.error);
    }
}

void readBackends(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    const QString name = u"backend"_s;
    const QStringList values = parser.values(name);
    for (qsizetype i = 0; i < values.size(); ++i) {
        const Parsed<BackendConfig> parsed = parseBackendFlag(values.at(i), i);
        if (!parsed.ok())
            addFlagError(errors, name, values.at(i), parsed.error);
        else if (isDuplicateBackendName(options.backends, parsed.value.name))
            addFlagError(errors, name, values.at(i),
                         u"duplicate backend name \""_s + parsed.value.name + u'"');
        else
            options.backends.append(parsed.value);
    }
}

// A repeated single-valued flag takes its last value, so a wrapper script can append overrides. Nothing
// when the flag is absent or its value is missing (that is reported once, as such).
std::optional<QString> lastValue(const QCommandLineParser &parser, const QString &name)
{
    const QStringList values = parser.values(name);
    if (values.isEmpty())
        return std::nullopt;
    return values.constLast();
}

// The last value of flag name read by parse into target; a rejection is reported under the flag.
template <typename T, typename Target>
void readParsed(const QCommandLineParser &parser, const QString &name, Parsed<T> (*parse)(QStringView),
                Target &target, QList<ConfigError> &errors)
{
    const std::optional<QString> text = lastValue(parser, name);
    if (!text)
        return;
    const Parsed<T> parsed = parse(*text);
    if (parsed.ok())
        target = parsed.value;
    else
        addFlagError(errors, name, *text, parsed.error);
}

Parsed<qint64> parseSlowStart(QStringView text)
{
    return parseInteger(text, ranges::slowStartMs);
}

Parsed<QString> parseHealthCheckPath(QStringView text)
{
    const QString problem = checkProbePath(text);
    if (!problem.isEmpty())
        return reject(problem);
    return text.toString();
}

Parsed<qint64> parseMaxRetries(QStringView text)
{
    return parseInteger(text, ranges::maxRetries);
}

void readResilience(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    readParsed(parser, u"health-check"_s, parseHealthCheckPath, options.healthCheckPath, errors);
    readParsed(parser, u"panic-mode"_s, parsePanicMode, options.panicMode, errors);
    std::optional<qint64> maxRetries;
    readParsed(parser, u"retries"_s, parseMaxRetries, maxRetries, errors);
    if (maxRetries)
        options.maxRetries = static_cast<int>(*maxRetries);
}

Parsed<qint64> parseConnectionLimit(QStringView text)
{
    return parseInteger(text, ranges::maxClientConnections);
}

void readClientLimits(const QCommandLineParser &parser, CommandLineOptions &options,
                      QList<ConfigError> &errors)
{
    readParsed(parser, u"rate-limit"_s, parseRateLimitFlag, options.rateLimit, errors);
    std::optional<qint64> limit;
    readParsed(parser, u"max-connections"_s, parseConnectionLimit, limit, errors);
    if (limit)
        options.maxConnections = static_cast<int>(*limit);
    limit.reset();
    readParsed(parser, u"max-connections-per-client"_s, parseConnectionLimit, limit, errors);
    if (limit)
        options.connectionsPerClient = static_cast<int>(*limit);
}

void readTransport(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    const QString caFlag = u"backend-ca"_s;
    if (const std::optional<QString> path = lastValue(parser, caFlag)) {
        const Parsed<QList<QSslCertificate>> certificates = readCaCertificates(*path);
        if (certificates.ok()) {
            options.backendCaFile = *path;
            options.backendCaCertificates = certificates.value;
        } else {
            addFlagError(errors, caFlag, *path, certificates.error);
        }
    }
    options.backendTlsNoVerify = parser.isSet(u"backend-tls-no-verify"_s);
    readParsed(parser, u"backend-sni"_s, parseTlsServerName, options.backendServerName, errors);
    readParsed(parser, u"send-proxy"_s, parseSendProxy, options.sendProxy, errors);
}

void readBalancing(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    readParsed(parser, u"strategy"_s, parseStrategy, options.strategy, errors);
    readParsed(parser, u"hash-key"_s, parseHashKey, options.hashKey, errors);
    readParsed(parser, u"sticky-cookie"_s, parseStickyCookieFlag, options.stickyCookie, errors);
    std::optional<qint64> slowStart;
    readParsed(parser, u"slow-start"_s, parseSlowStart, slowStart, errors);
    if (slowStart)
        options.slowStartMs = static_cast<int>(*slowStart);
}

Parsed<qint64> parseDnsInterval(QStringView text)
{
    return parseInteger(text, ranges::dnsIntervalMs);
}

Parsed<qint64> parseSnapshotEvery(QStringView text)
{
    return parseInteger(text, ranges::snapshotEverySeconds);
}

// A flag naming a file or directory: what (a file, a directory) says what an empty value fails to name.
void readPath(const QCommandLineParser &parser, const QString &flag, const QString &what, QString &target,
              QList<ConfigError> &errors)
{
    if (const std::optional<QString> text = lastValue(parser, flag)) {
        if (text->isEmpty())
            addFlagError(errors, flag, *text, u"must name "_s + what);
        else
            target = *text;
    }
}

void readSnapshotFiles(const QCommandLineParser &parser, CommandLineOptions &options,
                       QList<ConfigError> &errors)
{
    readPath(parser, u"snapshot-dir"_s, u"a directory"_s, options.snapshotDir, errors);
    std::optional<qint64> every;
    readParsed(parser, u"snapshot-every"_s, parseSnapshotEvery, every, errors);
    if (every)
        options.snapshotEverySeconds = static_cast<int>(*every);
    readParsed(parser, u"snapshot-format"_s, parseSnapshotFormats, options.snapshotFormats, errors);
}

void readOperations(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    readParsed(parser, u"admin"_s, parseListenAddress, options.adminListen, errors);
    readPath(parser, u"admin-token-file"_s, u"a file"_s, options.adminTokenFile, errors);
    readPath(parser, u"state-file"_s, u"a file"_s, options.stateFile, errors);
    readParsed(parser, u"dns-server"_s, parseDnsServer, options.dnsServer, errors);
    std::optional<qint64> dnsInterval;
    readParsed(parser, u"dns-interval"_s, parseDnsInterval, dnsInterval, errors);
    if (dnsInterval)
        options.dnsIntervalMs = static_cast<int>(*dnsInterval);
}

void readScalars(const QCommandLineParser &parser, CommandLineOptions &options, QList<ConfigError> &errors)
{
    const QString workersFlag = u"workers"_s;
    if (const std::optional<QString> text = lastValue(parser, workersFlag)) {
        const Parsed<qint64> workers = parseInteger(*text, ranges::workers);
        if (workers.ok())
            options.workers = static_cast<int>(workers.value);
        else
            addFlagError(errors, workersFlag, *text, workers.error);
    }
    readPath(parser, u"config"_s, u"a file"_s, options.configFile, errors);
    const QString logFormatFlag = u"log-format"_s;
    if (const std::optional<QString> text = lastValue(parser, logFormatFlag)) {
        const Parsed<LogFormat> format = parseLogFormat(*text);
        if (format.ok())
            options.logFormat = format.value;
        else
            addFlagError(errors, logFormatFlag, *text, format.error);
    }
    readParsed(parser, u"log-level"_s, parseLogLevel, options.logLevel, errors);
    const QString accessLogFlag = u"access-log"_s;
    if (const std::optional<QString> text = lastValue(parser, accessLogFlag)) {
        if (*text == u"on")
            options.accessLog = true;
        else if (*text == u"off")
            options.accessLog = false;
        else
            addFlagError(errors, accessLogFlag, *text, u"must be \"on\" or \"off\""_s);
    }
    options.checkConfig = parser.isSet(u"check-config"_s);
    options.demo = parser.isSet(u"demo"_s);
    options.showHelp = parser.isSet(u"help"_s);
    options.showVersion = parser.isSet(u"version"_s);
}

// Greedy word wrap for the help text's description column.
QStringList wrap(const QString &text, qsizetype width)
{
    QStringList lines;
    QString line;
    for (const QString &word : text.split(u' ', Qt::SkipEmptyParts)) {
        if (!line.isEmpty() && line.size() + 1 + word.size() > width) {
            lines.append(line);
            line.clear();
        }
        line += (line.isEmpty() ? QString() : u" "_s) + word;
    }
    if (!line.isEmpty())
        lines.append(line);
    return lines;
}

void mergeBalancing(const CommandLineOptions &options, bool fileLoaded, ConfigLoadResult &result)
{
    BalancingConfig &balancing = result.config.balancing;
    if (options.strategy) {
        balancing.strategy = *options.strategy;
        // The file's hash_key went with the file's consistent-hash strategy, which the flag replaces.
        if (!checkHashKeyApplies(balancing.strategy).isEmpty())
            balancing.hashKey = HashKey{};
    }
    if (options.hashKey) {
        const QString problem = checkHashKeyApplies(balancing.strategy);
        if (problem.isEmpty())
            balancing.hashKey = *options.hashKey;
        else if (fileLoaded || options.strategy) // else the file's own strategy may be what is wrong
            result.errors.append({flag(u"hash-key"_s), hashKeyText(*options.hashKey), problem});
    }
    if (options.stickyCookie)
        balancing.stickyCookie = *options.stickyCookie;
    if (options.slowStartMs)
        balancing.slowStartMs = *options.slowStartMs;
    if (options.panicMode)
        balancing.panicMode = *options.panicMode;
}

// The flags change the pool's settings only: a backend's own settings in the file stay on top of them,
// as its slow_start_ms stays on top of --slow-start.
void mergeResilience(const CommandLineOptions &options, ProxyConfig &config)
{
    if (options.healthCheckPath) {
        config.healthCheck.enabled = true;
        config.healthCheck.path = *options.healthCheckPath;
    }
    if (options.maxRetries)
        config.retries.maxRetries = *options.maxRetries;
}

void mergeTransport(const CommandLineOptions &options, UpstreamTransport &transport)
{
    if (!options.backendCaFile.isEmpty()) {
        transport.tls.caFile = options.backendCaFile;
        transport.tls.caCertificates = options.backendCaCertificates;
    }
    if (options.backendTlsNoVerify)
        transport.tls.verify = false;
    if (options.backendServerName)
        transport.tls.serverName = *options.backendServerName;
    if (options.sendProxy)
        transport.sendProxy = *options.sendProxy;
}

// Pools are resolved from the file as it is read, each from the top-level settings and its own: a flag
// that changed the top level afterwards would reach none of them, so it is refused rather than ignored.
void rejectFlagsForPools(const CommandLineOptions &options, QList<ConfigError> &errors)
{
    const QString reason = u"cannot be combined with a config file that has \"pools\""_s;
    if (!options.backends.isEmpty())
        addFlagError(errors, u"backend"_s, QString(), reason + u" (give the backends in the file's pools)");
    const std::pair<bool, QString> settings[] = {
        {options.strategy.has_value(), u"strategy"_s},
        {options.hashKey.has_value(), u"hash-key"_s},
        {options.stickyCookie.has_value(), u"sticky-cookie"_s},
        {options.slowStartMs.has_value(), u"slow-start"_s},
        {options.panicMode.has_value(), u"panic-mode"_s},
        {options.healthCheckPath.has_value(), u"health-check"_s},
        {options.maxRetries.has_value(), u"retries"_s},
        {!options.backendCaFile.isEmpty(), u"backend-ca"_s},
        {options.backendTlsNoVerify, u"backend-tls-no-verify"_s},
        {options.backendServerName.has_value(), u"backend-sni"_s},
        {options.sendProxy.has_value(), u"send-proxy"_s},
    };
    for (const auto &[given, name] : settings) {
        if (given)
            addFlagError(errors, name, QString(),
                         reason + u" (set it in the file: at the top level for every pool, or in one pool)");
    }
}

// The file's "snapshots" may give the directory the other flags need, so they are checked together.
void mergeSnapshotFiles(const CommandLineOptions &options, bool fileLoaded, ConfigLoadResult &result)
{
    SnapshotFilesConfig &files = result.config.snapshotFiles;
    if (!options.snapshotDir.isEmpty())
        files.dir = options.snapshotDir;
    if (options.snapshotEverySeconds)
        files.everySeconds = *options.snapshotEverySeconds;
    if (options.snapshotFormats)
        files.formats = *options.snapshotFormats;
    // A broken file may have lost its own directory to the errors already reported.
    if (files.enabled() || !fileLoaded)
        return;
    const std::pair<bool, QString> needingDir[] = {
        {options.snapshotEverySeconds.has_value(), u"snapshot-every"_s},
        {options.snapshotFormats.has_value(), u"snapshot-format"_s},
    };
    for (const auto &[given, name] : needingDir) {
        if (given)
            addFlagError(result.errors, name, QString(),
                         u"needs --snapshot-dir (or \"snapshots\": {\"dir\": ...} in the config file)"_s);
    }
}

void mergeOperations(const CommandLineOptions &options, ConfigLoadResult &result)
{
    ProxyConfig &config = result.config;
    if (options.adminListen)
        config.admin.listen = *options.adminListen;
    if (!options.adminTokenFile.isEmpty())
        config.admin.tokenFile = options.adminTokenFile;
    if (!options.stateFile.isEmpty())
        config.stateFile = options.stateFile;
    if (options.dnsServer)
        config.dns.server = *options.dnsServer;
    if (options.dnsIntervalMs)
        config.dns.intervalMs = *options.dnsIntervalMs;
    AdminFieldNames fields;
    if (options.adminListen)
        fields.listen = flag(u"admin"_s);
    if (!options.adminTokenFile.isEmpty())
        fields.tokenFile = flag(u"admin-token-file"_s);
    resolveAdmin(config.admin, options.demo, qgetenv("FULCRUM_ADMIN_TOKEN"), fields, result.errors);
}

void requireBackends(const CommandLineOptions &options, bool fileLoaded, ConfigLoadResult &result)
{
    const ProxyConfig &config = result.config;
    if (!fileLoaded)
        return;
    if (config.pools.isEmpty()) {
        if (config.backends.isEmpty() && !options.demo)
            result.errors.append(
                {u"backends"_s, QString(),
                 u"at least one backend is required (give --backend URL or \"backends\" in the "
                 u"config file, or use --demo)"_s});
        return;
    }
    // --demo's backends join the top-level pool, which "pools" replaces.
    const bool anyBackend = std::any_of(config.pools.cbegin(), config.pools.cend(),
                                        [](const PoolConfig &pool) { return !pool.backends.isEmpty(); });
    if (!anyBackend)
        result.errors.append({u"pools"_s, QString(),
                              u"at least one backend is required (every pool's \"backends\" is empty)"_s});
}

// Runtime state would keep the addresses DNS gave as backends added by hand, and put them back after a
// restart whatever DNS says by then.
void rejectStateFileWithDiscovery(ConfigLoadResult &result)
{
    const ProxyConfig &config = result.config;
    if (config.stateFile.isEmpty())
        return;
    const auto discovered = [](const QList<BackendConfig> &backends) {
        return std::any_of(backends.cbegin(), backends.cend(), [](const BackendConfig &backend) {
            return backend.discovery != BackendDiscovery::None;
        });
    };
    const bool anyDiscovered = discovered(config.backends) ||
                               std::any_of(config.pools.cbegin(), config.pools.cend(),
                                           [&](const PoolConfig &pool) { return discovered(pool.backends); });
    if (anyDiscovered)
        result.errors.append(
            {u"state_file"_s, config.stateFile,
             u"cannot be combined with backends discovered from DNS (resolve, srv://): their "
             u"addresses would be kept as backends added by hand"_s});
}

} // namespace

CommandLineParseResult parseCommandLine(const QStringList &arguments)
{
    CommandLineParseResult result;
    QCommandLineParser parser;
    // "-listen" reads as --listen rather than as the six switches -l -i -s -t -e -n.
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const OptionSpec &spec : optionSpecs())
        parser.addOption(QCommandLineOption(spec.names, spec.description, spec.valueName));

    if (!parser.parse(arguments))
        reportParserErrors(parser, arguments, result.errors);
    for (const QString &word : parser.positionalArguments())
        result.errors.append({u"arguments"_s, word, u"unexpected argument (fulcrumd takes only options)"_s});

    readListen(parser, result.options, result.errors);
    readTrustedProxies(parser, result.options, result.errors);
    readTlsFiles(parser, result.options, result.errors);
    readBackends(parser, result.options, result.errors);
    readTransport(parser, result.options, result.errors);
    readBalancing(parser, result.options, result.errors);
    readResilience(parser, result.options, result.errors);
    readClientLimits(parser, result.options, result.errors);
    readScalars(parser, result.options, result.errors);
    readSnapshotFiles(parser, result.options, result.errors);
    readOperations(parser, result.options, result.errors);
    return result;
}

ConfigLoadResult resolveConfig(const CommandLineOptions &options)
{
    ConfigLoadResult result;
    if (options.configFile.isEmpty())
        result.config = ConfigLoader::defaultConfig();
    else
        result = ConfigLoader::loadFile(options.configFile);
    // A broken file usually lost its backends to the very errors already reported.
    const bool fileLoaded = result.ok();

    ProxyConfig &config = result.config;
    if (!options.listen.isEmpty())
        config.listen = options.listen;
    if (!options.trustedProxies.isEmpty())
        config.trustedProxies = options.trustedProxies;
    if (!options.tlsCertificateFiles.isEmpty()) {
        config.tls.certificates.clear();
        for (qsizetype i = 0; i < options.tlsCertificateFiles.size(); ++i)
            config.tls.certificates.append({options.tlsCertificateFiles.at(i), options.tlsKeyFiles.value(i)});
    }
    if (!config.pools.isEmpty()) {
        rejectFlagsForPools(options, result.errors);
    } else {
        if (!options.backends.isEmpty()) {
            config.backends = options.backends;
            result.backendOverrides.clear(); // they belonged to the file's backends
        }
        mergeBalancing(options, fileLoaded, result);
        mergeResilience(options, config);
        mergeTransport(options, config.transport);
        config.applyTransports();
        // Again after the flags: --health-check changes the pool, --backend brings backends of its own.
        resolveBackendSettings(config, result.backendOverrides);
    }
    // Listener settings, not the pools': they apply whether or not the file has "pools".
    if (options.rateLimit)
        config.rateLimit = *options.rateLimit;
    if (options.maxConnections)
        config.limits.maxClientConnections = *options.maxConnections;
    if (options.connectionsPerClient)
        config.limits.maxConnectionsPerClient = *options.connectionsPerClient;
    if (options.workers)
        config.workers = *options.workers;
    if (options.logFormat)
        config.logFormat = *options.logFormat;
    if (options.logLevel)
        config.logLevel = *options.logLevel;
    if (options.accessLog)
        config.accessLog = *options.accessLog;
    mergeSnapshotFiles(options, fileLoaded, result);
    requireBackends(options, fileLoaded, result);
    mergeOperations(options, result);
    rejectStateFileWithDiscovery(result);
    checkProxyProtocolTrust(config, result.errors);
    if (result.errors.isEmpty())
        checkTlsSettings(config, result.errors);
    return result;
}

QString commandLineHelpText()
{
    constexpr qsizetype kLineWidth = 100;
    // A longer head would squeeze every description; its own description starts on the next line.
    constexpr qsizetype kMaxHeadWidth = 42;
    QStringList heads;
    qsizetype headWidth = 0;
    for (const OptionSpec &spec : optionSpecs()) {
        QStringList names;
        for (const QString &name : spec.names)
            names.append(flag(name));
        QString head = u"  "_s + names.join(u", "_s);
        if (!spec.valueName.isEmpty())
            head += u" <"_s + spec.valueName + u'>';
        if (head.size() <= kMaxHeadWidth)
            headWidth = std::max(headWidth, head.size());
        heads.append(head);
    }

    QString text = u"Usage: fulcrumd [options]\n"
                   u"Fulcrum, an HTTP/1.1 load balancer.\n\n"
                   u"Options:\n"_s;
    const QString indent(headWidth + 2, u' ');
    for (qsizetype i = 0; i < heads.size(); ++i) {
        const QStringList lines = wrap(optionSpecs().at(i).description, kLineWidth - indent.size());
        if (heads.at(i).size() > headWidth)
            text += heads.at(i) + u'\n' + indent + lines.value(0) + u'\n';
        else
            text += heads.at(i).leftJustified(headWidth + 2) + lines.value(0) + u'\n';
        for (qsizetype j = 1; j < lines.size(); ++j)
            text += indent + lines.at(j) + u'\n';
    }
    text +=
        u"\nFlags override the --config file; --listen and --backend replace its whole list. With a file\n"
        u"that has \"pools\", the flags for backends, balancing, health checks and retries are refused:\n"
        u"set those in the file.\n"
        u"Reference: docs/configuration.md\n"_s;
    return text;
}

QString commandLineVersionText()
{
    return u"fulcrumd "_s + QLatin1StringView(FULCRUM_VERSION);
}

} // namespace fulcrum

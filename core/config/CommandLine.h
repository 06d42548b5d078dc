// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigError.h"
#include "ConfigLoader.h"
#include "ProxyConfig.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace fulcrum {

// fulcrumd's flags, already validated. A list left empty or an optional left unset means the flag was
// not given, so the config file (or the default) decides.
struct CommandLineOptions
{
    QList<ListenAddress> listen;              // --listen, in order
    QList<AddressRange> trustedProxies;       // --trusted-proxy, in order
    QList<BackendConfig> backends;            // --backend, in order; unnamed ones get "backend-<position>"
    std::optional<StrategyKind> strategy;     // --strategy
    std::optional<HashKey> hashKey;           // --hash-key
    std::optional<StickyCookie> stickyCookie; // --sticky-cookie
    std::optional<int> slowStartMs;           // --slow-start
    std::optional<PanicMode> panicMode;       // --panic-mode
    std::optional<QString> healthCheckPath;   // --health-check
    std::optional<int> maxRetries;            // --retries
    QString backendCaFile;                    // --backend-ca; empty: none
    QList<QSslCertificate> backendCaCertificates;         // read from backendCaFile
    bool backendTlsNoVerify = false;                      // --backend-tls-no-verify
    std::optional<QString> backendServerName;             // --backend-sni
    std::optional<SendProxy> sendProxy;                   // --send-proxy
    std::optional<RateLimitConfig> rateLimit;             // --rate-limit
    std::optional<int> maxConnections;                    // --max-connections
    std::optional<int> connectionsPerClient;              // --max-connections-per-client
    QStringList tlsCertificateFiles;                      // --tls-cert, in order
    QStringList tlsKeyFiles;                              // --tls-key, in order
    std::optional<int> workers;                           // --workers
    QString configFile;                                   // --config; empty: none
    bool checkConfig = false;                             // --check-config
    std::optional<LogFormat> logFormat;                   // --log-format
    std::optional<LogLevel> logLevel;                     // --log-level
    std::optional<bool> accessLog;                        // --access-log on|off
    bool demo = false;                                    // --demo
    QString snapshotDir;                                  // --snapshot-dir; empty: none
    std::optional<int> snapshotEverySeconds;              // --snapshot-every
    std::optional<QList<SnapshotFormat>> snapshotFormats; // --snapshot-format
    std::optional<ListenAddress> adminListen;             // --admin
    QString adminTokenFile;                               // --admin-token-file; empty: none
    QString stateFile;                                    // --state-file; empty: none
    std::optional<QHostAddress> dnsServer;                // --dns-server
    std::optional<int> dnsIntervalMs;                     // --dns-interval
    bool showHelp = false;                                // --help / -h
    bool showVersion = false;                             // --version / -v

    friend bool operator==(const CommandLineOptions &, const CommandLineOptions &) = default;
};

struct CommandLineParseResult
{
    CommandLineOptions options; // the flags that were valid
    QList<ConfigError> errors;  // field: the flag ("--backend") or "arguments" for stray words

    bool ok() const { return errors.isEmpty(); }
};

// Parses and checks fulcrumd's arguments (arguments[0] is the program name). Nothing is printed and
// nothing exits: the caller shows help, version or errors. showHelp / showVersion are set even when
// other flags are wrong, so the caller can honour them first.
CommandLineParseResult parseCommandLine(const QStringList &arguments);

// The configuration fulcrumd runs with: the --config file if any (its errors are passed on), then
// every flag given overrides it -- a list flag (--listen, --backend) replaces the file's whole list.
// --strategy other than consistent-hash also drops the file's hash_key, which went with the file's
// strategy; --hash-key is an error unless the resulting strategy is consistent-hash. --health-check
// changes the pool's health check; then, as after loading the file, every backend (from the file or
// --backend) gets the pool's health check and circuit breaker with the file's settings for that
// backend on top. --backend-ca, --backend-tls-no-verify, --backend-sni and --send-proxy change the pool's
// transport, which every backend then gets. With a file that has "pools", the flags for the top-level pool
// (--backend, --strategy, --hash-key, --sticky-cookie, --slow-start, --panic-mode, --health-check,
// --retries and the transport flags) are errors: the pools were resolved from the file. Without a file or
// --listen it listens on 127.0.0.1:8080. At least one backend is required (in some pool, when there are
// pools; else from the file, --backend or --demo).
// --snapshot-every and --snapshot-format need a snapshot directory, from the flag or the file. Last, the
// admin API is resolved (resolveAdmin): --demo turns it on, the token is read from its file or
// FULCRUM_ADMIN_TOKEN, and a listener beyond loopback without a token is an error.
ConfigLoadResult resolveConfig(const CommandLineOptions &options);

// What --help prints.
QString commandLineHelpText();
// What --version prints: "fulcrumd <version>".
QString commandLineVersionText();

} // namespace fulcrum

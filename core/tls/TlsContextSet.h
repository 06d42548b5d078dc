// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config/ConfigError.h"
#include "config/TlsConfig.h"

#include <QByteArray>
#include <QList>

#include <memory>
#include <vector>

struct ssl_ctx_st;
struct ssl_st;

namespace fulcrum {

// The server side of TLS for every tls listener: one OpenSSL context per certificate, shared by all
// workers (OpenSSL contexts are safe to share between threads). A connection starts on the first
// certificate's context and moves to the one its SNI names. Every context shares one set of session
// ticket keys, so a client resumes its session whichever worker and certificate it reaches, across
// certificate reloads too (the keys live as long as the process).
class TlsContextSet
{
public:
    // Loads every certificate and key; null, with one error per problem naming the field and the file,
    // when any fails.
    static std::shared_ptr<const TlsContextSet> build(const TlsConfig &config, QList<ConfigError> *errors);

    ~TlsContextSet();
    TlsContextSet(const TlsContextSet &) = delete;
    TlsContextSet &operator=(const TlsContextSet &) = delete;

    // A new server-side session on the default context; the caller frees it with SSL_free.
    ssl_st *newSession() const;
    // One line per certificate: its file and the names it serves, for the startup log.
    QStringList describe() const;

private:
    struct Certificate
    {
        ssl_ctx_st *context = nullptr;
        QString file;
        QList<QByteArray> names; // lower case; "*.example.com" matches one label
    };

    TlsContextSet() = default;
    // The context whose certificate is for serverName; the default one when none is.
    ssl_ctx_st *contextFor(QByteArrayView serverName) const;
    static int onServerName(ssl_st *ssl, int *alert, void *set);

    std::vector<Certificate> m_certificates;
};

} // namespace fulcrum

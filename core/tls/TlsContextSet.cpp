// SPDX-License-Identifier: GPL-3.0-or-later
#include "TlsContextSet.h"

#include "tls/ServerNameMatch.h"

#include <QFile>
#include <QSslCertificate>

#include <array>
#include <mutex>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only. TLS 1.3 keeps OpenSSL's
// default suites, which are all of that kind.
constexpr const char *kTls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr unsigned char kSessionIdContext[] = "fulcrum";
// ALPN's wire form: a length-prefixed list. Only HTTP/1.1 is spoken.
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// The ticket keys every context shares: name, HMAC secret, AES key (80 bytes in OpenSSL 1.1.1 and 3).
const std::array<unsigned char, 80> &ticketKeys()
{
    static std::array<unsigned char, 80> keys{};
    static std::once_flag generated;
    std::call_once(generated, [] { RAND_bytes(keys.data(), static_cast<int>(keys.size())); });
    return keys;
}

QString openSslErrors()
{
    QStringList reasons;
    while (const unsigned long code = ERR_get_error()) {
        if (const char *reason = ERR_reason_error_string(code))
            reasons.append(QString::fromLatin1(reason));
    }
    return reasons.isEmpty() ? u"not a usable PEM file"_s : reasons.join(u"; "_s);
}

int selectHttp11(SSL *, const unsigned char **out, unsigned char *outLength, const unsigned char *offered,
                 unsigned int offeredLength, void *)
{
    unsigned char *selected = nullptr;
    if (SSL_select_next_proto(&selected, outLength, kAlpnHttp11, sizeof(kAlpnHttp11), offered,
                              offeredLength) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; // a client offering only h2 still gets HTTP/1.1, without ALPN
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

QList<QByteArray> certificateNames(const QString &file)
{
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(file, QSsl::Pem);
    if (chain.isEmpty())
        return {};
    QList<QByteArray> names;
    const auto alternatives = chain.first().subjectAlternativeNames();
    for (auto it = alternatives.cbegin(); it != alternatives.cend(); ++it) {
        if (it.key() == QSsl::DnsEntry)
            names.append(it.value().toLower().toUtf8());
    }
    if (names.isEmpty()) {
        for (const QString &commonName : chain.first().subjectInfo(QSslCertificate::CommonName))
            names.append(commonName.toLower().toUtf8());
    }
    return names;
}

// Whether path can be read at all: OpenSSL's own message for a missing file is only "system lib".
QString unreadableReason(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return u"cannot read: "_s + file.errorString();
    return {};
}
} // namespace

std::shared_ptr<const TlsContextSet> TlsContextSet::build(const TlsConfig &config, QList<ConfigError> *errors)
{
    std::shared_ptr<TlsContextSet> set(new TlsContextSet);
    bool failed = false;
    for (qsizetype i = 0; i < config.certificates.size(); ++i) {
        const TlsCertificateFiles &files = config.certificates.at(i);
        const QString field = u"tls.certificates[%1]"_s.arg(i);
        const auto report = [&](const QString &what, const QString &value, const QString &reason) {
            errors->append({field + what, value, reason});
            failed = true;
        };
        if (const QString reason = unreadableReason(files.certificateFile); !reason.isEmpty()) {
            report(u".cert"_s, files.certificateFile, reason);
            continue;
        }
        if (const QString reason = unreadableReason(files.keyFile); !reason.isEmpty()) {
            report(u".key"_s, files.keyFile, reason);
            continue;
        }
        SSL_CTX *context = SSL_CTX_new(TLS_server_method());
        set->m_certificates.push_back(
            {context, files.certificateFile, certificateNames(files.certificateFile)});
        ERR_clear_error();
        if (SSL_CTX_use_certificate_chain_file(context,
                                               QFile::encodeName(files.certificateFile).constData()) != 1) {
            report(u".cert"_s, files.certificateFile, u"not a PEM certificate chain: "_s + openSslErrors());
            continue;
        }
        if (SSL_CTX_use_PrivateKey_file(context, QFile::encodeName(files.keyFile).constData(),
                                        SSL_FILETYPE_PEM) != 1) {
            // OpenSSL compares the key with the certificate as it loads it.
            const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
            report(u".key"_s, files.keyFile,
                   mismatch ? u"does not belong to the certificate in "_s + files.certificateFile
                            : u"not a PEM private key: "_s + openSslErrors());
            ERR_clear_error();
            continue;
        }
        SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(context, kTls12Ciphers);
        SSL_CTX_set_options(context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
        // Idle keep-alive connections give their read and write buffers back.
        SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_session_id_context(context, kSessionIdContext, sizeof(kSessionIdContext) - 1);
        SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_SERVER);
        const std::array<unsigned char, 80> &keys = ticketKeys();
        SSL_CTX_set_tlsext_ticket_keys(context, const_cast<unsigned char *>(keys.data()),
                                       static_cast<long>(keys.size()));
        SSL_CTX_set_alpn_select_cb(context, selectHttp11, nullptr);
        // The macro for this casts C-style; the call it stands for takes a generic function pointer.
        SSL_CTX_callback_ctrl(context, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                              reinterpret_cast<void (*)()>(&TlsContextSet::onServerName));
        SSL_CTX_set_tlsext_servername_arg(context, set.get());
    }
    if (failed || set->m_certificates.empty())
        return nullptr;
    return set;
}

TlsContextSet::~TlsContextSet()
{
    // Sessions still open hold their own references: a context outlives the set while one uses it.
    for (const Certificate &certificate : m_certificates)
        SSL_CTX_free(certificate.context);
}

SSL *TlsContextSet::newSession() const
{
    SSL *session = SSL_new(m_certificates.front().context);
    SSL_set_accept_state(session);
    return session;
}

QStringList TlsContextSet::describe() const
{
    QStringList lines;
    for (const Certificate &certificate : m_certificates) {
        QStringList names;
        for (const QByteArray &name : certificate.names)
            names.append(QString::fromUtf8(name));
        lines.append(certificate.file + u" for "_s +
                     (names.isEmpty() ? u"no name (the default only)"_s : names.join(u", "_s)));
    }
    return lines;
}

SSL_CTX *TlsContextSet::contextFor(QByteArrayView serverName) const
{
    // Exact names first, so that "api.example.com" wins over "*.example.com" whatever their order.
    for (const bool wildcards : {false, true}) {
        for (const Certificate &certificate : m_certificates) {
            for (const QByteArray &name : certificate.names) {
                if (name.startsWith("*.") == wildcards && serverNameMatches(name, serverName))
                    return certificate.context;
            }
        }
    }
    return m_certificates.front().context;
}

int TlsContextSet::onServerName(SSL *ssl, int *, void *set)
{
    const char *serverName = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (serverName == nullptr)
        return SSL_TLSEXT_ERR_NOACK;
    SSL_CTX *context = static_cast<const TlsContextSet *>(set)->contextFor(QByteArrayView(serverName));
    if (context != SSL_get_SSL_CTX(ssl))
        SSL_set_SSL_CTX(ssl, context);
    return SSL_TLSEXT_ERR_OK;
}

} // namespace fulcrum

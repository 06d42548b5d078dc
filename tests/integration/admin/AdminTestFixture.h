// SPDX-License-Identifier: GPL-3.0-or-later
// What the admin API's integration tests share: the token and its file, the fulcrumd they start with
// fake backends behind it, their calls to the admin API and the checks of an answer against the
// contract (docs/admin-api.md). Header-only, since every tst_*.cpp here is an executable of its own.
#pragma once

#include "ProxyTest.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace fulcrum::test {

using namespace Qt::StringLiterals;

inline const QByteArray kAdminToken = "7f3c9a1e0b5d-admin-token";

inline QByteArray bearer(QByteArrayView token)
{
    return "Bearer " + token.toByteArray();
}

inline QJsonObject jsonObject(const HttpResponse &response)
{
    return QJsonDocument::fromJson(response.body).object();
}

inline QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

inline QByteArray compact(const QJsonArray &array)
{
    return QJsonDocument(array).toJson(QJsonDocument::Compact);
}

// Empty when `response` is the contract's error: `status`, JSON {"error": "..."} and, when `field` is not
// null, "field" naming it (alone, or as the last part of a path such as "split[1].pool").
inline QString errorMismatch(const HttpResponse &response, int status, const QString &field = {})
{
    if (response.status != status || !response.complete)
        return u"expected %1, got %2"_s.arg(status).arg(response.describe());
    if (!response.header("content-type").startsWith("application/json"))
        return u"error is not application/json: "_s + response.describe();
    const QJsonDocument document = QJsonDocument::fromJson(response.body);
    if (!document.isObject())
        return u"error body is not a JSON object: "_s + response.describe();
    const QJsonValue error = document.object().value("error"_L1);
    if (!error.isString() || error.toString().isEmpty())
        return u"no \"error\" text: "_s + response.describe();
    if (!field.isNull()) {
        const QString actual = document.object().value("field"_L1).toString();
        if (actual != field && !actual.endsWith(u'.' + field))
            return u"field \"%1\", expected \"%2\": %3"_s.arg(actual, field, response.describe());
    }
    return {};
}

// Empty when `response` is a 401 that asks for a bearer token.
inline QString unauthorizedMismatch(const HttpResponse &response)
{
    const QString mismatch = errorMismatch(response, 401);
    if (!mismatch.isEmpty())
        return mismatch;
    if (!response.header("www-authenticate").startsWith("Bearer"))
        return u"no WWW-Authenticate: Bearer: "_s + response.describe();
    return {};
}

// Empty when `response` is the 401 of an admin API that has no token at all: its error says how to set
// one, since no token the caller could send would do.
inline QString noTokenConfiguredMismatch(const HttpResponse &response)
{
    const QString mismatch = errorMismatch(response, 401);
    if (!mismatch.isEmpty())
        return mismatch;
    if (!jsonObject(response).value("error"_L1).toString().contains(u"token"_s, Qt::CaseInsensitive))
        return u"the error does not mention the token: "_s + response.describe();
    return {};
}

// Two pools, "stable" with alpha and "canary" with beta, and the route "canary" splitting between them.
inline QJsonObject routedConfig(const FakeBackend &alpha, const FakeBackend &beta, int alphaWeight,
                                int stableShare)
{
    const auto pool = [](const QString &name, const FakeBackend &backend, int weight) {
        return QJsonObject{{u"name"_s, name},
                           {u"backends"_s, QJsonArray{QJsonObject{{u"name"_s, backend.name()},
                                                                  {u"url"_s, backend.url()},
                                                                  {u"weight"_s, weight}}}}};
    };
    const QJsonArray split{QJsonObject{{u"pool"_s, u"stable"_s}, {u"weight"_s, stableShare}},
                           QJsonObject{{u"pool"_s, u"canary"_s}, {u"weight"_s, 100 - stableShare}}};
    return QJsonObject{
        {u"version"_s, 1},
        {u"listen"_s, QJsonArray{u"127.0.0.1:0"_s}},
        {u"access_log"_s, false},
        {u"pools"_s, QJsonArray{pool(u"stable"_s, alpha, alphaWeight), pool(u"canary"_s, beta, 1)}},
        {u"routes"_s, QJsonArray{QJsonObject{{u"name"_s, u"canary"_s}, {u"split"_s, split}}}}};
}

// fulcrumd with its admin API on 127.0.0.1:0, the fake backends alpha, beta and gamma, and a token file
// holding kAdminToken. A test class calls writeTokenFile() from initTestCase(), startBackends() from
// init() and stopAll() from cleanup().
class AdminTestFixture
{
protected:
    enum class Token
    {
        File, // --admin-token-file with kAdminToken
        None, // no token anywhere
    };

    void writeTokenFile()
    {
        // A token in the environment of the test would reach every fulcrumd started here.
        qunsetenv("FULCRUM_ADMIN_TOKEN");
        QVERIFY(m_dir.isValid());
        m_tokenFile = m_dir.filePath(u"admin-token"_s);
        QFile file(m_tokenFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        // Ends in a newline as a token file written by an editor or echo does: the token is the trimmed
        // content.
        QVERIFY(file.write(kAdminToken + '\n') == kAdminToken.size() + 1);
    }

    void startBackends()
    {
        m_alpha = std::make_unique<FakeBackend>(u"alpha"_s);
        m_beta = std::make_unique<FakeBackend>(u"beta"_s);
        m_gamma = std::make_unique<FakeBackend>(u"gamma"_s);
        QVERIFY(m_alpha->start() && m_beta->start() && m_gamma->start());
        m_config = std::make_unique<ConfigFile>();
        QVERIFY(m_config->isValid());
        m_proxy = std::make_unique<FulcrumProcess>();
        m_adminPort = 0;
    }

    void stopAll()
    {
        if (QTest::currentTestFailed() && m_proxy)
            qInfo("fulcrumd stderr:\n%s", m_proxy->standardError().constData());
        m_proxy.reset();
        m_config.reset();
        m_alpha.reset();
        m_beta.reset();
        m_gamma.reset();
    }

    // Starts fulcrumd with `arguments`, the admin API on 127.0.0.1:0 and the token as asked; false with
    // m_error saying why when it or its admin API does not come up.
    bool startProxy(const QStringList &arguments, Token token = Token::File)
    {
        QStringList args = arguments;
        args << u"--admin"_s << u"127.0.0.1:0"_s;
        if (token == Token::File)
            args << u"--admin-token-file"_s << m_tokenFile;
        if (!m_proxy->start(args)) {
            m_error = m_proxy->errorString();
            return false;
        }
        m_adminPort = m_proxy->adminPort();
        if (m_adminPort == 0) {
            m_error = u"no \"admin API listening on\" line; stderr:\n"_s +
                      QString::fromUtf8(m_proxy->standardError());
            return false;
        }
        return true;
    }

    // alpha and beta, weight 1 each, given on the command line.
    bool startWithBackends(Token token = Token::File)
    {
        return startProxy(backendArgs({m_alpha.get(), m_beta.get()}), token);
    }

    // The routedConfig() file, alpha at weight 1 and the split 90/10.
    bool startWithRoutes()
    {
        if (!m_config->write(routedConfig(*m_alpha, *m_beta, 1, 90))) {
            m_error = u"cannot write "_s + m_config->path();
            return false;
        }
        return startProxy({u"--config"_s, m_config->path()});
    }

    // One request to the admin API on a connection of its own. authorization: the Authorization header's
    // value; none when it is null.
    HttpResponse call(QByteArrayView method, QByteArrayView target, QByteArrayView body = {},
                      const QByteArray &authorization = bearer(kAdminToken)) const
    {
        QList<std::pair<QByteArray, QByteArray>> headers;
        if (!authorization.isNull())
            headers.emplaceBack("Authorization", authorization);
        if (!body.isEmpty())
            headers.emplaceBack("Content-Type", "application/json");
        return fetch(m_adminPort, RawClient::buildRequest(method, target, headers, body));
    }

    QTemporaryDir m_dir;
    QString m_tokenFile;
    std::unique_ptr<FakeBackend> m_alpha;
    std::unique_ptr<FakeBackend> m_beta;
    std::unique_ptr<FakeBackend> m_gamma; // started, known to no proxy until a test adds it
    std::unique_ptr<ConfigFile> m_config;
    std::unique_ptr<FulcrumProcess> m_proxy;
    quint16 m_adminPort = 0;
    QString m_error;
};

} // namespace fulcrum::test

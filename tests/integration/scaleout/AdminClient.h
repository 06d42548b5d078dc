// SPDX-License-Identifier: GPL-3.0-or-later
// What the scale-out tests share: a fulcrumd started with its admin API on 127.0.0.1:0 and a token,
// and the calls an orchestrator makes to it (add a backend, remove one, wait until it has left).
// Header-only, since every tst_*.cpp here is an executable of its own.
#pragma once

#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "RawClient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace fulcrum::test {

using namespace Qt::StringLiterals;

inline const QByteArray kScaleoutAdminToken = "4b1d-scaleout-admin-token";

// Starts `process` with `arguments`, the admin API on 127.0.0.1:0 and kScaleoutAdminToken; returns
// the admin API's port, or 0 with *error saying why.
inline quint16 startWithAdmin(FulcrumProcess &process, const QStringList &arguments, int workers,
                              QString *error)
{
    process.setEnvironmentVariable(u"FULCRUM_ADMIN_TOKEN"_s, QString::fromLatin1(kScaleoutAdminToken));
    if (!process.start(arguments + QStringList{u"--admin"_s, u"127.0.0.1:0"_s}, workers)) {
        *error = process.errorString();
        return 0;
    }
    const quint16 port = process.adminPort();
    if (port == 0)
        *error = u"no admin API; stderr:\n"_s + QString::fromUtf8(process.standardError());
    return port;
}

// The admin API of one fulcrumd, as an orchestrator uses it. Every call is a connection of its own.
class AdminClient
{
public:
    static constexpr int kRemovalTimeoutMs = 15'000;

    explicit AdminClient(quint16 port) : m_port(port) {}

    HttpResponse call(QByteArrayView method, QByteArrayView target, const QJsonObject &body = {}) const
    {
        QList<std::pair<QByteArray, QByteArray>> headers{{"Authorization", "Bearer " + kScaleoutAdminToken}};
        QByteArray payload;
        if (!body.isEmpty()) {
            headers.emplaceBack("Content-Type", "application/json");
            payload = QJsonDocument(body).toJson(QJsonDocument::Compact);
        }
        return fetch(m_port, RawClient::buildRequest(method, target, headers, payload));
    }

    // POST /api/v1/backends; empty on 201, else what came back.
    QString addBackend(const FakeBackend &backend, int weight) const
    {
        const QJsonObject body{{u"name"_s, backend.name()}, {u"url"_s, backend.url()}, {u"weight"_s, weight}};
        return expectStatus(call("POST", "/api/v1/backends", body), 201, u"adding "_s + backend.name());
    }

    // DELETE /api/v1/backends/NAME, which only starts the drain; empty on 202, with the backend as it
    // was then in *removing when given.
    QString removeBackend(const QString &name, QJsonObject *removing = nullptr) const
    {
        const HttpResponse response = call("DELETE", backendPath(name));
        if (removing)
            *removing = QJsonDocument::fromJson(response.body).object();
        return expectStatus(response, 202, u"removing "_s + name);
    }

    // GET /api/v1/backends/NAME: the backend as the admin API shows it; empty when there is none.
    QJsonObject backend(const QString &name) const
    {
        const HttpResponse response = call("GET", backendPath(name));
        return response.status == 200 ? QJsonDocument::fromJson(response.body).object() : QJsonObject();
    }

    // GET /api/v1/backends: every backend, those being removed included.
    QJsonArray backends() const
    {
        return QJsonDocument::fromJson(call("GET", "/api/v1/backends").body)
            .object()
            .value(u"backends"_s)
            .toArray();
    }

    // Whether the backend has left the table: its drain is over and no new request can reach it.
    bool hasLeft(const QString &name) const { return call("GET", backendPath(name)).status == 404; }

    bool waitUntilLeft(const QString &name, int timeoutMs = kRemovalTimeoutMs) const
    {
        return QTest::qWaitFor([&] { return hasLeft(name); }, timeoutMs);
    }

    // POST /api/v1/reload (the configuration file read again, as on SIGHUP); empty on 200.
    QString reload() const { return expectStatus(call("POST", "/api/v1/reload"), 200, u"reload"_s); }

private:
    static QByteArray backendPath(const QString &name) { return "/api/v1/backends/" + name.toUtf8(); }

    static QString expectStatus(const HttpResponse &response, int status, const QString &what)
    {
        if (response.complete && response.status == status)
            return {};
        return u"%1: expected %2, got %3"_s.arg(what).arg(status).arg(response.describe());
    }

    quint16 m_port;
};

} // namespace fulcrum::test

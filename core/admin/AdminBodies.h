// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "admin/AdminMessages.h"
#include "config/RoutingConfig.h"
#include "control/BackendEdit.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <optional>
#include <variant>

namespace fulcrum {

// Request bodies of the admin API, checked field by field. Each parser returns what it read or the
// error response to send (400 for a body of the wrong shape, 422 for a bad value, naming the field).
template <typename T>
using BodyOr = std::variant<T, AdminResponse>;

constexpr qsizetype kMaxAdminBodyBytes = 64 * 1024;

// 413 over kMaxAdminBodyBytes, 400 unless it is JSON.
BodyOr<QJsonDocument> parseJsonBody(const AdminRequest &request);

// {"weight"?, "state"?} for the backend named in the path; with nameFromBody, {"name", ...} as an
// element of PATCH /api/v1/backends. A field's name in errors is prefixed with `where`, "[2]." say.
BodyOr<BackendEdit> parseBackendEdit(const QJsonObject &object, const QString &pathName,
                                     const QString &where);

// POST /api/v1/backends: {"name", "url", "weight"?, "pool"?}.
struct NewBackend
{
    BackendConfig config;
    QString pool; // empty: the first pool
};
BodyOr<NewBackend> parseNewBackend(const QJsonObject &object);

// PATCH /api/v1/routes/{name}: {"split": [{"pool", "weight"}, ...]}.
BodyOr<QList<SplitTarget>> parseSplitBody(const QJsonObject &object);

} // namespace fulcrum

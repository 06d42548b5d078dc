// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "admin/AdminMessages.h"

#include <QJsonArray>
#include <QJsonObject>

namespace fulcrum {

// The admin API's answers: JSON bodies, and errors in one shape, {"error": ..., "field": ...}.
AdminResponse jsonReply(int status, const QJsonObject &object);
// field is left out when no single field is at fault.
AdminResponse errorReply(int status, const QString &error, const QString &field = {});
AdminResponse textReply(int status, const QByteArray &contentType, const QByteArray &body);

} // namespace fulcrum

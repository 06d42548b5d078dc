// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminReplies.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace fulcrum {

AdminResponse jsonReply(int status, const QJsonObject &object)
{
    QByteArray body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    body.append('\n');
    return textReply(status, "application/json", body);
}

AdminResponse errorReply(int status, const QString &error, const QString &field)
{
    QJsonObject object{{u"error"_s, error}};
    if (!field.isEmpty())
        object.insert(u"field"_s, field);
    return jsonReply(status, object);
}

AdminResponse textReply(int status, const QByteArray &contentType, const QByteArray &body)
{
    AdminResponse response;
    response.status = status;
    response.contentType = contentType;
    response.body = body;
    return response;
}

} // namespace fulcrum

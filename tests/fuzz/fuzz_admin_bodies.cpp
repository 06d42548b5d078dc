// SPDX-License-Identifier: GPL-3.0-or-later
// The admin API's JSON request bodies: the input is a body, read as every call that takes one does
// (backend edit by path and by list, new backend, traffic split). Bodies come from whoever holds the
// token, possibly a script gone wrong: each must end in a value or in a 4xx that names a field.
#include "FuzzSupport.h"
#include "admin/AdminBodies.h"

#include <QJsonArray>

using namespace fulcrum;
using namespace fulcrum::fuzz;

namespace {

template <typename T>
void checkReply(const BodyOr<T> &parsed)
{
    const AdminResponse *error = std::get_if<AdminResponse>(&parsed);
    if (error == nullptr)
        return;
    check(error->status == 400 || error->status == 413 || error->status == 422,
          "a body error that is not 4xx");
    QJsonParseError parseError;
    const QJsonDocument reply = QJsonDocument::fromJson(error->body, &parseError);
    check(parseError.error == QJsonParseError::NoError && reply.isObject(),
          "an error reply that is not a JSON object");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    AdminRequest request;
    request.body = QByteArray(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const BodyOr<QJsonDocument> document = parseJsonBody(request);
    checkReply(document);
    const QJsonDocument *json = std::get_if<QJsonDocument>(&document);
    if (json == nullptr)
        return 0;
    const QJsonObject object = json->object();
    checkReply(parseBackendEdit(object, QStringLiteral("app-1"), {}));
    checkReply(parseNewBackend(object));
    checkReply(parseSplitBody(object));
    const QJsonArray entries = json->array();
    for (qsizetype i = 0; i < entries.size(); ++i)
        checkReply(parseBackendEdit(entries.at(i).toObject(), {}, QStringLiteral("[%1].").arg(i)));
    return 0;
}

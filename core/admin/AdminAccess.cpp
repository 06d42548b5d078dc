// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminAccess.h"

#include "admin/AdminReplies.h"

#include <utility>

using namespace Qt::StringLiterals;

namespace fulcrum {

bool secretsEqual(QByteArrayView given, QByteArrayView expected)
{
    // Every byte of the expected secret is looked at whatever the given one holds, so the time taken
    // tells nothing about how long a matching prefix was; only the length can differ faster.
    unsigned char difference = given.size() == expected.size() ? 0 : 1;
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const char mine = i < given.size() ? given[i] : '\0';
        difference |= static_cast<unsigned char>(mine ^ expected[i]);
    }
    return difference == 0;
}

AdminAccess::AdminAccess(QByteArray token, bool loopbackListener)
    : m_token(std::move(token)), m_loopbackListener(loopbackListener)
{}

std::optional<AdminResponse> AdminAccess::refusal(const AdminRequest &request, Need need) const
{
    if (need == Need::Read && m_loopbackListener)
        return std::nullopt;
    if (m_token.isEmpty()) {
        AdminResponse response = errorReply(
            401,
            u"no admin token is configured: set --admin-token-file, admin.token_file or FULCRUM_ADMIN_TOKEN"_s);
        response.headers.emplaceBack("WWW-Authenticate", "Bearer realm=\"fulcrum\"");
        return response;
    }
    static constexpr QByteArrayView scheme = "Bearer ";
    const QByteArrayView authorization = request.authorization;
    const bool bearer = authorization.size() > scheme.size() &&
                        authorization.first(scheme.size()).compare(scheme, Qt::CaseInsensitive) == 0;
    if (bearer && secretsEqual(authorization.sliced(scheme.size()).trimmed(), m_token))
        return std::nullopt;
    AdminResponse response =
        errorReply(401, bearer ? u"wrong admin token"_s : u"missing Authorization: Bearer token"_s);
    response.headers.emplaceBack("WWW-Authenticate", bearer
                                                         ? "Bearer realm=\"fulcrum\", error=\"invalid_token\""
                                                         : "Bearer realm=\"fulcrum\"");
    return response;
}

} // namespace fulcrum

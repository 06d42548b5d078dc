// SPDX-License-Identifier: GPL-3.0-or-later
#include "AdminResolution.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

constexpr quint16 kDemoAdminPort = 9901;

// The token travels in an Authorization header, where white space would end it and control characters
// are refused.
bool isSendable(const QByteArray &token)
{
    return std::all_of(token.cbegin(), token.cend(),
                       [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; });
}

// The token in the file, or empty after adding to errors why there is none.
QByteArray readTokenFile(const QString &path, const QString &field, QList<ConfigError> &errors)
{
    if (QFileInfo(path).isDir()) {
        errors.append({field, path, u"cannot read: is a directory"_s});
        return {};
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        errors.append({field, path, u"cannot open: "_s + file.errorString()});
        return {};
    }
    const QByteArray token = file.readAll().trimmed();
    if (file.error() != QFileDevice::NoError) {
        errors.append({field, path, u"cannot read: "_s + file.errorString()});
        return {};
    }
    if (token.isEmpty()) {
        errors.append({field, path, u"is empty (it must hold the admin API token)"_s});
        return {};
    }
    if (!isSendable(token)) {
        errors.append(
            {field, path, u"the token must be one word without white space or control characters"_s});
        return {};
    }
    return token;
}

} // namespace

ListenAddress defaultDemoAdminAddress()
{
    return {QHostAddress(QHostAddress::LocalHost), kDemoAdminPort};
}

bool isLoopback(const ListenAddress &address)
{
    return address.address.isLoopback();
}

QByteArray generateAdminToken()
{
    std::array<quint32, 4> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    QByteArray bytes;
    for (const quint32 word : words) {
        for (int shift = 24; shift >= 0; shift -= 8)
            bytes.append(static_cast<char>((word >> shift) & 0xff));
    }
    return bytes.toHex();
}

void resolveAdmin(AdminConfig &admin, bool demo, const QByteArray &environmentToken,
                  const AdminFieldNames &fields, QList<ConfigError> &errors)
{
    admin.token.clear();
    admin.generatedToken = false;
    if (!admin.listen && demo)
        admin.listen = defaultDemoAdminAddress();
    if (!admin.listen)
        return;

    if (!admin.tokenFile.isEmpty()) {
        admin.token = readTokenFile(admin.tokenFile, fields.tokenFile, errors);
        if (admin.token.isEmpty())
            return; // reported; a missing token must not also be blamed on the listener
    } else if (const QByteArray fromEnvironment = environmentToken.trimmed(); !fromEnvironment.isEmpty()) {
        if (!isSendable(fromEnvironment)) {
            errors.append({u"FULCRUM_ADMIN_TOKEN"_s, QString(),
                           u"the token must be one word without white space or control characters"_s});
            return;
        }
        admin.token = fromEnvironment;
    } else if (demo) {
        admin.token = generateAdminToken();
        admin.generatedToken = true;
    }

    if (admin.token.isEmpty() && !isLoopback(*admin.listen))
        errors.append({fields.listen, admin.listen->toString(),
                       u"is not a loopback address, so the admin API needs a token (set admin.token_file, "
                       u"--admin-token-file or FULCRUM_ADMIN_TOKEN)"_s});
}

} // namespace fulcrum

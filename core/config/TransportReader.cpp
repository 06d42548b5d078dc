// SPDX-License-Identifier: GPL-3.0-or-later
#include "TransportReader.h"

#include "CaCertificates.h"
#include "SettingsReaders.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

void readTls(JsonObjectReader &object, BackendTlsConfig &target)
{
    JsonDiagnostics &d = object.diagnostics();
    const QJsonValue caFile = object.take("ca_file"_L1);
    if (!caFile.isUndefined()) {
        const QString field = object.field("ca_file"_L1);
        if (const std::optional<QString> path = d.string(field, caFile)) {
            const Parsed<QList<QSslCertificate>> certificates = readCaCertificates(*path);
            if (certificates.ok()) {
                target.caFile = *path;
                target.caCertificates = certificates.value;
            } else {
                d.add(field, caFile, certificates.error);
            }
        }
    }
    object.readBoolean("verify"_L1, target.verify);
    readParsed(object, "server_name"_L1, parseTlsServerName, target.serverName);
}

} // namespace

void readTransport(JsonObjectReader &owner, UpstreamTransport &target)
{
    if (std::optional<JsonObjectReader> tls = owner.object("backend_tls"_L1)) {
        readTls(*tls, target.tls);
        tls->reportUnknown();
    }
    readParsed(owner, "send_proxy"_L1, parseSendProxy, target.sendProxy);
}

} // namespace fulcrum

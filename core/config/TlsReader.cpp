// SPDX-License-Identifier: GPL-3.0-or-later
#include "TlsReader.h"

#include "JsonFieldReader.h"
#include "SettingsReaders.h"
#include "tls/TlsContextSet.h"

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {
QString checkPath(QStringView path)
{
    return path.trimmed().isEmpty() ? u"must name a file"_s : QString();
}
} // namespace

void readTls(JsonObjectReader &root, TlsConfig &target)
{
    std::optional<JsonObjectReader> object = root.object("tls"_L1);
    if (!object)
        return;
    TlsConfig read;
    object->readObjects("certificates"_L1, [&read](JsonObjectReader &entry, qsizetype) {
        requirePresent(entry, "cert"_L1);
        requirePresent(entry, "key"_L1);
        std::optional<QString> certificateFile;
        std::optional<QString> keyFile;
        readOptional(entry, "cert"_L1, checkPath, certificateFile);
        readOptional(entry, "key"_L1, checkPath, keyFile);
        entry.reportUnknown();
        if (certificateFile && keyFile)
            read.certificates.append({*certificateFile, *keyFile});
    });
    object->reportUnknown();
    target = read;
}

void checkTlsSettings(const ProxyConfig &config, QList<ConfigError> &errors)
{
    if (!config.hasTlsListener())
        return;
    if (config.tls.certificates.isEmpty()) {
        for (const ListenAddress &listen : config.listen) {
            if (listen.tls)
                errors.append({u"listen"_s, listen.entryText(),
                               u"a tls listener needs a certificate: tls.certificates, or --tls-cert with "
                               u"--tls-key"_s});
        }
        return;
    }
    TlsContextSet::build(config.tls, &errors);
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestCertificates.h"

#include "ToolRun.h"

#include <QFile>
#include <QHostAddress>
#include <QSslCertificate>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

namespace {
const QStringList kNewEcKey = {u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:P-256"_s,
                               u"-nodes"_s};
} // namespace

TestCertificates::TestCertificates()
{
    if (!m_dir.isValid()) {
        m_error = u"no temporary directory"_s;
        return;
    }
    openssl(QStringList{u"req"_s, u"-x509"_s} + kNewEcKey +
            QStringList{u"-keyout"_s, m_dir.filePath(u"ca.key"_s), u"-out"_s, caFile(), u"-days"_s, u"2"_s,
                        u"-subj"_s, u"/CN=Fulcrum test CA"_s});
}

std::optional<TestCertificates::Issued> TestCertificates::issue(const QString &tag, const QStringList &names)
{
    if (!isValid() || names.isEmpty())
        return std::nullopt;
    const Issued issued{m_dir.filePath(tag + u".pem"_s), m_dir.filePath(tag + u".key"_s)};
    const QString request = m_dir.filePath(tag + u".csr"_s);
    const QString extensions = m_dir.filePath(tag + u".ext"_s);
    QStringList alternativeNames;
    for (const QString &name : names)
        alternativeNames.append((QHostAddress(name).isNull() ? u"DNS:"_s : u"IP:"_s) + name);
    QFile extensionFile(extensions);
    if (!extensionFile.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        m_error = extensionFile.errorString();
        return std::nullopt;
    }
    extensionFile.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=" +
                        alternativeNames.join(u',').toUtf8() + '\n');
    extensionFile.close();
    if (!openssl(QStringList{u"req"_s} + kNewEcKey +
                 QStringList{u"-keyout"_s, issued.keyFile, u"-out"_s, request, u"-subj"_s,
                             u"/CN="_s + names.first()}) ||
        !openssl({u"x509"_s, u"-req"_s, u"-in"_s, request, u"-CA"_s, caFile(), u"-CAkey"_s,
                  m_dir.filePath(u"ca.key"_s), u"-CAcreateserial"_s, u"-out"_s, issued.certificateFile,
                  u"-days"_s, u"2"_s, u"-extfile"_s, extensions}))
        return std::nullopt;
    return issued;
}

QSslConfiguration TestCertificates::clientConfiguration() const
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setCaCertificates(QSslCertificate::fromPath(caFile(), QSsl::Pem));
    configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
    return configuration;
}

bool TestCertificates::openssl(const QStringList &arguments)
{
    const ToolRun run = runTool(u"openssl"_s, arguments);
    if (!run.ok())
        m_error = u"openssl "_s + arguments.first() + u" failed: "_s + run.describe();
    return run.ok();
}

} // namespace fulcrum::test

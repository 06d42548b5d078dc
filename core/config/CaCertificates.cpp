// SPDX-License-Identifier: GPL-3.0-or-later
#include "CaCertificates.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace fulcrum {

Parsed<QList<QSslCertificate>> readCaCertificates(const QString &path)
{
    if (path.isEmpty())
        return reject(u"must name a file"_s);
    if (QFileInfo(path).isDir())
        return reject(u"cannot read: is a directory"_s);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return reject(u"cannot open: "_s + file.errorString());
    const QByteArray contents = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return reject(u"cannot read: "_s + file.errorString());
    QList<QSslCertificate> certificates = QSslCertificate::fromData(contents, QSsl::Pem);
    if (certificates.isEmpty())
        certificates = QSslCertificate::fromData(contents, QSsl::Der);
    // Qt may hand back a null certificate for bytes it could not read.
    if (certificates.isEmpty() ||
        std::any_of(certificates.cbegin(), certificates.cend(),
                    [](const QSslCertificate &certificate) { return certificate.isNull(); }))
        return reject(u"holds no PEM or DER certificate"_s);
    return certificates;
}

} // namespace fulcrum

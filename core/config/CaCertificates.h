// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConfigValues.h"

#include <QList>
#include <QSslCertificate>
#include <QString>

namespace fulcrum {

// The certificates of a PEM file of trusted CAs (or one DER certificate), read once while the
// configuration loads. A file that cannot be read, holds no certificate or holds an invalid one is
// rejected with the reason.
Parsed<QList<QSslCertificate>> readCaCertificates(const QString &path);

} // namespace fulcrum

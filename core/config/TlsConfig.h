// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>

namespace fulcrum {

// One certificate chain and its private key, both PEM files. Which client gets it follows from the names
// the certificate is for (its subject alternative names, else its common name), matched against SNI.
struct TlsCertificateFiles
{
    QString certificateFile; // the leaf first, then its intermediates
    QString keyFile;

    friend bool operator==(const TlsCertificateFiles &, const TlsCertificateFiles &) = default;
};

// "tls", --tls-cert/--tls-key: what the listeners with the tls option present. The first certificate is
// the default one, for clients that send no server name or one no certificate is for.
struct TlsConfig
{
    QList<TlsCertificateFiles> certificates;

    friend bool operator==(const TlsConfig &, const TlsConfig &) = default;
};

} // namespace fulcrum

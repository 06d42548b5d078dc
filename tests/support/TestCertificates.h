// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSslConfiguration>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <optional>

namespace fulcrum::test {

// A certificate authority made for one test with the openssl command, and the certificates it issues:
// EC P-256 keys, valid for two days, in PEM files inside a directory that lives as long as this object.
class TestCertificates
{
public:
    struct Issued
    {
        QString certificateFile;
        QString keyFile;
    };

    TestCertificates();
    // False, with errorString() saying why, when the authority could not be made.
    bool isValid() const { return m_error.isEmpty(); }
    QString errorString() const { return m_error; }
    QString caFile() const { return m_dir.filePath(QStringLiteral("ca.pem")); }

    // A certificate for names (the first is also its common name), with a key of its own; a name that is an
    // IP address goes in as one, so clients connecting by address verify it too. Its files are named after
    // tag (an existing tag's files are replaced). Nothing, with errorString() set, on failure.
    std::optional<Issued> issue(const QString &tag, const QStringList &names);

    // What a client that trusts this authority (and nothing else) connects with.
    QSslConfiguration clientConfiguration() const;

private:
    bool openssl(const QStringList &arguments);

    QTemporaryDir m_dir;
    QString m_error;
};

} // namespace fulcrum::test

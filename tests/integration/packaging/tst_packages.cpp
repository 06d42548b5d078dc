// SPDX-License-Identifier: GPL-3.0-or-later
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    bool finished = false;
    int exitCode = -1;
    QString out;
    QString err;

    QString describe() const
    {
        return u"finished=%1 exit=%2\nstdout:\n%3\nstderr:\n%4"_s.arg(finished).arg(exitCode).arg(out, err);
    }
};

Run run(const QString &program, const QStringList &arguments, int timeoutMs = 30000)
{
    Run result;
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForStarted(10000)) {
        result.err = program + u": "_s + process.errorString();
        return result;
    }
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    result.err += QString::fromLocal8Bit(process.readAllStandardError());
    return result;
}

bool ok(const Run &r)
{
    return r.finished && r.exitCode == 0;
}

// Regular files only: dpkg-deb -c and tar list directories too, with a trailing slash.
QSet<QString> filesOf(const QString &listing, bool tarball)
{
    QSet<QString> files;
    for (const QString &line : listing.split(u'\n', Qt::SkipEmptyParts)) {
        QString path = tarball ? line : line.section(u' ', -1);
        if (path.endsWith(u'/'))
            continue;
        if (path.startsWith(u"./"_s))
            path = path.mid(2);
        else if (tarball)
            path = path.section(u'/', 1); // the archive's top-level directory
        files.insert(path);
    }
    return files;
}

// "libc6 (>= 2.34), libqt6core6 (>= 6.4.0) | foo" -> {libc6, libqt6core6, foo}
QSet<QString> packageNames(const QString &depends)
{
    QSet<QString> names;
    static const QRegularExpression separator(u"[,|]"_s);
    for (const QString &entry : depends.split(separator, Qt::SkipEmptyParts))
        names.insert(entry.trimmed().section(u' ', 0, 0).section(u':', 0, 0));
    return names;
}

QString join(const QSet<QString> &set)
{
    QStringList list(set.cbegin(), set.cend());
    list.sort();
    return list.join(u", "_s);
}

} // namespace

class TestPackages : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void daemonFiles();
    void consoleFiles();
    void controlFields();
    void dependencies();
    void conffiles();
    void extractedDaemonChecksItsConfig();
    void tarballHasTheSameFiles();

private:
    QString field(const QString &package, const QString &name);

    QTemporaryDir m_out;
    QString m_daemonDeb;
    QString m_consoleDeb;
    QString m_tarball;
    QSet<QString> m_daemonFiles;
    QSet<QString> m_consoleFiles;
};

void TestPackages::initTestCase()
{
    QVERIFY(m_out.isValid());
    for (const QString &tool : {u"cpack"_s, u"dpkg-deb"_s, u"dpkg-shlibdeps"_s, u"tar"_s}) {
        const bool found = !QStandardPaths::findExecutable(tool).isEmpty();
        QVERIFY2(found, qPrintable(tool + u" is not installed (dpkg-dev, cmake)"_s));
    }
    // FULCRUMD_PATH is <build>/headless/fulcrumd: the build directory holds CPackConfig.cmake.
    const QDir build = QFileInfo(QStringLiteral(FULCRUMD_PATH)).dir().filePath(u".."_s);
    const QString config = build.absoluteFilePath(u"CPackConfig.cmake"_s);
    QVERIFY2(QFileInfo::exists(config), qPrintable(config + u" is missing"_s));
    // cpack packages what is built and builds nothing: the test only depends on fulcrumd.
    const QString console = build.absoluteFilePath(u"gui/fulcrum-console"_s);
    QVERIFY2(QFileInfo::exists(console), qPrintable(console + u" is missing: build fulcrum-console first"_s));

    const Run cpack =
        run(u"cpack"_s, {u"-G"_s, u"DEB;TGZ"_s, u"--config"_s, config, u"-B"_s, m_out.path()}, 120000);
    QVERIFY2(ok(cpack), qPrintable(cpack.describe()));

    const QDir out(m_out.path());
    const QStringList daemon = out.entryList({u"fulcrumd_*.deb"_s}, QDir::Files);
    const QStringList console2 = out.entryList({u"fulcrum-console_*.deb"_s}, QDir::Files);
    const QStringList tarballs = out.entryList({u"*.tar.gz"_s}, QDir::Files);
    QCOMPARE(daemon.size(), 1);
    QCOMPARE(console2.size(), 1);
    QCOMPARE(tarballs.size(), 1);
    QCOMPARE(out.entryList({u"*.deb"_s}, QDir::Files).size(), 2);
    m_daemonDeb = out.filePath(daemon.first());
    m_consoleDeb = out.filePath(console2.first());
    m_tarball = out.filePath(tarballs.first());
    QCOMPARE(daemon.first(), u"fulcrumd_%1_%2.deb"_s.arg(QStringLiteral(FULCRUM_VERSION),
                                                         field(m_daemonDeb, u"Architecture"_s)));

    const Run daemonList = run(u"dpkg-deb"_s, {u"-c"_s, m_daemonDeb});
    QVERIFY2(ok(daemonList), qPrintable(daemonList.describe()));
    m_daemonFiles = filesOf(daemonList.out, false);
    const Run consoleList = run(u"dpkg-deb"_s, {u"-c"_s, m_consoleDeb});
    QVERIFY2(ok(consoleList), qPrintable(consoleList.describe()));
    m_consoleFiles = filesOf(consoleList.out, false);
}

QString TestPackages::field(const QString &package, const QString &name)
{
    const Run r = run(u"dpkg-deb"_s, {u"-f"_s, package, name});
    return ok(r) ? r.out.trimmed() : u"<dpkg-deb failed: %1>"_s.arg(r.describe());
}

static void checkNoBuildLeftovers(const QSet<QString> &files)
{
    for (const QString &file : files) {
        const QString name = QFileInfo(file).fileName();
        const bool leftover = file.endsWith(u".a"_s) || file.endsWith(u".h"_s) || file.endsWith(u".so"_s) ||
                              name.startsWith(u"tst_"_s) || name.startsWith(u"unit_"_s) ||
                              name.startsWith(u"integration_"_s) || name.startsWith(u"gui_"_s) ||
                              name.contains(u"bench"_s) || name.contains(u"llhttp"_s) ||
                              file.startsWith(u"usr/include"_s) || file.startsWith(u"usr/local"_s);
        QVERIFY2(!leftover, qPrintable(u"not for a package: "_s + file));
    }
}

void TestPackages::daemonFiles()
{
    const QStringList expected = {
        u"usr/bin/fulcrumd"_s,
        u"etc/fulcrum/fulcrum.json"_s,
        u"lib/systemd/system/fulcrumd.service"_s,
        u"usr/share/man/man8/fulcrumd.8.gz"_s,
        u"usr/share/doc/fulcrumd/copyright"_s,
        u"usr/share/doc/fulcrumd/configuration.md"_s,
        u"usr/share/doc/fulcrumd/packaging.md"_s,
    };
    for (const QString &path : expected)
        QVERIFY2(m_daemonFiles.contains(path), qPrintable(path + u" missing from: "_s + join(m_daemonFiles)));
    for (const QString &file : m_daemonFiles) {
        const bool consoleFile = file.contains(u"fulcrum-console"_s) ||
                                 file.startsWith(u"usr/share/applications"_s) ||
                                 file.startsWith(u"usr/share/icons"_s);
        QVERIFY2(!consoleFile, qPrintable(u"console file in fulcrumd: "_s + file));
        if (file.startsWith(u"usr/bin/"_s))
            QCOMPARE(file, u"usr/bin/fulcrumd"_s);
    }
    checkNoBuildLeftovers(m_daemonFiles);
}

void TestPackages::consoleFiles()
{
    const QSet<QString> expected = {
        u"usr/bin/fulcrum-console"_s,
        u"usr/share/applications/fulcrum-console.desktop"_s,
        u"usr/share/icons/hicolor/scalable/apps/fulcrum-console.svg"_s,
        u"usr/share/man/man1/fulcrum-console.1.gz"_s,
        u"usr/share/doc/fulcrum-console/copyright"_s,
        u"usr/share/doc/fulcrum-console/console.md"_s,
    };
    QCOMPARE(join(m_consoleFiles), join(expected));
    checkNoBuildLeftovers(m_consoleFiles);
}

void TestPackages::controlFields()
{
    QCOMPARE(field(m_daemonDeb, u"Package"_s), u"fulcrumd"_s);
    QCOMPARE(field(m_consoleDeb, u"Package"_s), u"fulcrum-console"_s);
    for (const QString &deb : {m_daemonDeb, m_consoleDeb}) {
        QCOMPARE(field(deb, u"Version"_s), QStringLiteral(FULCRUM_VERSION));
        QCOMPARE(field(deb, u"Section"_s), u"net"_s);
        QCOMPARE(field(deb, u"Priority"_s), u"optional"_s);
        QVERIFY(field(deb, u"Maintainer"_s).contains(u'@'));
        QCOMPARE(field(deb, u"Homepage"_s), QString());
        // The synopsis is the package's own, not the project summary in front of it.
        const QString synopsis = field(deb, u"Description"_s).section(u'\n', 0, 0);
        QVERIFY2(synopsis.contains(u"load balancer"_s), qPrintable(synopsis));
    }
    QVERIFY(field(m_daemonDeb, u"Description"_s).startsWith(u"HTTP/1.1 load balancer and reverse proxy\n"_s));
    QVERIFY(field(m_consoleDeb, u"Description"_s)
                .startsWith(u"operator console for the Fulcrum load balancer\n"_s));
}

void TestPackages::dependencies()
{
    const QString daemonDepends = field(m_daemonDeb, u"Depends"_s);
    const QSet<QString> daemon = packageNames(daemonDepends);
    for (const QString &needed : {u"libqt6core6"_s, u"libqt6network6"_s, u"libqt6httpserver6"_s, u"libc6"_s})
        QVERIFY2(daemon.contains(needed), qPrintable(needed + u" not in: "_s + daemonDepends));
    // The daemon runs on servers without a display: nothing of Qt's GUI side may come with it.
    for (const QString &gui : {u"libqt6widgets6"_s, u"libqt6charts6"_s, u"libqt6gui6"_s, u"libqt6opengl6"_s})
        QVERIFY2(!daemon.contains(gui), qPrintable(gui + u" in: "_s + daemonDepends));

    const QString consoleDepends = field(m_consoleDeb, u"Depends"_s);
    const QSet<QString> console = packageNames(consoleDepends);
    for (const QString &needed :
         {u"libqt6charts6"_s, u"libqt6widgets6"_s, u"libqt6network6"_s, u"libqt6core6"_s})
        QVERIFY2(console.contains(needed), qPrintable(needed + u" not in: "_s + consoleDepends));
    QVERIFY2(!console.contains(u"fulcrumd"_s), qPrintable(consoleDepends));
}

void TestPackages::conffiles()
{
    const Run daemon = run(u"dpkg-deb"_s, {u"-I"_s, m_daemonDeb, u"conffiles"_s});
    QVERIFY2(ok(daemon), qPrintable(daemon.describe()));
    QCOMPARE(daemon.out, u"/etc/fulcrum/fulcrum.json\n"_s);
    const Run console = run(u"dpkg-deb"_s, {u"-I"_s, m_consoleDeb, u"conffiles"_s});
    QVERIFY2(console.finished && console.exitCode != 0, qPrintable(console.describe()));
}

void TestPackages::extractedDaemonChecksItsConfig()
{
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const Run extract = run(u"dpkg-deb"_s, {u"-x"_s, m_daemonDeb, root.path()});
    QVERIFY2(ok(extract), qPrintable(extract.describe()));
    const QDir dir(root.path());
    const QString config = dir.filePath(u"etc/fulcrum/fulcrum.json"_s);
    const Run check = run(dir.filePath(u"usr/bin/fulcrumd"_s), {u"--check-config"_s, u"--config"_s, config});
    QVERIFY2(ok(check), qPrintable(check.describe()));

    // The unit must start the binary and read the config the package puts where it says.
    QFile unit(dir.filePath(u"lib/systemd/system/fulcrumd.service"_s));
    QVERIFY(unit.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(unit.readAll());
    QVERIFY(text.contains(u"ExecStart=/usr/bin/fulcrumd --config /etc/fulcrum/fulcrum.json\n"_s));
}

void TestPackages::tarballHasTheSameFiles()
{
    const Run list = run(u"tar"_s, {u"tzf"_s, m_tarball});
    QVERIFY2(ok(list), qPrintable(list.describe()));
    const QSet<QString> files = filesOf(list.out, true);
    QVERIFY(files.contains(u"usr/bin/fulcrumd"_s));
    QVERIFY(files.contains(u"usr/bin/fulcrum-console"_s));
    QCOMPARE(join(files), join(m_daemonFiles + m_consoleFiles));
}

QTEST_GUILESS_MAIN(TestPackages)
#include "tst_packages.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
#include "routing/RequestPath.h"

#include <QTest>

using namespace fulcrum;
using namespace Qt::StringLiterals;

namespace {
// Whether view is owner's own bytes rather than a copy of them.
bool isViewOf(QByteArrayView view, const QByteArray &owner)
{
    return view.data() == owner.constData() && view.size() == owner.size();
}
} // namespace

class TestRequestPath : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void splitsTarget_data();
    void splitsTarget();
    void normalisesPath_data();
    void normalisesPath();
    void normalisedPathIsStable_data();
    void normalisedPathIsStable();
    void refusesPath_data();
    void refusesPath();
    void normalPathIsNotCopied_data();
    void normalPathIsNotCopied();
    void rewrittenPathLivesInStorage();
    void normalisesHost_data();
    void normalisesHost();
    void lowerCaseHostIsNotCopied();
    void matchesHost_data();
    void matchesHost();
    void matchesPathPrefix_data();
    void matchesPathPrefix();
    void findsQueryParameter_data();
    void findsQueryParameter();
    void replacesPathPrefix_data();
    void replacesPathPrefix();
};

void TestRequestPath::splitsTarget_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<bool>("hasQuery");
    const auto row = [](const char *tag, const QByteArray &target, const QByteArray &path,
                        const QByteArray &query,
                        bool hasQuery) { QTest::newRow(tag) << target << path << query << hasQuery; };
    row("path and query", "/a/b?x=1&y=2", "/a/b", "x=1&y=2", true);
    row("no query", "/a/b", "/a/b", QByteArray(), false);
    row("empty query", "/a?", "/a", "", true);
    row("second '?' is the query's", "/a?b?c", "/a", "b?c", true);
    row("query only", "?x", "", "x", true);
    row("asterisk-form", "*", "*", QByteArray(), false);
}

void TestRequestPath::splitsTarget()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    QFETCH(bool, hasQuery);
    const TargetParts parts = splitTarget(target);
    QCOMPARE(parts.path.toByteArray(), path);
    QCOMPARE(parts.query.toByteArray(), query);
    QCOMPARE(parts.hasQuery, hasQuery);
    // "/a?" and "/a" differ for a redirect that rebuilds the target: only the latter has a null query.
    QCOMPARE(parts.query.isNull(), !hasQuery);
}

void TestRequestPath::normalisesPath_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("expected");
    const auto row = [](const char *tag, const QByteArray &path, const QByteArray &expected) {
        QTest::newRow(tag) << path << expected;
    };
    row("root", "/", "/");
    row("already normal", "/api/x", "/api/x");
    row("case kept", "/API/X", "/API/X");
    row("encoded letter", "/%61pi/x", "/api/x");
    row("encoded upper-case letter", "/A%41", "/AA");
    row("encoded unreserved marks", "/a%2D%2E%5F%7E%30", "/a-._~0");
    row("encoded tilde, lower-case hex", "/a%7eb", "/a~b");
    row("encoded tilde", "/a%7Eb", "/a~b");
    row("parent segment", "/static/../api/x", "/api/x");
    row("encoded parent segment", "/static/%2e%2e/api", "/api");
    row("encoded parent segment, mixed case", "/static/%2E%2e/api", "/api");
    row("half-encoded parent segment", "/static/.%2e/api", "/api");
    row("encoded current segment", "/%2e/api", "/api");
    row("slash runs", "//api//x", "/api/x");
    row("slash run at the end", "/api//", "/api/");
    row("current segment first", "/./api", "/api");
    row("current and parent segments", "/api/./x/../y", "/api/y");
    row("parents above the root", "/../../api", "/api");
    row("more parents than segments", "/a/b/../../../c", "/c");
    row("parent of the root", "/..", "/");
    row("final parent segment", "/api/..", "/");
    row("final parent segment keeps the directory", "/a/b/..", "/a/");
    row("final current segment", "/api/.", "/api/");
    row("trailing slash kept", "/api/", "/api/");
    row("dots that are no dot segment", "/.../.hidden/a..b/..c", "/.../.hidden/a..b/..c");
    row("encoded slash", "/api%2Fx", "/api%2Fx");
    row("encoded slash, lower-case hex", "/api%2fx", "/api%2Fx");
    row("encoded slash is no boundary for '..'", "/a/%2e%2e%2f..", "/a/..%2F..");
    row("encoded percent is not decoded twice", "/%252e%252e/x", "/%252e%252e/x");
    row("UTF-8 escapes upper-cased", "/caf%c3%a9", "/caf%C3%A9");
    row("raw UTF-8 kept", "/caf\xc3\xa9", "/caf\xc3\xa9");
    row("asterisk-form", "*", "*");
    row("not origin-form: left as is", "a/../b", "a/../b");
    row("empty", "", "");
}

void TestRequestPath::normalisesPath()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, expected);
    QByteArray error = "untouched";
    const std::optional<QByteArray> normalised = normaliseRoutingPath(path, &error);
    QVERIFY2(normalised, error.constData());
    QCOMPARE(*normalised, expected);
    QCOMPARE(error, "untouched"_ba);

    QByteArray storage;
    const std::optional<QByteArrayView> view = normaliseRoutingPathView(path, &storage);
    QVERIFY(view);
    QCOMPARE(view->toByteArray(), expected);
}

void TestRequestPath::normalisedPathIsStable_data()
{
    normalisesPath_data();
}

// What the rewrite produces, the fast scan must take as normal; otherwise a normal path would be copied, or
// worse, a path the scan wrongly passed would be matched on unnormalised.
void TestRequestPath::normalisedPathIsStable()
{
    QFETCH(QByteArray, expected);
    QByteArray storage;
    const std::optional<QByteArrayView> again = normaliseRoutingPathView(expected, &storage);
    QVERIFY(again);
    QVERIFY(isViewOf(*again, expected));
    QVERIFY(storage.isNull());
}

void TestRequestPath::refusesPath_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("reason");
    const auto row = [](const char *tag, const QByteArray &path, const QByteArray &reason) {
        QTest::newRow(tag) << path << reason;
    };
    const QByteArray malformed = "malformed percent-escape";
    const QByteArray control = "control character";
    row("not hex", "/%zz", malformed);
    row("one hex digit, then the end", "/a%4", malformed);
    row("one hex digit, then more", "/a%4/b", malformed);
    row("'%' at the end", "/a%", malformed);
    row("second digit not hex", "/a%2g", malformed);
    row("sign before the digits", "/a%+2F", malformed);
    row("not origin-form, not hex", "%zz", malformed);
    row("not origin-form, one digit", "%4", malformed);
    row("encoded NUL", "/a%00", control);
    row("not origin-form, encoded NUL", "%00", control);
    row("encoded LF", "/a%0a/b", control);
    row("encoded unit separator", "/a%1F", control);
    row("encoded DEL", "/a%7f", control);
    row("raw tab", "/a\tb", control);
    row("raw DEL", "/a\x7f", control);
    row("raw NUL", QByteArray("/a\0b", 4), control);
    row("control after a rewrite is due", "//a/../%00", control);
}

void TestRequestPath::refusesPath()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, reason);
    QByteArray error;
    QVERIFY(!normaliseRoutingPath(path, &error));
    QVERIFY2(error.contains(reason), error.constData());

    QByteArray storage;
    QVERIFY(!normaliseRoutingPathView(path, &storage));
    // No error sink is fine: the caller may only want the verdict.
    QVERIFY(!normaliseRoutingPath(path));
}

void TestRequestPath::normalPathIsNotCopied_data()
{
    QTest::addColumn<QByteArray>("path");
    const auto row = [](const char *tag, const QByteArray &path) { QTest::newRow(tag) << path; };
    row("root", "/");
    row("segments", "/api/v1/users");
    row("trailing slash", "/api/");
    row("canonical escapes", "/api%2Fx/caf%C3%A9%25");
    row("dots inside segments", "/a.b/.c/d../...");
    row("asterisk-form", "*");
}

void TestRequestPath::normalPathIsNotCopied()
{
    QFETCH(QByteArray, path);
    QByteArray storage;
    const std::optional<QByteArrayView> view = normaliseRoutingPathView(path, &storage);
    QVERIFY(view);
    QVERIFY(isViewOf(*view, path));
    QVERIFY(storage.isNull());
}

void TestRequestPath::rewrittenPathLivesInStorage()
{
    const QByteArray path = "/a/../b%2f";
    QByteArray storage;
    const std::optional<QByteArrayView> view = normaliseRoutingPathView(path, &storage);
    QVERIFY(view);
    QCOMPARE(storage, "/b%2F"_ba);
    QVERIFY(isViewOf(*view, storage));
}

void TestRequestPath::normalisesHost_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("expected");
    const auto row = [](const char *tag, const QByteArray &header, const QByteArray &expected) {
        QTest::newRow(tag) << header << expected;
    };
    row("upper case and port", "API.Example.COM:8080", "api.example.com");
    row("already normal", "example.com", "example.com");
    row("trailing dot", "example.com.", "example.com");
    row("trailing dot and port", "Example.com.:80", "example.com");
    row("only one trailing dot", "example.com..", "example.com.");
    row("IPv4 and port", "192.0.2.1:80", "192.0.2.1");
    row("IPv6 and port", "[::1]:8080", "[::1]");
    row("IPv6", "[::1]", "[::1]");
    row("IPv6, upper case", "[FE80::A]:443", "[fe80::a]");
    row("empty port", "example.com:", "example.com");
    row("empty", "", "");
}

void TestRequestPath::normalisesHost()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, expected);
    QCOMPARE(normaliseHost(header), expected);
    QByteArray storage;
    QCOMPARE(normaliseHostView(header, &storage).toByteArray(), expected);
}

void TestRequestPath::lowerCaseHostIsNotCopied()
{
    const QByteArray header = "example.com:8080";
    QByteArray storage;
    const QByteArrayView host = normaliseHostView(header, &storage);
    QCOMPARE(host.toByteArray(), "example.com"_ba);
    QVERIFY(host.data() == header.constData());
    QVERIFY(storage.isNull());

    const QByteArray upper = "Example.com";
    const QByteArrayView lowered = normaliseHostView(upper, &storage);
    QCOMPARE(storage, "example.com"_ba);
    QVERIFY(isViewOf(lowered, storage));
}

void TestRequestPath::matchesHost_data()
{
    QTest::addColumn<QByteArray>("pattern");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("matches");
    const auto row = [](const char *tag, const QByteArray &pattern, const QByteArray &host, bool matches) {
        QTest::newRow(tag) << pattern << host << matches;
    };
    row("exact", "example.com", "example.com", true);
    row("exact, other host", "example.com", "example.org", false);
    row("exact is not a suffix", "example.com", "a.example.com", false);
    row("exact is not a prefix", "example.com", "example.com.evil", false);
    row("exact, empty host", "example.com", "", false);
    row("wildcard, one label", "*.example.com", "a.example.com", true);
    row("wildcard, two labels", "*.example.com", "a.b.example.com", true);
    row("wildcard, the domain itself", "*.example.com", "example.com", false);
    row("wildcard, glued name", "*.example.com", "badexample.com", false);
    row("wildcard, empty label", "*.example.com", ".example.com", false);
    row("wildcard, suffix further on", "*.example.com", "a.example.com.evil", false);
    row("wildcard, empty host", "*.example.com", "", false);
}

void TestRequestPath::matchesHost()
{
    QFETCH(QByteArray, pattern);
    QFETCH(QByteArray, host);
    QFETCH(bool, matches);
    QCOMPARE(hostMatches(pattern, host), matches);
}

void TestRequestPath::matchesPathPrefix_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<bool>("matches");
    const auto row = [](const char *tag, const QByteArray &path, const QByteArray &prefix, bool matches) {
        QTest::newRow(tag) << path << prefix << matches;
    };
    row("exact", "/api", "/api", true);
    row("with trailing slash", "/api/", "/api", true);
    row("below", "/api/x", "/api", true);
    row("glued segment", "/apix", "/api", false);
    row("shorter path", "/ap", "/api", false);
    row("elsewhere in the path", "/v1/api", "/api", false);
    row("encoded slash is no boundary", "/api%2Fx", "/api", false);
    row("case matters", "/API/x", "/api", false);
    row("root prefix, root", "/", "/", true);
    row("root prefix, any path", "/x/y", "/", true);
    row("slashed prefix, directory", "/api/", "/api/", true);
    row("slashed prefix, below", "/api/x", "/api/", true);
    row("slashed prefix, no slash", "/api", "/api/", false);
    row("deeper prefix", "/api/v1/x", "/api/v1", true);
    row("deeper prefix, glued", "/api/v10", "/api/v1", false);
}

void TestRequestPath::matchesPathPrefix()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, prefix);
    QFETCH(bool, matches);
    QCOMPARE(pathHasPrefix(path, prefix), matches);
}

void TestRequestPath::findsQueryParameter_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("found");
    const auto row = [](const char *tag, const QByteArray &query, const QByteArray &name,
                        const QByteArray &value,
                        bool found) { QTest::newRow(tag) << query << name << value << found; };
    row("first", "a=1&b=2", "a", "1", true);
    row("second", "a=1&b=2", "b", "2", true);
    row("other parameter's value", "a=1&b=2", "b", "1", false);
    row("absent", "a=1&b=2", "c", "", false);
    row("encoded value", "b=%32", "b", "2", true);
    row("encoded name", "%62=2", "b", "2", true);
    row("encoded value, not its spelling", "b=%32", "b", "%32", false);
    row("plus is a space", "x=a+b", "x", "a b", true);
    row("plus is not a plus", "x=a+b", "x", "a+b", false);
    row("encoded plus", "x=a%2Bb", "x", "a+b", true);
    row("encoded space", "x=a%20b", "x", "a b", true);
    row("repeated, first matches", "b=1&b=2", "b", "1", true);
    row("repeated, second matches", "b=1&b=2", "b", "2", true);
    row("repeated, none matches", "b=1&b=2", "b", "3", false);
    row("no '=' is the empty value", "a", "a", "", true);
    row("no '=', among others", "x=1&a&y=2", "a", "", true);
    row("no '=' has no other value", "a", "a", "a", false);
    row("empty value", "a=", "a", "", true);
    row("name is not a prefix", "ab=1", "a", "1", false);
    row("value is not a prefix", "a=12", "a", "1", false);
    row("value is whole", "a=1", "a", "12", false);
    row("value holds '='", "x=1=2", "x", "1=2", true);
    row("empty pairs skipped", "&a=1&&b=2&", "b", "2", true);
    row("empty pair is no parameter", "a=1&&b=2", "", "", false);
    row("malformed escape stands for itself", "x=%zz", "x", "%zz", true);
    row("lone '%' stands for itself", "x=%", "x", "%", true);
    row("empty query", "", "a", "", false);
}

void TestRequestPath::findsQueryParameter()
{
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    QFETCH(bool, found);
    QCOMPARE(queryHasParameter(query, name, value), found);
}

void TestRequestPath::replacesPathPrefix_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("replacement");
    QTest::addColumn<QByteArray>("expected");
    const auto row = [](const char *tag, const QByteArray &path, const QByteArray &prefix,
                        const QByteArray &replacement, const QByteArray &expected) {
        QTest::newRow(tag) << path << prefix << replacement << expected;
    };
    row("strip, below", "/api/x", "/api", "", "/x");
    row("strip, exact", "/api", "/api", "", "/");
    row("strip, directory", "/api/", "/api", "", "/");
    row("strip slashed prefix", "/api/x", "/api/", "", "/x");
    row("strip slashed prefix, directory", "/api/", "/api/", "", "/");
    row("strip root", "/x", "/", "", "/x");
    row("replace", "/v1/users", "/v1", "/v2", "/v2/users");
    row("replace, exact", "/v1", "/v1", "/v2", "/v2");
    row("replace, deeper", "/api/v1/x", "/api/v1", "/internal", "/internal/x");
    row("replace with root", "/api/x", "/api", "/", "/x");
    row("replace with slashed", "/api/x", "/api", "/backend/", "/backend/x");
    row("replace slashed with slashed", "/api/x", "/api/", "/v2/", "/v2/x");
    row("replace root", "/x", "/", "/backend", "/backend/x");
    row("replacement without slash", "/api/x", "/api", "v2", "/v2/x");
    row("replacement with slash run", "/api/x", "/api", "//evil", "/evil/x");
    row("escapes kept", "/api/a%2Fb", "/api", "", "/a%2Fb");
    row("not a prefix: unchanged", "/apix", "/api", "/v2", "/apix");
}

void TestRequestPath::replacesPathPrefix()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, replacement);
    QFETCH(QByteArray, expected);
    QCOMPARE(replacePathPrefix(path, prefix, replacement), expected);
}

QTEST_APPLESS_MAIN(TestRequestPath)
#include "tst_requestpath.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// "Save running table to config…": the file rewrite, the line diff, the dialog and the whole flow.
#include "ConfigDiffDialog.h"
#include "RunningConfigWriter.h"
#include "SaveRunningConfig.h"
#include "TextDiff.h"
#include "config/ConfigLoader.h"

#include <QApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace fulcrum;
using namespace fulcrum::console;

namespace {

BackendMetrics running(const QString &name, const QString &pool, const QString &url, int weight)
{
    BackendMetrics backend;
    backend.name = name;
    backend.pool = pool;
    backend.url = url;
    backend.weight = weight;
    return backend;
}

QJsonObject parsed(const QByteArray &text)
{
    return QJsonDocument::fromJson(text).object();
}

QJsonObject object(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

// Every error of the loader on one line each, so a failing check shows them all.
QString loadErrors(const QByteArray &text)
{
    QStringList lines;
    for (const ConfigError &error : ConfigLoader::loadJson(text).errors)
        lines.append(error.toString());
    return lines.join(u'\n');
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<unreadable>");
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// moc 6.4 loses its way in raw strings that hold "//" (spanning lines, or in a macro's arguments) and then
// finds no test class: URLs in JSON raw strings are written http:\/\/ (JSON's escaped slash), and text
// that must hold "//" as is is built from one-line strings.
QString joinLines(const QStringList &lines)
{
    return lines.join(u'\n') + u'\n';
}

const QByteArray kTopLevelFile = R"({
  "version": 1,
  "listen": ["127.0.0.1:0"],
  "strategy": "least-connections",
  "health_check": {"enabled": true, "path": "/healthz"},
  "backends": [
    {"name": "a", "url": "http:\/\/127.0.0.1:9001", "weight": 2, "slow_start_ms": 500},
    {"name": "b", "url": "http:\/\/127.0.0.1:9002/"},
    {"name": "c", "url": "http:\/\/127.0.0.1:9003", "weight": 7}
  ]
})";

const QByteArray kPoolsFile = R"({
  "version": 1,
  "pools": [
    {"name": "api", "strategy": "random",
     "backends": [{"name": "a1", "url": "http:\/\/127.0.0.1:9101", "weight": 4}]},
    {"name": "web", "backends": [
      {"name": "w1", "url": "http:\/\/127.0.0.1:9201"},
      {"name": "w2", "url": "http:\/\/127.0.0.1:9202", "circuit_breaker": {"max_requests": 9}}
    ]}
  ],
  "routes": [
    {"match": {"host": "api.example.com"}, "pool": "api"},
    {"pool": "web"}
  ]
})";

// The QJsonDocument layout of two backends at weight 1, which a weight change alters on one line.
const QStringList kCanonicalTwoBackendLines{
    uR"({)"_s,
    uR"(    "backends": [)"_s,
    uR"(        {)"_s,
    uR"(            "name": "a",)"_s,
    uR"(            "url": "http://127.0.0.1:9001",)"_s,
    uR"(            "weight": 1)"_s,
    uR"(        },)"_s,
    uR"(        {)"_s,
    uR"(            "name": "b",)"_s,
    uR"(            "url": "http://127.0.0.1:9002",)"_s,
    uR"(            "weight": 1)"_s,
    uR"(        })"_s,
    uR"(    ],)"_s,
    uR"(    "version": 1)"_s,
    uR"(})"_s,
};
const QByteArray kCanonicalTwoBackends = joinLines(kCanonicalTwoBackendLines).toUtf8();

} // namespace

class RunningConfigTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runningUrlAndWeightReplaceTheFilesKeepingTheRest()
    {
        const RunningConfigText result =
            writeRunningConfig(kTopLevelFile, {running(u"a"_s, u"default"_s, u"http://127.0.0.1:9011"_s, 5),
                                               running(u"b"_s, u"default"_s, u"http://127.0.0.1:9002"_s, 1),
                                               running(u"c"_s, u"default"_s, u"http://127.0.0.1:9003"_s, 0)});
        QVERIFY2(result.ok(), qPrintable(result.error));
        const QJsonObject root = parsed(result.text);
        QCOMPARE(root.value("strategy"_L1).toString(), u"least-connections"_s);
        QCOMPARE(root.value("listen"_L1).toArray(), QJsonArray{u"127.0.0.1:0"_s});
        QCOMPARE(root.value("health_check"_L1).toObject(),
                 object(R"({"enabled": true, "path": "/healthz"})"));
        const QJsonArray backends = root.value("backends"_L1).toArray();
        QCOMPARE(backends.size(), 3);
        QCOMPARE(
            backends.at(0).toObject(),
            object(R"({"name": "a", "url": "http:\/\/127.0.0.1:9011", "weight": 5, "slow_start_ms": 500})"));
        // The same endpoint spelled otherwise, and the default weight left unsaid: nothing to change.
        QCOMPARE(backends.at(1).toObject(), object(R"({"name": "b", "url": "http:\/\/127.0.0.1:9002/"})"));
        QCOMPARE(backends.at(2).toObject(),
                 object(R"({"name": "c", "url": "http:\/\/127.0.0.1:9003", "weight": 0})"));
        QCOMPARE(root.keys(),
                 (QStringList{u"backends"_s, u"health_check"_s, u"listen"_s, u"strategy"_s, u"version"_s}));
        QVERIFY(result.text.startsWith("{\n    \"backends\": [\n"));

        const ConfigLoadResult loaded = ConfigLoader::loadJson(result.text);
        QVERIFY2(loaded.ok(), qPrintable(loadErrors(result.text)));
        QCOMPARE(loaded.config.backends.size(), 3);
        QCOMPARE(loaded.config.backends.at(0).port, quint16(9011));
        QCOMPARE(loaded.config.backends.at(0).weight, 5);
        QCOMPARE(loaded.config.backends.at(0).slowStartMs, 500);
        QCOMPARE(loaded.config.backends.at(2).weight, 0);
        QCOMPARE(loaded.config.balancing.strategy, StrategyKind::LeastConnections);
        QCOMPARE(loaded.config.backends.at(1).healthCheck.path, u"/healthz"_s);
    }

    void backendsAreAddedAndRemovedAndUnnamedOnesKeepTheirNames()
    {
        const QByteArray file = R"({"version": 1, "backends": [
            {"url": "http:\/\/127.0.0.1:9001"},
            {"name": "b", "url": "http:\/\/127.0.0.1:9002"},
            {"url": "http:\/\/127.0.0.1:9003", "weight": 3}
        ]})";
        // backend-3 moves up to the first position, where its default name would become backend-1.
        const RunningConfigText result =
            writeRunningConfig(file, {running(u"backend-3"_s, u"default"_s, u"http://127.0.0.1:9003"_s, 3),
                                      running(u"d"_s, u"default"_s, u"http://10.0.0.4:80"_s, 4)});
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(parsed(result.text).value("backends"_L1).toArray(), QJsonDocument::fromJson(R"([
                     {"name": "backend-3", "url": "http:\/\/127.0.0.1:9003", "weight": 3},
                     {"name": "d", "url": "http:\/\/10.0.0.4:80", "weight": 4}])")
                                                                         .array());

        const ConfigLoadResult loaded = ConfigLoader::loadJson(result.text);
        QVERIFY2(loaded.ok(), qPrintable(loadErrors(result.text)));
        QCOMPARE(loaded.config.backends.size(), 2);
        QCOMPARE(loaded.config.backends.at(0).name, u"backend-3"_s);
        QCOMPARE(loaded.config.backends.at(1).name, u"d"_s);
        QCOMPARE(loaded.config.backends.at(1).host, u"10.0.0.4"_s);
        QCOMPARE(loaded.config.backends.at(1).weight, 4);
    }

    void poolsGetTheirOwnBackends()
    {
        // w1 is gone, w2 moved from web to api, a2 and w3 are new.
        const RunningConfigText result =
            writeRunningConfig(kPoolsFile, {running(u"a1"_s, u"api"_s, u"http://127.0.0.1:9101"_s, 6),
                                            running(u"a2"_s, u"api"_s, u"http://127.0.0.1:9102"_s, 1),
                                            running(u"w2"_s, u"api"_s, u"http://127.0.0.1:9202"_s, 1),
                                            running(u"w3"_s, u"web"_s, u"http://127.0.0.1:9203"_s, 2)});
        QVERIFY2(result.ok(), qPrintable(result.error));
        const QJsonObject root = parsed(result.text);
        QVERIFY(!root.contains("backends"_L1));
        QCOMPARE(root.value("routes"_L1), parsed(kPoolsFile).value("routes"_L1));
        const QJsonArray pools = root.value("pools"_L1).toArray();
        QCOMPARE(pools.size(), 2);
        QCOMPARE(pools.at(0).toObject(), object(R"({"name": "api", "strategy": "random", "backends": [
            {"name": "a1", "url": "http:\/\/127.0.0.1:9101", "weight": 6},
            {"name": "a2", "url": "http:\/\/127.0.0.1:9102", "weight": 1},
            {"name": "w2", "url": "http:\/\/127.0.0.1:9202", "circuit_breaker": {"max_requests": 9}}]})"));
        QCOMPARE(pools.at(1).toObject(), object(R"({"name": "web", "backends": [
            {"name": "w3", "url": "http:\/\/127.0.0.1:9203", "weight": 2}]})"));

        const ConfigLoadResult loaded = ConfigLoader::loadJson(result.text);
        QVERIFY2(loaded.ok(), qPrintable(loadErrors(result.text)));
        QCOMPARE(loaded.config.pools.size(), 2);
        QCOMPARE(loaded.config.pools.at(0).backends.size(), 3);
        QCOMPARE(loaded.config.pools.at(0).backends.at(2).name, u"w2"_s);
        QCOMPARE(loaded.config.pools.at(0).backends.at(2).circuitBreaker.maxRequests, 9);
        QCOMPARE(loaded.config.pools.at(1).backends.size(), 1);
        QCOMPARE(loaded.config.pools.at(1).backends.at(0).weight, 2);
        QCOMPARE(loaded.config.routes.size(), 2);
    }

    void aPoolTheFileLacksIsAnError()
    {
        const QList<BackendMetrics> table{running(u"a1"_s, u"api"_s, u"http://127.0.0.1:9101"_s, 4),
                                          running(u"x"_s, u"nope"_s, u"http://127.0.0.1:9300"_s, 1)};
        const RunningConfigText inPools = writeRunningConfig(kPoolsFile, table);
        QCOMPARE(inPools.error,
                 u"backend \"x\" is in the pool \"nope\", which the file does not have (the file's "
                 u"pools are \"api\", \"web\")"_s);
        QVERIFY(inPools.text.isEmpty());

        const RunningConfigText topLevel = writeRunningConfig(kTopLevelFile, table);
        QCOMPARE(topLevel.error,
                 u"backend \"a1\" is in the pool \"api\", which the file does not have (the file "
                 u"has no \"pools\": its backends are the pool \"default\")"_s);
    }

    void badJsonNamesTheErrorAndWhere()
    {
        const QByteArray text = "{\n  \"version\": 1,\n  \"backends\": [}\n";
        const RunningConfigText result = writeRunningConfig(text, {});
        QCOMPARE(result.error,
                 u"JSON syntax error at byte 34 (line 3, column 17): object is missing after a comma"_s);
        // The console and fulcrumd describe the same mistake in the same words.
        QCOMPARE(ConfigLoader::loadJson(text).errors.value(0).reason, result.error);
        QCOMPARE(writeRunningConfig("[1, 2]", {}).error, u"the top level must be a JSON object"_s);
    }

    void emptyOriginalGivesTheSmallestLoadableFile()
    {
        const RunningConfigText result =
            writeRunningConfig(QByteArray(), {running(u"a"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 1),
                                              running(u"b"_s, u"default"_s, u"http://127.0.0.1:9002"_s, 1)});
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(result.text, kCanonicalTwoBackends);
        QVERIFY2(ConfigLoader::loadJson(result.text).ok(), qPrintable(loadErrors(result.text)));

        const RunningConfigText onePool =
            writeRunningConfig("\n", {running(u"a1"_s, u"api"_s, u"http://127.0.0.1:9101"_s, 2)});
        QVERIFY2(onePool.ok(), qPrintable(onePool.error));
        QCOMPARE(parsed(onePool.text), object(R"({"version": 1, "pools": [{"name": "api", "backends": [
            {"name": "a1", "url": "http:\/\/127.0.0.1:9101", "weight": 2}]}]})"));
        const ConfigLoadResult loaded = ConfigLoader::loadJson(onePool.text);
        QVERIFY2(loaded.ok(), qPrintable(loadErrors(onePool.text)));
        QCOMPARE(loaded.config.pools.at(0).backends.at(0).name, u"a1"_s);

        const RunningConfigText twoPools =
            writeRunningConfig(QByteArray(), {running(u"a1"_s, u"api"_s, u"http://127.0.0.1:9101"_s, 2),
                                              running(u"w1"_s, u"web"_s, u"http://127.0.0.1:9201"_s, 2)});
        QCOMPARE(twoPools.error, u"the running backends are in several pools (\"api\", \"web\"), which need "
                                 u"routes: save into the configuration file they came from instead"_s);
    }

    void aMatchingTableLeavesTheFileAsItIs()
    {
        // Laid out unlike QJsonDocument would: a rewrite would show as a diff of every line.
        const QList<BackendMetrics> table{running(u"a"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 2),
                                          running(u"b"_s, u"default"_s, u"http://127.0.0.1:9002"_s, 1),
                                          running(u"c"_s, u"default"_s, u"http://127.0.0.1:9003"_s, 7)};
        const RunningConfigText result = writeRunningConfig(kTopLevelFile, table);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(result.text, kTopLevelFile);
        const UnifiedDiff diff =
            unifiedDiff(QString::fromUtf8(kTopLevelFile), QString::fromUtf8(result.text), u"old"_s, u"new"_s);
        QVERIFY(diff.identical());
        QCOMPARE(diff.text, QString());

        ConfigDiffDialog dialog(u"/etc/fulcrum.json"_s, diff);
        QVERIFY(!dialog.saveButton()->isEnabled());
        QCOMPARE(dialog.summary(), u"No changes: the file already matches the running table."_s);
        QCOMPARE(dialog.diffText(), QString());
    }

    void diffShowsTheChangedLineWithContext()
    {
        const RunningConfigText result = writeRunningConfig(
            kCanonicalTwoBackends, {running(u"a"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 1),
                                    running(u"b"_s, u"default"_s, u"http://127.0.0.1:9002"_s, 3)});
        QVERIFY2(result.ok(), qPrintable(result.error));
        const UnifiedDiff diff = unifiedDiff(QString::fromUtf8(kCanonicalTwoBackends),
                                             QString::fromUtf8(result.text), u"old"_s, u"new"_s);
        const QString expected = joinLines({
            uR"(--- old)"_s,
            uR"(+++ new)"_s,
            uR"(@@ -8,7 +8,7 @@)"_s,
            uR"(         {)"_s,
            uR"(             "name": "b",)"_s,
            uR"(             "url": "http://127.0.0.1:9002",)"_s,
            uR"(-            "weight": 1)"_s,
            uR"(+            "weight": 3)"_s,
            uR"(         })"_s,
            uR"(     ],)"_s,
            uR"(     "version": 1)"_s,
        });
        QCOMPARE(diff.text, expected);

        ConfigDiffDialog dialog(u"/etc/fulcrum.json"_s, diff);
        QVERIFY(dialog.saveButton()->isEnabled());
        QCOMPARE(dialog.diffText(), expected);
        // Blocks 6 and 7 are the removed and the added line; their tint is what tells them apart.
        const QTextDocument *document = dialog.diffView()->document();
        const auto tintOf = [document](int line) {
            const QList<QTextLayout::FormatRange> formats =
                document->findBlockByNumber(line).layout()->formats();
            return formats.isEmpty() ? QColor() : formats.constFirst().format.background().color();
        };
        QCOMPARE(tintOf(6).red(), 248);
        QCOMPARE(tintOf(7).green(), 160);
        QVERIFY(tintOf(7).alpha() < 255);
        QVERIFY(!tintOf(3).isValid());
    }

    void diffHunksMergeOnlyWhenTheirContextMeets()
    {
        QStringList lines;
        for (int line = 1; line <= 20; ++line)
            lines.append(QString::number(line));
        const QString before = lines.join(u'\n') + u'\n';

        QStringList apart = lines;
        apart[1] = u"two"_s;
        apart[14] = u"fifteen"_s;
        QCOMPARE(unifiedDiff(before, apart.join(u'\n') + u'\n', u"a"_s, u"b"_s).text,
                 u"--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
                 u"@@ -12,7 +12,7 @@\n 12\n 13\n 14\n-15\n+fifteen\n 16\n 17\n 18\n"_s);

        QStringList close = lines;
        close[1] = u"two"_s;
        close.removeAt(7); // line 8: five kept lines lie between the changes
        QCOMPARE(unifiedDiff(before, close.join(u'\n') + u'\n', u"a"_s, u"b"_s).text,
                 u"--- a\n+++ b\n@@ -1,11 +1,10 @@\n 1\n-2\n+two\n 3\n 4\n 5\n 6\n 7\n-8\n 9\n 10\n 11\n"_s);

        QCOMPARE(unifiedDiff(QString(), u"x\ny\n"_s, u"a"_s, u"b"_s).text,
                 u"--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n"_s);
        QCOMPARE(unifiedDiff(u"x\ny"_s, u"x\ny\n"_s, u"a"_s, u"b"_s).text,
                 u"--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n"_s);
    }

    void flowWritesTheApprovedFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"fulcrum.json"_s);
        QVERIFY(writeAll(path, kCanonicalTwoBackends));
        MetricsSnapshot snapshot;
        snapshot.backends = {running(u"a"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 1),
                             running(u"b"_s, u"default"_s, u"http://127.0.0.1:9002"_s, 3)};

        QString shownDiff;
        const SaveRunningConfigOutcome cancelled =
            saveRunningConfig(nullptr, path, snapshot, [&](ConfigDiffDialog &dialog) {
                shownDiff = dialog.diffText();
                return false;
            });
        QVERIFY(!cancelled.saved);
        QCOMPARE(cancelled.error, QString());
        QCOMPARE(readAll(path), kCanonicalTwoBackends);
        QVERIFY(shownDiff.startsWith(u"--- "_s + path + u"\n+++ "_s + path +
                                     u" (running table)\n@@ -8,7 +8,7 @@\n"));

        // The real modal dialog, clicked through as an operator would.
        QTimer::singleShot(0, this, [] {
            auto *dialog = qobject_cast<ConfigDiffDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            QTest::mouseClick(dialog->saveButton(), Qt::LeftButton);
        });
        const SaveRunningConfigOutcome saved = saveRunningConfig(nullptr, path, snapshot);
        QCOMPARE(saved.error, QString());
        QVERIFY(saved.saved);
        QByteArray expected = kCanonicalTwoBackends;
        expected.replace("\"weight\": 1\n        }\n    ]", "\"weight\": 3\n        }\n    ]");
        QCOMPARE(readAll(path), expected);
        const ConfigLoadResult loaded = ConfigLoader::loadFile(path);
        QVERIFY(loaded.ok());
        QCOMPARE(loaded.config.backends.at(1).weight, 3);
    }

    void flowStartsAMissingFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"new.json"_s);
        MetricsSnapshot snapshot;
        snapshot.backends = {running(u"a"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 1),
                             running(u"b"_s, u"default"_s, u"http://127.0.0.1:9002"_s, 1)};
        const SaveRunningConfigOutcome outcome =
            saveRunningConfig(nullptr, path, snapshot, [](ConfigDiffDialog &dialog) {
                return dialog.saveButton()->isEnabled() && dialog.diffText().contains(u"@@ -0,0 +1,15 @@"_s);
            });
        QCOMPARE(outcome.error, QString());
        QVERIFY(outcome.saved);
        QCOMPARE(readAll(path), kCanonicalTwoBackends);
        QVERIFY(ConfigLoader::loadFile(path).ok());
    }

    void flowErrorsWriteNothing()
    {
        QTemporaryDir dir;
        MetricsSnapshot snapshot;
        snapshot.backends = {running(u"a"_s, u"default"_s, u"http://127.0.0.1:9001"_s, 1)};
        bool asked = false;
        const ConfirmSave approve = [&asked](ConfigDiffDialog &) { return asked = true; };

        const QString badJson = dir.filePath(u"bad.json"_s);
        const QByteArray badText = "{\"version\": 1,\n \"backends\": [\n";
        QVERIFY(writeAll(badJson, badText));
        const SaveRunningConfigOutcome bad = saveRunningConfig(nullptr, badJson, snapshot, approve);
        QVERIFY(!bad.saved);
        QCOMPARE(bad.error,
                 badJson + u": JSON syntax error at byte 30 (line 3, column 1): unterminated array"_s);
        QCOMPARE(readAll(badJson), badText);

        const QString pools = dir.filePath(u"pools.json"_s);
        QVERIFY(writeAll(pools, kPoolsFile));
        const SaveRunningConfigOutcome unknownPool = saveRunningConfig(nullptr, pools, snapshot, approve);
        QCOMPARE(unknownPool.error,
                 pools + u": backend \"a\" is in the pool \"default\", which the file does not "
                         u"have (the file's pools are \"api\", \"web\")"_s);
        QCOMPARE(readAll(pools), kPoolsFile);

        const SaveRunningConfigOutcome directory = saveRunningConfig(nullptr, dir.path(), snapshot, approve);
        QVERIFY2(directory.error.startsWith(dir.path() + u": cannot open: "_s), qPrintable(directory.error));

        QVERIFY(!asked);
        const QString nowhere = dir.filePath(u"no/such/dir/fulcrum.json"_s);
        const SaveRunningConfigOutcome unwritable = saveRunningConfig(nullptr, nowhere, snapshot, approve);
        QVERIFY2(unwritable.error.startsWith(nowhere + u": cannot write: "_s), qPrintable(unwritable.error));
        QVERIFY(!unwritable.saved);
        QVERIFY(!QFile::exists(nowhere));
        QVERIFY(asked);
    }
};

QTEST_MAIN(RunningConfigTest)
#include "tst_running_config.moc"

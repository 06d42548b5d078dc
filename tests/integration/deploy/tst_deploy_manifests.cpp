// SPDX-License-Identifier: GPL-3.0-or-later
// The container image and the Kubernetes manifests in installers/ against the fulcrumd they ship: no
// Docker engine or cluster is needed. The manifests are checked against the Kubernetes API schema by
// installers/kubernetes/validate/validate.mjs (npm packages installed by ./fulcrum.sh setup), and the
// configuration, arguments, ports and probe paths they give fulcrumd are tried on the real binary.
#include "FakeBackend.h"
#include "FulcrumProcess.h"
#include "RawClient.h"
#include "ToolRun.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <utility>

using namespace Qt::StringLiterals;
using namespace fulcrum::test;

namespace {

// fulcrumd's environment without anything of the test runner's that the checks depend on.
QProcessEnvironment cleanEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(u"FULCRUM_ADMIN_TOKEN"_s);
    environment.remove(u"QT_LOGGING_RULES"_s);
    return environment;
}

// "0.0.0.0:9901" -> 9901
int portOf(const QString &address)
{
    bool valid = false;
    const int port = address.section(u':', -1).toInt(&valid);
    return valid ? port : -1;
}

QJsonArray findByName(const QJsonArray &list, const QString &name)
{
    QJsonArray found;
    for (const QJsonValue &entry : list) {
        if (entry.toObject().value(u"name"_s).toString() == name)
            found.append(entry);
    }
    return found;
}

// The config with every address fulcrumd binds moved to 127.0.0.1 on free ports, and every backend
// pointed at `backend`: the manifests' backend names do not resolve here (and a discovered backend
// without addresses would leave /readyz at 503).
QJsonObject localised(QJsonObject config, const FakeBackend &backend)
{
    config.insert(u"listen"_s, QJsonArray{u"127.0.0.1:0"_s});
    QJsonObject admin = config.value(u"admin"_s).toObject();
    admin.insert(u"listen"_s, u"127.0.0.1:0"_s);
    config.insert(u"admin"_s, admin);
    QJsonArray backends;
    for (const QJsonValue &entry : config.value(u"backends"_s).toArray()) {
        QJsonObject object = entry.toObject();
        object.insert(u"url"_s, backend.url());
        object.remove(u"resolve"_s); // an address has nothing to resolve
        backends.append(object);
    }
    config.insert(u"backends"_s, backends);
    return config;
}

// A Dockerfile's instructions, continuation lines joined, comments dropped: {"ENTRYPOINT", "[...]"}.
QList<std::pair<QString, QString>> dockerInstructions(const QString &text)
{
    QList<std::pair<QString, QString>> instructions;
    QString pending;
    for (const QString &raw : text.split(u'\n')) {
        const QString line = raw.trimmed();
        if (pending.isEmpty() && (line.isEmpty() || line.startsWith(u'#')))
            continue;
        if (line.endsWith(u'\\')) {
            pending += line.chopped(1) + u' ';
            continue;
        }
        pending += line;
        const QString keyword = pending.section(u' ', 0, 0).toUpper();
        instructions.append({keyword, pending.section(u' ', 1).trimmed()});
        pending.clear();
    }
    return instructions;
}

} // namespace

class DeployManifests : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void manifestsMatchTheKubernetesSchema();
    void brokenManifestIsRefused_data();
    void brokenManifestIsRefused();
    void configMapConfigPassesCheckConfig();
    void deploymentWiresConfigPortsAndDrain();
    void probesAreServedByTheConfiguredAdminListener();
    void dockerfileCommandPassesCheckConfig();
    void dockerfileHealthCheckAndPortsMatchTheConfig();

private:
    ToolRun validate(const QStringList &arguments) const;
    QJsonObject manifest(const QString &file, const QString &kind) const;
    QJsonObject configMapConfig() const;
    QJsonObject deploymentContainer() const;
    QProcessEnvironment deploymentEnvironment() const;
    void expectProbesServed(const QJsonObject &config, const QList<QByteArray> &paths);

    QDir m_source;
    QString m_node;
    QString m_modules;
    QStringList m_manifests;
    QHash<QString, QJsonArray> m_documents; // file name -> its parsed documents
};

void DeployManifests::initTestCase()
{
    const QString root = QFINDTESTDATA("../../../installers/kubernetes/validate/validate.mjs");
    QVERIFY2(!root.isEmpty(), "installers/kubernetes/validate/validate.mjs not found from the test's source");
    m_source = QFileInfo(root).dir();
    QVERIFY(m_source.cd(u"../../.."_s));

    m_node = QStandardPaths::findExecutable(u"node"_s);
    if (m_node.isEmpty())
        m_node = QStandardPaths::findExecutable(u"nodejs"_s);
    QVERIFY2(!m_node.isEmpty(), "node is not installed: run ./fulcrum.sh setup");

    // Set by whoever installs the packages elsewhere; ./fulcrum.sh setup puts them in build/npm-deploy.
    m_modules = qEnvironmentVariable("FULCRUM_NODE_MODULES");
    if (m_modules.isEmpty())
        m_modules = m_source.filePath(u"build/npm-deploy/node_modules"_s);
    const bool installed = QFileInfo::exists(m_modules + u"/kubernetes-models/package.json"_s) &&
                           QFileInfo::exists(m_modules + u"/yaml/package.json"_s);
    const QString missing = u"the npm packages kubernetes-models and yaml are not installed in %1: run "
                            u"./fulcrum.sh setup (or set FULCRUM_NODE_MODULES to a node_modules directory "
                            u"holding them)"_s.arg(m_modules);
    QVERIFY2(installed, qPrintable(missing));

    const QDir kubernetes(m_source.filePath(u"installers/kubernetes"_s));
    for (const QString &name : kubernetes.entryList({u"*.yaml"_s}, QDir::Files, QDir::Name))
        m_manifests.append(kubernetes.filePath(name));
    for (const char *expected : {"configmap.yaml", "deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml"})
        QVERIFY2(m_manifests.contains(kubernetes.filePath(QLatin1StringView(expected))), expected);

    const ToolRun dumped = validate(QStringList{u"--dump"_s} + m_manifests);
    QVERIFY2(dumped.ok(), qPrintable(dumped.describe()));
    const QJsonArray files = QJsonDocument::fromJson(dumped.out.toUtf8()).array();
    QCOMPARE(files.size(), m_manifests.size());
    for (const QJsonValue &file : files) {
        const QJsonObject entry = file.toObject();
        m_documents.insert(QFileInfo(entry.value(u"file"_s).toString()).fileName(),
                           entry.value(u"documents"_s).toArray());
    }
}

ToolRun DeployManifests::validate(const QStringList &arguments) const
{
    return runTool(m_node,
                   QStringList{m_source.filePath(u"installers/kubernetes/validate/validate.mjs"_s),
                               u"--modules"_s, m_modules} +
                       arguments,
                   {}, cleanEnvironment());
}

QJsonObject DeployManifests::manifest(const QString &file, const QString &kind) const
{
    for (const QJsonValue &document : m_documents.value(file)) {
        if (document.toObject().value(u"kind"_s).toString() == kind)
            return document.toObject();
    }
    return {};
}

QJsonObject DeployManifests::configMapConfig() const
{
    const QJsonObject data = manifest(u"configmap.yaml"_s, u"ConfigMap"_s).value(u"data"_s).toObject();
    return QJsonDocument::fromJson(data.value(u"fulcrum.json"_s).toString().toUtf8()).object();
}

QJsonObject DeployManifests::deploymentContainer() const
{
    const QJsonArray containers = manifest(u"deployment.yaml"_s, u"Deployment"_s)
                                      .value(u"spec"_s)
                                      .toObject()
                                      .value(u"template"_s)
                                      .toObject()
                                      .value(u"spec"_s)
                                      .toObject()
                                      .value(u"containers"_s)
                                      .toArray();
    const QJsonArray named = findByName(containers, u"fulcrumd"_s);
    return named.isEmpty() ? QJsonObject() : named.first().toObject();
}

// The variables the Deployment sets, with made-up values (secrets are not in the manifests).
QProcessEnvironment DeployManifests::deploymentEnvironment() const
{
    QProcessEnvironment environment = cleanEnvironment();
    for (const QJsonValue &variable : deploymentContainer().value(u"env"_s).toArray()) {
        const QJsonObject object = variable.toObject();
        environment.insert(object.value(u"name"_s).toString(), object.contains(u"value"_s)
                                                                   ? object.value(u"value"_s).toString()
                                                                   : u"made-up-secret-value"_s);
    }
    return environment;
}

void DeployManifests::manifestsMatchTheKubernetesSchema()
{
    const ToolRun result = validate(m_manifests);
    QVERIFY2(result.ok(), qPrintable(result.describe()));
    QVERIFY2(result.err.isEmpty(), qPrintable(result.err));
}

void DeployManifests::brokenManifestIsRefused_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("error");

    QTest::newRow("replicas not an integer")
        << u"deployment.yaml"_s << u"  revisionHistoryLimit: 5"_s << u"  replicas: \"two\""_s
        << u"(Deployment fulcrumd): /spec/replicas must be integer"_s;
    QTest::newRow("misspelt field")
        << u"deployment.yaml"_s << u"readinessProbe:"_s << u"readinesProbe:"_s
        << u"(Deployment fulcrumd): /spec/template/spec/containers/0/readinesProbe "
           u"is not a field of the schema"_s;
    QTest::newRow("unknown kind")
        << u"pdb.yaml"_s << u"kind: PodDisruptionBudget"_s << u"kind: PodDisruptionBuget"_s
        << u"(PodDisruptionBuget fulcrumd): unknown kind PodDisruptionBuget in policy/v1"_s;
    QTest::newRow("value out of the enum") << u"service.yaml"_s << u"protocol: TCP"_s << u"protocol: TPC"_s
                                           << u"(Service fulcrumd): /spec/ports/0/protocol must be equal to "
                                              u"one of the allowed values"_s;
}

void DeployManifests::brokenManifestIsRefused()
{
    QFETCH(QString, file);
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, error);

    QFile original(m_source.filePath(u"installers/kubernetes/"_s + file));
    QVERIFY(original.open(QIODevice::ReadOnly));
    QString text = QString::fromUtf8(original.readAll());
    QCOMPARE(text.count(from), 1);
    text.replace(from, to);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile broken(dir.filePath(file));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write(text.toUtf8());
    broken.close();

    const ToolRun result = validate({broken.fileName()});
    QVERIFY2(result.finished && result.exitCode == 1, qPrintable(result.describe()));
    // Named by file, document and kind, so that the broken one is found among many.
    QVERIFY2(result.err.contains(broken.fileName() + u": document 1 "_s + error),
             qPrintable(result.describe()));
}

void DeployManifests::configMapConfigPassesCheckConfig()
{
    const QJsonObject config = configMapConfig();
    QVERIFY2(!config.isEmpty(), "configmap.yaml has no JSON object under data.\"fulcrum.json\"");
    ConfigFile file;
    QVERIFY(file.isValid());
    QVERIFY(file.write(config));

    const QStringList arguments{u"--check-config"_s, u"--config"_s, file.path()};
    const ToolRun checked = runTool(FulcrumProcess::binaryPath(), arguments, {}, deploymentEnvironment());
    QVERIFY2(checked.ok(), qPrintable(checked.describe()));

    // The admin API listens beyond loopback, so it is the Deployment's FULCRUM_ADMIN_TOKEN that makes the
    // file valid: without it fulcrumd refuses to start.
    const ToolRun withoutToken = runTool(FulcrumProcess::binaryPath(), arguments, {}, cleanEnvironment());
    QVERIFY2(withoutToken.finished && withoutToken.exitCode == 2, qPrintable(withoutToken.describe()));
    QVERIFY2(withoutToken.err.contains(u"FULCRUM_ADMIN_TOKEN"_s), qPrintable(withoutToken.describe()));
}

void DeployManifests::deploymentWiresConfigPortsAndDrain()
{
    const QJsonObject config = configMapConfig();
    const QJsonObject container = deploymentContainer();
    QVERIFY2(!container.isEmpty(), "deployment.yaml has no container named fulcrumd");
    const QJsonObject podSpec = manifest(u"deployment.yaml"_s, u"Deployment"_s)
                                    .value(u"spec"_s)
                                    .toObject()
                                    .value(u"template"_s)
                                    .toObject()
                                    .value(u"spec"_s)
                                    .toObject();

    // --config names the file the ConfigMap's key becomes in its mounted directory.
    QStringList args;
    for (const QJsonValue &arg : container.value(u"args"_s).toArray())
        args.append(arg.toString());
    const qsizetype configAt = args.indexOf(u"--config"_s);
    QVERIFY2(configAt >= 0 && configAt + 1 < args.size(), "the container's args have no --config FILE");
    const QFileInfo configPath(args.at(configAt + 1));
    const QJsonArray mounts = findByName(container.value(u"volumeMounts"_s).toArray(), u"config"_s);
    QCOMPARE(mounts.size(), 1);
    QCOMPARE(mounts.first().toObject().value(u"mountPath"_s).toString(), configPath.path());
    const QJsonArray volumes = findByName(podSpec.value(u"volumes"_s).toArray(), u"config"_s);
    QCOMPARE(volumes.size(), 1);
    const QString configMapName = manifest(u"configmap.yaml"_s, u"ConfigMap"_s)
                                      .value(u"metadata"_s)
                                      .toObject()
                                      .value(u"name"_s)
                                      .toString();
    QCOMPARE(volumes.first().toObject().value(u"configMap"_s).toObject().value(u"name"_s).toString(),
             configMapName);
    QCOMPARE(configPath.fileName(), u"fulcrum.json"_s);

    // The named container ports are the ones the config listens on, and the Service sends traffic there.
    const QJsonArray ports = container.value(u"ports"_s).toArray();
    const QJsonArray http = findByName(ports, u"http"_s);
    const QJsonArray admin = findByName(ports, u"admin"_s);
    QCOMPARE(http.size(), 1);
    QCOMPARE(admin.size(), 1);
    const QJsonArray listen = config.value(u"listen"_s).toArray();
    QCOMPARE(listen.size(), 1);
    QCOMPARE(http.first().toObject().value(u"containerPort"_s).toInt(), portOf(listen.first().toString()));
    const QString adminListen = config.value(u"admin"_s).toObject().value(u"listen"_s).toString();
    QCOMPARE(admin.first().toObject().value(u"containerPort"_s).toInt(), portOf(adminListen));
    // A pod IP reaches only what listens on all addresses, not on loopback.
    QVERIFY2(listen.first().toString().startsWith(u"0.0.0.0:"_s), qPrintable(listen.first().toString()));
    QVERIFY2(adminListen.startsWith(u"0.0.0.0:"_s), qPrintable(adminListen));
    const QJsonArray servicePorts =
        manifest(u"service.yaml"_s, u"Service"_s).value(u"spec"_s).toObject().value(u"ports"_s).toArray();
    QVERIFY(!servicePorts.isEmpty());
    for (const QJsonValue &port : servicePorts)
        QCOMPARE(port.toObject().value(u"targetPort"_s).toString(), u"http"_s);

    // Probes on the admin port, at the paths the admin API serves without a token.
    for (const auto &[probe, path] :
         {std::pair{u"readinessProbe"_s, u"/readyz"_s}, std::pair{u"livenessProbe"_s, u"/healthz"_s}}) {
        const QJsonObject get = container.value(probe).toObject().value(u"httpGet"_s).toObject();
        QCOMPARE(get.value(u"path"_s).toString(), path);
        QCOMPARE(get.value(u"port"_s).toString(), u"admin"_s);
    }

    // SIGTERM drains for up to drain_ms after the preStop sleep; the grace period must cover both.
    const QJsonArray preStop = container.value(u"lifecycle"_s)
                                   .toObject()
                                   .value(u"preStop"_s)
                                   .toObject()
                                   .value(u"exec"_s)
                                   .toObject()
                                   .value(u"command"_s)
                                   .toArray();
    QCOMPARE(preStop.size(), 2);
    QCOMPARE(preStop.at(0).toString(), u"sleep"_s);
    const int preStopMs = preStop.at(1).toString().toInt() * 1000;
    const int drainMs = config.value(u"timeouts"_s).toObject().value(u"drain_ms"_s).toInt(30'000);
    const int graceMs = podSpec.value(u"terminationGracePeriodSeconds"_s).toInt(30) * 1000;
    QVERIFY2(
        graceMs > preStopMs + drainMs,
        qPrintable(u"terminationGracePeriodSeconds %1 ms <= preStop %2 ms + drain_ms %3 ms"_s.arg(graceMs)
                       .arg(preStopMs)
                       .arg(drainMs)));

    // The image's fixed non-root user is the one the pod claims to run as.
    QFile dockerfile(m_source.filePath(u"installers/container/Dockerfile"_s));
    QVERIFY(dockerfile.open(QIODevice::ReadOnly));
    QString user;
    for (const auto &[keyword, rest] : dockerInstructions(QString::fromUtf8(dockerfile.readAll()))) {
        if (keyword == u"USER"_s)
            user = rest.section(u':', 0, 0);
    }
    QCOMPARE(podSpec.value(u"securityContext"_s).toObject().value(u"runAsUser"_s).toInt(), user.toInt());
}

// Starts fulcrumd with `config` made local and expects every path to answer 200 on its admin listener.
void DeployManifests::expectProbesServed(const QJsonObject &config, const QList<QByteArray> &paths)
{
    FakeBackend backend(u"web"_s);
    QVERIFY(backend.start());
    ConfigFile file;
    QVERIFY(file.isValid());
    QVERIFY(file.write(localised(config, backend)));

    FulcrumProcess fulcrumd;
    const QProcessEnvironment environment = deploymentEnvironment();
    for (const QString &name : environment.keys()) {
        if (name.startsWith(u"FULCRUM_"_s))
            fulcrumd.setEnvironmentVariable(name, environment.value(name));
    }
    // The config's own worker count, logging and listener: only the addresses were moved.
    QVERIFY2(fulcrumd.start({u"--config"_s, file.path()}, 0, false), qPrintable(fulcrumd.errorString()));
    const quint16 adminPort = fulcrumd.adminPort();
    QVERIFY2(adminPort != 0, fulcrumd.standardError().constData());

    for (const QByteArray &path : paths) {
        // /readyz answers 503 until a health check has brought the backend up; any other answer is final.
        HttpResponse response;
        QTRY_VERIFY_WITH_TIMEOUT((response = fetch(adminPort, RawClient::get(path))).status != 503, 10'000);
        QVERIFY2(response.status == 200, qPrintable(QString::fromUtf8(path) + u": "_s + response.describe()));
    }
    // And the traffic port proxies to the backend the config names.
    const HttpResponse proxied = fetch(fulcrumd.port(), RawClient::get("/"));
    QVERIFY2(proxied.status == 200, qPrintable(proxied.describe()));
    QCOMPARE(proxied.body, QByteArray("hello from web"));
}

void DeployManifests::probesAreServedByTheConfiguredAdminListener()
{
    const QJsonObject container = deploymentContainer();
    QList<QByteArray> paths;
    for (const QString &probe : {u"readinessProbe"_s, u"livenessProbe"_s})
        paths.append(container.value(probe)
                         .toObject()
                         .value(u"httpGet"_s)
                         .toObject()
                         .value(u"path"_s)
                         .toString()
                         .toUtf8());
    QVERIFY(!paths.contains(QByteArray()));
    expectProbesServed(configMapConfig(), paths);
}

void DeployManifests::dockerfileCommandPassesCheckConfig()
{
    QFile dockerfile(m_source.filePath(u"installers/container/Dockerfile"_s));
    QVERIFY(dockerfile.open(QIODevice::ReadOnly));
    QStringList entrypoint;
    QStringList command;
    QHash<QString, QString> copies; // destination -> source, for COPY from the build context
    for (const auto &[keyword, rest] : dockerInstructions(QString::fromUtf8(dockerfile.readAll()))) {
        if (keyword == u"ENTRYPOINT"_s || keyword == u"CMD"_s) {
            // Exec form only: a shell form would make sh PID 1 and SIGTERM would never reach fulcrumd.
            QJsonParseError error;
            const QJsonDocument form = QJsonDocument::fromJson(rest.toUtf8(), &error);
            QVERIFY2(form.isArray(), qPrintable(keyword + u" is not in exec form: "_s + rest));
            QStringList &target = keyword == u"CMD"_s ? command : entrypoint;
            target.clear();
            for (const QJsonValue &word : form.array())
                target.append(word.toString());
        } else if (keyword == u"COPY"_s && !rest.startsWith(u"--"_s)) {
            copies.insert(rest.section(u' ', -1), rest.section(u' ', 0, 0));
        }
    }
    QVERIFY2(!entrypoint.isEmpty(), "the Dockerfile has no ENTRYPOINT");
    QCOMPARE(entrypoint.first(), u"/usr/bin/fulcrumd"_s);

    // The arguments the container starts fulcrumd with, on the config file the image holds.
    QStringList arguments = entrypoint.mid(1) + command;
    const qsizetype configAt = arguments.indexOf(u"--config"_s);
    QVERIFY2(configAt >= 0 && configAt + 1 < arguments.size(), qPrintable(arguments.join(u' ')));
    const QString imageConfig = arguments.at(configAt + 1);
    QVERIFY2(copies.contains(imageConfig), qPrintable(imageConfig + u" is not copied into the image"_s));
    QCOMPARE(copies.value(imageConfig), u"installers/container/fulcrum.json"_s);
    arguments[configAt + 1] = m_source.filePath(copies.value(imageConfig));
    arguments.append(u"--check-config"_s);

    QProcessEnvironment environment = cleanEnvironment();
    environment.insert(u"FULCRUM_ADMIN_TOKEN"_s, u"made-up-token"_s);
    const ToolRun checked = runTool(FulcrumProcess::binaryPath(), arguments, {}, environment);
    QVERIFY2(checked.ok(), qPrintable(arguments.join(u' ') + u"\n"_s + checked.describe()));
    // docs/container-kubernetes.md says the container needs the token: it does.
    const ToolRun withoutToken = runTool(FulcrumProcess::binaryPath(), arguments, {}, cleanEnvironment());
    QVERIFY2(withoutToken.finished && withoutToken.exitCode == 2, qPrintable(withoutToken.describe()));
}

void DeployManifests::dockerfileHealthCheckAndPortsMatchTheConfig()
{
    QFile dockerfile(m_source.filePath(u"installers/container/Dockerfile"_s));
    QVERIFY(dockerfile.open(QIODevice::ReadOnly));
    QString healthCheck;
    QList<int> exposed;
    for (const auto &[keyword, rest] : dockerInstructions(QString::fromUtf8(dockerfile.readAll()))) {
        if (keyword == u"HEALTHCHECK"_s)
            healthCheck = rest;
        else if (keyword == u"EXPOSE"_s)
            for (const QString &port : rest.split(u' ', Qt::SkipEmptyParts))
                exposed.append(port.section(u'/', 0, 0).toInt());
    }
    static const QRegularExpression url(u"CMD curl .*http://127\\.0\\.0\\.1:(\\d+)(/\\S*)"_s);
    const QRegularExpressionMatch match = url.match(healthCheck);
    QVERIFY2(match.hasMatch(), qPrintable(u"HEALTHCHECK: "_s + healthCheck));

    QFile configFile(m_source.filePath(u"installers/container/fulcrum.json"_s));
    QVERIFY(configFile.open(QIODevice::ReadOnly));
    const QJsonObject config = QJsonDocument::fromJson(configFile.readAll()).object();
    QVERIFY(!config.isEmpty());
    const QString adminListen = config.value(u"admin"_s).toObject().value(u"listen"_s).toString();
    QCOMPARE(match.captured(1).toInt(), portOf(adminListen));
    QVERIFY2(adminListen.startsWith(u"0.0.0.0:"_s), qPrintable(adminListen));
    QVERIFY2(exposed.contains(portOf(adminListen)), qPrintable(adminListen));
    for (const QJsonValue &listen : config.value(u"listen"_s).toArray()) {
        QVERIFY2(listen.toString().startsWith(u"0.0.0.0:"_s), qPrintable(listen.toString()));
        QVERIFY2(exposed.contains(portOf(listen.toString())), qPrintable(listen.toString()));
    }

    expectProbesServed(config, {match.captured(2).toUtf8()});
}

QTEST_GUILESS_MAIN(DeployManifests)
#include "tst_deploy_manifests.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConsoleOptions.h"

#include "TrafficGenerator.h"

using namespace Qt::StringLiterals;

namespace fulcrum::console {

namespace {

bool readInt(const QString &text, int low, int high, int *value)
{
    bool ok = false;
    const int parsed = text.toInt(&ok);
    if (!ok || parsed < low || parsed > high)
        return false;
    *value = parsed;
    return true;
}

} // namespace

QUrl parseAttachUrl(const QString &text, QString *error)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != u"http"_s || url.host().isEmpty() || url.port() <= 0) {
        *error = u"expected http://HOST:PORT, got "_s + text;
        return {};
    }
    return url;
}

QString consoleHelpText()
{
    return u"Usage: fulcrum-console [--demo | --config FILE | --attach http://HOST:PORT [--token-file "
           u"FILE]]\n"
           u"  --demo                   run the proxy in this process with three demo backends and traffic\n"
           u"  --rate N                 demo traffic in requests per second, 0..2000 (default 200)\n"
           u"  --config FILE            run the proxy in this process with this configuration\n"
           u"  --attach URL             watch and steer a running fulcrumd through its admin API\n"
           u"  --token-file FILE        the admin token (default: $FULCRUM_ADMIN_TOKEN)\n"
           u"  --export-snapshot FILE   write one snapshot (.json, .csv or .prom) and exit, no window\n"
           u"  --screenshot FILE        save a picture of the window after --screenshot-after seconds, exit\n"
           u"  --screenshot-after S     seconds to wait before the screenshot (default 5)\n"
           u"  --help                   show this text\n"_s;
}

ConsoleOptionsResult parseConsoleOptions(const QStringList &arguments)
{
    ConsoleOptionsResult result;
    ConsoleOptions &options = result.options;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &flag = arguments[i];
        if (flag == u"--demo"_s) {
            options.demo = true;
            continue;
        }
        if (flag == u"--help"_s || flag == u"-h"_s) {
            options.showHelp = true;
            continue;
        }
        if (i + 1 >= arguments.size()) {
            result.error = flag + u": unknown option or missing value"_s;
            return result;
        }
        const QString value = arguments[++i];
        if (flag == u"--config"_s) {
            options.configFile = value;
        } else if (flag == u"--attach"_s) {
            QString error;
            options.attach = parseAttachUrl(value, &error);
            if (!error.isEmpty()) {
                result.error = u"--attach: "_s + error;
                return result;
            }
        } else if (flag == u"--token-file"_s) {
            options.tokenFile = value;
        } else if (flag == u"--export-snapshot"_s) {
            options.exportSnapshot = value;
        } else if (flag == u"--screenshot"_s) {
            options.screenshot = value;
        } else if (flag == u"--screenshot-after"_s) {
            if (!readInt(value, 0, 3600, &options.screenshotAfter)) {
                result.error = u"--screenshot-after: expected 0..3600 seconds"_s;
                return result;
            }
        } else if (flag == u"--rate"_s) {
            if (!readInt(value, 0, TrafficGenerator::kMaxRate, &options.rate)) {
                result.error = u"--rate: expected 0..2000"_s;
                return result;
            }
        } else {
            result.error = flag + u": unknown option"_s;
            return result;
        }
    }
    const int modes = int(options.demo) + int(!options.configFile.isEmpty()) + int(!options.attach.isEmpty());
    if (modes != 1 && !options.showHelp)
        result.error = u"give exactly one of --demo, --config FILE or --attach URL"_s;
    return result;
}

} // namespace fulcrum::console

// SPDX-License-Identifier: GPL-3.0-or-later
#include "ToolRun.h"

#include <QProcess>
#include <QSignalSpy>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

QString ToolRun::describe() const
{
    return u"finished=%1 exit=%2\nstdout:\n%3\nstderr:\n%4"_s.arg(finished).arg(exitCode).arg(out, err);
}

ToolRun runTool(const QString &program, const QStringList &arguments, const QByteArray &input,
                const QProcessEnvironment &environment, int timeoutMs)
{
    ToolRun result;
    QProcess process;
    process.setProcessEnvironment(environment);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(program, arguments);
    if (!process.waitForStarted(timeoutMs)) {
        result.err = program + u": "_s + process.errorString();
        return result;
    }
    process.write(input);
    process.closeWriteChannel();
    result.finished = !finished.isEmpty() || finished.wait(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5'000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

} // namespace fulcrum::test

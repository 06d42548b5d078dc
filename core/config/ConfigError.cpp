// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConfigError.h"

namespace fulcrum {

namespace {

// Values come straight from user input; escaping keeps one error on one line and the quotes unambiguous.
QString quoted(const QString &value)
{
    QString out;
    out.reserve(value.size() + 2);
    out += u'"';
    for (const QChar c : value) {
        if (c == u'"' || c == u'\\') {
            out += u'\\';
            out += c;
        } else if (c == u'\n') {
            out += u"\\n";
        } else if (c == u'\r') {
            out += u"\\r";
        } else if (c == u'\t') {
            out += u"\\t";
        } else if (c.unicode() < 0x20 || c.unicode() == 0x7f) {
            out += QStringLiteral("\\u%1").arg(static_cast<int>(c.unicode()), 4, 16, QChar(u'0'));
        } else {
            out += c;
        }
    }
    out += u'"';
    return out;
}

} // namespace

QString ConfigError::toString() const
{
    QString out;
    if (!field.isEmpty())
        out += field + u": ";
    if (!value.isNull())
        out += quoted(value) + u": ";
    out += reason;
    return out;
}

QString formatConfigErrors(const QList<ConfigError> &errors)
{
    QString out;
    for (const ConfigError &error : errors)
        out += error.toString() + u'\n';
    return out;
}

QString joinConfigErrors(const QList<ConfigError> &errors)
{
    QStringList problems;
    for (const ConfigError &error : errors)
        problems.append(error.toString());
    return problems.join(QStringLiteral("; "));
}

} // namespace fulcrum

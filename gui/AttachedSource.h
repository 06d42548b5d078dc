// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ConsoleSource.h"
#include "SseParser.h"

#include <QNetworkAccessManager>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <functional>

class QNetworkReply;

namespace fulcrum::console {

// A running fulcrumd over its admin API (docs/admin-api.md): the snapshot and backends once, then the
// event stream for live snapshots and changes; operations as REST calls. A lost stream is retried
// with backoff from 1 s doubling to 30 s.
class AttachedSource final : public ConsoleSource
{
    Q_OBJECT
public:
    static constexpr int kFirstRetryMs = 1'000;
    static constexpr int kMaxRetryMs = 30'000;

    AttachedSource(QUrl base, QString token, QObject *parent = nullptr);
    ~AttachedSource() override;

    QString description() const override;
    void start() override;

    void setWeight(const QString &name, int weight) override;
    void setState(const QString &name, const QString &state) override;
    void addBackend(const QString &name, const QString &url, int weight) override;
    void removeBackend(const QString &name) override;
    void reload() override;
    void exportSnapshot(ExportFormat format) override;

    // The token from --token-file FILE, else FULCRUM_ADMIN_TOKEN; empty when neither; *error on a
    // file that cannot be read.
    static QString readToken(const QString &tokenFile, QString *error);

private:
    QNetworkRequest request(const QString &path) const;
    void send(const QByteArray &verb, const QString &path, const QJsonObject &body,
              std::function<void()> onSuccess = {});
    // The API's "error" text, or a description of the network failure; 401 says what to check.
    QString failureText(QNetworkReply *reply, const QByteArray &body) const;
    void fetchSnapshot();
    void openStream();
    void onStreamData();
    void onStreamFinished();
    void handleEvent(const SseEvent &event);
    void setConnection(const QString &state, const QString &text);

    QUrl m_base;
    QString m_token;
    QNetworkAccessManager m_network;
    QPointer<QNetworkReply> m_stream;
    SseParser m_parser;
    QTimer m_retryTimer;
    int m_retryMs = kFirstRetryMs;
    QString m_state;
};

} // namespace fulcrum::console

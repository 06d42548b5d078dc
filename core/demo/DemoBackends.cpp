// SPDX-License-Identifier: GPL-3.0-or-later
#include "DemoBackends.h"

#include "http/HttpStatus.h"
#include "http/RequestParser.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QSemaphore>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <array>
#include <vector>

using namespace Qt::StringLiterals;

namespace fulcrum {

namespace {

struct DemoSpec
{
    const char *name;
    int latencyMs;
};

constexpr std::array<DemoSpec, 3> kDemoSpecs = {{{"alpha", 2}, {"beta", 10}, {"gamma", 25}}};

// One client connection: requests are answered one at a time and in order; bytes that arrive while a
// response is delayed wait in m_pending.
class DemoConnection final : public QObject, private RequestParserHandler
{
public:
    DemoConnection(QTcpSocket *socket, const QByteArray &body, int latencyMs)
        : QObject(socket), m_socket(socket), m_parser(ParserLimits{}, *this), m_body(body),
          m_latencyMs(latencyMs)
    {
        connect(socket, &QTcpSocket::readyRead, this, [this] {
            m_pending += m_socket->readAll();
            parsePending();
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }

private:
    void onRequestHead(RequestHead &head) override
    {
        m_keepAlive = head.keepAlive;
        m_isHead = head.isHead;
        m_http10 = head.versionMinor == 0;
        if (head.expectContinue)
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    void onRequestBody(const char *, qsizetype) override {}
    void onRequestComplete() override {}

    void parsePending()
    {
        while (!m_waiting && !m_closing && !m_pending.isEmpty()) {
            const MessageParser::FeedResult result = m_parser.feed(m_pending.constData(), m_pending.size());
            if (result.progress == MessageParser::Progress::Failed) {
                const ParseFailure &failure = m_parser.failure();
                respond(failure.status, failure.reason + '\n', false);
                return;
            }
            m_pending.remove(0, result.consumed);
            if (result.progress == MessageParser::Progress::NeedMore)
                return;
            m_parser.resume();
            m_waiting = true;
            QTimer::singleShot(m_latencyMs, Qt::PreciseTimer, this, [this] {
                m_waiting = false;
                respond(200, m_body, m_keepAlive);
                parsePending();
            });
        }
    }

    void respond(int status, const QByteArray &body, bool keepAlive)
    {
        QByteArray out;
        out.append("HTTP/1.1 ").append(QByteArray::number(status)).append(' ').append(reasonPhrase(status));
        out.append("\r\nContent-Type: text/plain\r\nContent-Length: ")
            .append(QByteArray::number(body.size()));
        if (!keepAlive)
            out.append("\r\nConnection: close");
        else if (m_http10)
            out.append("\r\nConnection: keep-alive");
        out.append("\r\n\r\n");
        if (!m_isHead || status != 200)
            out.append(body);
        m_socket->write(out);
        if (!keepAlive) {
            m_closing = true;
            m_socket->disconnectFromHost();
        }
    }

    QTcpSocket *m_socket;
    RequestParser m_parser;
    QByteArray m_body;
    QByteArray m_pending;
    int m_latencyMs;
    bool m_keepAlive = true;
    bool m_isHead = false;
    bool m_http10 = false;
    bool m_waiting = false;
    bool m_closing = false;
};

class DemoServer final : public QTcpServer
{
public:
    explicit DemoServer(const DemoSpec &spec)
        : m_body(QByteArray("hello from ") + spec.name + '\n'), m_latencyMs(spec.latencyMs)
    {}

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        new DemoConnection(socket, m_body, m_latencyMs);
    }

private:
    QByteArray m_body;
    int m_latencyMs;
};

} // namespace

// Owns the servers for the lifetime of run(), so every socket is created and destroyed on this thread.
class DemoBackends::Thread final : public QThread
{
public:
    explicit Thread(quint16 basePort) : m_basePort(basePort) { setObjectName(u"demo-backends"_s); }

    QSemaphore ready;
    QList<quint16> ports; // written before ready is released
    QString error;

protected:
    void run() override
    {
        std::vector<std::unique_ptr<DemoServer>> servers;
        for (std::size_t i = 0; i < kDemoSpecs.size(); ++i) {
            const DemoSpec &spec = kDemoSpecs.at(i);
            auto server = std::make_unique<DemoServer>(spec);
            const quint16 port = m_basePort == 0 ? 0 : static_cast<quint16>(m_basePort + i);
            if (!server->listen(QHostAddress::LocalHost, port)) {
                error = u"demo backend "_s + QLatin1StringView(spec.name) +
                        u" cannot listen on 127.0.0.1:"_s + QString::number(port) + u": "_s +
                        server->errorString();
                ready.release();
                return;
            }
            ports.append(server->serverPort());
            servers.push_back(std::move(server));
        }
        ready.release();
        exec();
    }

private:
    quint16 m_basePort;
};

DemoBackends::DemoBackends(quint16 basePort) : m_basePort(basePort) {}

DemoBackends::~DemoBackends()
{
    stop();
}

bool DemoBackends::start()
{
    if (m_thread)
        return true;
    if (m_basePort > 65535 - (kDemoSpecs.size() - 1)) {
        m_error = u"demo backends need three ports from "_s + QString::number(m_basePort);
        return false;
    }
    auto thread = std::make_unique<Thread>(m_basePort);
    thread->start();
    thread->ready.acquire();
    if (!thread->error.isEmpty()) {
        m_error = thread->error;
        thread->wait();
        return false;
    }
    m_error.clear();
    for (std::size_t i = 0; i < kDemoSpecs.size(); ++i) {
        BackendConfig backend;
        backend.name = QLatin1StringView(kDemoSpecs.at(i).name).toString();
        backend.host = u"127.0.0.1"_s;
        backend.port = thread->ports.at(static_cast<qsizetype>(i));
        m_backends.append(backend);
    }
    m_thread = std::move(thread);
    return true;
}

void DemoBackends::stop()
{
    if (!m_thread)
        return;
    m_thread->quit();
    m_thread->wait();
    m_thread.reset();
    m_backends.clear();
}

bool DemoBackends::isRunning() const
{
    return m_thread != nullptr;
}

QList<BackendConfig> DemoBackends::backends() const
{
    return m_backends;
}

} // namespace fulcrum

// SPDX-License-Identifier: GPL-3.0-or-later
#include "FakeBackend.h"

#include "http/HttpStatus.h"
#include "http/RequestParser.h"

#include <QCryptographicHash>
#include <QHash>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace fulcrum::test {

Behaviour Behaviour::fixed(QByteArray body, int status)
{
    Behaviour b;
    b.kind = Kind::Fixed;
    b.body = std::move(body);
    b.status = status;
    return b;
}

Behaviour Behaviour::echo(bool chunked)
{
    Behaviour b;
    b.kind = Kind::Echo;
    b.chunked = chunked;
    return b;
}

Behaviour Behaviour::large(qint64 size, bool chunked)
{
    Behaviour b;
    b.kind = Kind::Large;
    b.size = size;
    b.chunked = chunked;
    return b;
}

Behaviour Behaviour::closeMidBody(qint64 size, bool chunked)
{
    Behaviour b;
    b.kind = Kind::CloseMidBody;
    b.size = size;
    b.chunked = chunked;
    return b;
}

Behaviour Behaviour::neverRespond()
{
    Behaviour b;
    b.kind = Kind::NeverRespond;
    return b;
}

Behaviour Behaviour::noBody(int status)
{
    Behaviour b;
    b.kind = Kind::NoBody;
    b.status = status;
    return b;
}

Behaviour Behaviour::raw(QByteArray bytes)
{
    Behaviour b;
    b.kind = Kind::Raw;
    b.body = std::move(bytes);
    return b;
}

Behaviour Behaviour::drop()
{
    Behaviour b;
    b.kind = Kind::Drop;
    return b;
}

Behaviour Behaviour::reset()
{
    Behaviour b;
    b.kind = Kind::Reset;
    return b;
}

Behaviour Behaviour::withDelay(int ms) const
{
    Behaviour b = *this;
    b.delayMs = ms;
    return b;
}

Behaviour Behaviour::withClose() const
{
    Behaviour b = *this;
    b.closeAfter = true;
    return b;
}

Behaviour Behaviour::withEarlyHints() const
{
    Behaviour b = *this;
    b.earlyHints = true;
    return b;
}

Behaviour Behaviour::withHeader(QByteArray name, QByteArray value) const
{
    Behaviour b = *this;
    b.extraHeaders.append({std::move(name), std::move(value)});
    return b;
}

namespace detail {

struct BackendState
{
    mutable QMutex mutex;
    QString name;
    Behaviour defaultBehaviour;
    QHash<QByteArray, Behaviour> byPath;
    QHash<QByteArray, QList<Behaviour>> sequences;
    QHash<QByteArray, qsizetype> sequenceNext;
    QHash<QByteArray, QHash<int, int>> answered; // path -> status -> responses
    QList<RecordedRequest> records;
    int heads = 0;
    int accepted = 0;
    int open = 0;
    int parseErrors = 0;

    static QByteArray pathOf(const QByteArray &target)
    {
        const qsizetype query = target.indexOf('?');
        return query < 0 ? target : target.left(query);
    }

    Behaviour behaviourFor(const QByteArray &target)
    {
        const QByteArray path = pathOf(target);
        QMutexLocker lock(&mutex);
        const auto sequence = sequences.constFind(path);
        if (sequence != sequences.cend()) {
            qsizetype &next = sequenceNext[path];
            const Behaviour behaviour = sequence->at(next % sequence->size());
            ++next;
            return behaviour;
        }
        return byPath.value(path, defaultBehaviour);
    }
};

namespace {

// Chunk sizes cycle through odd and even values so that the proxy sees chunk boundaries anywhere
// relative to its own reads.
constexpr std::array<qsizetype, 5> kChunkSizes = {1, 4095, 16384, 65539, 100};

void appendChunked(QByteArray &out, QByteArrayView body, bool lastChunk)
{
    qsizetype offset = 0;
    std::size_t next = 0;
    while (offset < body.size()) {
        const qsizetype length = std::min(kChunkSizes[next], body.size() - offset);
        next = (next + 1) % kChunkSizes.size();
        out.append(QByteArray::number(length, 16)).append("\r\n");
        out.append(body.sliced(offset, length)).append("\r\n");
        offset += length;
    }
    if (lastChunk)
        out.append("0\r\n\r\n");
}

ParserLimits backendLimits()
{
    ParserLimits limits;
    limits.maxHeaderBytes = 1024 * 1024;
    limits.maxRequestTargetBytes = 1024 * 1024;
    limits.maxHeaderCount = 1000;
    limits.maxBodyBytes = 0;
    return limits;
}

} // namespace

// One accepted connection: parses requests one at a time and answers each per its behaviour.
// Pipelined bytes wait in m_input until the response before them has been written.
class BackendConnection final : public QObject, private RequestParserHandler
{
public:
    BackendConnection(qintptr descriptor, int id, std::shared_ptr<BackendState> state, QObject *parent)
        : QObject(parent), m_state(std::move(state)), m_id(id), m_parser(backendLimits(), *this),
          m_hash(QCryptographicHash::Sha256)
    {
        m_socket = new QTcpSocket(this);
        m_socket->setSocketDescriptor(descriptor);
        connect(m_socket, &QTcpSocket::readyRead, this, &BackendConnection::onReadyRead);
        connect(m_socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
        connect(m_socket, &QTcpSocket::errorOccurred, this, [this] {
            if (m_socket->state() == QAbstractSocket::UnconnectedState)
                deleteLater();
        });
    }

    ~BackendConnection() override
    {
        QMutexLocker lock(&m_state->mutex);
        --m_state->open;
    }

    void abort() { m_socket->abort(); }
    bool isIdle() const { return !m_busy && !m_closing && m_input.isEmpty() && m_parser.isBetweenMessages(); }
    void closeIdle() { closeAfterWrite(); }

private:
    void onReadyRead()
    {
        if (m_closing) {
            m_socket->readAll();
            return;
        }
        m_input.append(m_socket->readAll());
        process();
    }

    void process()
    {
        while (!m_busy && !m_closing && m_inputOffset < m_input.size()) {
            const auto result =
                m_parser.feed(m_input.constData() + m_inputOffset, m_input.size() - m_inputOffset);
            if (result.progress == MessageParser::Progress::Failed) {
                {
                    QMutexLocker lock(&m_state->mutex);
                    ++m_state->parseErrors;
                }
                m_socket->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                closeAfterWrite();
                return;
            }
            m_inputOffset += result.consumed;
            if (result.progress == MessageParser::Progress::MessageComplete) {
                m_parser.resume();
                answer();
            }
        }
        if (m_inputOffset >= m_input.size()) {
            m_input.clear();
            m_inputOffset = 0;
        }
    }

    void onRequestHead(RequestHead &head) override
    {
        m_current = {};
        m_current.connection = m_id;
        m_current.method = head.method;
        m_current.target = head.target;
        m_current.versionMinor = head.versionMinor;
        m_current.host = head.host;
        m_current.headers = head.headers;
        m_current.chunked = head.framing == BodyFraming::Chunked;
        m_keepAlive = head.keepAlive;
        m_isHead = head.isHead;
        m_body.clear();
        m_hash.reset();
        {
            QMutexLocker lock(&m_state->mutex);
            ++m_state->heads;
        }
        if (head.expectContinue && head.framing != BodyFraming::None)
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }

    void onRequestBody(const char *data, qsizetype length) override
    {
        m_body.append(data, length);
        m_hash.addData(QByteArrayView(data, length));
    }

    void onRequestComplete() override
    {
        m_current.bodySize = m_body.size();
        m_current.bodySha256 = m_hash.result().toHex();
        if (m_current.bodySize <= RecordedRequest::kKeptBodyBytes)
            m_current.body = m_body;
        QMutexLocker lock(&m_state->mutex);
        m_state->records.append(m_current);
    }

    void answer()
    {
        const Behaviour behaviour = m_state->behaviourFor(m_current.target);
        if (behaviour.kind == Behaviour::Kind::NeverRespond) {
            m_busy = true;
            return;
        }
        if (behaviour.delayMs > 0) {
            m_busy = true;
            QTimer::singleShot(behaviour.delayMs, this, [this, behaviour] {
                respond(behaviour);
                m_busy = false;
                process();
            });
            return;
        }
        respond(behaviour);
    }

    void respond(const Behaviour &b)
    {
        if (b.kind == Behaviour::Kind::Reset) {
            // SO_LINGER with a zero timeout makes the close send RST instead of FIN.
            const linger hard{1, 0};
            ::setsockopt(static_cast<int>(m_socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &hard,
                         sizeof hard);
            m_closing = true;
            m_socket->abort();
            return;
        }
        if (b.kind == Behaviour::Kind::Raw || b.kind == Behaviour::Kind::Drop) {
            m_socket->write(b.body);
            closeAfterWrite();
            return;
        }
        QByteArray out;
        if (b.earlyHints)
            out.append("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n");

        QByteArray body;
        qint64 announced = 0;
        bool truncate = false;
        switch (b.kind) {
        case Behaviour::Kind::Fixed:
            body = b.body.isNull() ? "hello from "_ba + m_state->name.toUtf8() : b.body;
            announced = body.size();
            break;
        case Behaviour::Kind::Echo:
            body = m_body;
            announced = body.size();
            break;
        case Behaviour::Kind::Large:
            announced = b.size;
            if (!m_isHead)
                body = FakeBackend::pattern(b.size);
            break;
        case Behaviour::Kind::CloseMidBody:
            announced = b.size;
            body = FakeBackend::pattern(b.size / 2);
            truncate = true;
            break;
        case Behaviour::Kind::NoBody:
        case Behaviour::Kind::NeverRespond:
        case Behaviour::Kind::Raw:
        case Behaviour::Kind::Drop:
        case Behaviour::Kind::Reset:
            break;
        }

        const bool close = b.closeAfter || truncate || !m_keepAlive;
        out.append("HTTP/1.1 ").append(QByteArray::number(b.status)).append(' ');
        out.append(reasonPhrase(b.status)).append("\r\n");
        out.append("X-Backend: ").append(m_state->name.toUtf8()).append("\r\n");
        for (const auto &[name, value] : b.extraHeaders)
            out.append(name).append(": ").append(value).append("\r\n");
        if (b.kind != Behaviour::Kind::NoBody) {
            if (b.chunked)
                out.append("Transfer-Encoding: chunked\r\n");
            else
                out.append("Content-Length: ").append(QByteArray::number(announced)).append("\r\n");
        }
        if (close)
            out.append("Connection: close\r\n");
        out.append("\r\n");
        if (!m_isHead && b.kind != Behaviour::Kind::NoBody) {
            if (b.chunked)
                appendChunked(out, body, !truncate);
            else
                out.append(body);
        }
        m_body.clear();
        m_socket->write(out);
        {
            QMutexLocker lock(&m_state->mutex);
            ++m_state->answered[BackendState::pathOf(m_current.target)][b.status];
        }
        if (close)
            closeAfterWrite();
    }

    void closeAfterWrite()
    {
        m_closing = true;
        m_input.clear();
        m_inputOffset = 0;
        m_socket->disconnectFromHost(); // sends FIN once everything written has left
    }

    std::shared_ptr<BackendState> m_state;
    int m_id;
    QTcpSocket *m_socket = nullptr;
    RequestParser m_parser;
    QCryptographicHash m_hash;
    RecordedRequest m_current;
    QByteArray m_body;
    QByteArray m_input;
    qsizetype m_inputOffset = 0;
    bool m_keepAlive = true;
    bool m_isHead = false;
    bool m_busy = false;
    bool m_closing = false;
};

class BackendServer final : public QTcpServer
{
public:
    explicit BackendServer(std::shared_ptr<BackendState> state) : m_state(std::move(state)) {}

    void shutdown()
    {
        close();
        for (const QPointer<BackendConnection> &connection : std::as_const(m_connections)) {
            if (connection) {
                connection->abort();
                delete connection.data();
            }
        }
        m_connections.clear();
    }

    int closeIdleConnections()
    {
        int closed = 0;
        for (const QPointer<BackendConnection> &connection : std::as_const(m_connections)) {
            if (connection && connection->isIdle()) {
                connection->closeIdle();
                ++closed;
            }
        }
        return closed;
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        int id = 0;
        {
            QMutexLocker lock(&m_state->mutex);
            id = ++m_state->accepted;
            ++m_state->open;
        }
        m_connections.append(new BackendConnection(descriptor, id, m_state, this));
        m_connections.removeIf([](const QPointer<BackendConnection> &c) { return c.isNull(); });
    }

private:
    std::shared_ptr<BackendState> m_state;
    QList<QPointer<BackendConnection>> m_connections;
};

} // namespace detail

FakeBackend::FakeBackend(QString name)
    : m_name(std::move(name)), m_state(std::make_shared<detail::BackendState>())
{
    m_state->name = m_name;
    m_thread.setObjectName(u"FakeBackend "_s + m_name);
}

FakeBackend::~FakeBackend()
{
    shutdownServer();
    releasePort();
}

bool FakeBackend::start(quint16 port)
{
    if (m_server != nullptr)
        return true;
    releasePort();
    m_thread.start();
    m_server = new detail::BackendServer(m_state);
    m_server->moveToThread(&m_thread);
    // QThread deletes pending deferred objects as it finishes, so the server dies on its own thread.
    QObject::connect(&m_thread, &QThread::finished, m_server, &QObject::deleteLater);
    bool listening = false;
    detail::BackendServer *server = m_server;
    QMetaObject::invokeMethod(
        server,
        [server, &listening, &port, this] {
            listening = server->listen(m_address, port);
            port = server->serverPort();
        },
        Qt::BlockingQueuedConnection);
    m_port = port;
    if (!listening)
        stop();
    return listening;
}

void FakeBackend::stop()
{
    if (m_server == nullptr)
        return;
    shutdownServer();
    reservePort();
}

void FakeBackend::shutdownServer()
{
    if (m_server == nullptr)
        return;
    detail::BackendServer *server = m_server;
    QMetaObject::invokeMethod(
        server, [server] { server->shutdown(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_server = nullptr;
}

void FakeBackend::reservePort()
{
    if (m_port == 0 || m_portReservation >= 0)
        return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(m_port);
    address.sin_addr.s_addr = htonl(m_address.toIPv4Address());
    // Bound but not listening: a connect to it is refused, and the kernel never picks a bound port as
    // the ephemeral port of an outgoing connection. Without SO_REUSEADDR no other socket can bind it
    // either; with it only when connections of the old listener linger in TIME_WAIT on the port.
    for (const int reuse : {0, 1}) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
        if (::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0) {
            m_portReservation = fd;
            return;
        }
        ::close(fd);
    }
}

void FakeBackend::releasePort()
{
    if (m_portReservation < 0)
        return;
    ::close(m_portReservation);
    m_portReservation = -1;
}

int FakeBackend::closeIdleConnections()
{
    if (m_server == nullptr)
        return 0;
    int closed = 0;
    detail::BackendServer *server = m_server;
    QMetaObject::invokeMethod(
        server, [server, &closed] { closed = server->closeIdleConnections(); }, Qt::BlockingQueuedConnection);
    return closed;
}

bool FakeBackend::isListening() const
{
    return m_server != nullptr;
}

QString FakeBackend::url() const
{
    return u"http://"_s + m_address.toString() + u':' + QString::number(m_port);
}

QString FakeBackend::backendFlag(int weight) const
{
    QString flag = url() + u",name="_s + m_name;
    if (weight >= 0)
        flag += u",weight="_s + QString::number(weight);
    return flag;
}

void FakeBackend::setDefaultBehaviour(const Behaviour &behaviour)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->defaultBehaviour = behaviour;
}

void FakeBackend::setBehaviour(const QByteArray &path, const Behaviour &behaviour)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->byPath.insert(path, behaviour);
}

void FakeBackend::setBehaviourSequence(const QByteArray &path, const QList<Behaviour> &sequence)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->sequenceNext.remove(path);
    if (sequence.isEmpty())
        m_state->sequences.remove(path);
    else
        m_state->sequences.insert(path, sequence);
}

QList<RecordedRequest> FakeBackend::requests() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->records;
}

RecordedRequest FakeBackend::lastRequest() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->records.isEmpty() ? RecordedRequest{} : m_state->records.constLast();
}

int FakeBackend::requestCount() const
{
    QMutexLocker lock(&m_state->mutex);
    return static_cast<int>(m_state->records.size());
}

int FakeBackend::requestCount(const QByteArray &path) const
{
    QMutexLocker lock(&m_state->mutex);
    return static_cast<int>(std::count_if(m_state->records.cbegin(), m_state->records.cend(),
                                          [&path](const RecordedRequest &request) {
                                              return detail::BackendState::pathOf(request.target) == path;
                                          }));
}

int FakeBackend::responseCount(const QByteArray &path, int status) const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->answered.value(path).value(status);
}

int FakeBackend::headCount() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->heads;
}

int FakeBackend::connectionCount() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->accepted;
}

int FakeBackend::openConnectionCount() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->open;
}

int FakeBackend::parseErrorCount() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->parseErrors;
}

void FakeBackend::clearRecords()
{
    QMutexLocker lock(&m_state->mutex);
    m_state->records.clear();
    m_state->answered.clear();
    m_state->heads = 0;
    m_state->accepted = 0;
    m_state->parseErrors = 0;
}

QByteArray FakeBackend::pattern(qint64 size)
{
    QByteArray out(size, Qt::Uninitialized);
    char *data = out.data();
    quint32 x = 0x9e3779b9u; // xorshift32: period 2^32 - 1
    for (qint64 i = 0; i < size; i += 4) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        for (qint64 k = 0; k < 4 && i + k < size; ++k)
            data[i + k] = static_cast<char>((x >> (8 * k)) & 0xff);
    }
    return out;
}

QByteArray FakeBackend::sha256Hex(QByteArrayView data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

} // namespace fulcrum::test

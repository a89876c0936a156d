// Shared helpers for tests that talk to a real server over loopback sockets.
#pragma once

#include "chatserver.h"
#include "framedecoder.h"
#include "message.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace ConfabTest {

using namespace Confab;

// Fast hashing for tests only; production uses PasswordHasher::DefaultIterations.
constexpr int TestIterations = 1000;

// A server on 127.0.0.1, port 0, with its database in a fresh temporary directory.
struct TestServer {
    QTemporaryDir dir;
    std::unique_ptr<ChatServer> server;

    explicit TestServer(ServerConfig config = {})
    {
        config.host = QHostAddress::LocalHost;
        config.port = 0;
        config.dataDir = dir.path();
        config.passwordIterations = TestIterations;
        server = std::make_unique<ChatServer>(config);
    }
    bool start()
    {
        QString error;
        const bool ok = server->start(&error);
        if (!ok)
            qWarning() << error;
        return ok;
    }
    quint16 port() const { return server->tcpPort(); }
    // Stops this server and starts a new one on the same data directory.
    bool restart()
    {
        ServerConfig config = server->config();
        server.reset();
        config.port = 0;
        server = std::make_unique<ChatServer>(config);
        return start();
    }
};

// A protocol peer built from a bare QTcpSocket, so tests can also send what no real client would.
class RawPeer
{
public:
    explicit RawPeer(quint16 port)
    {
        // The server runs on this same thread: wait by spinning the event loop, never by blocking.
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        m_connected = QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, 5000);
    }
    bool isConnected() const { return m_connected; }
    QTcpSocket &socket() { return m_socket; }

    void send(const Message &message) { sendRaw(message.toFrame()); }
    void sendRaw(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }

    // The next message of any type, skipping Pings when autoPong is on (they are answered).
    std::optional<Message> next(int timeoutMs = 5000)
    {
        QElapsedTimer timer;
        timer.start();
        for (;;) {
            QByteArray payload;
            const FrameDecoder::Status status = m_decoder.next(&payload);
            if (status == FrameDecoder::Status::Frame) {
                DecodeResult r = Message::decode(payload);
                if (!r.ok()) {
                    qWarning() << "undecodable frame from server:" << r.detail;
                    return std::nullopt;
                }
                if (autoPong && r.message.type() == MessageType::Ping) {
                    send(Message::pong(quint64(r.message.integer(Key::Nonce))));
                    continue;
                }
                return r.message;
            }
            if (status == FrameDecoder::Status::Error)
                return std::nullopt;
            if (m_socket.bytesAvailable() > 0) {
                m_decoder.append(m_socket.readAll());
                continue;
            }
            const qint64 left = timeoutMs - timer.elapsed();
            if (left <= 0 || m_socket.state() != QAbstractSocket::ConnectedState)
                return std::nullopt;
            (void)QTest::qWaitFor([this] { return m_socket.bytesAvailable() > 0 || m_socket.state() != QAbstractSocket::ConnectedState; },
                            int(left));
        }
    }

    // The next message of the given type; other types in between are discarded.
    std::optional<Message> expect(MessageType type, int timeoutMs = 5000)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            std::optional<Message> m = next(int(timeoutMs - timer.elapsed()));
            if (!m)
                return std::nullopt;
            if (m->type() == type)
                return m;
        }
        return std::nullopt;
    }

    // Waits until the server closes the connection (after reading whatever it sent first).
    bool waitClosed(int timeoutMs = 5000)
    {
        const bool closed = QTest::qWaitFor([this] {
            m_decoder.append(m_socket.readAll());
            return m_socket.state() != QAbstractSocket::ConnectedState;
        }, timeoutMs);
        m_decoder.append(m_socket.readAll());
        return closed;
    }

    // Hello + Login; returns the reply (LoginOk or Error).
    std::optional<Message> login(const QString &user, const QString &password, quint64 id = 1)
    {
        send(Message::hello(QStringLiteral("rawpeer/1")));
        if (!expect(MessageType::Welcome))
            return std::nullopt;
        send(Message::login(id, user, password));
        for (;;) {
            std::optional<Message> m = next(15000);
            if (!m || m->type() == MessageType::LoginOk || m->type() == MessageType::Error)
                return m;
        }
    }

    bool autoPong = true;

private:
    QTcpSocket m_socket;
    FrameDecoder m_decoder;
    bool m_connected = false;
};

inline ErrorCode errorCodeOf(const std::optional<Message> &m)
{
    if (!m || m->type() != MessageType::Error)
        return ErrorCode::None;
    return ErrorCode(m->integer(Key::Code));
}

} // namespace ConfabTest

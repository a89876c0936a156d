// Shared helpers for tests that talk to a real server over loopback sockets.
#pragma once

#include "isolatedhome.h"

#include "chatserver.h"
#include "framedecoder.h"
#include "message.h"
#include "udpchanneldriver.h"

#include <QNetworkDatagram>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QUdpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <deque>
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
    // The port clients use: TCP's, which UDP shares; UDP's when only UDP is served.
    quint16 port() const { return server->tcpPort() ? server->tcpPort() : server->udpPort(); }
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

// A protocol peer built from a bare socket, so tests can also send what no real client would.
// Over TCP: a QTcpSocket and a FrameDecoder. Over UDP: a QUdpSocket and a client ReliableChannel
// (through UdpChannelDriver), so the messages are the same and only the framing differs.
class RawPeer
{
public:
    using Transport = Connection::Transport;

    explicit RawPeer(quint16 port)
        : RawPeer(Transport::Tcp, port)
    {
    }
    RawPeer(Transport transport, quint16 port)
        : m_transport(transport)
        , m_port(port)
    {
        // The server runs on this same thread: wait by spinning the event loop, never by blocking.
        if (transport == Transport::Tcp) {
            m_socket.connectToHost(QHostAddress::LocalHost, port);
            m_connected = QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, 5000);
            return;
        }
        m_udp = std::make_unique<QUdpSocket>();
        if (!m_udp->bind(QHostAddress::LocalHost, 0))
            return;
        m_driver = std::make_unique<UdpChannelDriver>(
            ReliableChannel::Role::Client, ReliableChannel::randomConnectionId(),
            [this](const QByteArray &datagram) { m_udp->writeDatagram(datagram, QHostAddress::LocalHost, m_port); });
        QObject::connect(m_udp.get(), &QUdpSocket::readyRead, m_udp.get(), [this] { readDatagrams(); });
        QObject::connect(m_driver.get(), &UdpChannelDriver::payloadReceived, m_driver.get(),
                         [this](const QByteArray &payload) { m_payloads.push_back(payload); });
        QObject::connect(m_driver.get(), &UdpChannelDriver::eventOccurred, m_driver.get(),
                         [this](ReliableChannel::Event event) {
                             if (event == ReliableChannel::Event::Connected)
                                 m_connected = true;
                             else
                                 m_udpEnded = true; // PeerClosed, Closed, Dead, ProtocolError
                         });
        m_driver->connectToPeer();
        (void)QTest::qWaitFor([this] { return m_connected || m_udpEnded; }, 5000);
    }
    ~RawPeer()
    {
        if (m_driver) {
            // Like closing a TCP socket: the server hears that we are gone (a Close, sent once).
            m_driver->disconnect();
            m_driver->abandon();
        }
    }
    RawPeer(const RawPeer &) = delete;
    RawPeer &operator=(const RawPeer &) = delete;

    Transport transport() const { return m_transport; }
    bool isConnected() const { return m_connected; }
    // TCP only.
    QTcpSocket &socket() { return m_socket; }
    // UDP only: the socket the channel uses, and the channel's connection id.
    QUdpSocket &udpSocket() { return *m_udp; }
    quint32 connectionId() const { return m_driver ? m_driver->connectionId() : 0; }

    void send(const Message &message) { sendPayload(message.encode()); }
    // One message payload, however the transport carries it: a frame over TCP, a channel payload
    // over UDP. The payload may be anything, e.g. bytes that do not decode.
    void sendPayload(const QByteArray &payload)
    {
        if (m_transport == Transport::Tcp)
            sendRaw(frameFromPayload(payload));
        else if (m_driver)
            (void)m_driver->send(payload);
    }
    // Raw bytes: on the TCP stream, or as one datagram from this peer's UDP socket (so from the
    // address and port the server knows this peer by).
    void sendRaw(const QByteArray &bytes)
    {
        if (m_transport == Transport::Tcp) {
            m_socket.write(bytes);
            m_socket.flush();
        } else {
            m_udp->writeDatagram(bytes, QHostAddress::LocalHost, m_port);
        }
    }

    // Hangs up without Quit: a TCP reset, or a UDP Close sent once (no wait for its answer).
    void abort()
    {
        if (m_transport == Transport::Tcp) {
            m_socket.abort();
            return;
        }
        if (m_driver) {
            m_driver->disconnect();
            m_driver->abandon();
        }
        m_udpEnded = true;
    }

    // The next message of any type, skipping Pings when autoPong is on (they are answered).
    std::optional<Message> next(int timeoutMs = 5000)
    {
        QElapsedTimer timer;
        timer.start();
        for (;;) {
            QByteArray payload;
            if (!takePayload(&payload))
                return std::nullopt;
            if (payload.isNull()) {
                const qint64 left = timeoutMs - timer.elapsed();
                if (left <= 0 || !isOpen())
                    return std::nullopt;
                (void)QTest::qWaitFor([this] { return hasInput() || !isOpen(); }, int(left));
                continue;
            }
            DecodeResult r = Message::decode(payload);
            if (!r.ok()) {
                qWarning() << "undecodable payload from server:" << r.detail;
                return std::nullopt;
            }
            if (autoPong && r.message.type() == MessageType::Ping) {
                send(Message::pong(quint64(r.message.integer(Key::Nonce))));
                continue;
            }
            return r.message;
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
        if (m_transport == Transport::Udp)
            return QTest::qWaitFor([this] { return m_udpEnded; }, timeoutMs);
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
    bool isOpen() const
    {
        if (m_transport == Transport::Udp)
            return !m_udpEnded;
        return m_socket.state() == QAbstractSocket::ConnectedState;
    }
    bool hasInput()
    {
        if (m_transport == Transport::Udp)
            return !m_payloads.empty();
        return m_socket.bytesAvailable() > 0;
    }
    // The next complete payload into *payload (null when none is there yet); false when the
    // stream broke (TCP framing error).
    bool takePayload(QByteArray *payload)
    {
        *payload = QByteArray();
        if (m_transport == Transport::Udp) {
            if (!m_payloads.empty()) {
                *payload = m_payloads.front();
                m_payloads.pop_front();
            }
            return true;
        }
        for (;;) {
            const FrameDecoder::Status status = m_decoder.next(payload);
            if (status == FrameDecoder::Status::Frame)
                return true;
            if (status == FrameDecoder::Status::Error)
                return false;
            *payload = QByteArray();
            if (m_socket.bytesAvailable() <= 0)
                return true;
            m_decoder.append(m_socket.readAll());
        }
    }
    void readDatagrams()
    {
        while (m_udp->hasPendingDatagrams()) {
            const QNetworkDatagram datagram = m_udp->receiveDatagram(UdpWire::MaxDatagramSize + 1);
            if (!datagram.isValid())
                break;
            if (datagram.senderPort() == m_port && m_driver)
                m_driver->handleDatagram(datagram.data());
        }
        if (m_driver)
            m_driver->drain();
    }

    Transport m_transport;
    quint16 m_port;
    QTcpSocket m_socket;
    FrameDecoder m_decoder;
    std::unique_ptr<QUdpSocket> m_udp;
    std::unique_ptr<UdpChannelDriver> m_driver; // after m_udp: it writes through it while going
    std::deque<QByteArray> m_payloads;
    bool m_udpEnded = false;
    bool m_connected = false;
};

// Every test function of a suite runs once per transport: call from initTestCase_data(), then
// QFETCH_GLOBAL(RawPeer::Transport, transport) where needed.
inline void addTransportRows()
{
    QTest::addColumn<RawPeer::Transport>("transport");
    QTest::newRow("tcp") << RawPeer::Transport::Tcp;
    QTest::newRow("udp") << RawPeer::Transport::Udp;
}

inline QString transportName(RawPeer::Transport transport)
{
    return transport == RawPeer::Transport::Tcp ? QStringLiteral("tcp") : QStringLiteral("udp");
}

inline ErrorCode errorCodeOf(const std::optional<Message> &m)
{
    if (!m || m->type() != MessageType::Error)
        return ErrorCode::None;
    return ErrorCode(m->integer(Key::Code));
}

} // namespace ConfabTest

#include "demopeer.h"

#include "tlsfingerprint.h"
#include "udpconnection.h"

using namespace Confab;

namespace ConfabDemo {

DemoPeer::DemoPeer(const QString &user, const QString &password, const QHostAddress &localAddress, QObject *parent)
    : QObject(parent)
    , m_user(user)
    , m_password(password)
    , m_localAddress(localAddress)
{
    // Over TLS nothing is said before the handshake has succeeded.
    connect(&m_socket, &QSslSocket::connected, this, [this] {
        if (m_trustedFingerprint.isEmpty())
            onConnected();
    });
    connect(&m_socket, &QSslSocket::encrypted, this, &DemoPeer::onConnected);
    connect(&m_socket, &QSslSocket::sslErrors, this, [this] {
        // A self-signed certificate fails verification; the one we were told about is fine.
        if (certificateFingerprint(m_socket.peerCertificate()) == m_trustedFingerprint)
            m_socket.ignoreSslErrors();
    });
    connect(&m_socket, &QTcpSocket::readyRead, this, &DemoPeer::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        m_loggedIn = false;
        emit closed();
    });
}

void DemoPeer::connectToServer(const QHostAddress &host, quint16 port, const QString &trustedFingerprint)
{
    m_trustedFingerprint = normalizedFingerprint(trustedFingerprint);
    if (m_overUdp) {
        connectOverUdp(host, port);
        return;
    }
    if (!m_localAddress.isNull() && !m_socket.bind(m_localAddress, 0))
        qWarning("demo peer %s: cannot bind %s: %s", qPrintable(m_user), qPrintable(m_localAddress.toString()),
                 qPrintable(m_socket.errorString()));
    if (m_trustedFingerprint.isEmpty())
        m_socket.connectToHost(host, port);
    else
        m_socket.connectToHostEncrypted(host.toString(), port);
}

void DemoPeer::connectOverUdp(const QHostAddress &host, quint16 port)
{
    m_udp = new UdpConnection(this);
    connect(m_udp, &Connection::sslErrors, m_udp, [this] {
        if (certificateFingerprint(m_udp->peerCertificate()) == m_trustedFingerprint)
            m_udp->ignoreSslErrors();
    }, Qt::DirectConnection);
    connect(m_udp, &Connection::connected, this, &DemoPeer::onConnected);
    connect(m_udp, &Connection::messageReceived, this, &DemoPeer::handle);
    connect(m_udp, &Connection::disconnected, this, [this] {
        m_loggedIn = false;
        emit closed();
    });
    if (m_trustedFingerprint.isEmpty())
        m_udp->connectToHost(host.toString(), port);
    else
        m_udp->connectToHostEncrypted(host.toString(), port, QSslConfiguration::defaultDtlsConfiguration());
}

void DemoPeer::send(const Message &message)
{
    if (m_udp) {
        if (m_udp->isOpen())
            m_udp->send(message);
        return;
    }
    if (m_socket.state() == QAbstractSocket::ConnectedState && (m_trustedFingerprint.isEmpty() || m_socket.isEncrypted()))
        m_socket.write(message.toFrame());
}

void DemoPeer::quit(const QString &reason)
{
    send(Message::quit(reason));
    if (m_udp)
        m_udp->close();
    else
        m_socket.disconnectFromHost();
}

void DemoPeer::onConnected()
{
    send(Message::hello(QStringLiteral("confab-demo/1")));
}

void DemoPeer::onReadyRead()
{
    m_decoder.append(m_socket.readAll());
    QByteArray payload;
    while (m_decoder.next(&payload) == FrameDecoder::Status::Frame) {
        const DecodeResult decoded = Message::decode(payload);
        if (decoded.ok())
            handle(decoded.message);
    }
}

void DemoPeer::handle(const Message &m)
{
    switch (m.type()) {
    case MessageType::Ping:
        send(Message::pong(quint64(m.integer(Key::Nonce))));
        break;
    case MessageType::Welcome:
        if (!m_user.isEmpty())
            send(Message::login(nextId(), m_user, m_password));
        break;
    case MessageType::LoginOk:
        m_loggedIn = true;
        emit loggedIn();
        break;
    default:
        break;
    }
    emit received(m);
}

} // namespace ConfabDemo

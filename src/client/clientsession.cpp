#include "clientsession.h"

#include "tcpconnection.h"
#include "tlsfingerprint.h"
#include "udpconnection.h"

#include <QMetaObject>

#include <algorithm>

namespace Confab {

Q_LOGGING_CATEGORY(lcClient, "confab.client")

namespace {

QDateTime timestampOf(const Message &message, const QString &key)
{
    if (message.contains(key))
        return QDateTime::fromMSecsSinceEpoch(message.integer(key));
    return QDateTime::currentDateTime();
}

OnlineUser onlineUserFrom(const QCborMap &map)
{
    OnlineUser user;
    user.name = map.value(Key::User).toString();
    const QCborValue since = map.value(Key::Since);
    if (since.isInteger())
        user.since = QDateTime::fromMSecsSinceEpoch(since.toInteger());
    user.transport = map.value(Key::Transport).toString();
    return user;
}

// Cuts text to at most maxBytes of UTF-8 without splitting a character.
QString truncatedUtf8(QString text, int maxBytes)
{
    while (text.toUtf8().size() > maxBytes)
        text.chop(text.size() >= 2 && text.at(text.size() - 1).isLowSurrogate() ? 2 : 1);
    return text;
}

} // namespace

ClientSession::ClientSession(QObject *parent)
    : QObject(parent)
    , m_agent(QStringLiteral("confab/%1").arg(QLatin1String(CONFAB_VERSION_STRING)))
{
    m_phaseTimer.setSingleShot(true);
    connect(&m_phaseTimer, &QTimer::timeout, this, &ClientSession::onPhaseTimeout);
    m_closeTimer.setSingleShot(true);
    connect(&m_closeTimer, &QTimer::timeout, this, [this] {
        if (m_connection)
            m_connection->abort();
    });
}

ClientSession::~ClientSession()
{
    if (m_connection) {
        disconnect(m_connection, nullptr, this, nullptr);
        m_connection->abort();
    }
}

void ClientSession::setKeepalive(int pingIntervalMs, int idleTimeoutMs)
{
    m_pingIntervalMs = pingIntervalMs;
    m_idleTimeoutMs = idleTimeoutMs;
    if (m_connection)
        m_connection->setKeepalive(pingIntervalMs, idleTimeoutMs);
}

void ClientSession::setState(State state)
{
    if (m_state == state)
        return;
    qCDebug(lcClient) << "state" << m_state << "->" << state;
    m_state = state;
    emit stateChanged(state);
}

void ClientSession::startPhaseTimer(int milliseconds)
{
    if (milliseconds > 0)
        m_phaseTimer.start(milliseconds);
    else
        m_phaseTimer.stop();
}

void ClientSession::connectToServer(const QString &host, quint16 port, const QString &user, const QString &password)
{
    if (m_connection) {
        // Forget the previous connection quietly: this call replaces it.
        disconnect(m_connection, nullptr, this, nullptr);
        m_connection->abort();
        m_connection->deleteLater();
        m_connection = nullptr;
    }
    cancelProbe();
    m_phaseTimer.stop();
    m_closeTimer.stop();
    failAllPending(tr("the connection was replaced"));

    m_host = host;
    m_port = port;
    m_user = user;
    m_password = password;
    m_serverName.clear();
    m_endReason.clear();
    m_endReported = false;
    m_established = false;
    m_loginRequestId = 0;
    m_maxTextBytes = Limits::MaxTextBytes;
    if (m_roundTripMs != -1) {
        m_roundTripMs = -1;
        emit roundTripChanged(-1);
    }

    m_activeTransport = Transport::Auto;
    m_probedTransports.reset();
    m_tlsAfterPlain = false;
    m_trustedNow.clear();
    m_fingerprintAwaitingTrust.clear();
    clearEncryption();

    qCInfo(lcClient) << "connecting to" << host << port << "as" << user << "over" << transportName(m_transport);
    setState(State::Connecting);
    startPhaseTimer(m_connectTimeoutMs);
    if (m_transport != Transport::Auto) {
        startConnection(m_transport);
        return;
    }
    // Auto: ask the server which transports it serves (docs/PROTOCOL-UDP.md §15).
    auto *probe = new UdpProbe(this);
    m_probe = probe;
    connect(probe, &UdpProbe::answered, this, [this](quint16 transports) { onProbeAnswered(transports); });
    connect(probe, &UdpProbe::failed, this, [this](const QString &reason) {
        qCDebug(lcClient) << "probe:" << reason << "; trying TCP";
        cancelProbe();
        startConnection(Transport::Tcp);
    });
    probe->start(host, port, m_probeTimeoutMs);
}

void ClientSession::onProbeAnswered(quint16 transports)
{
    cancelProbe();
    m_probedTransports = transports;
    qCDebug(lcClient) << "the server serves" << Qt::hex << transports;
    // TCP whenever it is served (it needs no keepalive traffic to stay up through NATs and
    // firewalls); UDP when it is the only one.
    const bool udpOnly = !(transports & UdpWire::TransportTcp) && (transports & UdpWire::TransportUdp);
    startConnection(udpOnly ? Transport::Udp : Transport::Tcp);
}

void ClientSession::cancelProbe()
{
    if (!m_probe)
        return;
    m_probe->disconnect(this);
    m_probe->abort();
    m_probe->deleteLater();
    m_probe = nullptr;
}

void ClientSession::startConnection(Transport transport)
{
    m_verdict = CertificateVerdict::None;
    m_serverTrust = ServerTrust::None;
    m_tlsAttempt = useTls(transport);
    m_tlsRetryAllowed = !m_tlsAttempt && m_tlsMode == TlsMode::Auto && !m_probedTransports && !m_tlsAfterPlain;
    Connection *connection = nullptr;
    if (transport == Transport::Udp) {
        auto *udp = new UdpConnection(this);
        connect(udp, &UdpConnection::connectFailed, this, &ClientSession::onConnectFailed);
        connect(udp, &UdpConnection::encryptionRequired, this, &ClientSession::onEncryptionRequired);
        connection = udp;
    } else {
        auto *tcp = new TcpConnection(this);
        connect(tcp, &TcpConnection::connectFailed, this, &ClientSession::onConnectFailed);
        connection = tcp;
    }
    if (m_tlsAttempt) {
        // Direct: the verdict must be given while the handshake waits for it.
        connect(connection, &Connection::sslErrors, this, &ClientSession::onSslErrors, Qt::DirectConnection);
        connect(connection, &Connection::handshakeFailed, this, &ClientSession::onHandshakeFailed);
    }
    m_connection = connection;
    connection->setKeepalive(m_pingIntervalMs, m_idleTimeoutMs);
    connect(connection, &Connection::connected, this, &ClientSession::onConnected);
    connect(connection, &Connection::messageReceived, this, &ClientSession::onMessage);
    connect(connection, &Connection::invalidMessage, this, &ClientSession::onInvalidMessage);
    connect(connection, &Connection::protocolError, this, &ClientSession::onProtocolError);
    connect(connection, &Connection::timedOut, this, &ClientSession::onTimedOut);
    connect(connection, &Connection::disconnected, this, &ClientSession::onConnectionDisconnected);
    connect(connection, &Connection::roundTripMeasured, this, [this](int milliseconds) {
        m_roundTripMs = milliseconds;
        emit roundTripChanged(milliseconds);
    });

    m_activeTransport = transport;
    qCDebug(lcClient) << "using" << transportName(transport) << (m_tlsAttempt ? "with " + encryptionName() : QString());
    emit transportChosen(transport);
    if (m_connection != connection)
        return; // a slot replaced or dropped this attempt
    if (auto *udp = qobject_cast<UdpConnection *>(connection)) {
        if (m_tlsAttempt)
            udp->connectToHostEncrypted(m_host, m_port, clientTlsConfiguration());
        else
            udp->connectToHost(m_host, m_port);
    } else if (m_tlsAttempt)
        static_cast<TcpConnection *>(connection)->connectToHostEncrypted(m_host, m_port, clientTlsConfiguration());
    else
        static_cast<TcpConnection *>(connection)->connectToHost(m_host, m_port);
}

// Forgets the connection in use without hearing from it again. Deleted later, not aborted here:
// this may run inside its socket's own signal.
void ClientSession::detachConnection()
{
    if (!m_connection)
        return;
    Connection *connection = m_connection;
    m_connection = nullptr;
    disconnect(connection, nullptr, this, nullptr);
    connection->deleteLater();
}

QString ClientSession::transportName(Transport transport)
{
    switch (transport) {
    case Transport::Auto: return QStringLiteral("auto");
    case Transport::Tcp: return QStringLiteral("tcp");
    case Transport::Udp: return QStringLiteral("udp");
    }
    return {};
}

std::optional<ClientSession::Transport> ClientSession::transportFromName(const QString &name)
{
    for (Transport transport : {Transport::Auto, Transport::Tcp, Transport::Udp}) {
        if (name.compare(transportName(transport), Qt::CaseInsensitive) == 0)
            return transport;
    }
    return std::nullopt;
}

void ClientSession::login(const QString &user, const QString &password)
{
    if (m_state != State::Connected) {
        qCWarning(lcClient) << "login() ignored in state" << m_state;
        return;
    }
    m_user = user;
    m_password = password;
    sendLogin();
}

void ClientSession::sendLogin()
{
    m_loginRequestId = nextRequestId();
    m_connection->send(Message::login(m_loginRequestId, m_user, m_password));
    setState(State::LoggingIn);
    startPhaseTimer(m_loginTimeoutMs);
}

void ClientSession::quit(const QString &reason)
{
    switch (m_state) {
    case State::Disconnected:
    case State::Closing:
        return;
    case State::Connecting:
        abort();
        return;
    case State::LoggedIn:
        m_connection->send(Message::quit(truncatedUtf8(reason, Limits::MaxQuitReasonBytes)));
        break;
    case State::Handshaking:
    case State::Connected:
    case State::LoggingIn:
        break; // Quit is a command of logged-in sessions; before that we simply hang up
    }
    m_phaseTimer.stop();
    setState(State::Closing);
    m_closeTimer.start(5000); // a peer that never reads must not keep us waiting
    m_connection->close();   // flushes Quit first; may report disconnected() at once
}

void ClientSession::abort()
{
    if (m_state == State::Disconnected)
        return;
    cancelProbe();
    m_phaseTimer.stop();
    setState(State::Closing);
    if (m_connection)
        m_connection->abort(); // reports disconnected() synchronously
    if (m_state != State::Disconnected)
        onDisconnected();
}

quint64 ClientSession::refuse(ErrorCode code, const QString &message)
{
    const quint64 id = nextRequestId();
    m_pending.insert(id, MessageType::Invalid);
    // Answer later, so the caller has the id before the answer arrives.
    QMetaObject::invokeMethod(this, [this, id, code, message] {
        if (m_pending.remove(id))
            emit requestFailed(id, code, message);
    }, Qt::QueuedConnection);
    return id;
}

bool ClientSession::checkText(const QString &text, quint64 *refusedId)
{
    if (m_state != State::LoggedIn) {
        *refusedId = refuse(ErrorCode::NotLoggedIn, describeError(ErrorCode::NotLoggedIn));
        return false;
    }
    if (text.isEmpty() || text.toUtf8().size() > m_maxTextBytes) {
        *refusedId = refuse(ErrorCode::TextTooLong,
                            text.isEmpty() ? tr("the message is empty")
                                           : tr("the message is longer than %1 bytes").arg(m_maxTextBytes));
        return false;
    }
    return true;
}

quint64 ClientSession::sendLobbyMessage(const QString &text)
{
    quint64 refused = 0;
    if (!checkText(text, &refused))
        return refused;
    const quint64 id = nextRequestId();
    m_pending.insert(id, MessageType::PostLobby);
    m_connection->send(Message::postLobby(id, text));
    return id;
}

quint64 ClientSession::sendDirectMessage(const QString &user, const QString &text)
{
    quint64 refused = 0;
    if (!checkText(text, &refused))
        return refused;
    const QString to = user.trimmed();
    if (to.isEmpty())
        return refuse(ErrorCode::NoSuchUser, tr("no recipient given"));
    const quint64 id = nextRequestId();
    m_pending.insert(id, MessageType::PostDm);
    m_connection->send(Message::postDm(id, to, text));
    return id;
}

quint64 ClientSession::requestUserList()
{
    if (m_state != State::LoggedIn)
        return refuse(ErrorCode::NotLoggedIn, describeError(ErrorCode::NotLoggedIn));
    const quint64 id = nextRequestId();
    m_pending.insert(id, MessageType::ListUsers);
    m_connection->send(Message::listUsers(id));
    return id;
}

void ClientSession::onConnected()
{
    m_established = true;
    qCDebug(lcClient) << "connected; saying hello";
    setState(State::Handshaking);
    startPhaseTimer(m_connectTimeoutMs);
    m_connection->send(Message::hello(m_agent));
    if (m_connection->isEncrypted()) {
        m_serverCertificate = m_connection->peerCertificate();
        m_serverFingerprint = certificateFingerprint(m_serverCertificate);
        if (m_serverTrust == ServerTrust::None)
            m_serverTrust = ServerTrust::CertificateAuthority;
        qCInfo(lcClient).noquote() << encryptionName() << "established; server certificate" << m_serverFingerprint
                                   << "trusted by" << m_serverTrust;
        emit encryptionChanged(true, m_serverFingerprint);
    }
}

void ClientSession::onMessage(const Message &message)
{
    switch (message.type()) {
    case MessageType::Welcome:
        handleWelcome(message);
        return;
    case MessageType::LoginOk:
        handleLoginOk(message);
        return;
    case MessageType::Error:
        handleError(message);
        return;
    case MessageType::Delivered:
        handleDelivered(message);
        return;
    case MessageType::UserList:
        handleUserList(message);
        return;
    case MessageType::LobbyMessage:
        emit lobbyMessageReceived(message.text(Key::From), message.text(Key::Text), timestampOf(message, Key::Ts));
        return;
    case MessageType::DmMessage:
        emit directMessageReceived(message.text(Key::From), message.text(Key::To), message.text(Key::Text),
                                   timestampOf(message, Key::Ts));
        return;
    case MessageType::UserJoined:
        emit userJoined(onlineUserFrom(message.toCborMap()));
        return;
    case MessageType::UserLeft:
        emit userLeft(message.text(Key::User), message.text(Key::Reason));
        return;
    case MessageType::ServerShutdown: {
        const QString reason = message.text(Key::Reason);
        m_endReason = reason.isEmpty() ? tr("the server shut down")
                                       : tr("the server shut down: %1").arg(reason);
        emit serverShutdown(reason);
        return;
    }
    case MessageType::Notice:
        emit noticeReceived(message.text(Key::Text), timestampOf(message, Key::Ts));
        return;
    case MessageType::SessionEnded: {
        const QString reason = message.text(Key::Reason);
        m_endReason = reason.isEmpty() ? tr("the server's administrator ended the session")
                                       : tr("the server's administrator ended the session: %1").arg(reason);
        emit sessionEnded(reason, message.text(Key::By));
        return;
    }
    default:
        if (dispatchRoomMessage(message) || dispatchRendezvousMessage(message))
            return;
        qCWarning(lcClient) << "ignoring unexpected" << messageTypeName(message.type()) << "from the server";
        return;
    }
}

void ClientSession::handleWelcome(const Message &message)
{
    if (m_state != State::Handshaking) {
        qCWarning(lcClient) << "ignoring Welcome in state" << m_state;
        return;
    }
    const qint64 version = message.integer(Key::Version);
    if (version != qint64(ProtocolVersion)) {
        m_endReason = tr("the server speaks protocol version %1; this client speaks %2")
                          .arg(version).arg(ProtocolVersion);
        emit errorOccurred(Error::ProtocolError, ErrorCode::VersionMismatch, m_endReason);
        m_connection->close();
        return;
    }
    m_serverName = message.text(Key::Server);
    const qint64 maxText = message.map(Key::Limits).value(Key::MaxText).toInteger(0);
    if (maxText > 0)
        m_maxTextBytes = int(qMin<qint64>(maxText, Limits::MaxTextBytes));
    qCDebug(lcClient) << "welcomed by" << m_serverName;
    sendLogin();
}

void ClientSession::handleLoginOk(const Message &message)
{
    if (m_state != State::LoggingIn) {
        qCWarning(lcClient) << "ignoring LoginOk in state" << m_state;
        return;
    }
    m_phaseTimer.stop();
    m_password.clear();
    m_loginRequestId = 0;
    m_user = message.text(Key::User);
    setState(State::LoggedIn);
    emit loggedIn(m_user, message.boolean(Key::Created));
    if (m_state == State::LoggedIn)
        requestUserList();
}

void ClientSession::handleError(const Message &message)
{
    const auto code = ErrorCode(message.integer(Key::Code));
    QString text = message.text(Key::Message);
    if (text.isEmpty())
        text = describeError(code);
    const quint64 re = message.replyTo();
    const bool fatal = message.boolean(Key::Fatal) || isFatalError(code);
    if (fatal)
        m_endReason = text;
    qCDebug(lcClient) << "server error" << errorCodeName(code) << text << "re" << re << "fatal" << fatal;

    const bool answersLogin = m_state == State::LoggingIn && (re == m_loginRequestId || (re == 0 && !fatal));
    if (answersLogin) {
        m_phaseTimer.stop();
        m_password.clear();
        m_loginRequestId = 0;
        setState(State::Connected);
        emit loginFailed(code, text);
        return;
    }
    if (re != 0 && m_pending.contains(re)) {
        m_pending.remove(re);
        emit requestFailed(re, code, text);
        return;
    }
    emit errorOccurred(Error::ServerError, code, text);
}

void ClientSession::handleDelivered(const Message &message)
{
    const quint64 re = message.replyTo();
    if (!m_pending.remove(re)) {
        qCWarning(lcClient) << "Delivered for unknown request" << re;
        return;
    }
    emit delivered(re, int(message.integer(Key::Count)), timestampOf(message, Key::Ts));
}

void ClientSession::handleUserList(const Message &message)
{
    m_pending.remove(message.replyTo());
    QList<OnlineUser> users;
    const QCborArray array = message.array(Key::Users);
    users.reserve(array.size());
    for (const QCborValue &value : array) {
        OnlineUser user = onlineUserFrom(value.toMap());
        if (!user.name.isEmpty())
            users.append(user);
    }
    emit userListReceived(users);
}

void ClientSession::onInvalidMessage(ErrorCode code, const QString &detail, quint64 requestId)
{
    Q_UNUSED(requestId)
    qCWarning(lcClient) << "unreadable message from the server:" << errorCodeName(code) << detail;
    emit errorOccurred(Error::ProtocolError, code, tr("unreadable message from the server: %1").arg(detail));
}

void ClientSession::onProtocolError(ErrorCode code, const QString &detail)
{
    Q_UNUSED(code)
    m_endReason = tr("the data from the server made no sense (%1)").arg(detail);
}

void ClientSession::onTimedOut()
{
    m_endReason = tr("the server stopped answering");
}

void ClientSession::onConnectFailed(const QString &reason)
{
    if (m_established || m_state != State::Connecting)
        return;
    m_endReason = tr("could not connect to %1:%2: %3").arg(m_host).arg(m_port).arg(reason);
    m_endReported = true;
    emit errorOccurred(Error::ConnectFailed, ErrorCode::None, m_endReason);
    // A connection that never came up reports no disconnected(); finish here.
    onDisconnected();
}

void ClientSession::onPhaseTimeout()
{
    if (!m_connection && !m_probe)
        return;
    switch (m_state) {
    case State::Connecting:
        m_endReason = tr("could not connect to %1:%2: no answer").arg(m_host).arg(m_port);
        m_endReported = true;
        emit errorOccurred(Error::TimedOut, ErrorCode::None, m_endReason);
        break;
    case State::Handshaking:
        m_endReason = tr("the server did not answer the handshake");
        break;
    case State::LoggingIn:
        m_endReason = tr("the server did not answer the login");
        break;
    default:
        return;
    }
    cancelProbe();
    m_tlsRetryAllowed = false; // silence is not a reason to try TLS
    if (m_connection)
        m_connection->abort();
    if (m_state != State::Disconnected)
        onDisconnected();
}

// Auto TLS, plain attempt: a server that closes the connection before sending a single frame
// is taken to speak only TLS (it read our Hello as a broken TLS record, or answered with a TLS
// alert); the session connects once more, over TLS. Nothing secret was sent: the password goes
// only after the server's Welcome.
void ClientSession::onConnectionDisconnected()
{
    if (m_tlsRetryAllowed && m_state == State::Handshaking && m_connection && m_connection->stats().framesIn == 0) {
        qCInfo(lcClient) << "the server closed a plain connection without a word; trying TLS";
        m_tlsRetryAllowed = false;
        m_tlsAfterPlain = true;
        m_established = false;
        m_endReason.clear();
        detachConnection();
        setState(State::Connecting);
        startPhaseTimer(m_connectTimeoutMs);
        startConnection(Transport::Tcp);
        return;
    }
    if (!m_tlsAttempt && m_state == State::Handshaking && m_endReason.isEmpty() && m_connection
        && m_connection->transport() == Connection::Transport::Tcp && m_connection->stats().framesIn == 0)
        m_endReason = tr("the server closed the connection without a greeting (does it accept TLS only?)");
    onDisconnected();
}

void ClientSession::onDisconnected()
{
    cancelProbe();
    m_phaseTimer.stop();
    m_closeTimer.stop();
    if (m_state == State::Disconnected)
        return;
    const bool asked = m_state == State::Closing;
    const QString reason = m_endReason.isEmpty() ? tr("the server closed the connection") : m_endReason;
    qCInfo(lcClient) << "disconnected;" << (asked ? QStringLiteral("as asked") : reason);
    m_password.clear();
    m_loginRequestId = 0;
    failAllPending(asked ? tr("the connection was closed") : tr("the connection was lost"));
    if (!asked) {
        if (m_established)
            emit connectionLost(reason);
        else if (!m_endReported)
            emit errorOccurred(Error::ConnectFailed, ErrorCode::None, reason);
    }
    m_established = false;
    m_joinedRooms.clear();
    m_fingerprintAwaitingTrust.clear();
    clearEncryption();
    setState(State::Disconnected);
}

void ClientSession::failAllPending(const QString &message)
{
    if (m_pending.isEmpty())
        return;
    QList<quint64> ids = m_pending.keys();
    m_pending.clear();
    std::sort(ids.begin(), ids.end());
    for (quint64 id : std::as_const(ids))
        emit requestFailed(id, ErrorCode::None, message);
}

QString ClientSession::describeError(ErrorCode code)
{
    switch (code) {
    case ErrorCode::NotLoggedIn: return tr("not logged in");
    case ErrorCode::VersionMismatch: return tr("the server does not speak this client's protocol version");
    case ErrorCode::InvalidUsername: return tr("invalid username");
    case ErrorCode::InvalidPassword: return tr("invalid password");
    case ErrorCode::WrongPassword: return tr("wrong password");
    case ErrorCode::AlreadyLoggedIn: return tr("this user is already logged in");
    case ErrorCode::NoSuchUser: return tr("no such user");
    case ErrorCode::UserOffline: return tr("the user is offline");
    case ErrorCode::TextTooLong: return tr("the message is empty or too long");
    case ErrorCode::SlowConsumer: return tr("disconnected for reading too slowly");
    case ErrorCode::SlowDown: return tr("slow down: you are sending too much too fast");
    case ErrorCode::InternalError: return tr("the server had an internal error");
    default: return errorCodeDescription(code);
    }
}

} // namespace Confab

#include "udpconnection.h"

#include "udpsocketoptions.h"

#include <QDtls>
#include <QNetworkDatagram>
#include <QUdpSocket>

namespace Confab {

namespace {

constexpr int FramePrefixSize = 4; // Connection hands writeFrame() a length-prefixed frame

// From a name's addresses, the first IPv4 one (servers listen on 127.0.0.1 by default, and a UDP
// client cannot tell an unserved address from a slow one), else the first of any kind.
QHostAddress preferredAddress(const QList<QHostAddress> &addresses)
{
    for (const QHostAddress &address : addresses) {
        if (address.protocol() == QAbstractSocket::IPv4Protocol)
            return address;
    }
    return addresses.isEmpty() ? QHostAddress() : addresses.constFirst();
}

// The local address to bind for talking to `peer`: IPv4 only for an IPv4 peer, dual-stack otherwise.
QHostAddress bindAddressFor(const QHostAddress &peer)
{
    return peer.protocol() == QAbstractSocket::IPv4Protocol ? QHostAddress(QHostAddress::AnyIPv4)
                                                            : QHostAddress(QHostAddress::Any);
}

// A fan-out hands the same encoded frame to every member: its payload (the frame without the
// length prefix) is cut out once per thread and shared, not copied for each member. The cache
// keeps the frame it was cut from, so that buffer cannot be freed and reused for another frame
// while it is remembered; a frame over foreign memory (fromRawData) is never cached.
QByteArray payloadOf(const QByteArray &frame)
{
    struct LastFrame {
        QByteArray frame;
        QByteArray payload;
    };
    thread_local LastFrame last;
    if (last.frame.constData() == frame.constData() && last.frame.size() == frame.size())
        return last.payload;
    QByteArray owner = frame; // shares the bytes, copies nothing
    if (!owner.data_ptr().isMutable())
        return frame.sliced(FramePrefixSize); // raw data: the same address may hold other bytes later
    last.frame = std::move(owner);
    last.payload = frame.sliced(FramePrefixSize);
    return last.payload;
}

bool isFrom(const QNetworkDatagram &datagram, const QHostAddress &address, quint16 port)
{
    return datagram.senderPort() == port && datagram.senderAddress().isEqual(address, QHostAddress::TolerantConversion);
}

} // namespace

// --- UdpChannelConnection ----------------------------------------------------------------------

UdpChannelConnection::UdpChannelConnection(QObject *parent)
    : Connection(parent)
{
}

UdpChannelConnection::~UdpChannelConnection()
{
    detachDriver();
}

void UdpChannelConnection::attachDriver(UdpChannelDriver *driver)
{
    m_driver = driver;
    connect(driver, &UdpChannelDriver::payloadReceived, this, &UdpChannelConnection::onPayload);
    connect(driver, &UdpChannelDriver::eventOccurred, this, &UdpChannelConnection::onEvent);
}

void UdpChannelConnection::detachDriver()
{
    if (!m_driver)
        return;
    UdpChannelDriver *driver = m_driver;
    m_driver = nullptr;
    driver->disconnect(this);
    driver->abandon();
}

quint32 UdpChannelConnection::connectionId() const
{
    return m_driver ? m_driver->connectionId() : 0;
}

const ReliableChannel *UdpChannelConnection::channel() const
{
    return m_driver ? &m_driver->channel() : nullptr;
}

bool UdpChannelConnection::hasEnded() const
{
    return m_closing || m_reported;
}

bool UdpChannelConnection::isOpen() const
{
    return m_driver && !m_closing && !m_reported && m_driver->state() == ReliableChannel::State::Connected;
}

void UdpChannelConnection::close()
{
    if (m_closing || m_reported)
        return;
    if (!m_driver || !m_connected) {
        // Nothing was said yet: there is nothing to flush, so closing is hanging up.
        abort();
        return;
    }
    m_closing = true;
    m_inbox.clear();
    m_inboxBytes = 0;
    m_driver->close(); // sends every payload already accepted, then Close
}

void UdpChannelConnection::abort()
{
    m_closing = true;
    m_inbox.clear();
    m_inboxBytes = 0;
    detachDriver();
    reportDisconnected();
}

void UdpChannelConnection::failToConnect(const QString &reason)
{
    if (m_reported)
        return;
    m_reported = true;
    qCInfo(lcUdp).noquote() << "UDP connection to" << peerAddress().toString() << "failed:" << reason;
    emit connectFailed(reason);
}

void UdpChannelConnection::reportDisconnected()
{
    if (m_reported)
        return;
    m_reported = true;
    emit disconnected();
}

void UdpChannelConnection::writeFrame(const QByteArray &frame)
{
    if (!m_driver || frame.size() <= FramePrefixSize)
        return;
    // The channel keeps payload boundaries: the length prefix is not sent (PROTOCOL-UDP.md §1).
    if (m_driver->send(payloadOf(frame)) == UdpChannelDriver::SendResult::Overflow) {
        // The peer acknowledges nothing; holding more would let one client exhaust our memory.
        qCInfo(lcConnection) << "UDP peer" << peerAddress().toString() << "is not reading; dropping";
        abort();
    }
}

void UdpChannelConnection::onPayload(const QByteArray &payload)
{
    if (m_closing || m_reported)
        return;
    if (isReceivingPaused() || !m_inbox.empty()) {
        // Same bound as unread data queued to a peer: a peer that floods us while we are busy
        // with its login is not a client worth keeping.
        if (m_inboxBytes + payload.size() > Limits::MaxOutboundBuffer) {
            qCInfo(lcConnection) << "UDP peer" << peerAddress().toString() << "sent too much while paused; dropping";
            abort();
            return;
        }
        m_inbox.push_back(payload);
        m_inboxBytes += payload.size();
        return;
    }
    deliverPayload(payload);
}

void UdpChannelConnection::onEvent(ReliableChannel::Event event)
{
    switch (event) {
    case ReliableChannel::Event::Connected:
        if (m_connected || m_reported)
            return;
        m_connected = true;
        markHeard();
        emit connected();
        return;
    case ReliableChannel::Event::PeerClosed:
    case ReliableChannel::Event::Closed:
        m_peerFinished = true;
        finishWhenDelivered();
        return;
    case ReliableChannel::Event::Dead:
        if (!m_connected) {
            failToConnect(tr("no answer from %1 port %2 over UDP").arg(peerAddress().toString()).arg(peerPort()));
            return;
        }
        if (m_reported)
            return;
        qCInfo(lcConnection) << "UDP peer" << peerAddress().toString() << "stopped answering";
        m_inbox.clear();
        m_inboxBytes = 0;
        emit timedOut();
        reportDisconnected();
        return;
    case ReliableChannel::Event::ProtocolError: {
        const QString why = m_driver ? m_driver->channel().errorString() : QString();
        if (!m_connected) {
            failToConnect(why);
            return;
        }
        if (m_reported)
            return;
        m_inbox.clear();
        m_inboxBytes = 0;
        emit protocolError(ErrorCode::MalformedMessage, why);
        reportDisconnected();
        return;
    }
    }
}

void UdpChannelConnection::resumeReceiving()
{
    QMetaObject::invokeMethod(this, &UdpChannelConnection::deliverInbox, Qt::QueuedConnection);
}

void UdpChannelConnection::deliverInbox()
{
    // Delivering a message can re-enter (a slot pauses us again, or closes us); guard the loop.
    if (m_delivering)
        return;
    m_delivering = true;
    const QPointer<UdpChannelConnection> alive(this);
    while (!m_inbox.empty() && !isReceivingPaused() && !m_closing && !m_reported) {
        const QByteArray payload = std::move(m_inbox.front());
        m_inbox.pop_front();
        m_inboxBytes -= payload.size();
        deliverPayload(payload);
        if (!alive)
            return;
    }
    m_delivering = false;
    finishWhenDelivered();
}

void UdpChannelConnection::finishWhenDelivered()
{
    // The peer's last payloads come before its Close: hand them over before saying it is gone.
    if (m_peerFinished && (m_inbox.empty() || m_closing))
        reportDisconnected();
}

// --- UdpConnection (client) --------------------------------------------------------------------

UdpConnection::UdpConnection(QObject *parent)
    : UdpChannelConnection(parent)
    , m_socket(new QUdpSocket(this))
{
    connect(m_socket, &QUdpSocket::readyRead, this, &UdpConnection::onReadyRead);
}

UdpConnection::~UdpConnection()
{
    if (m_lookupId >= 0)
        QHostInfo::abortHostLookup(m_lookupId);
    detachDriver(); // says Close while the socket is still there
}

quint16 UdpConnection::localPort() const
{
    return m_socket->localPort();
}

void UdpConnection::connectToHostEncrypted(const QString &host, quint16 port, const QSslConfiguration &configuration)
{
    m_encrypt = true;
    m_dtlsConfiguration = configuration;
    m_dtlsConfiguration.setProtocol(QSsl::DtlsV1_2OrLater);
    connectToHost(host, port);
}

bool UdpConnection::isEncrypted() const
{
    return m_dtls && m_dtls->isConnectionEncrypted() && !hasEnded();
}

QSslCertificate UdpConnection::peerCertificate() const
{
    return m_dtls ? m_dtls->dtlsConfiguration().peerCertificate() : QSslCertificate();
}

void UdpConnection::connectToHost(const QString &host, quint16 port)
{
    m_hostName = host;
    m_peerPort = port;
    QHostAddress literal;
    if (literal.setAddress(host)) {
        // Asynchronous like a TCP connect, so callers get their signals from the event loop.
        QMetaObject::invokeMethod(this, [this, literal] { startWith(literal); }, Qt::QueuedConnection);
        return;
    }
    m_lookupId = QHostInfo::lookupHost(host, this, &UdpConnection::onLookedUp);
}

void UdpConnection::abort()
{
    if (m_lookupId >= 0) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_lookupId = -1;
    }
    UdpChannelConnection::abort();
}

void UdpConnection::onLookedUp(const QHostInfo &info)
{
    m_lookupId = -1;
    if (hasEnded())
        return;
    const QHostAddress address = preferredAddress(info.addresses());
    if (info.error() != QHostInfo::NoError || address.isNull()) {
        failToConnect(info.error() != QHostInfo::NoError ? info.errorString()
                                                          : tr("%1 has no address").arg(info.hostName()));
        return;
    }
    startWith(address);
}

void UdpConnection::startWith(const QHostAddress &address)
{
    if (hasEnded() || m_ownDriver)
        return;
    m_peerAddress = address;
    if (!m_socket->bind(bindAddressFor(address), 0)) {
        failToConnect(tr("cannot open a UDP socket: %1").arg(m_socket->errorString()));
        return;
    }
    if (!m_encrypt) {
        startChannel();
        return;
    }
    m_dtls = new QDtls(QSslSocket::SslClientMode, this);
    m_dtls->setDtlsConfiguration(m_dtlsConfiguration);
    m_dtls->setPeer(address, m_peerPort, m_hostName);
    m_dtls->setMtuHint(UdpWire::DtlsMtuHint);
    // Retransmits a lost flight; the handshake as a whole is bounded below.
    connect(m_dtls, &QDtls::handshakeTimeout, this, [this] { m_dtls->handleTimeout(m_socket); });
    QTimer::singleShot(int(ReliableChannel::DeadPeerTimeoutMs), this, [this] {
        if (!m_ownDriver && !hasEnded())
            failDtls(tr("no answer from %1 port %2 to the DTLS handshake").arg(m_peerAddress.toString()).arg(m_peerPort));
    });
    qCDebug(lcUdp).noquote() << "connecting to" << address.toString() << m_peerPort << "over UDP with DTLS from port"
                             << m_socket->localPort();
    if (!m_dtls->doHandshake(m_socket))
        failDtls(tr("cannot start DTLS: %1").arg(m_dtls->dtlsErrorString()));
}

void UdpConnection::startChannel()
{
    UdpChannelDriver::DatagramWriter write;
    if (m_dtls)
        write = [this](const QByteArray &datagram) { m_dtls->writeDatagramEncrypted(m_socket, datagram); };
    else
        write = [this](const QByteArray &datagram) { m_socket->writeDatagram(datagram, m_peerAddress, m_peerPort); };
    m_ownDriver = new UdpChannelDriver(ReliableChannel::Role::Client, ReliableChannel::randomConnectionId(),
                                       std::move(write), this);
    // A client mostly receives (room traffic fans out to it): one Ack per few datagrams, not per
    // read, spares the server that shares one socket among all its clients.
    m_ownDriver->setDelayedAck(ReliableChannel::DefaultAckDelayMs, ReliableChannel::DefaultAckEveryDatagrams);
    if (!m_dtls) { // path MTU discovery; inside DTLS the channel stays at the base size (§17.1)
        m_maxDatagramSize = UdpSocketOptions::enableLargeDatagrams(m_socket->socketDescriptor());
        m_ownDriver->setMaxDatagramSize(m_maxDatagramSize);
    }
    attachDriver(m_ownDriver);
    qCDebug(lcUdp).noquote() << "connecting to" << m_peerAddress.toString() << m_peerPort << "over UDP"
                             << (m_dtls ? "(DTLS up)" : "") << "from port" << m_socket->localPort();
    m_ownDriver->connectToPeer();
}

void UdpConnection::onReadyRead()
{
    const QPointer<UdpConnection> alive(this);
    // One byte more than the largest datagram taken, so an oversized one is seen (and dropped) as such.
    const int largest = m_encrypt ? UdpWire::MaxDtlsDatagramSize : m_maxDatagramSize;
    while (alive && m_socket->hasPendingDatagrams()) {
        const QNetworkDatagram datagram = m_socket->receiveDatagram(largest + 1);
        if (!datagram.isValid())
            break;
        if (!isFrom(datagram, m_peerAddress, m_peerPort))
            continue;
        const QByteArray bytes = datagram.data();
        if (m_dtls) {
            onDtlsDatagram(bytes); // nothing is taken in clear once DTLS was asked for
            continue;
        }
        // After abort() the driver is detached but may still be finishing its Close: feed it.
        if (!m_ownDriver)
            continue;
        if (isEncryptionRequiredReply(bytes)) {
            qCInfo(lcUdp).noquote() << "the server at" << m_peerAddress.toString() << m_peerPort
                                    << "takes UDP only inside DTLS";
            detachDriver();
            emit encryptionRequired();
            if (alive)
                failToConnect(tr("the server at %1 port %2 accepts UDP connections only encrypted (DTLS)")
                                  .arg(m_peerAddress.toString()).arg(m_peerPort));
            return;
        }
        if (m_ownDriver->handleDatagram(bytes))
            noteBytesIn(bytes.size());
    }
    if (alive && m_ownDriver)
        m_ownDriver->drain();
}

bool UdpConnection::isEncryptionRequiredReply(const QByteArray &datagram) const
{
    if (datagram.size() != UdpWire::ProbeReplySize || m_ownDriver->state() != ReliableChannel::State::Connecting)
        return false;
    UdpWire::Datagram reply;
    return UdpWire::decode(datagram, &reply) == UdpWire::DecodeError::None && reply.kind == UdpWire::Kind::ProbeReply
           && reply.connectionId == m_ownDriver->connectionId() && (reply.transports & UdpWire::TransportDtls);
}

void UdpConnection::onDtlsDatagram(const QByteArray &datagram)
{
    if (!UdpWire::looksLikeDtls(datagram) || (hasEnded() && !m_ownDriver))
        return;
    if (!m_dtls->isConnectionEncrypted()) {
        if (m_dtls->handshakeState() != QDtls::HandshakeInProgress)
            return;
        if (!m_dtls->doHandshake(m_socket, datagram)) {
            if (m_dtls->handshakeState() == QDtls::PeerVerificationFailed)
                onPeerVerificationFailed();
            else
                failDtls(tr("the DTLS handshake failed: %1").arg(m_dtls->dtlsErrorString()));
            return;
        }
        if (m_dtls->isConnectionEncrypted())
            startChannel();
        return;
    }
    const QByteArray plain = m_dtls->decryptDatagram(m_socket, datagram);
    if (plain.isEmpty() || !m_ownDriver)
        return; // a handshake record answered inside QDtls, a record that does not authenticate, or an alert
    if (m_ownDriver->handleDatagram(plain))
        noteBytesIn(datagram.size());
}

void UdpConnection::onPeerVerificationFailed()
{
    const QList<QSslError> errors = m_dtls->peerVerificationErrors();
    m_ignoreSslErrors = false;
    const QPointer<UdpConnection> alive(this);
    emit sslErrors(errors); // a slot connected directly may call ignoreSslErrors()
    if (!alive || hasEnded())
        return;
    if (m_ignoreSslErrors) {
        m_dtls->ignoreVerificationErrors(errors);
        if (m_dtls->resumeHandshake(m_socket) && m_dtls->isConnectionEncrypted()) {
            startChannel();
            return;
        }
        failDtls(tr("the DTLS handshake failed: %1").arg(m_dtls->dtlsErrorString()));
        return;
    }
    QStringList reasons;
    for (const QSslError &error : errors)
        reasons << error.errorString();
    m_dtls->abortHandshake(m_socket);
    failDtls(tr("the server's certificate was not accepted: %1").arg(reasons.join(QStringLiteral("; "))));
}

void UdpConnection::failDtls(const QString &reason)
{
    if (hasEnded())
        return;
    const QPointer<UdpConnection> alive(this);
    emit handshakeFailed(reason);
    if (alive)
        failToConnect(reason);
}

// --- UdpProbe ----------------------------------------------------------------------------------

UdpProbe::UdpProbe(QObject *parent)
    : QObject(parent)
    , m_socket(new QUdpSocket(this))
{
    connect(m_socket, &QUdpSocket::readyRead, this, &UdpProbe::onReadyRead);
    m_resendTimer.setInterval(ResendIntervalMs);
    connect(&m_resendTimer, &QTimer::timeout, this, &UdpProbe::sendProbe);
    m_deadline.setSingleShot(true);
    m_deadline.setTimerType(Qt::PreciseTimer); // a coarse timer may end the wait 5 % early
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        finish();
        emit failed(tr("no answer to the UDP probe"));
    });
}

UdpProbe::~UdpProbe()
{
    if (m_lookupId >= 0)
        QHostInfo::abortHostLookup(m_lookupId);
}

void UdpProbe::start(const QString &host, quint16 port, int timeoutMs)
{
    abort();
    m_running = true;
    m_port = port;
    m_nonce = ReliableChannel::randomConnectionId();
    m_deadline.start(timeoutMs);
    QHostAddress literal;
    if (literal.setAddress(host)) {
        QHostInfo info;
        info.setAddresses({literal});
        QMetaObject::invokeMethod(this, [this, info] { onLookedUp(info); }, Qt::QueuedConnection);
        return;
    }
    m_lookupId = QHostInfo::lookupHost(host, this, &UdpProbe::onLookedUp);
}

void UdpProbe::abort()
{
    if (m_lookupId >= 0) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_lookupId = -1;
    }
    finish();
}

void UdpProbe::finish()
{
    m_running = false;
    m_resendTimer.stop();
    m_deadline.stop();
    m_socket->close();
}

void UdpProbe::onLookedUp(const QHostInfo &info)
{
    m_lookupId = -1;
    if (!m_running)
        return;
    m_address = preferredAddress(info.addresses());
    QString why;
    if (info.error() != QHostInfo::NoError)
        why = info.errorString();
    else if (m_address.isNull())
        why = tr("%1 has no address").arg(info.hostName());
    else if (!m_socket->bind(bindAddressFor(m_address), 0))
        why = tr("cannot open a UDP socket: %1").arg(m_socket->errorString());
    if (!why.isEmpty()) {
        finish();
        emit failed(why);
        return;
    }
    sendProbe();
    m_resendTimer.start();
}

void UdpProbe::sendProbe()
{
    UdpWire::Datagram probe;
    probe.kind = UdpWire::Kind::Probe;
    probe.connectionId = m_nonce;
    m_socket->writeDatagram(UdpWire::encode(probe), m_address, m_port);
}

void UdpProbe::onReadyRead()
{
    while (m_socket->hasPendingDatagrams()) {
        const QNetworkDatagram datagram = m_socket->receiveDatagram(UdpWire::MaxDatagramSize + 1);
        if (!datagram.isValid())
            break;
        if (!m_running || !isFrom(datagram, m_address, m_port))
            continue;
        UdpWire::Datagram reply;
        if (UdpWire::decode(datagram.data(), &reply) != UdpWire::DecodeError::None
            || reply.kind != UdpWire::Kind::ProbeReply || reply.connectionId != m_nonce)
            continue;
        finish();
        emit answered(reply.transports, reply.protocolVersion);
        return;
    }
}

} // namespace Confab

#include "connectionstatus.h"

#include "clientsession.h"
#include "reconnector.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QtMath>

namespace Confab {

namespace {

QPixmap dot(const QColor &color, int size)
{
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(color);
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2));
    return pixmap;
}

QLabel *makeLabel(const QString &name, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::PlainText);
    return label;
}

QFrame *separator(QWidget *parent)
{
    auto *line = new QFrame(parent);
    line->setFrameShape(QFrame::VLine);
    line->setFrameShadow(QFrame::Sunken);
    return line;
}

} // namespace

ConnectionStatus::ConnectionStatus(QWidget *parent)
    : QWidget(parent)
    , m_dot(makeLabel(QStringLiteral("connectionDot"), this))
    , m_state(makeLabel(QStringLiteral("connectionStateLabel"), this))
    , m_transport(makeLabel(QStringLiteral("transportLabel"), this))
    , m_server(makeLabel(QStringLiteral("serverLabel"), this))
    , m_roundTrip(makeLabel(QStringLiteral("roundTripLabel"), this))
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 4, 0);
    layout->setSpacing(6);
    layout->addWidget(m_dot);
    layout->addWidget(m_state);
    layout->addWidget(separator(this));
    layout->addWidget(m_transport);
    layout->addWidget(separator(this));
    layout->addWidget(m_server);
    layout->addWidget(separator(this));
    layout->addWidget(m_roundTrip);
    m_transport->setToolTip(tr("The transport this session uses"));
    m_roundTrip->setToolTip(tr("Round-trip time of the latest ping to the server"));
    m_countdown.setInterval(1000);
    connect(&m_countdown, &QTimer::timeout, this, &ConnectionStatus::refresh);
    refresh();
}

void ConnectionStatus::setSession(ClientSession *session, Reconnector *reconnector)
{
    m_session = session;
    m_reconnector = reconnector;
    connect(session, &ClientSession::stateChanged, this, &ConnectionStatus::refresh);
    connect(session, &ClientSession::roundTripChanged, this, &ConnectionStatus::refresh);
    connect(session, &ClientSession::loggedIn, this, &ConnectionStatus::refresh);
    connect(session, &ClientSession::transportChosen, this, &ConnectionStatus::refresh);
    connect(session, &ClientSession::encryptionChanged, this, &ConnectionStatus::refresh);
    if (reconnector) {
        connect(reconnector, &Reconnector::retryScheduled, this, &ConnectionStatus::refresh);
        connect(reconnector, &Reconnector::attemptStarted, this, &ConnectionStatus::refresh);
        connect(reconnector, &Reconnector::gaveUp, this, &ConnectionStatus::refresh);
    }
    refresh();
}

void ConnectionStatus::refresh()
{
    using State = ClientSession::State;
    const State state = m_session ? m_session->state() : State::Disconnected;
    QString text;
    QColor color(0xc6, 0x28, 0x28);
    switch (state) {
    case State::LoggedIn:
        text = tr("Connected as %1").arg(m_session->userName());
        color = QColor(0x3c, 0xb3, 0x71);
        break;
    case State::Connecting:
    case State::Handshaking:
        text = m_reconnector && m_reconnector->isActive() ? tr("Reconnecting…") : tr("Connecting…");
        color = QColor(0xf0, 0xa0, 0x20);
        break;
    case State::Connected:
    case State::LoggingIn:
        text = tr("Logging in…");
        color = QColor(0xf0, 0xa0, 0x20);
        break;
    case State::Closing:
        text = tr("Disconnecting…");
        break;
    case State::Disconnected:
        if (m_reconnector && m_reconnector->isWaiting()) {
            text = tr("Disconnected — retrying in %n s", nullptr, qCeil(m_reconnector->remainingMs() / 1000.0));
            color = QColor(0xf0, 0xa0, 0x20);
        } else {
            text = tr("Disconnected");
        }
        break;
    }
    const int size = fontMetrics().height() * 2 / 3;
    m_dot->setPixmap(dot(color, qMax(8, size)));
    m_state->setText(text);

    QString transport = QStringLiteral("—");
    if (m_session && state != State::Disconnected && m_session->activeTransport() != ClientSession::Transport::Auto) {
        transport = ClientSession::transportName(m_session->activeTransport()).toUpper();
        // The lock state goes with the transport: "TCP 🔒 TLS", "UDP 🔒 DTLS" or a plain warning.
        const bool encrypted = m_session->isEncrypted();
        transport += encrypted ? tr(" 🔒 %1").arg(m_session->encryptionName()) : tr(" ⚠ not encrypted");
        m_transport->setToolTip(encrypted ? tr("Encrypted with %1; server certificate %2")
                                                .arg(m_session->encryptionName(), m_session->serverFingerprint())
                                          : tr("Not encrypted: messages cross the network in clear"));
    }
    m_transport->setText(transport);

    if (m_session && !m_session->host().isEmpty()) {
        const QString address = QStringLiteral("%1:%2").arg(m_session->host()).arg(m_session->port());
        m_server->setText(m_session->serverName().isEmpty() ? address
                                                            : tr("%1 (%2)").arg(address, m_session->serverName()));
    } else {
        m_server->setText(tr("no server"));
    }

    const int rtt = m_session && state == State::LoggedIn ? m_session->roundTripMs() : -1;
    m_roundTrip->setText(rtt < 0 ? tr("RTT —") : tr("RTT %1 ms").arg(rtt));

    const bool counting = m_reconnector && m_reconnector->isWaiting();
    if (counting && !m_countdown.isActive())
        m_countdown.start();
    else if (!counting)
        m_countdown.stop();
}

} // namespace Confab

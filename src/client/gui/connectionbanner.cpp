#include "connectionbanner.h"

#include "clientsession.h"
#include "reconnector.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QtMath>

namespace Confab {

ConnectionBanner::ConnectionBanner(QWidget *parent)
    : QFrame(parent)
    , m_label(new QLabel(this))
    , m_button(new QPushButton(tr("&Reconnect Now"), this))
{
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    QPalette warm = palette();
    const bool dark = warm.color(QPalette::Window).lightness() < 128;
    warm.setColor(QPalette::Window, dark ? QColor(0x5a, 0x45, 0x10) : QColor(0xff, 0xf1, 0xc9));
    warm.setColor(QPalette::WindowText, dark ? QColor(0xff, 0xf1, 0xc9) : QColor(0x4a, 0x35, 0x00));
    setPalette(warm);

    m_label->setObjectName(QStringLiteral("connectionBannerLabel"));
    m_label->setTextFormat(Qt::PlainText);
    m_label->setWordWrap(true);
    m_button->setObjectName(QStringLiteral("reconnectNowButton"));

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 6, 6);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_button);

    m_countdown.setInterval(1000);
    connect(&m_countdown, &QTimer::timeout, this, &ConnectionBanner::refresh);
    connect(m_button, &QPushButton::clicked, this, [this] {
        if (m_reconnector)
            m_reconnector->reconnectNow();
    });
    hide();
}

void ConnectionBanner::setSession(ClientSession *session, Reconnector *reconnector)
{
    m_session = session;
    m_reconnector = reconnector;
    connect(session, &ClientSession::serverShutdown, this, [this](const QString &reason) {
        showReason(reason.isEmpty() ? tr("The server shut down.") : tr("The server shut down: %1").arg(reason));
    });
    connect(session, &ClientSession::sessionEnded, this, [this](const QString &reason) {
        showReason(reason.isEmpty() ? tr("The server's administrator ended your session.")
                                    : tr("The server's administrator ended your session: %1").arg(reason));
    });
    connect(session, &ClientSession::connectionLost, this, [this](const QString &reason) {
        if (m_reason.isEmpty()) // a shutdown notice or the administrator said it better
            showReason(tr("The connection to the server was lost: %1.").arg(reason));
        refresh();
    });
    connect(session, &ClientSession::stateChanged, this, &ConnectionBanner::refresh);
    connect(session, &ClientSession::loggedIn, this, [this] {
        m_reason.clear();
        m_gaveUpReason.clear();
        refresh();
    });
    connect(reconnector, &Reconnector::retryScheduled, this, &ConnectionBanner::refresh);
    connect(reconnector, &Reconnector::attemptStarted, this, &ConnectionBanner::refresh);
    connect(reconnector, &Reconnector::gaveUp, this, [this](const QString &reason) {
        m_gaveUpReason = reason;
        refresh();
    });
}

void ConnectionBanner::showReason(const QString &reason)
{
    m_reason = reason;
    refresh();
}

QString ConnectionBanner::message() const
{
    return m_label->text();
}

void ConnectionBanner::refresh()
{
    if (!m_session || m_session->isLoggedIn() || (m_reason.isEmpty() && m_gaveUpReason.isEmpty())) {
        m_countdown.stop();
        hide();
        return;
    }
    QStringList parts;
    if (!m_reason.isEmpty())
        parts << m_reason;
    if (!m_gaveUpReason.isEmpty() && m_gaveUpReason != m_reason)
        parts << tr("Not reconnecting: %1").arg(m_gaveUpReason);
    const bool waiting = m_reconnector && m_reconnector->isWaiting();
    if (waiting) {
        const int seconds = qMax(1, qCeil(m_reconnector->remainingMs() / 1000.0));
        parts << (seconds == 1 ? tr("Reconnecting in 1 second… Your unsent text is kept.")
                               : tr("Reconnecting in %1 seconds… Your unsent text is kept.").arg(seconds));
    } else if (m_session->state() != ClientSession::State::Disconnected) {
        parts << tr("Reconnecting…");
    }
    m_label->setText(parts.join(u' '));
    m_button->setEnabled(m_session->state() == ClientSession::State::Disconnected);
    if (waiting && !m_countdown.isActive())
        m_countdown.start();
    else if (!waiting)
        m_countdown.stop();
    show();
}

} // namespace Confab

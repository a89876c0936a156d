#include "reconnector.h"

#include "clientsession.h"

#include <QRandomGenerator>

namespace Confab {

Reconnector::Reconnector(ClientSession *session, QObject *parent)
    : QObject(parent)
    , m_session(session)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Reconnector::attemptNow);

    connect(session, &ClientSession::connectionLost, this, &Reconnector::onConnectionLost);
    connect(session, &ClientSession::stateChanged, this, &Reconnector::onStateChanged);
    connect(session, &ClientSession::loggedIn, this, &Reconnector::onLoggedIn);
    connect(session, &ClientSession::loginFailed, this, &Reconnector::onLoginFailed);
    connect(session, &ClientSession::sessionEnded, this, [this](const QString &reason) {
        m_blocked = true;
        emit gaveUp(reason.isEmpty() ? tr("The server's administrator ended your session.")
                                     : tr("The server's administrator ended your session: %1").arg(reason));
    });
    connect(session, &ClientSession::roomJoined, this, &Reconnector::onRoomJoined);
    connect(session, &ClientSession::roomLeft, this, &Reconnector::forgetRoom);
    connect(session, &ClientSession::kickedFromRoom, this, &Reconnector::forgetRoom);
    connect(session, &ClientSession::roomClosed, this, &Reconnector::forgetRoom);
    connect(session, &ClientSession::requestFailed, this, [this](quint64 id, ErrorCode, const QString &message) {
        const QString room = m_rejoins.take(id);
        if (room.isEmpty())
            return;
        forgetRoom(room);
        emit rejoinFailed(room, message);
    });
}

Reconnector::~Reconnector()
{
    m_password.fill(u'\0');
}

void Reconnector::setCredentials(const QString &host, quint16 port, const QString &user, const QString &password)
{
    m_host = host;
    m_port = port;
    m_user = user;
    m_password = password;
    m_blocked = false;
}

void Reconnector::forgetCredentials()
{
    m_password.fill(u'\0');
    m_password.clear();
    m_host.clear();
    m_user.clear();
    m_port = 0;
}

void Reconnector::setBackoff(int initialMs, int maxMs)
{
    m_initialMs = qMax(1, initialMs);
    m_maxMs = qMax(m_initialMs, maxMs);
}

int Reconnector::backoffDelay(int attempt, int initialMs, int maxMs)
{
    qint64 delay = initialMs;
    for (int i = 1; i < attempt && delay < maxMs; ++i)
        delay *= 2;
    return int(qMin<qint64>(delay, maxMs));
}

void Reconnector::reconnectNow()
{
    if (!m_session || m_host.isEmpty())
        return;
    m_blocked = false;
    m_active = true;
    m_timer.stop();
    attemptNow();
}

void Reconnector::stop()
{
    m_active = false;
    m_attempting = false;
    m_attempt = 0;
    m_timer.stop();
    m_rejoins.clear();
}

void Reconnector::onConnectionLost()
{
    if (m_host.isEmpty() || m_blocked)
        return;
    if (!m_active) {
        m_active = true;
        m_attempt = 0;
    }
}

void Reconnector::onStateChanged()
{
    if (m_session && m_session->state() == ClientSession::State::Disconnected) {
        m_attempting = false;
        m_rejoins.clear();
        if (m_active && !m_blocked)
            scheduleRetry();
    }
}

void Reconnector::scheduleRetry()
{
    if (m_timer.isActive())
        return;
    int delay = backoffDelay(m_attempt + 1, m_initialMs, m_maxMs);
    if (m_jitter > 0) {
        const double factor = 1.0 + m_jitter * (2.0 * QRandomGenerator::global()->generateDouble() - 1.0);
        delay = qMax(1, int(delay * factor));
    }
    m_timer.start(delay);
    emit retryScheduled(m_attempt + 1, delay);
}

void Reconnector::attemptNow()
{
    if (!m_session || m_host.isEmpty())
        return;
    ++m_attempt;
    m_attempting = true;
    emit attemptStarted(m_attempt);
    m_session->connectToServer(m_host, m_port, m_user, m_password);
}

void Reconnector::onLoggedIn()
{
    m_attempting = false;
    if (!m_active)
        return;
    m_active = false;
    m_attempt = 0;
    m_timer.stop();
    emit reconnected();
    const QStringList rooms = m_rooms;
    for (const QString &room : rooms) {
        const quint64 id = m_session->joinRoom(room);
        if (id != 0)
            m_rejoins.insert(id, room);
    }
}

void Reconnector::onLoginFailed(ErrorCode code, const QString &message)
{
    if (!m_attempting)
        return;
    m_attempting = false;
    if (code == ErrorCode::AlreadyLoggedIn) {
        // The server still holds the old session (it notices the loss within a minute).
        m_session->abort();
        return; // Disconnected → next retry
    }
    m_active = false;
    m_timer.stop();
    m_session->abort();
    emit gaveUp(message);
}

void Reconnector::onRoomJoined(const JoinedRoom &room)
{
    for (auto it = m_rejoins.begin(); it != m_rejoins.end(); ++it) {
        if (it.value().compare(room.name, Qt::CaseInsensitive) == 0) {
            m_rejoins.erase(it);
            break;
        }
    }
    if (!m_rooms.contains(room.name, Qt::CaseInsensitive))
        m_rooms.append(room.name);
}

void Reconnector::forgetRoom(const QString &room)
{
    m_rooms.removeIf([&](const QString &r) { return r.compare(room, Qt::CaseInsensitive) == 0; });
}

} // namespace Confab

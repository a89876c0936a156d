// A strip above the conversations that appears while the session is not logged in after it had
// been: it says why (connection lost, server shut down with its reason, session ended by the
// administrator), counts down to the next reconnection attempt and offers to try at once.
#pragma once

#include <QFrame>
#include <QPointer>
#include <QTimer>

QT_BEGIN_NAMESPACE
class QLabel;
class QPushButton;
QT_END_NAMESPACE

namespace Confab {

class ClientSession;
class Reconnector;

class ConnectionBanner : public QFrame
{
    Q_OBJECT
public:
    explicit ConnectionBanner(QWidget *parent = nullptr);

    void setSession(ClientSession *session, Reconnector *reconnector);

    QString message() const;
    QLabel *label() const { return m_label; }
    QPushButton *reconnectButton() const { return m_button; }

private:
    void showReason(const QString &reason);
    void refresh();

    QPointer<ClientSession> m_session;
    QPointer<Reconnector> m_reconnector;
    QLabel *m_label;
    QPushButton *m_button;
    QString m_reason;       // why the connection ended
    QString m_gaveUpReason; // why no retry comes by itself
    QTimer m_countdown;
};

} // namespace Confab

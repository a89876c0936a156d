// The status bar's permanent part: connection state (with a coloured dot), the transport in use,
// the server, and the latest round-trip time.
#pragma once

#include <QPointer>
#include <QTimer>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
QT_END_NAMESPACE

namespace Confab {

class ClientSession;
class Reconnector;

class ConnectionStatus : public QWidget
{
    Q_OBJECT
public:
    explicit ConnectionStatus(QWidget *parent = nullptr);

    void setSession(ClientSession *session, Reconnector *reconnector);

    QLabel *stateLabel() const { return m_state; }
    QLabel *transportLabel() const { return m_transport; }
    QLabel *serverLabel() const { return m_server; }
    QLabel *roundTripLabel() const { return m_roundTrip; }

private:
    void refresh();

    QPointer<ClientSession> m_session;
    QPointer<Reconnector> m_reconnector;
    QLabel *m_dot;
    QLabel *m_state;
    QLabel *m_transport;
    QLabel *m_server;
    QLabel *m_roundTrip;
    QTimer m_countdown;
};

} // namespace Confab

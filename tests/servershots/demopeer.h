// A scripted chat user for demos and screenshots: one QTcpSocket speaking the Confab protocol,
// event-driven (never waits), answering Pings, optionally bound to a chosen loopback address so
// the server sees users from different addresses.
#pragma once

#include "framedecoder.h"
#include "message.h"

#include <QHostAddress>
#include <QObject>
#include <QTcpSocket>

namespace ConfabDemo {

class DemoPeer : public QObject
{
    Q_OBJECT
public:
    // An empty user connects and says Hello but never logs in.
    DemoPeer(const QString &user, const QString &password, const QHostAddress &localAddress, QObject *parent = nullptr);

    void connectToServer(const QHostAddress &host, quint16 port);
    QString user() const { return m_user; }
    bool isLoggedIn() const { return m_loggedIn; }
    quint64 nextId() { return m_nextId++; }
    void send(const Confab::Message &message);
    void quit(const QString &reason = {});

signals:
    void loggedIn();
    void received(const Confab::Message &message);
    void closed();

private:
    void onConnected();
    void onReadyRead();

    QTcpSocket m_socket;
    Confab::FrameDecoder m_decoder;
    QString m_user;
    QString m_password;
    QHostAddress m_localAddress;
    bool m_loggedIn = false;
    quint64 m_nextId = 1;
};

} // namespace ConfabDemo

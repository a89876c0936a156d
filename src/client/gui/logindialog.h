// The first window: which server (recent ones remembered), which transport, which account.
//
// Connecting shows its progress and can be cancelled; a refused login or an unreachable server
// is explained under the fields in plain words and the dialog stays open to try again (on the
// same connection when only the account changed). The password is never written anywhere: it
// leaves the dialog only in loggedIn(), for the reconnection logic to hold in memory.
#pragma once

#include "clientsession.h"

#include <QDialog>

#include <memory>

namespace Ui {
class LoginDialog;
}

namespace Confab {

struct LoginDetails {
    QString host;
    quint16 port = 0;
    QString user;      // as the server spells it
    QString password;
    QString transport; // "auto" or "tcp"
    bool created = false;
};

class LoginDialog : public QDialog
{
    Q_OBJECT
public:
    explicit LoginDialog(ClientSession *session, QWidget *parent = nullptr);
    ~LoginDialog() override;

    // Fills the fields (e.g. from the command line); empty values keep the remembered ones.
    void setServer(const QString &host, quint16 port);
    void setUserName(const QString &user);
    // Shown in the error line when the dialog opens again (e.g. after logging out).
    void showMessage(const QString &text);

    bool isBusy() const { return m_busy; }
    QString errorText() const;
    QString progressText() const;
    // What the dialog says about encryption (under the fields).
    QString securityText() const;

    // Starts connecting with what the fields hold (what the Connect button does).
    void submit();

    // The sentence shown for a refused login.
    static QString loginFailureText(ErrorCode code, const QString &serverMessage, const QString &user);

signals:
    void loggedIn(const Confab::LoginDetails &details);

public slots:
    void reject() override;

private:
    void loadHistory();
    void applyEntry(int index);
    void setBusy(bool busy);
    void showError(const QString &text, QWidget *focus = nullptr);
    void onStateChanged(ClientSession::State state);
    void onLoggedIn(const QString &user, bool created);
    void onLoginFailed(ErrorCode code, const QString &message);
    void onError(ClientSession::Error error, ErrorCode code, const QString &message);
    void onConnectionLost(const QString &reason);
    void updateSecurityNote();
    // An unknown self-signed certificate: shows its fingerprint and asks whether to trust it.
    void askToTrust(const QString &fingerprint, const QString &host, quint16 port);

    std::unique_ptr<Ui::LoginDialog> m_ui;
    ClientSession *m_session;
    bool m_busy = false;
    QString m_host;      // what this attempt connects to
    quint16 m_port = 0;
    QString m_user;
};

} // namespace Confab

Q_DECLARE_METATYPE(Confab::LoginDetails)

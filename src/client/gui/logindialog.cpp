#include "logindialog.h"
#include "ui_logindialog.h"

#include "clienticons.h"
#include "nameproblems.h"
#include "serverhistory.h"
#include "tlsfingerprint.h"

#include <QMessageBox>

namespace Confab {


LoginDialog::LoginDialog(ClientSession *session, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::LoginDialog>())
    , m_session(session)
{
    m_ui->setupUi(this);
    setWindowIcon(ClientIcons::application());
    m_ui->appIconLabel->setPixmap(ClientIcons::application().pixmap(48, 48));
    QFont title = m_ui->titleLabel->font();
    title.setPointSizeF(title.pointSizeF() * 1.3);
    title.setBold(true);
    m_ui->titleLabel->setFont(title);
    QPalette muted = m_ui->noteLabel->palette();
    muted.setColor(QPalette::WindowText, muted.color(QPalette::PlaceholderText));
    m_ui->noteLabel->setPalette(muted);
    QPalette errorPalette = m_ui->loginErrorLabel->palette();
    errorPalette.setColor(QPalette::WindowText, QColor(0xc6, 0x28, 0x28));
    m_ui->loginErrorLabel->setPalette(errorPalette);

    using Transport = ClientSession::Transport;
    m_ui->transportCombo->addItem(tr("Automatic"), ClientSession::transportName(Transport::Auto));
    m_ui->transportCombo->setItemData(0, tr("Asks the server which transports it serves: TCP when it can, else UDP"),
                                      Qt::ToolTipRole);
    m_ui->transportCombo->addItem(tr("TCP"), ClientSession::transportName(Transport::Tcp));
    m_ui->transportCombo->addItem(tr("UDP (reliable)"), ClientSession::transportName(Transport::Udp));

    using TlsMode = ClientSession::TlsMode;
    m_ui->encryptionCombo->addItem(tr("Automatic"), ClientSession::tlsModeName(TlsMode::Auto));
    m_ui->encryptionCombo->setItemData(0, tr("TLS when the server offers it"), Qt::ToolTipRole);
    m_ui->encryptionCombo->addItem(tr("Required (TLS)"), ClientSession::tlsModeName(TlsMode::On));
    m_ui->encryptionCombo->setItemData(1, tr("Connect only with TLS, over TCP"), Qt::ToolTipRole);
    m_ui->encryptionCombo->addItem(tr("Off"), ClientSession::tlsModeName(TlsMode::Off));
    m_ui->encryptionCombo->setItemData(2, tr("Plain TCP or UDP: only for servers on this computer or a trusted network"),
                                       Qt::ToolTipRole);
    connect(m_ui->encryptionCombo, &QComboBox::currentIndexChanged, this, &LoginDialog::updateSecurityNote);
    connect(m_ui->transportCombo, &QComboBox::currentIndexChanged, this, &LoginDialog::updateSecurityNote);

    m_ui->loginErrorLabel->hide();
    m_ui->progressRow->hide();
    loadHistory();

    connect(m_ui->connectButton, &QPushButton::clicked, this, &LoginDialog::submit);
    connect(m_ui->cancelButton, &QPushButton::clicked, this, &LoginDialog::reject);
    connect(m_ui->serverCombo, &QComboBox::activated, this, &LoginDialog::applyEntry);
    connect(m_ui->passwordEdit, &QLineEdit::returnPressed, this, &LoginDialog::submit);

    connect(session, &ClientSession::stateChanged, this, &LoginDialog::onStateChanged);
    connect(session, &ClientSession::loggedIn, this, &LoginDialog::onLoggedIn);
    connect(session, &ClientSession::loginFailed, this, &LoginDialog::onLoginFailed);
    connect(session, &ClientSession::errorOccurred, this, &LoginDialog::onError);
    connect(session, &ClientSession::connectionLost, this, &LoginDialog::onConnectionLost);
    connect(session, &ClientSession::serverCertificateNeedsTrust, this, &LoginDialog::askToTrust);
    connect(session, &ClientSession::encryptionChanged, this, &LoginDialog::updateSecurityNote);
    updateSecurityNote();
}

LoginDialog::~LoginDialog() = default;

void LoginDialog::loadHistory()
{
    const QList<ServerEntry> entries = ServerHistory::load();
    m_ui->serverCombo->clear();
    for (const ServerEntry &entry : entries) {
        m_ui->serverCombo->addItem(entry.address(),
                                   QVariantList{entry.host, entry.port, entry.user, entry.transport, entry.tls});
    }
    if (entries.isEmpty()) {
        m_ui->serverCombo->setEditText(QStringLiteral("127.0.0.1"));
        m_ui->userEdit->setFocus();
    } else {
        m_ui->serverCombo->setCurrentIndex(0);
        applyEntry(0);
    }
}

void LoginDialog::applyEntry(int index)
{
    const QVariantList entry = m_ui->serverCombo->itemData(index).toList();
    if (entry.size() < 5)
        return;
    m_ui->serverCombo->setEditText(entry.at(0).toString());
    m_ui->portSpin->setValue(entry.at(1).toInt());
    m_ui->userEdit->setText(entry.at(2).toString());
    const int transport = m_ui->transportCombo->findData(entry.at(3).toString());
    m_ui->transportCombo->setCurrentIndex(qMax(0, transport));
    m_ui->encryptionCombo->setCurrentIndex(qMax(0, m_ui->encryptionCombo->findData(entry.at(4).toString())));
    (m_ui->userEdit->text().isEmpty() ? m_ui->userEdit : m_ui->passwordEdit)->setFocus();
}

void LoginDialog::setServer(const QString &host, quint16 port)
{
    if (!host.isEmpty())
        m_ui->serverCombo->setEditText(host);
    if (port > 0)
        m_ui->portSpin->setValue(port);
}

void LoginDialog::setUserName(const QString &user)
{
    if (user.isEmpty())
        return;
    m_ui->userEdit->setText(user);
    m_ui->passwordEdit->setFocus();
}

void LoginDialog::showMessage(const QString &text)
{
    showError(text);
}

QString LoginDialog::errorText() const
{
    return m_ui->loginErrorLabel->isVisibleTo(this) ? m_ui->loginErrorLabel->text() : QString();
}

QString LoginDialog::progressText() const
{
    return m_ui->progressRow->isVisibleTo(this) ? m_ui->progressLabel->text() : QString();
}

void LoginDialog::showError(const QString &text, QWidget *focus)
{
    m_ui->loginErrorLabel->setText(text);
    m_ui->loginErrorLabel->setVisible(!text.isEmpty());
    if (focus) {
        focus->setFocus();
        if (auto *edit = qobject_cast<QLineEdit *>(focus))
            edit->selectAll();
    }
}

void LoginDialog::setBusy(bool busy)
{
    m_busy = busy;
    for (QWidget *w : {static_cast<QWidget *>(m_ui->serverCombo), static_cast<QWidget *>(m_ui->portSpin),
                       static_cast<QWidget *>(m_ui->transportCombo), static_cast<QWidget *>(m_ui->encryptionCombo),
                       static_cast<QWidget *>(m_ui->userEdit),
                       static_cast<QWidget *>(m_ui->passwordEdit), static_cast<QWidget *>(m_ui->connectButton)}) {
        w->setEnabled(!busy);
    }
    m_ui->progressRow->setVisible(busy);
    m_ui->cancelButton->setText(busy ? tr("&Cancel") : tr("&Quit"));
    m_ui->cancelButton->setToolTip(busy ? tr("Stop connecting") : tr("Close Confab"));
}

void LoginDialog::submit()
{
    if (m_busy)
        return;
    QString host;
    quint16 port = quint16(m_ui->portSpin->value());
    if (!ServerHistory::parseAddress(m_ui->serverCombo->currentText(), &host, &port)) {
        showError(tr("Type the server's host name or address, e.g. chat.example.org or 192.168.1.20 "
                     "(optionally with :port)."),
                  m_ui->serverCombo);
        return;
    }
    m_ui->portSpin->setValue(port);
    const QString user = m_ui->userEdit->text().trimmed();
    if (user.isEmpty()) {
        showError(tr("Type a username. A new one creates an account."), m_ui->userEdit);
        return;
    }
    const QString problem = nameProblem(user, NameKind::User);
    if (!problem.isEmpty()) {
        showError(tr("“%1” cannot be a username: %2.").arg(user, problem), m_ui->userEdit);
        return;
    }
    if (m_ui->passwordEdit->text().isEmpty()) {
        showError(tr("Type your password (for a new account: the password it will have)."), m_ui->passwordEdit);
        return;
    }

    showError(QString());
    const bool sameServer = host == m_host && port == m_port;
    m_host = host;
    m_port = port;
    m_user = user;
    const auto transport = ClientSession::transportFromName(m_ui->transportCombo->currentData().toString());
    const auto tls = ClientSession::tlsModeFromName(m_ui->encryptionCombo->currentData().toString())
                         .value_or(ClientSession::TlsMode::Auto);
    const bool sameTransport = transport.value_or(ClientSession::Transport::Auto) == m_session->transport()
                               && tls == m_session->tlsMode();
    m_session->setTransport(transport.value_or(ClientSession::Transport::Auto));
    m_session->setTlsMode(tls);
    setBusy(true);
    if (sameServer && sameTransport && m_session->state() == ClientSession::State::Connected)
        m_session->login(user, m_ui->passwordEdit->text()); // the connection survived the refused login
    else
        m_session->connectToServer(host, port, user, m_ui->passwordEdit->text());
    onStateChanged(m_session->state());
}

void LoginDialog::reject()
{
    if (m_busy) {
        m_session->abort();
        setBusy(false);
        showError(tr("Cancelled."));
        return;
    }
    QDialog::reject();
}

void LoginDialog::onStateChanged(ClientSession::State state)
{
    if (!m_busy)
        return;
    switch (state) {
    case ClientSession::State::Connecting:
        m_ui->progressLabel->setText(tr("Connecting to %1:%2…").arg(m_host).arg(m_port));
        break;
    case ClientSession::State::Handshaking:
        m_ui->progressLabel->setText(tr("Connected; greeting the server…"));
        break;
    case ClientSession::State::LoggingIn:
        m_ui->progressLabel->setText(tr("Checking the password (this takes a moment)…"));
        break;
    case ClientSession::State::Disconnected:
        // Ended without a reason reported (the error handlers say more when they can).
        if (m_busy) {
            setBusy(false);
            if (errorText().isEmpty())
                showError(tr("The connection ended before the login was answered."));
        }
        break;
    default:
        break;
    }
}

void LoginDialog::onLoggedIn(const QString &user, bool created)
{
    if (!m_busy)
        return;
    setBusy(false);
    ServerEntry entry;
    entry.host = m_host;
    entry.port = m_port;
    entry.user = user;
    entry.transport = m_ui->transportCombo->currentData().toString();
    entry.tls = m_ui->encryptionCombo->currentData().toString();
    ServerHistory::remember(entry);

    LoginDetails details;
    details.host = m_host;
    details.port = m_port;
    details.user = user;
    details.password = m_ui->passwordEdit->text();
    details.transport = entry.transport;
    details.created = created;
    m_ui->passwordEdit->clear();
    showError(QString());
    loadHistory();
    accept();
    emit loggedIn(details);
    details.password.fill(u'\0');
}

QString LoginDialog::loginFailureText(ErrorCode code, const QString &serverMessage, const QString &user)
{
    switch (code) {
    case ErrorCode::WrongPassword:
        return tr("Wrong password for “%1”. Check it and try again, or choose another username to create a new account.")
            .arg(user);
    case ErrorCode::AlreadyLoggedIn:
        return tr("“%1” is already logged in from somewhere else. Log out there first, or use another username.")
            .arg(user);
    case ErrorCode::InvalidUsername:
        return tr("The server does not accept “%1” as a username. Use 2 to 32 letters, digits, “_”, “-” or “.”, "
                  "starting with a letter.")
            .arg(user);
    case ErrorCode::InvalidPassword:
        return tr("That password is not accepted: a new account needs a password of at least 6 characters.");
    case ErrorCode::Banned:
        return serverMessage.isEmpty() ? tr("This account or this computer is banned from the server.")
                                       : tr("This account or this computer is banned from the server: %1").arg(serverMessage);
    case ErrorCode::VersionMismatch:
        return tr("This server speaks a different version of the Confab protocol. Use a Confab program that "
                  "matches the server.");
    default:
        return serverMessage.isEmpty() ? ClientSession::describeError(code)
                                       : tr("The server refused the login: %1").arg(serverMessage);
    }
}

void LoginDialog::onLoginFailed(ErrorCode code, const QString &message)
{
    if (!m_busy)
        return;
    setBusy(false);
    QWidget *focus = code == ErrorCode::WrongPassword || code == ErrorCode::InvalidPassword
        ? static_cast<QWidget *>(m_ui->passwordEdit)
        : static_cast<QWidget *>(m_ui->userEdit);
    showError(loginFailureText(code, message, m_user), focus);
}

void LoginDialog::onError(ClientSession::Error error, ErrorCode code, const QString &message)
{
    if (!m_busy)
        return;
    QString text;
    if (code == ErrorCode::VersionMismatch) {
        text = loginFailureText(code, message, m_user);
    } else {
        switch (error) {
        case ClientSession::Error::ConnectFailed:
            text = tr("Could not reach a Confab server at %1:%2. Check the address and the port, and that the "
                      "server is running.\n(%3)")
                       .arg(m_host).arg(m_port).arg(message);
            break;
        case ClientSession::Error::TimedOut:
            text = tr("The server at %1:%2 did not answer in time. Check the address and the port.").arg(m_host).arg(m_port);
            break;
        case ClientSession::Error::ProtocolError:
            text = tr("This does not look like a Confab server (%1).").arg(message);
            break;
        case ClientSession::Error::ServerError:
            text = loginFailureText(code, message, m_user);
            break;
        case ClientSession::Error::ConnectionLost:
            text = tr("The connection was lost: %1").arg(message);
            break;
        case ClientSession::Error::UntrustedServer:
            text = tr("The server's certificate was not trusted: %1").arg(message);
            break;
        }
    }
    showError(text, m_ui->serverCombo);
    if (m_session->state() == ClientSession::State::Disconnected)
        setBusy(false);
}

void LoginDialog::onConnectionLost(const QString &reason)
{
    if (!m_busy)
        return;
    if (errorText().isEmpty())
        showError(tr("The server closed the connection: %1").arg(reason));
    setBusy(false);
}

QString LoginDialog::securityText() const
{
    return m_ui->securityLabel->text();
}

void LoginDialog::updateSecurityNote()
{
    const auto tls = ClientSession::tlsModeFromName(m_ui->encryptionCombo->currentData().toString())
                         .value_or(ClientSession::TlsMode::Auto);
    QString text;
    bool warn = false;
    if (m_session->isEncrypted()) {
        text = tr("🔒 Encrypted (%1). Server certificate %2.").arg(m_session->encryptionName(), m_session->serverFingerprint());
    } else if (tls == ClientSession::TlsMode::On) {
        text = tr("🔒 TLS required: the server's certificate is checked before your password is sent.");
    } else if (tls == ClientSession::TlsMode::Off) {
        text = tr("⚠ Not encrypted: your password and messages would cross the network in clear.");
        warn = true;
    } else {
        text = tr("Encrypted when the server offers TLS (DTLS over UDP); if it does not, your password crosses the "
                  "network in clear. Choose “Required” to be sure.");
    }
    m_ui->securityLabel->setText(text);
    QPalette palette = m_ui->securityLabel->palette();
    palette.setColor(QPalette::WindowText, warn ? QColor(0xb2, 0x6a, 0x00) : this->palette().color(QPalette::WindowText));
    m_ui->securityLabel->setPalette(palette);
}

void LoginDialog::askToTrust(const QString &fingerprint, const QString &host, quint16 port)
{
    if (!m_busy) {
        m_session->rejectServerCertificate();
        return;
    }
    m_ui->progressLabel->setText(tr("Waiting for you to check the server's certificate…"));
    auto *box = new QMessageBox(QMessageBox::Question, tr("Check the server's certificate"),
                                tr("The server at %1:%2 shows a certificate that no authority known to this computer "
                                   "vouches for. This is normal for a server with its own certificate, the first time "
                                   "you connect.")
                                    .arg(host).arg(port),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("trustCertificateBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setInformativeText(tr("Its SHA-256 fingerprint is:\n%1\n\nCompare it with the one the server's administrator "
                               "gave you. If they match, trust it: Confab remembers it for this server and warns you "
                               "if it ever changes.")
                                .arg(normalizedFingerprint(fingerprint)));
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPushButton *trust = box->addButton(tr("&Trust and Connect"), QMessageBox::AcceptRole);
    trust->setObjectName(QStringLiteral("trustCertificateButton"));
    QPushButton *cancel = box->addButton(tr("&Cancel"), QMessageBox::RejectRole);
    cancel->setObjectName(QStringLiteral("rejectCertificateButton"));
    box->setDefaultButton(cancel);
    connect(box, &QMessageBox::finished, this, [this, box, trust, fingerprint] {
        if (box->clickedButton() == trust)
            m_session->trustServerCertificate(fingerprint);
        else if (m_session->isAwaitingTrust())
            m_session->rejectServerCertificate();
    });
    box->open();
}

} // namespace Confab

#include "sessionsmodel.h"

#include "adminformat.h"
#include "usernames.h"

#include <QFont>

namespace Confab {

SessionsModel::SessionsModel(ChatServer *server, QObject *parent)
    : SortedRowsModel(parent)
    , m_server(server)
    , m_tlsServer(server->isTlsEnabled())
{
    connect(server, &ChatServer::sessionOpened, this, &SessionsModel::refresh);
    connect(server, &ChatServer::userLoggedIn, this, &SessionsModel::refresh);
    connect(server, &ChatServer::userLoggedOut, this, &SessionsModel::refresh);
    connect(server, &ChatServer::sessionClosed, this, &SessionsModel::refresh);
    connect(&m_poll, &QTimer::timeout, this, &SessionsModel::refresh);
    setRefreshInterval(1000);
    refresh();
}

void SessionsModel::setRefreshInterval(int ms)
{
    if (ms <= 0) {
        m_poll.stop();
        return;
    }
    m_poll.start(ms);
}

void SessionsModel::refresh()
{
    QList<SessionInfo> fresh = m_server ? m_server->sessions() : QList<SessionInfo>();
    std::sort(fresh.begin(), fresh.end(), [](const SessionInfo &a, const SessionInfo &b) { return a.id < b.id; });
    mergeRows(m_rows, fresh,
              [](const SessionInfo &a, const SessionInfo &b) { return a.id < b.id ? -1 : (a.id > b.id ? 1 : 0); },
              [this](const SessionInfo &s, int column) { return cell(s, column); });
}

int SessionsModel::rowOfUser(const QString &user) const
{
    const QString key = canonicalUsername(user);
    for (int i = 0; i < m_rows.size(); ++i) {
        if (!m_rows.at(i).user.isEmpty() && canonicalUsername(m_rows.at(i).user) == key)
            return i;
    }
    return -1;
}

QVariant SessionsModel::cell(const SessionInfo &s, int column) const
{
    switch (column) {
    case UserColumn:
        return s.user.isEmpty() ? tr("(not logged in)") : s.user;
    case AddressColumn:
        return AdminFormat::endpoint(s.address, s.port);
    case TransportColumn:
        return s.transport.toUpper();
    case EncryptedColumn:
        if (s.encrypted)
            return s.transport == QLatin1String("udp") ? tr("DTLS") : tr("TLS");
        // A TLS server's TCP connections are TLS only: not encrypted yet means mid-handshake.
        return m_tlsServer && s.transport == QLatin1String("tcp") ? tr("handshake…") : tr("no");
    case ConnectedColumn:
        return AdminFormat::when(s.connectedAt);
    case LoggedInColumn:
        return s.loggedInAt.isValid() ? AdminFormat::when(s.loggedInAt) : QString();
    case BytesInColumn:
        return AdminFormat::bytes(s.stats.bytesIn);
    case BytesOutColumn:
        return AdminFormat::bytes(s.stats.bytesOut);
    case FramesInColumn:
        return AdminFormat::number(s.stats.framesIn);
    case FramesOutColumn:
        return AdminFormat::number(s.stats.framesOut);
    case RoundTripColumn:
        return s.roundTripMs >= 0 ? tr("%1 ms").arg(s.roundTripMs) : QStringLiteral("—");
    }
    return {};
}

int SessionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SessionInfo &s = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return cell(s, index.column());
    case SessionIdRole:
        return s.id;
    case UserNameRole:
        return s.user;
    case AddressRole:
        return s.address.toString();
    case EncryptedRole:
        return s.encrypted;
    case Qt::TextAlignmentRole:
        if (index.column() >= BytesInColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::FontRole:
        if (index.column() == UserColumn && s.user.isEmpty()) {
            QFont italic;
            italic.setItalic(true);
            return italic;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == ConnectedColumn)
            return AdminFormat::fullWhen(s.connectedAt);
        if (index.column() == LoggedInColumn && s.loggedInAt.isValid())
            return AdminFormat::fullWhen(s.loggedInAt);
        if (index.column() == EncryptedColumn)
            return s.encrypted ? tr("Encrypted with TLS") : tr("Not encrypted: what this session sends crosses the network in clear");
        if (index.column() == RoundTripColumn)
            return tr("Round-trip time of the server's last keepalive Ping (measured after 20 s of silence).");
        break;
    case SortRole:
        switch (index.column()) {
        case UserColumn:
            return canonicalUsername(s.user);
        case AddressColumn:
            return AdminFormat::endpoint(s.address, s.port);
        case TransportColumn:
            return s.transport;
        case EncryptedColumn:
            return s.encrypted;
        case ConnectedColumn:
            return s.connectedAt.toMSecsSinceEpoch();
        case LoggedInColumn:
            return s.loggedInAt.isValid() ? s.loggedInAt.toMSecsSinceEpoch() : qint64(0);
        case BytesInColumn:
            return s.stats.bytesIn;
        case BytesOutColumn:
            return s.stats.bytesOut;
        case FramesInColumn:
            return s.stats.framesIn;
        case FramesOutColumn:
            return s.stats.framesOut;
        case RoundTripColumn:
            return s.roundTripMs;
        }
        break;
    }
    return {};
}

QVariant SessionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return SortedRowsModel::headerData(section, orientation, role);
    switch (section) {
    case UserColumn:
        return tr("User");
    case AddressColumn:
        return tr("Address");
    case TransportColumn:
        return tr("Transport");
    case EncryptedColumn:
        return tr("Encrypted");
    case ConnectedColumn:
        return tr("Connected");
    case LoggedInColumn:
        return tr("Logged in");
    case BytesInColumn:
        return tr("Bytes in");
    case BytesOutColumn:
        return tr("Bytes out");
    case FramesInColumn:
        return tr("Frames in");
    case FramesOutColumn:
        return tr("Frames out");
    case RoundTripColumn:
        return tr("Round trip");
    }
    return {};
}

} // namespace Confab

// CliRunner: direct chats through the server's rendezvous (/poke, /accept, /bridge ...).
#include "clirunner.h"
#include "peeridentity.h"
#include "tlsfingerprint.h"
#include "terminal.h"

namespace Confab {

QString CliRunner::directLabel(const QString &peer)
{
    return QStringLiteral("direct:") + peer;
}

void CliRunner::setUpPeerChats()
{
    connect(&m_peers, &PeerChats::pokeReceived, this, [this](quint64 pokeId, const QString &from) {
        m_pokeOrder.append(pokeId);
        print(serverLabel(), tr("* %1 asks for a direct chat: /accept %1 or /decline %1").arg(from));
    });
    connect(&m_peers, &PeerChats::chatStarted, this, &CliRunner::onDirectChatStarted);
    connect(&m_peers, &PeerChats::failed, this, [this](const QString &peer, const QString &reason) {
        print(peer.isEmpty() ? serverLabel() : directLabel(peer), QStringLiteral("! ") + printable(reason));
        maybeLeave();
    });
}

quint64 CliRunner::pokeFrom(const QString &user) const
{
    const QHash<quint64, QString> incoming = m_peers.incomingPokes();
    for (auto it = m_pokeOrder.crbegin(); it != m_pokeOrder.crend(); ++it) {
        const QString from = incoming.value(*it);
        if (!from.isEmpty() && (user.isEmpty() || from.compare(user, Qt::CaseInsensitive) == 0))
            return *it;
    }
    return 0;
}

void CliRunner::handlePeerCommand(const Command &command)
{
    switch (command.kind) {
    case Command::Kind::Poke:
        if (m_peers.poke(command.arg(0)))
            print(directLabel(command.arg(0)), tr("* asked %1 for a direct chat; waiting for an answer").arg(command.arg(0)));
        return;
    case Command::Kind::AcceptPoke:
    case Command::Kind::DeclinePoke: {
        const quint64 pokeId = pokeFrom(command.arg(0));
        if (!pokeId) {
            print(m_current, command.arg(0).isEmpty() ? tr("! nobody is poking you")
                                                      : tr("! %1 is not poking you").arg(command.arg(0)));
            return;
        }
        const QString from = m_peers.incomingPokes().value(pokeId);
        m_pokeOrder.removeAll(pokeId);
        if (command.kind == Command::Kind::AcceptPoke) {
            m_peers.accept(pokeId);
            print(directLabel(from), tr("* accepted; connecting to %1 directly").arg(from));
        } else {
            m_peers.decline(pokeId);
            print(directLabel(from), tr("* declined"));
        }
        return;
    }
    case Command::Kind::Bridge:
        if (m_peers.bridge())
            print(serverLabel(), tr("* waiting to be paired with someone (/cancel to stop)"));
        return;
    case Command::Kind::CancelBridge:
        m_peers.cancelBridge();
        return;
    case Command::Kind::Register:
        print(serverLabel(), tr("* you are registered as %1 (logging in registers you)").arg(m_session.userName()));
        return;
    default:
        return;
    }
}

void CliRunner::onDirectChatStarted(DirectChat *chat, const QString &peer)
{
    m_directChats.insert(peer.toLower(), chat);
    const QString label = directLabel(peer);
    m_current = label;
    print(label, tr("* direct chat with %1 (%2), not through the server; plain lines now go here, /leave ends it")
                     .arg(peer, chat->peerName()));
    print(label, chat->isEncrypted()
                     ? tr("* encrypted (%1); %2's certificate matches the one the server announced: %3")
                           .arg(chat->encryptionName(), peer, normalizedFingerprint(chat->peerFingerprint()))
                     : tr("* not encrypted: anyone on the network path can read this chat"));
    connect(chat, &DirectChat::lineReceived, this, [this, label, peer](const QString &text) {
        print(label, QStringLiteral("<%1> %2").arg(peer, printable(text)));
    });
    connect(chat, &DirectChat::errorOccurred, this, [this, label](const QString &message) {
        print(label, QStringLiteral("! ") + printable(message));
    });
    connect(chat, &DirectChat::stateChanged, this, [this, label, peer](DirectChat::State state) {
        if (state != DirectChat::State::Closed)
            return;
        m_directChats.remove(peer.toLower());
        print(label, tr("* the direct chat ended"));
        if (m_current == label) {
            m_current = lobbyLabel();
            print(m_current, tr("* plain lines now go to the lobby"));
        }
    });
}

} // namespace Confab

// The direct-chat token handshake both transports speak (docs/PROTOCOL.md, "Poke and bridge";
// over UDP, PROTOCOL-UDP.md §16.1): the connector's first line proves the token the server gave
// both peers, the listener answers OK or DENIED.
//
//     connector → listener:  "CONFAB-P2P 1 <token>\n"
//     listener → connector:  "CONFAB-P2P OK\n"  or  "CONFAB-P2P DENIED\n"
#pragma once

#include <QByteArray>

namespace Confab::PeerToken {

inline const QByteArray HelloPrefix = QByteArrayLiteral("CONFAB-P2P 1 ");
inline const QByteArray Welcome = QByteArrayLiteral("CONFAB-P2P OK\n");
inline const QByteArray Denied = QByteArrayLiteral("CONFAB-P2P DENIED\n");

// Compares two tokens without leaking where they differ.
inline bool sameToken(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}

} // namespace Confab::PeerToken

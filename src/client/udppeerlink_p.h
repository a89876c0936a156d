// UdpPeerLink's own helpers, shared by udppeerlink.cpp and udppeerlink_listen.cpp.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QLoggingCategory>

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcUdpPeer)

namespace UdpPeerLinkDetail {

// The token lines, the same as over TCP (docs/PROTOCOL.md, "Poke and bridge").
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

inline bool sameEndpoint(const QHostAddress &a, quint16 aPort, const QHostAddress &b, quint16 bPort)
{
    return aPort == bPort && a.isEqual(b, QHostAddress::TolerantConversion);
}

} // namespace UdpPeerLinkDetail

} // namespace Confab

// UdpPeerLink's own helpers, shared by udppeerlink.cpp and udppeerlink_listen.cpp.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QLoggingCategory>

#include "peertoken.h"

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcUdpPeer)

namespace UdpPeerLinkDetail {

using namespace PeerToken;

inline bool sameEndpoint(const QHostAddress &a, quint16 aPort, const QHostAddress &b, quint16 bPort)
{
    return aPort == bPort && a.isEqual(b, QHostAddress::TolerantConversion);
}

} // namespace UdpPeerLinkDetail

} // namespace Confab

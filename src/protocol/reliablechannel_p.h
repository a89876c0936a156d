// ReliableChannel's own helpers, shared by its two source files: reliablechannel.cpp (set-up,
// sending, timers) and reliablechannel_receive.cpp (datagrams from the peer, acknowledgements).
#pragma once

#include "reliablechannel.h"

#include <QLoggingCategory>

namespace Confab {

Q_DECLARE_LOGGING_CATEGORY(lcReliableUdp)

namespace ReliableChannelDetail {

using UdpWire::Datagram;
using UdpWire::Kind;

// Serial-number difference (RFC 1982): positive when a is after b, valid within 2^31.
inline qint32 seqDiff(quint32 a, quint32 b)
{
    return qint32(a - b);
}

constexpr quint32 Window = quint32(UdpWire::WindowDatagrams);

inline qsizetype totalSize(const QList<QByteArray> &payloads)
{
    qsizetype bytes = 0;
    for (const QByteArray &payload : payloads)
        bytes += payload.size();
    return bytes;
}

inline Datagram shortDatagram(Kind kind, quint32 connectionId)
{
    Datagram d;
    d.kind = kind;
    d.connectionId = connectionId;
    return d;
}

} // namespace ReliableChannelDetail

} // namespace Confab

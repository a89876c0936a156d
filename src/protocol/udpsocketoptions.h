// Socket settings for path MTU discovery over UDP (docs/PROTOCOL-UDP.md §2.1).
#pragma once

#include <QtGlobal>

namespace Confab::UdpSocketOptions {

// Sets the don't-fragment bit on a bound UDP socket without letting the kernel fragment or shrink
// datagrams to a path MTU it learnt (Linux IP_MTU_DISCOVER / IPV6_MTU_DISCOVER =
// IP_PMTUDISC_PROBE; for a dual-stack IPv6 socket both, the IPv4 one for IPv4-mapped peers). A
// datagram too large for the path is then dropped on the way (or refused by the local interface),
// never fragmented: path MTU discovery (ReliableChannel, PathMtuSearch) finds out by probing.
// Returns the largest datagram the owner may advertise for this socket: LargestDatagramSize when
// the option is set, otherwise BaseDatagramSize (with fragmentation possible, a probe would prove
// nothing). The owner reads datagrams up to that size (plus one byte, to see an oversized one).
int enableLargeDatagrams(qintptr socketDescriptor);

} // namespace Confab::UdpSocketOptions

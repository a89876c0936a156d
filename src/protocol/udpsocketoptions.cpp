#include "udpsocketoptions.h"

#include "udpwire.h"

#ifdef Q_OS_LINUX
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace Confab::UdpSocketOptions {

int enableLargeDatagrams(qintptr socketDescriptor)
{
#ifdef Q_OS_LINUX
    const int fd = int(socketDescriptor);
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length) != 0)
        return UdpWire::BaseDatagramSize;
    bool set = false;
    if (local.ss_family == AF_INET6) {
        const int probe = IPV6_PMTUDISC_PROBE;
        set = ::setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe, sizeof probe) == 0;
    }
    // An IPv4 socket, or the IPv4-mapped side of a dual-stack one (may fail on a v6-only socket).
    const int probe = IP_PMTUDISC_PROBE;
    const bool ipv4 = ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe) == 0;
    if (local.ss_family == AF_INET)
        set = ipv4;
    return set ? UdpWire::LargestDatagramSize : UdpWire::BaseDatagramSize;
#else
    Q_UNUSED(socketDescriptor);
    return UdpWire::BaseDatagramSize;
#endif
}

} // namespace Confab::UdpSocketOptions

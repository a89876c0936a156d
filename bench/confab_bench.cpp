// confab-bench: drives many client sessions against a Confab server (or an IRC server, --irc) and
// measures room fan-out: deliveries per second, loss, per-sender order and latency, plus the
// server's CPU time and memory when given its process id. See docs/PERFORMANCE.md.
//
// The bench must never be the bottleneck, so it is one epoll loop over non-blocking sockets with
// no Qt event loop. Outgoing Confab frames are built with the protocol library; incoming room
// messages are read by a small CBOR scanner (the rest goes through Message::decode).
//
// --udp: each session has its own UDP socket (its own local port, as a real client has) and runs
// the project's ReliableChannel state machine directly from the epoll loop: datagrams read with
// recvmmsg() are fed to the channel, its timers are checked every few milliseconds, and what it
// produces is sent once per batch, so acknowledgements go out once per read batch.
#include "message.h"
#include "reliablechannel.h"
#include "udpsocketoptions.h"

#include <QCoreApplication>
#include <QCommandLineParser>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace Confab;

namespace {

int64_t nowUs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The reliable channel's clock: milliseconds of the same monotonic clock.
qint64 nowMs()
{
    return qint64(nowUs() / 1000);
}

// This process's CPU seconds (user + system), to show whether the bench itself is saturated.
double ownCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
           + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// ---- the server process, read from /proc ----------------------------------------------------

struct ProcSample {
    double cpuSeconds = -1;
    long rssKiB = -1;
    long hwmKiB = -1;
};

ProcSample sampleProcess(long pid)
{
    ProcSample sample;
    if (pid <= 0)
        return sample;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (std::getline(stat, line)) {
        // Fields after the command name (which may hold spaces) start at ") ".
        const size_t close = line.rfind(')');
        if (close != std::string::npos) {
            std::vector<std::string> fields;
            size_t pos = close + 2;
            while (pos < line.size()) {
                size_t end = line.find(' ', pos);
                if (end == std::string::npos)
                    end = line.size();
                fields.push_back(line.substr(pos, end - pos));
                pos = end + 1;
            }
            // fields[0] is field 3 (state); utime is field 14, stime field 15.
            if (fields.size() > 13) {
                const double ticks = double(sysconf(_SC_CLK_TCK));
                sample.cpuSeconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
            }
        }
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            sample.rssKiB = std::stol(line.substr(6));
        else if (line.rfind("VmHWM:", 0) == 0)
            sample.hwmKiB = std::stol(line.substr(6));
    }
    return sample;
}

// Resets the kernel's peak-RSS mark so VmHWM covers the measured run only (needs permission).
bool resetPeak(long pid)
{
    if (pid <= 0)
        return false;
    FILE *f = std::fopen(("/proc/" + std::to_string(pid) + "/clear_refs").c_str(), "w");
    if (!f)
        return false;
    const bool ok = std::fputs("5", f) >= 0;
    return std::fclose(f) == 0 && ok;
}

// ---- a tiny CBOR reader for the hot path (RoomMessage) ---------------------------------------

struct Cbor {
    const uint8_t *p;
    const uint8_t *end;
    bool ok = true;

    // Reads a head; returns major type, sets *arg. Indefinite lengths give arg = ~0.
    int head(uint64_t *arg)
    {
        if (p >= end) {
            ok = false;
            return -1;
        }
        const uint8_t b = *p++;
        const int major = b >> 5;
        const int info = b & 31;
        if (info < 24) {
            *arg = uint64_t(info);
        } else if (info <= 27) {
            const int n = 1 << (info - 24);
            if (end - p < n) {
                ok = false;
                return -1;
            }
            uint64_t v = 0;
            for (int i = 0; i < n; ++i)
                v = (v << 8) | p[i];
            p += n;
            *arg = v;
        } else if (info == 31) {
            *arg = ~uint64_t(0);
        } else {
            ok = false;
            return -1;
        }
        return major;
    }
};

// Finds "type" and "text" in a flat CBOR map. Returns false when the map holds anything the
// scanner does not handle (nested containers, indefinite strings): the caller then decodes fully.
bool scanRoomMessage(const char *data, size_t size, uint64_t *type, const char **text, size_t *textSize)
{
    Cbor c{reinterpret_cast<const uint8_t *>(data), reinterpret_cast<const uint8_t *>(data) + size};
    uint64_t pairs = 0;
    if (c.head(&pairs) != 5 || pairs == ~uint64_t(0))
        return false;
    *type = 0;
    *text = nullptr;
    for (uint64_t i = 0; i < pairs; ++i) {
        uint64_t keyLen = 0;
        if (c.head(&keyLen) != 3 || keyLen == ~uint64_t(0) || uint64_t(c.end - c.p) < keyLen)
            return false;
        const char *key = reinterpret_cast<const char *>(c.p);
        c.p += keyLen;
        uint64_t arg = 0;
        const int major = c.head(&arg);
        if (!c.ok)
            return false;
        if (major == 0 || major == 1 || major == 7) {
            if (major == 0 && keyLen == 4 && std::memcmp(key, "type", 4) == 0)
                *type = arg;
            continue;
        }
        if ((major == 2 || major == 3) && arg != ~uint64_t(0) && uint64_t(c.end - c.p) >= arg) {
            if (major == 3 && keyLen == 4 && std::memcmp(key, "text", 4) == 0) {
                *text = reinterpret_cast<const char *>(c.p);
                *textSize = size_t(arg);
            }
            c.p += arg;
            continue;
        }
        return false;
    }
    return true;
}

// ---- options and results ----------------------------------------------------------------------

struct Options {
    std::string host = "127.0.0.1";
    int port = 65432;
    bool irc = false;
    bool udp = false;
    std::string mode = "fanout"; // fanout, idle, login
    int clients = 100;           // N
    int senders = 10;            // S
    int messages = 1000;         // M
    int payload = 64;            // bytes of message text
    double rate = 0;             // aggregate messages/s; 0 = as fast as possible
    int window = 0;              // per-sender messages in flight; 0 = automatic
    double timeout = 120;        // seconds for the measured phase
    int connectBatch = 8;        // sessions being set up at once
    long serverPid = 0;
    std::string prefix = "bench";
    std::string password = "benchpass";
    std::string room = "bench";
    double idleSettle = 2;       // idle mode: seconds to wait before reading memory
    // --udp: the largest datagram each session advertises and reads (path MTU discovery, as
    // UdpConnection does); BaseDatagramSize = no large datagrams (an older client); 1472 = what an
    // Ethernet path (MTU 1,500) would let discovery find.
    int udpMaxDatagram = UdpWire::LargestDatagramSize;
    bool idleWarmUp = true;      // idle mode: make the accounts before the baseline
    int logins = 20;             // login mode: logins to complete
    int loginConcurrency = 4;
};

enum class State { Connecting, Registering, Joining, Ready, Closed };

struct Client {
    int fd = -1;
    int index = 0;
    State state = State::Connecting;
    std::string in;          // unparsed bytes
    std::string out;         // unsent bytes
    size_t outOffset = 0;
    bool wantWrite = false;
    // as a sender
    uint32_t sent = 0;
    // login mode
    bool quitting = false;
    // --udp: the session's reliable channel, and payloads waiting for room in its send queue
    std::unique_ptr<ReliableChannel> channel;
    std::deque<QByteArray> backlog;
};

class Bench
{
public:
    explicit Bench(Options options) : o(std::move(options)) {}
    int run();

private:
    // sockets
    bool openClient(Client &c);
    void closeClient(Client &c);
    void queue(Client &c, const char *data, size_t size);
    void queue(Client &c, const QByteArray &bytes) { queue(c, bytes.constData(), size_t(bytes.size())); }
    void queue(Client &c, const std::string &s) { queue(c, s.data(), s.size()); }
    void sendMessage(Client &c, const Message &message);
    void flush(Client &c);
    void onReadable(Client &c);
    void setWriteInterest(Client &c, bool on);
    void onServerClosed(Client &c);
    // --udp
    bool openUdpClient(Client &c);
    void onUdpReadable(Client &c);
    void drainChannel(Client &c);
    void flushUdp(Client &c);
    void runChannelTimers();
    // protocol
    void startSession(Client &c);
    void parseConfab(Client &c);
    void onConfabPayload(Client &c, const char *payload, size_t size);
    void parseIrc(Client &c);
    void onConfabMessage(Client &c, const Message &m);
    void onText(Client &c, const char *text, size_t size);
    void becomeReady(Client &c);
    std::string userName(int index) const;
    // phases
    bool setUp();
    void pump(int timeoutMs);
    void sendDue(int64_t now);
    int runFanout();
    int runIdle();
    int runLogin();
    bool warmUpAccounts();
    void fail(const std::string &why);

    Options o;
    int ep = -1;
    std::vector<Client> clients;
    int connectedReady = 0;
    int pendingSetup = 0;
    int nextToOpen = 0;
    bool failed = false;
    std::string failure;
    uint64_t nextRequestId = 10;
    char readBuffer[256 * 1024];
    static constexpr int UdpBatchSize = 64;
    static constexpr size_t UdpSlotSize = UdpWire::LargestDatagramSize + 1; // an oversized datagram shows as such
    char udpReadBuffer[UdpBatchSize * UdpSlotSize];
    uint64_t udpBytesIn = 0;
    int udpLargestIn = 0;
    // --udp
    int64_t nextTimerScanMs = 0;
    uint64_t udpDatagramsIn = 0, udpDatagramsOut = 0, udpSendFailures = 0;

    // fan-out measurement
    bool measuring = false;
    uint64_t expected = 0, delivered = 0, outOfOrder = 0, malformed = 0;
    std::vector<uint32_t> lastSeq;      // [receiver * S + sender]
    std::vector<uint32_t> seenByObserver;
    std::vector<uint32_t> latencies;    // µs
    int64_t firstSend = 0, lastDelivery = 0;
    int window = 0;
    int closedDuringRun = 0;
    // login mode
    uint64_t loginsDone = 0, loginsFailed = 0;
};

std::string Bench::userName(int index) const
{
    return o.prefix + std::to_string(index);
}

void Bench::fail(const std::string &why)
{
    if (!failed) {
        failed = true;
        failure = why;
    }
}

bool Bench::openClient(Client &c)
{
    if (o.udp)
        return openUdpClient(c);
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        fail(std::string("socket: ") + std::strerror(errno));
        return false;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(o.port));
    inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
    if (::connect(c.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
        fail(std::string("connect: ") + std::strerror(errno));
        ::close(c.fd);
        c.fd = -1;
        return false;
    }
    c.state = State::Connecting;
    c.in.clear();
    c.out.clear();
    c.outOffset = 0;
    c.quitting = false;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u32 = uint32_t(c.index);
    c.wantWrite = true;
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
}

void Bench::closeClient(Client &c)
{
    if (c.channel) {
        // Say Close once (not waiting for its acknowledgement), so the server ends the session now
        // instead of after its dead-peer timeout.
        c.backlog.clear();
        c.channel->close(nowMs());
        flushUdp(c);
        c.channel.reset();
    }
    if (c.fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
    }
    c.fd = -1;
    c.state = State::Closed;
}

void Bench::setWriteInterest(Client &c, bool on)
{
    if (c.wantWrite == on || c.fd < 0)
        return;
    c.wantWrite = on;
    epoll_event ev{};
    ev.events = on ? uint32_t(EPOLLIN | EPOLLOUT) : uint32_t(EPOLLIN);
    ev.data.u32 = uint32_t(c.index);
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
}

void Bench::queue(Client &c, const char *data, size_t size)
{
    if (c.outOffset > 0 && c.outOffset == c.out.size()) {
        c.out.clear();
        c.outOffset = 0;
    }
    c.out.append(data, size);
}

void Bench::sendMessage(Client &c, const Message &message)
{
    if (!o.udp) {
        queue(c, message.toFrame());
        return;
    }
    // One channel payload is one message without the stream's length prefix (PROTOCOL-UDP.md §1).
    // The backlog keeps order behind a full send queue; flushUdp() feeds it in as acks make room.
    if (!c.channel)
        return;
    QByteArray payload = message.encode();
    if (c.backlog.empty()) {
        const ReliableChannel::SendResult result = c.channel->send(payload, nowMs());
        if (result == ReliableChannel::SendResult::Queued)
            return;
        if (result != ReliableChannel::SendResult::QueueFull) {
            fail("session " + userName(c.index) + ": the channel refused a payload");
            return;
        }
    }
    c.backlog.push_back(std::move(payload));
}

void Bench::flush(Client &c)
{
    if (o.udp) {
        flushUdp(c);
        return;
    }
    if (c.fd < 0 || c.state == State::Connecting)
        return;
    while (c.outOffset < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.outOffset, c.out.size() - c.outOffset, MSG_NOSIGNAL);
        if (n > 0) {
            c.outOffset += size_t(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            setWriteInterest(c, true);
            return;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return; // the read side will see the close
    }
    c.out.clear();
    c.outOffset = 0;
    setWriteInterest(c, false);
}

void Bench::startSession(Client &c)
{
    const std::string user = userName(c.index);
    c.state = State::Registering;
    if (o.irc) {
        queue(c, "NICK " + user + "\r\nUSER " + user + " 0 * :confab-bench\r\n");
    } else {
        sendMessage(c, Message::hello(QStringLiteral("confab-bench")));
        sendMessage(c, Message::login(1, QString::fromStdString(user), QString::fromStdString(o.password)));
    }
    flush(c);
}

void Bench::becomeReady(Client &c)
{
    if (c.state == State::Ready)
        return;
    c.state = State::Ready;
    ++connectedReady;
    --pendingSetup;
}

void Bench::onReadable(Client &c)
{
    for (;;) {
        const ssize_t n = ::recv(c.fd, readBuffer, sizeof readBuffer, 0);
        if (n > 0) {
            c.in.append(readBuffer, size_t(n));
            if (size_t(n) < sizeof readBuffer)
                break;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        // Closed by the server.
        if (o.irc)
            parseIrc(c);
        else
            parseConfab(c);
        onServerClosed(c);
        return;
    }
    if (o.irc)
        parseIrc(c);
    else
        parseConfab(c);
    flush(c);
}

void Bench::onServerClosed(Client &c)
{
    if (c.quitting) {
        ++loginsDone;
    } else if (c.state != State::Ready) {
        --pendingSetup;
        fail("session " + userName(c.index) + " was closed during setup");
    } else {
        ++closedDuringRun;
        --connectedReady;
    }
    closeClient(c);
}

void Bench::parseConfab(Client &c)
{
    size_t pos = 0;
    const size_t size = c.in.size();
    const char *base = c.in.data();
    while (size - pos >= 4) {
        const uint32_t length = (uint32_t(uint8_t(base[pos])) << 24) | (uint32_t(uint8_t(base[pos + 1])) << 16)
            | (uint32_t(uint8_t(base[pos + 2])) << 8) | uint32_t(uint8_t(base[pos + 3]));
        if (size - pos - 4 < length)
            break;
        onConfabPayload(c, base + pos + 4, length);
        pos += 4 + length;
    }
    c.in.erase(0, pos);
}

void Bench::onConfabPayload(Client &c, const char *payload, size_t size)
{
    uint64_t type = 0;
    const char *text = nullptr;
    size_t textSize = 0;
    if (scanRoomMessage(payload, size, &type, &text, &textSize) && type == uint64_t(MessageType::RoomMessage)) {
        if (text)
            onText(c, text, textSize);
        return;
    }
    const DecodeResult decoded = Message::decode(QByteArray::fromRawData(payload, qsizetype(size)));
    if (decoded.ok())
        onConfabMessage(c, decoded.message);
    else
        ++malformed;
}

// ---- --udp: one ReliableChannel per session, driven from the epoll loop ----------------------

bool Bench::openUdpClient(Client &c)
{
    c.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        fail(std::string("socket: ") + std::strerror(errno));
        return false;
    }
    // A connected UDP socket: an ephemeral local port of its own, as a real client has (the server
    // keys channels by source address, port and connection id), and only the server's datagrams.
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(o.port));
    inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
    if (::connect(c.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0) {
        fail(std::string("connect (UDP): ") + std::strerror(errno));
        ::close(c.fd);
        c.fd = -1;
        return false;
    }
    c.state = State::Connecting;
    c.quitting = false;
    c.backlog.clear();
    c.channel = std::make_unique<ReliableChannel>(ReliableChannel::Role::Client, ReliableChannel::randomConnectionId());
    // As UdpConnection, the client the bench stands in for, does.
    c.channel->setDelayedAck(ReliableChannel::DefaultAckDelayMs, ReliableChannel::DefaultAckEveryDatagrams);
    c.channel->setMaxDatagramSize(std::min(o.udpMaxDatagram, UdpSocketOptions::enableLargeDatagrams(c.fd)));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = uint32_t(c.index);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    c.channel->connectToPeer(nowMs()); // Hello; Connected follows the cookie round trip
    flushUdp(c);
    return true;
}

void Bench::onUdpReadable(Client &c)
{
    // Everything waiting on the socket, a batch per recvmmsg(), into the channel; then one drain,
    // so the acknowledgements for the whole batch leave in one Ack (or ride on our next datagram).
    constexpr int BatchSize = UdpBatchSize;
    constexpr size_t SlotSize = UdpSlotSize;
    mmsghdr messages[BatchSize];
    iovec buffers[BatchSize];
    for (int i = 0; i < BatchSize; ++i) {
        buffers[i] = {udpReadBuffer + size_t(i) * SlotSize, SlotSize};
        messages[i] = {};
        messages[i].msg_hdr.msg_iov = &buffers[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    for (;;) {
        const int n = ::recvmmsg(c.fd, messages, BatchSize, MSG_DONTWAIT, nullptr);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // EAGAIN; ECONNREFUSED (nothing listens) is left to the handshake's timeout
        const qint64 now = nowMs();
        for (int i = 0; i < n; ++i) {
            ++udpDatagramsIn;
            udpBytesIn += messages[i].msg_len;
            udpLargestIn = std::max(udpLargestIn, int(messages[i].msg_len));
            // The channel copies what it keeps, so the datagram can stay in the read buffer.
            c.channel->handleDatagram(QByteArray::fromRawData(static_cast<const char *>(buffers[i].iov_base),
                                                              qsizetype(messages[i].msg_len)),
                                      now);
        }
        if (n < BatchSize)
            break;
    }
    drainChannel(c);
}

void Bench::drainChannel(Client &c)
{
    // Payloads before events, so the server's Close is seen after its last message.
    const QList<QByteArray> payloads = c.channel->takePayloads();
    for (const QByteArray &payload : payloads)
        onConfabPayload(c, payload.constData(), size_t(payload.size()));
    bool ended = false;
    const QList<ReliableChannel::Event> events = c.channel->takeEvents();
    for (ReliableChannel::Event event : events) {
        if (event == ReliableChannel::Event::Connected)
            startSession(c);
        else
            ended = true; // PeerClosed, Closed, Dead or ProtocolError
    }
    flushUdp(c);
    if (ended) {
        if (c.channel->state() == ReliableChannel::State::Dead && c.state != State::Ready)
            fail("session " + userName(c.index) + ": no answer from the server over UDP");
        c.channel.reset(); // it already said what it had to (CloseAck); no Close of ours
        onServerClosed(c);
    }
}

void Bench::flushUdp(Client &c)
{
    if (!c.channel)
        return;
    if (!c.backlog.empty()) {
        const qint64 now = nowMs();
        while (!c.backlog.empty() && c.channel->send(c.backlog.front(), now) == ReliableChannel::SendResult::Queued)
            c.backlog.pop_front();
    }
    const QList<QByteArray> datagrams = c.channel->takeDatagrams();
    for (const QByteArray &datagram : datagrams) {
        ++udpDatagramsOut;
        // A full socket buffer loses the datagram, as any UDP loss; the channel resends it.
        if (::send(c.fd, datagram.constData(), size_t(datagram.size()), MSG_NOSIGNAL) < 0)
            ++udpSendFailures;
    }
}

// The channels' timers (retransmission, keepalive, dead peer): checked every few milliseconds,
// which is finer than anything they time (the shortest retransmission timeout is 200 ms).
void Bench::runChannelTimers()
{
    const qint64 now = nowMs();
    if (now < nextTimerScanMs)
        return;
    nextTimerScanMs = now + 5;
    for (Client &c : clients) {
        if (!c.channel)
            continue;
        const qint64 at = c.channel->nextTimeoutAt();
        if (at < 0 || at > now)
            continue;
        c.channel->onTimer(now);
        drainChannel(c);
    }
}

void Bench::onConfabMessage(Client &c, const Message &m)
{
    switch (m.type()) {
    case MessageType::Ping:
        sendMessage(c, Message::pong(quint64(m.integer(Key::Nonce))));
        break;
    case MessageType::LoginOk:
        if (o.mode == "login") {
            sendMessage(c, Message::quit());
            c.quitting = true;
        } else if (o.mode == "idle") {
            becomeReady(c);
        } else {
            c.state = State::Joining;
            sendMessage(c, Message::joinRoom(2, QString::fromStdString(o.room)));
        }
        break;
    case MessageType::RoomJoined:
        becomeReady(c);
        break;
    case MessageType::Error: {
        const auto code = ErrorCode(m.integer(Key::Code));
        const quint64 re = m.replyTo();
        if (re == 2 && code == ErrorCode::NoSuchRoom) {
            sendMessage(c, Message::createRoom(3, QString::fromStdString(o.room)));
        } else if (re == 3 && code == ErrorCode::RoomExists) {
            sendMessage(c, Message::joinRoom(2, QString::fromStdString(o.room)));
        } else if (re == 2 && code == ErrorCode::AlreadyInRoom) {
            becomeReady(c);
        } else if (c.state != State::Ready || re == 0) {
            fail("session " + userName(c.index) + ": error " + std::to_string(int(code)) + " "
                 + m.text(Key::Message).toStdString());
        }
        break;
    }
    default:
        break; // Welcome, presence, room updates, Delivered
    }
}

void Bench::parseIrc(Client &c)
{
    size_t pos = 0;
    const size_t size = c.in.size();
    const char *base = c.in.data();
    for (;;) {
        const void *nl = std::memchr(base + pos, '\n', size - pos);
        if (!nl)
            break;
        const size_t end = size_t(static_cast<const char *>(nl) - base);
        size_t lineEnd = end;
        if (lineEnd > pos && base[lineEnd - 1] == '\r')
            --lineEnd;
        const char *line = base + pos;
        const size_t len = lineEnd - pos;
        pos = end + 1;
        if (len >= 5 && std::memcmp(line, "PING ", 5) == 0) {
            queue(c, std::string("PONG "));
            queue(c, line + 5, len - 5);
            queue(c, "\r\n", 2);
            continue;
        }
        if (len == 0 || line[0] != ':')
            continue;
        // ":prefix COMMAND params"
        const char *sp = static_cast<const char *>(std::memchr(line, ' ', len));
        if (!sp)
            continue;
        const char *cmd = sp + 1;
        const size_t rest = len - size_t(cmd - line);
        if (rest >= 8 && std::memcmp(cmd, "PRIVMSG ", 8) == 0) {
            const char *colon = static_cast<const char *>(std::memchr(cmd + 8, ':', rest - 8));
            if (colon)
                onText(c, colon + 1, size_t(line + len - colon - 1));
            continue;
        }
        if (rest >= 4 && std::memcmp(cmd, "001 ", 4) == 0) {
            if (o.mode == "login") {
                queue(c, std::string("QUIT\r\n"));
                c.quitting = true;
            } else if (o.mode == "idle") {
                becomeReady(c);
            } else {
                c.state = State::Joining;
                queue(c, "JOIN #" + o.room + "\r\n");
            }
        } else if (rest >= 4 && std::memcmp(cmd, "366 ", 4) == 0) {
            becomeReady(c);
        } else if (rest >= 4 && (std::memcmp(cmd, "433 ", 4) == 0 || std::memcmp(cmd, "432 ", 4) == 0
                                 || std::memcmp(cmd, "471 ", 4) == 0 || std::memcmp(cmd, "405 ", 4) == 0)) {
            fail("session " + userName(c.index) + ": " + std::string(line, len));
        }
    }
    c.in.erase(0, pos);
}

// Text layout: "<sender>:<seq>:<send time µs>:" then padding.
void Bench::onText(Client &c, const char *text, size_t size)
{
    if (!measuring)
        return;
    const char *p = text;
    const char *end = text + size;
    uint64_t fields[3] = {0, 0, 0};
    for (int f = 0; f < 3; ++f) {
        if (p >= end || *p < '0' || *p > '9') {
            ++malformed;
            return;
        }
        uint64_t v = 0;
        while (p < end && *p >= '0' && *p <= '9')
            v = v * 10 + uint64_t(*p++ - '0');
        if (p >= end || *p != ':') {
            ++malformed;
            return;
        }
        ++p;
        fields[f] = v;
    }
    const uint64_t sender = fields[0];
    const uint32_t seq = uint32_t(fields[1]);
    if (sender >= uint64_t(o.senders)) {
        ++malformed;
        return;
    }
    const int64_t now = nowUs();
    uint32_t &last = lastSeq[size_t(c.index) * size_t(o.senders) + sender];
    if (seq != last + 1)
        ++outOfOrder;
    if (seq > last)
        last = seq;
    ++delivered;
    lastDelivery = now;
    const int64_t latency = now - int64_t(fields[2]);
    latencies.push_back(uint32_t(std::max<int64_t>(0, latency)));
    if (c.index == o.clients - 1)
        seenByObserver[sender] = std::max(seenByObserver[sender], seq);
}

void Bench::pump(int timeoutMs)
{
    epoll_event events[512];
    if (o.udp)
        timeoutMs = std::min(timeoutMs, 5); // the channels' timers
    const int n = epoll_wait(ep, events, 512, timeoutMs);
    for (int i = 0; i < n; ++i) {
        Client &c = clients[events[i].data.u32];
        if (c.fd < 0)
            continue;
        if (o.udp) {
            if (c.channel)
                onUdpReadable(c);
            continue;
        }
        if (c.state == State::Connecting && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                if (o.mode == "login") {
                    // The listen backlog was full; try again.
                    closeClient(c);
                    openClient(c);
                    continue;
                }
                fail("connect " + userName(c.index) + ": " + std::strerror(err));
                closeClient(c);
                continue;
            }
            startSession(c);
            continue;
        }
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            onReadable(c);
        if (c.fd >= 0 && (events[i].events & EPOLLOUT))
            flush(c);
    }
    if (o.udp)
        runChannelTimers();
}

bool Bench::setUp()
{
    // Session 0 goes first alone, so exactly one session creates the room.
    const int64_t deadline = nowUs() + int64_t(o.timeout * 1e6);
    while (connectedReady < o.clients && !failed) {
        const int limit = connectedReady == 0 ? 1 : o.connectBatch;
        while (nextToOpen < o.clients && pendingSetup < limit) {
            ++pendingSetup;
            openClient(clients[size_t(nextToOpen++)]);
        }
        pump(50);
        if (nowUs() > deadline)
            fail("setup did not finish in time (" + std::to_string(connectedReady) + " sessions ready)");
    }
    return !failed;
}

void Bench::sendDue(int64_t now)
{
    for (int s = 0; s < o.senders; ++s) {
        Client &c = clients[size_t(s)];
        if (c.fd < 0)
            continue;
        bool queued = false;
        while (c.sent < uint32_t(o.messages)) {
            if (o.rate > 0) {
                // Sender s sends its k-th message at k·S/rate + s/rate seconds after the start.
                const double at = (double(c.sent) * o.senders + s) / o.rate;
                if (firstSend + int64_t(at * 1e6) > now)
                    break;
            }
            if (int64_t(c.sent) - int64_t(seenByObserver[size_t(s)]) >= window)
                break;
            const uint32_t seq = ++c.sent;
            char text[64];
            int len = std::snprintf(text, sizeof text, "%d:%u:%" PRId64 ":", s, seq, nowUs());
            std::string body(text, size_t(len));
            if (int(body.size()) < o.payload)
                body.append(size_t(o.payload) - body.size(), 'x');
            if (o.irc) {
                queue(c, "PRIVMSG #" + o.room + " :" + body + "\r\n");
            } else {
                sendMessage(c, Message::postRoom(nextRequestId++, QString::fromStdString(o.room),
                                                 QString::fromLatin1(body.data(), qsizetype(body.size()))));
            }
            queued = true;
        }
        if (queued)
            flush(c);
    }
}

int Bench::runFanout()
{
    if (o.senders > o.clients - 1) {
        std::fprintf(stderr, "confab-bench: need more clients than senders (the last one observes)\n");
        return 2;
    }
    window = o.window > 0 ? o.window : std::max(4, 160 / o.senders);
    expected = uint64_t(o.senders) * uint64_t(o.messages) * uint64_t(o.clients - 1);
    lastSeq.assign(size_t(o.clients) * size_t(o.senders), 0);
    seenByObserver.assign(size_t(o.senders), 0);
    latencies.reserve(size_t(expected));
    if (!setUp()) {
        std::fprintf(stderr, "confab-bench: %s\n", failure.c_str());
        return 1;
    }
    // Let presence and room-update traffic from the setup drain before the clock starts.
    const int64_t settleEnd = nowUs() + 300000;
    while (nowUs() < settleEnd)
        pump(20);

    const bool peakReset = resetPeak(o.serverPid);
    const ProcSample before = sampleProcess(o.serverPid);
    const double benchCpuBefore = ownCpuSeconds();
    const uint64_t datagramsInBefore = udpDatagramsIn, datagramsOutBefore = udpDatagramsOut;
    const uint64_t bytesInBefore = udpBytesIn;
    udpLargestIn = 0;
    measuring = true;
    firstSend = nowUs();
    lastDelivery = firstSend;
    const int64_t deadline = firstSend + int64_t(o.timeout * 1e6);
    while (delivered < expected && nowUs() < deadline && connectedReady > 0) {
        sendDue(nowUs());
        pump(o.rate > 0 ? 0 : 1);
    }
    const int64_t endTime = delivered >= expected ? lastDelivery : nowUs();
    const ProcSample after = sampleProcess(o.serverPid);
    const double benchCpu = ownCpuSeconds() - benchCpuBefore;
    measuring = false;
    quint64 benchRetransmissions = 0;
    for (const Client &c : clients)
        benchRetransmissions += c.channel ? c.channel->retransmissions() : 0;

    const double seconds = double(endTime - firstSend) / 1e6;
    auto percentile = [this](double q) -> double {
        if (latencies.empty())
            return -1;
        const size_t k = std::min(latencies.size() - 1, size_t(q * double(latencies.size())));
        std::nth_element(latencies.begin(), latencies.begin() + long(k), latencies.end());
        return latencies[k] / 1000.0;
    };
    const double p50 = percentile(0.50);
    const double p99 = percentile(0.99);
    const double pmax = latencies.empty() ? -1 : *std::max_element(latencies.begin(), latencies.end()) / 1000.0;
    const uint64_t lost = expected - std::min(expected, delivered);
    std::printf("confab-bench %s %s: N=%d S=%d M=%d payload=%d rate=%s window=%d\n", o.irc ? "irc" : "confab",
                o.udp ? "udp" : "tcp", o.clients, o.senders, o.messages, o.payload,
                o.rate > 0 ? std::to_string(int(o.rate)).c_str() : "unpaced", window);
    std::printf("  expected %" PRIu64 ", delivered %" PRIu64 ", lost %" PRIu64 ", out-of-order %" PRIu64
                ", malformed %" PRIu64 ", sessions closed %d\n",
                expected, delivered, lost, outOfOrder, malformed, closedDuringRun);
    std::printf("  %.3f s, %.0f deliveries/s, latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", seconds,
                seconds > 0 ? double(delivered) / seconds : 0.0, p50, p99, pmax);
    if (o.serverPid > 0)
        std::printf("  server: %.2f CPU s, peak RSS %ld KiB%s\n", after.cpuSeconds - before.cpuSeconds, after.hwmKiB,
                    peakReset ? "" : " (peak of its lifetime)");
    std::printf("  bench: %.2f CPU s of %.3f s\n", benchCpu, seconds);
    if (o.udp)
        std::printf("  udp: %" PRIu64 " datagrams in, %" PRIu64 " out (%" PRIu64 " send failures), %llu resent by the bench\n",
                    udpDatagramsIn - datagramsInBefore, udpDatagramsOut - datagramsOutBefore, udpSendFailures,
                    static_cast<unsigned long long>(benchRetransmissions));
    if (o.udp) {
        const uint64_t in = udpDatagramsIn - datagramsInBefore;
        std::printf("  udp: datagrams in: mean %.0f bytes, largest %d (sessions read up to %d)\n",
                    in > 0 ? double(udpBytesIn - bytesInBefore) / double(in) : 0.0, udpLargestIn,
                    o.udpMaxDatagram);
    }
    // One machine-readable line for scripts.
    std::printf("RESULT mode=fanout server=%s transport=%s N=%d S=%d M=%d expected=%" PRIu64 " delivered=%" PRIu64
                " lost=%" PRIu64 " ooo=%" PRIu64 " seconds=%.3f dps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f"
                " server_cpu_s=%.2f server_peak_kib=%ld dpcpu=%.0f bench_cpu_s=%.2f\n",
                o.irc ? "irc" : "confab", o.udp ? "udp" : "tcp", o.clients, o.senders, o.messages, expected, delivered,
                lost, outOfOrder, seconds, seconds > 0 ? double(delivered) / seconds : 0.0, p50, p99, pmax,
                o.serverPid > 0 ? after.cpuSeconds - before.cpuSeconds : -1.0, o.serverPid > 0 ? after.hwmKiB : -1L,
                o.serverPid > 0 && after.cpuSeconds > before.cpuSeconds
                    ? double(delivered) / (after.cpuSeconds - before.cpuSeconds) : -1.0,
                benchCpu);
    std::fflush(stdout);
    return (lost == 0 && outOfOrder == 0 && malformed == 0) ? 0 : 1;
}

int Bench::runIdle()
{
    if (o.serverPid <= 0) {
        std::fprintf(stderr, "confab-bench: --idle needs --server-pid\n");
        return 2;
    }
    if (o.idleWarmUp && !warmUpAccounts()) {
        std::fprintf(stderr, "confab-bench: %s\n", failure.c_str());
        return 1;
    }
    // Let the server settle (freed memory, finished hashing threads) before the baseline.
    const int64_t quietEnd = nowUs() + 500000;
    while (nowUs() < quietEnd)
        pump(50);
    const ProcSample before = sampleProcess(o.serverPid);
    if (!setUp()) {
        std::fprintf(stderr, "confab-bench: %s\n", failure.c_str());
        return 1;
    }
    const int64_t settleEnd = nowUs() + int64_t(o.idleSettle * 1e6);
    while (nowUs() < settleEnd)
        pump(50);
    const ProcSample after = sampleProcess(o.serverPid);
    const double perSession = double(after.rssKiB - before.rssKiB) * 1024.0 / o.clients;
    std::printf("confab-bench %s idle: %d sessions, server RSS %ld KiB before, %ld KiB after, %.0f bytes (%.2f KiB) per idle session\n",
                o.irc ? "irc" : "confab", o.clients, before.rssKiB, after.rssKiB, perSession, perSession / 1024);
    std::printf("RESULT mode=idle server=%s N=%d rss_before_kib=%ld rss_after_kib=%ld bytes_per_session=%.0f\n",
                o.irc ? "irc" : "confab", o.clients, before.rssKiB, after.rssKiB, perSession);
    std::fflush(stdout);
    return 0;
}

// Idle mode: every account is made (logged in once, then quit) a few at a time before the
// baseline, so the figure is memory per idle session, not per stored account.
bool Bench::warmUpAccounts()
{
    const std::string savedMode = o.mode;
    o.mode = "login";
    int next = 0;
    int active = 0;
    const uint64_t doneBefore = loginsDone;
    const int64_t deadline = nowUs() + int64_t(o.timeout * 1e6);
    while (loginsDone - doneBefore < uint64_t(o.clients) && !failed && nowUs() < deadline) {
        active = 0;
        for (const Client &c : clients)
            active += c.fd >= 0 ? 1 : 0;
        while (next < o.clients && active < o.connectBatch) {
            openClient(clients[size_t(next++)]);
            ++active;
        }
        pump(20);
    }
    o.mode = savedMode;
    loginsDone = doneBefore;
    for (Client &c : clients)
        closeClient(c);
    if (!failed && nowUs() >= deadline)
        fail("the accounts could not all be made in time");
    return !failed;
}

int Bench::runLogin()
{
    // loginConcurrency connections log in, quit, and log in again, for `logins` logins in all.
    clients.resize(size_t(o.loginConcurrency));
    for (size_t i = 0; i < clients.size(); ++i)
        clients[i].index = int(i);
    const ProcSample before = sampleProcess(o.serverPid);
    const int64_t start = nowUs();
    const int64_t deadline = start + int64_t(o.timeout * 1e6);
    uint64_t started = 0;
    for (Client &c : clients) {
        openClient(c);
        ++started;
    }
    while (loginsDone < uint64_t(o.logins) && !failed && nowUs() < deadline) {
        pump(20);
        for (Client &c : clients) {
            if (c.fd < 0 && started < uint64_t(o.logins)) {
                openClient(c);
                ++started;
            }
        }
    }
    const double seconds = double(nowUs() - start) / 1e6;
    const ProcSample after = sampleProcess(o.serverPid);
    if (failed)
        std::fprintf(stderr, "confab-bench: %s\n", failure.c_str());
    std::printf("confab-bench %s login: %" PRIu64 " logins in %.2f s = %.2f logins/s (%d at a time)\n",
                o.irc ? "irc" : "confab", loginsDone, seconds, loginsDone / seconds, o.loginConcurrency);
    if (o.serverPid > 0)
        std::printf("  server: %.2f CPU s\n", after.cpuSeconds - before.cpuSeconds);
    std::printf("RESULT mode=login server=%s logins=%" PRIu64 " seconds=%.3f logins_per_s=%.2f server_cpu_s=%.2f\n",
                o.irc ? "irc" : "confab", loginsDone, seconds, loginsDone / seconds,
                o.serverPid > 0 ? after.cpuSeconds - before.cpuSeconds : -1.0);
    return failed ? 1 : 0;
}

int Bench::run()
{
    ep = epoll_create1(EPOLL_CLOEXEC);
    clients.resize(size_t(o.clients));
    for (size_t i = 0; i < clients.size(); ++i)
        clients[i].index = int(i);
    int rc = 0;
    if (o.mode == "idle")
        rc = runIdle();
    else if (o.mode == "login")
        rc = runLogin();
    else
        rc = runFanout();
    for (Client &c : clients)
        closeClient(c);
    ::close(ep);
    return rc;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("confab-bench"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures a chat server's room fan-out, idle memory and login rate (docs/PERFORMANCE.md)."));
    parser.addHelpOption();
    auto opt = [&parser](const char *name, const char *help, const char *value = nullptr, const char *def = nullptr) {
        QCommandLineOption option(QString::fromLatin1(name), QString::fromLatin1(help));
        if (value) {
            option.setValueName(QString::fromLatin1(value));
            if (def)
                option.setDefaultValue(QString::fromLatin1(def));
        }
        parser.addOption(option);
        return option;
    };
    const auto host = opt("host", "Server address (default 127.0.0.1).", "address", "127.0.0.1");
    const auto port = opt("port", "Server port (default 65432).", "port", "65432");
    const auto irc = opt("irc", "Speak IRC (NICK/USER, JOIN, PRIVMSG, PONG) instead of Confab.");
    const auto udp = opt("udp", "Use Confab's reliable UDP transport (one socket and channel per session).");
    const auto idle = opt("idle", "Idle mode: log N sessions in and report the server's memory per session.");
    const auto login = opt("login", "Login mode: measure logins per second (use the server's real password cost).");
    const auto clients = opt("clients", "N: sessions (default 100).", "n", "100");
    const auto senders = opt("senders", "S: sessions that send (default 10).", "n", "10");
    const auto messages = opt("messages", "M: messages per sender (default 1000).", "n", "1000");
    const auto payload = opt("payload", "Bytes of text per message (default 64).", "bytes", "64");
    const auto rate = opt("rate", "Aggregate messages per second; 0 = as fast as possible (default 0).", "n", "0");
    const auto window = opt("window", "Messages each sender may have in flight (default max(4, 160/S)).", "n", "0");
    const auto timeout = opt("timeout", "Seconds the measured phase may take (default 120).", "s", "120");
    const auto batch = opt("connect-batch", "Sessions set up at once (default 8).", "n", "8");
    const auto pid = opt("server-pid", "The server's process id, for its CPU time and memory.", "pid", "0");
    const auto prefix = opt("prefix", "User name prefix (default bench).", "text", "bench");
    const auto password = opt("password", "Password of the bench accounts (default benchpass).", "text", "benchpass");
    const auto room = opt("room", "Room (IRC channel without #) to use (default bench).", "name", "bench");
    const auto logins = opt("logins", "Login mode: logins to complete (default 20).", "n", "20");
    const auto concurrency = opt("login-concurrency", "Login mode: logins in progress at once (default 4).", "n", "4");
    const auto noWarmUp = opt("no-warm-up", "Idle mode: do not make the accounts before the baseline.");
    const auto settle = opt("idle-settle", "Idle mode: seconds to wait before reading memory (default 2).", "s", "2");
    const auto udpMax = opt("udp-max-datagram",
                            "--udp: largest datagram each session advertises and reads, 1200 (no path MTU "
                            "discovery) to 8952 (default 8952; 1472 = an Ethernet path).", "bytes", "8952");
    parser.process(app);

    Options o;
    o.host = parser.value(host).toStdString();
    o.port = parser.value(port).toInt();
    o.irc = parser.isSet(irc);
    o.udp = parser.isSet(udp);
    o.mode = parser.isSet(idle) ? "idle" : parser.isSet(login) ? "login" : "fanout";
    o.clients = parser.value(clients).toInt();
    o.senders = parser.value(senders).toInt();
    o.messages = parser.value(messages).toInt();
    o.payload = qBound(24, parser.value(payload).toInt(), 16000);
    o.rate = parser.value(rate).toDouble();
    o.window = parser.value(window).toInt();
    o.timeout = parser.value(timeout).toDouble();
    o.connectBatch = qMax(1, parser.value(batch).toInt());
    o.serverPid = parser.value(pid).toLong();
    o.prefix = parser.value(prefix).toStdString();
    o.password = parser.value(password).toStdString();
    o.room = parser.value(room).toStdString();
    o.logins = parser.value(logins).toInt();
    o.loginConcurrency = qMax(1, parser.value(concurrency).toInt());
    o.idleSettle = parser.value(settle).toDouble();
    o.idleWarmUp = !parser.isSet(noWarmUp);
    o.udpMaxDatagram = qBound(UdpWire::BaseDatagramSize, parser.value(udpMax).toInt(), UdpWire::LargestDatagramSize);
    if (o.udp && o.irc) {
        std::fprintf(stderr, "confab-bench: --udp is Confab's transport; IRC has none\n");
        return 2;
    }
    if (o.clients < 1 || o.senders < 1 || o.messages < 1) {
        std::fprintf(stderr, "confab-bench: --clients, --senders and --messages must be positive\n");
        return 2;
    }
    auto bench = std::make_unique<Bench>(o);
    return bench->run();
}

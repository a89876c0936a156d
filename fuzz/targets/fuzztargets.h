// The entry points of Confab's fuzz targets, one per decoder. Each takes any bytes and must
// neither crash, nor leak, nor trip a sanitizer, nor break the invariant it checks (it traps if
// it does). fuzz/CMakeLists.txt wraps each in libFuzzer's LLVMFuzzerTestOneInput (clang,
// scripts/fuzz.sh); tests/tst_fuzzreplay.cpp runs them all with gcc over the seed corpus and a
// few thousand deterministic mutations of it, as part of the ordinary test suite.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ConfabFuzz {

// A TCP byte stream, cut at sizes the input chooses, through FrameDecoder; every frame's payload
// goes through Message::decode as well.
int frameDecoder(const uint8_t *data, size_t size);
// One frame payload through Message::decode (CBOR, per-type schema); what decodes must encode
// and decode again to the same message.
int message(const uint8_t *data, size_t size);
// One UDP datagram through UdpWire::decode and the server's stateless front door; what decodes
// must encode to a datagram that decodes the same.
int udpDatagram(const uint8_t *data, size_t size);
// A sequence of datagrams, timer ticks, sends and a close, fed to a server ReliableChannel
// (connection id 0x01020304): handshake, acknowledgements, reassembly and its bounds.
int reliableChannel(const uint8_t *data, size_t size);
// A direct-chat byte stream, cut at sizes the input chooses, through LineSplitter.
int directChatLines(const uint8_t *data, size_t size);

struct Target {
    const char *name; // also the corpus folder: fuzz/corpus/<name>/
    int (*run)(const uint8_t *data, size_t size);
};

inline constexpr Target Targets[] = {
    {"framedecoder", frameDecoder},
    {"message", message},
    {"udpdatagram", udpDatagram},
    {"reliablechannel", reliableChannel},
    {"directchat", directChatLines},
};

} // namespace ConfabFuzz

#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/ (run from anywhere).

The seeds are valid inputs of each decoder (one of every message type and datagram kind, frames
cut at several sizes, direct-chat streams) plus a few near misses, so that both libFuzzer and the
replay test start from inputs that reach deep into the code. Deterministic: running it again
writes the same files. Crash inputs found later are added by hand under regression-*.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


MESSAGES = {
    "hello": {"type": 1, "version": 1, "caps": ["lobby", "rooms"], "agent": "seed/1"},
    "welcome": {"type": 2, "version": 1, "caps": ["tcp", "udp"], "server": "Confab",
                "limits": {"maxFrame": 65536, "maxText": 16384}},
    "login": {"type": 3, "id": 1, "user": "alice", "password": "secret-password"},
    "loginok": {"type": 4, "re": 1, "user": "alice", "created": True},
    "error": {"type": 5, "code": 29, "message": "Slow down", "re": 7, "retryAfter": 1500, "fatal": False},
    "ping": {"type": 6, "nonce": 42},
    "pong": {"type": 7, "nonce": 42},
    "postlobby": {"type": 8, "id": 2, "text": "hello, world \u00e9\u4e16"},
    "lobbymessage": {"type": 9, "from": "bob", "text": "hi", "ts": 1700000000000, "msg": 5},
    "delivered": {"type": 10, "re": 2, "count": 3, "ts": 1700000000000, "msg": 5},
    "postdm": {"type": 11, "id": 3, "to": "bob", "text": "psst"},
    "dmmessage": {"type": 12, "from": "a", "to": "b", "text": "x", "ts": -1, "msg": 1},
    "listusers": {"type": 13, "id": 4},
    "userlist": {"type": 14, "re": 4, "users": [{"user": "alice", "since": 1, "transport": "tcp"}]},
    "userjoined": {"type": 15, "user": "carol", "since": 5, "transport": "udp"},
    "userleft": {"type": 16, "user": "carol", "reason": "quit"},
    "quit": {"type": 17, "reason": "bye"},
    "createroom": {"type": 20, "id": 5, "room": "general", "topic": "talk"},
    "joinroom": {"type": 21, "id": 6, "room": "general"},
    "roomlist": {"type": 24, "re": 7, "rooms": [{"room": "general", "topic": "", "owner": "a", "members": 2, "joined": True}]},
    "memberlist": {"type": 26, "re": 8, "room": "general", "owner": "a", "members": ["a", "b"]},
    "postroom": {"type": 27, "id": 9, "room": "general", "text": "room text"},
    "kick": {"type": 35, "id": 10, "room": "general", "user": "bob", "reason": "spam"},
    "sessionended": {"type": 43, "reason": "banned", "by": "server", "retryAfter": 0},
    "poke": {"type": 45, "id": 11, "user": "bob", "port": 40000},
    "pokeresult": {"type": 48, "re": 11, "poke": 1, "accepted": True, "peer": "bob", "address": "127.0.0.1",
                   "port": 40000, "token": "00112233445566778899aabbccddeeff", "role": "connect"},
    "bridge": {"type": 49, "id": 12, "port": 40001},
}


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def udp(kind, conn, rest=b""):
    return bytes([0xC1, kind]) + struct.pack(">I", conn) + rest


def full(kind, conn, seq, ack, sack, rest=b""):
    return udp(kind, conn, struct.pack(">IIQ", seq, ack, sack) + rest)


def data(conn, seq, ack, index, count, fragment):
    return full(5, conn, seq, ack, 0, bytes([index, count]) + struct.pack(">H", len(fragment)) + fragment)


def bundle(conn, seq, ack, payloads):
    body = bytes([len(payloads)]) + b"".join(struct.pack(">H", len(p)) + p for p in payloads)
    return full(12, conn, seq, ack, 0, body)


def bundlepart(conn, seq, ack, index, count, payloads):
    body = bytes([index, count, len(payloads)]) + b"".join(struct.pack(">H", len(p)) + p for p in payloads)
    return full(15, conn, seq, ack, 0, body)


def main():
    payloads = {name: cbor(m) for name, m in MESSAGES.items()}
    for name, p in payloads.items():
        write("message", name, p)
    write("message", "not-a-map", cbor([1, 2, 3]))
    write("message", "unknown-type", cbor({"type": 999}))
    write("message", "nested", b"\x81" * 200 + b"\x00")
    write("message", "indefinite", b"\xbf\x64type\x01\x67version\x01\xff")
    write("message", "long-text", cbor({"type": 8, "id": 1, "text": "y" * 16385}))

    stream = b"".join(frame(p) for p in payloads.values())
    for chunk in (0, 3, 63, 255):
        write("framedecoder", "stream-%d" % chunk, bytes([chunk]) + stream)
    write("framedecoder", "empty-frame", b"\x10" + frame(payloads["ping"]) + b"\x00\x00\x00\x00")
    write("framedecoder", "too-large", b"\x00" + struct.pack(">I", 65537) + b"abc")

    conn = 0x01020304
    write("udpdatagram", "hello", udp(1, conn).ljust(1200, b"\0"))
    write("udpdatagram", "cookie", udp(2, conn, b"\0\0\0\x10" + b"\x11" * 32))
    write("udpdatagram", "hellowithcookie", udp(3, conn, b"\0\0\0\x10" + b"\x11" * 32).ljust(1200, b"\0"))
    write("udpdatagram", "accept", udp(4, conn))
    write("udpdatagram", "accept-features", udp(4, conn, struct.pack(">H", 1)))
    write("udpdatagram", "hellowithcookie-features",
          udp(3, conn, b"\0\0\0\x10" + b"\x11" * 32 + struct.pack(">H", 1)).ljust(1200, b"\0"))
    write("udpdatagram", "bundle-two", bundle(conn, 4, 1, [b"hello", b"world"]))
    write("udpdatagram", "bundle-full", bundle(conn, 5, 1, [b"a" * 1172, b"b"]))
    write("udpdatagram", "bundle-255", bundle(conn, 6, 1, [b"x"] * 255))
    write("udpdatagram", "bundle-bad-count", full(12, conn, 7, 0, 0, b"\x09\x00\x01a\x00\x01b"))
    write("udpdatagram", "bundle-bad-length", full(12, conn, 7, 0, 0, b"\x02\x00\x01a\xff\xffb"))
    write("udpdatagram", "data-single", data(conn, 0, 0, 0, 1, b"payload"))
    write("udpdatagram", "data-last-of-max", data(conn, 55, 0, 55, 56, b"z" * 966))
    write("udpdatagram", "data-first-of-two", data(conn, 0, 0, 0, 2, b"a" * 1174))
    write("udpdatagram", "ack", full(6, conn, 0, 3, 0x8000000000000005))
    write("udpdatagram", "ping", full(7, conn, 1, 0, 0))
    write("udpdatagram", "close", full(8, conn, 2, 0, 0))
    write("udpdatagram", "closeack", full(9, conn, 0, 3, 0))
    write("udpdatagram", "probe", udp(10, 0xdeadbeef, b"\0" * 10))
    write("udpdatagram", "probereply", udp(11, 0xdeadbeef, struct.pack(">HI", 3, 1) + b"\0" * 4))
    write("udpdatagram", "seed002-text", b"PROBE")
    # Path MTU discovery (PROTOCOL-UDP.md §2.1): features 3 = bundles + large datagrams.
    write("udpdatagram", "hellowithcookie-large",
          udp(3, conn, b"\0\0\0\x10" + b"\x11" * 32 + struct.pack(">HH", 3, 8952)).ljust(1200, b"\0"))
    write("udpdatagram", "hellowithcookie-large-too-small",
          udp(3, conn, b"\0\0\0\x10" + b"\x11" * 32 + struct.pack(">HH", 3, 1199)).ljust(1200, b"\0"))
    write("udpdatagram", "accept-large", udp(4, conn, struct.pack(">HH", 3, 1472)))
    write("udpdatagram", "accept-large-without-feature", udp(4, conn, struct.pack(">HH", 1, 1472)))
    write("udpdatagram", "sizeprobe-1452", udp(13, conn, struct.pack(">I", 1)).ljust(1452, b"\0"))
    write("udpdatagram", "sizeprobe-8952", udp(13, conn, struct.pack(">I", 3)).ljust(8952, b"\0"))
    write("udpdatagram", "sizeprobe-oversized", udp(13, conn, struct.pack(">I", 4)).ljust(8953, b"\0"))
    write("udpdatagram", "sizeprobeack", udp(14, conn, struct.pack(">IH", 1, 1452)))
    write("udpdatagram", "bundle-large", bundle(conn, 8, 1, [b"m" * 140] * 60))
    write("udpdatagram", "bundlepart", bundlepart(conn, 9, 1, 1, 2, [b"ab", b"xyz"]))
    write("udpdatagram", "bundlepart-bad-index", bundlepart(conn, 9, 1, 2, 2, [b"ab"]))
    write("udpdatagram", "bundlepart-one-part", bundlepart(conn, 9, 1, 0, 1, [b"ab"]))

    def rec(op, body):
        return bytes([op]) + struct.pack(">H", len(body)) + body

    hwc = udp(3, conn, b"\0\0\0\x10" + b"\x11" * 32).ljust(1200, b"\0")
    p = payloads["postlobby"]
    session = [rec(0, hwc), rec(0, data(conn, 0, 0, 0, 1, p)), rec(2, b"reply"), rec(1, b"\0" * 5)]
    write("reliablechannel", "handshake-and-data", b"".join(session))
    big = b"q" * 3000
    frags = [data(conn, i, 0, i, 3, big[i * 1174:(i + 1) * 1174]) for i in range(3)]
    write("reliablechannel", "reassembly-out-of-order",
          b"".join([rec(0, hwc), rec(0, frags[2]), rec(0, frags[0]), rec(0, frags[1]), rec(3, b"")]))
    hwcb = udp(3, conn, b"\0\0\0\x10" + b"\x11" * 32 + struct.pack(">H", 1)).ljust(1200, b"\0")
    small = [payloads[n] for n in ("ping", "pong", "postlobby", "userjoined")]
    write("reliablechannel", "bundles-both-ways",
          b"".join([rec(0, hwcb), rec(0, bundle(conn, 1, 0, small)), rec(0, data(conn, 0, 0, 0, 1, p)),
                    rec(2, b"s1"), rec(2, b"s2"), rec(2, b"s3"), rec(0, bundle(conn, 1, 0, small)),
                    rec(0, full(6, conn, 0, 1, 0)), rec(1, b"\0" * 300), rec(3, b"")]))
    write("reliablechannel", "timers-and-close",
          b"".join([rec(0, hwc), rec(2, b"x" * 5000), rec(1, b"\0" * 1000), rec(1, b"\0" * 2000),
                    rec(0, full(6, conn, 0, 5, 0)), rec(0, full(8, conn, 0, 0, 0)), rec(1, b"\0" * 300)]))

    # A client that reads large datagrams: probes both ways, a large bundle, then one in parts.
    hwcl = udp(3, conn, b"\0\0\0\x10" + b"\x11" * 32 + struct.pack(">HH", 3, 8952)).ljust(1200, b"\0")
    many = [payloads["postlobby"]] * 40
    write("reliablechannel", "large-datagrams",
          b"".join([rec(0, hwcl), rec(1, b"\0" * 1), rec(0, udp(14, conn, struct.pack(">IH", 1, 1452))),
                    rec(0, udp(13, conn, struct.pack(">I", 7)).ljust(1472, b"\0")),
                    rec(0, bundle(conn, 0, 0, many)),
                    rec(0, bundlepart(conn, 1, 0, 1, 2, many[:3])), rec(0, bundlepart(conn, 1, 0, 0, 2, many[:5])),
                    rec(2, b"s1"), rec(2, b"s2"), rec(2, b"s3"), rec(1, b"\x03\xe8"),
                    rec(0, full(6, conn, 0, 1, 0)), rec(3, b"")]))

    lines = b"hello\nworld\r\n\xff\xfe invalid utf-8\n" + "caf\u00e9 \u4e16\u754c\n".encode() + b"no newline at the end"
    write("directchat", "lines", b"\x00\x00" + lines)
    write("directchat", "lines-short-limit", b"\x01\x08" + lines)
    write("directchat", "cr-at-limit", b"\x00\x05" + b"abcde\r\nabcdef\n")
    write("directchat", "no-newline", b"\x02\x10" + b"x" * 40)


if __name__ == "__main__":
    main()

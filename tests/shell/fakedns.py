#!/usr/bin/python3
"""fakedns.py: a DNS server on 127.0.0.1 that misbehaves on purpose.

    fakedns.py MODE PORTFILE [TXT-VALUE]

Binds one free port for UDP and TCP on 127.0.0.1, writes it to PORTFILE
once it listens, then answers every query the way MODE says, logging one
line per query ("udp" or "tcp") to PORTFILE.log.  It stops by itself after
60 seconds (or on SIGTERM); nothing is sent anywhere but the peer that
asked, on loopback.

MODE, over UDP:
  silent     read the query, never answer
  servfail   RCODE 2, the question copied back
  refused    RCODE 5
  garbage    matching ID and question, ANCOUNT 1, then bytes that are no
             resource record (a malformed answer)
  badtxt     one TXT record whose character-string length runs past its
             RDATA
  short      five bytes: shorter than a DNS header
  wrongid    a good answer (TXT-VALUE) with the ID plus one
  wrongids   the same, sent again every 10 ms for 2 seconds
  tc         TC set, no answers; over TCP the connection is closed
             without an answer
  tctc       TC set over UDP, and over TCP too
  tcok       TC set over UDP; over TCP a good answer (TXT-VALUE)
  txt        a good answer (TXT-VALUE), split into 255-byte strings
Over TCP, modes other than tc, tctc and tcok answer as over UDP.
"""
import os
import select
import signal
import socket
import struct
import sys
import time


def question(q):
    """The question section of query q: its bytes (name, type, class)."""
    i = 12
    while q[i] != 0:
        i += 1 + q[i]
    return q[12:i + 5]


def header(q, flags, an):
    rd = q[2] & 0x01  # copy RD
    return struct.pack(">HBBHHHH", struct.unpack(">H", q[:2])[0],
                       0x80 | 0x04 | rd | (flags >> 8), flags & 0xff,
                       1, an, 0, 0)


def txt_rr(value):
    strings = b"".join(bytes([len(value[i:i + 255])]) + value[i:i + 255]
                       for i in range(0, max(len(value), 1), 255))
    return b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 300, len(strings)) \
        + strings


TC = 0x0200


def answer(mode, q, value, tcp):
    qs = question(q)
    if mode in ("tc", "tctc", "tcok") and not tcp:
        return header(q, TC, 0) + qs
    if mode == "tc":
        return None  # TCP: close without a word
    if mode == "tctc":
        return header(q, TC, 0) + qs
    if mode == "servfail":
        return header(q, 2, 0) + qs
    if mode == "refused":
        return header(q, 5, 0) + qs
    if mode == "garbage":
        return header(q, 0, 1) + qs + b"\xc0\x0c\x00\x10\xff"
    if mode == "badtxt":
        return header(q, 0, 1) + qs + b"\xc0\x0c" + \
            struct.pack(">HHIH", 16, 1, 300, 4) + b"\xc8abc"
    if mode == "short":
        return q[:5]
    if mode in ("wrongid", "wrongids"):
        a = header(q, 0, 1) + qs + txt_rr(value)
        return struct.pack(">H", (struct.unpack(">H", a[:2])[0] + 1)
                           & 0xffff) + a[2:]
    if mode in ("txt", "tcok"):
        return header(q, 0, 1) + qs + txt_rr(value)
    return None  # silent


def bind_both():
    """A UDP and a TCP socket on the same free port of 127.0.0.1."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind(("127.0.0.1", u.getsockname()[1]))
        except OSError:
            u.close()
            t.close()
            continue
        t.listen(8)
        return u, t
    sys.exit("fakedns.py: no free port")


def read_tcp(c):
    c.settimeout(5)
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
        chunk = c.recv(65537)
        if not chunk:
            return None
        data += chunk
    return data[2:2 + struct.unpack(">H", data[:2])[0]]


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: fakedns.py mode portfile [txt-value]")
    mode, portfile = sys.argv[1], sys.argv[2]
    value = os.fsencode(sys.argv[3]) if len(sys.argv) > 3 else b""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    u, t = bind_both()
    log = open(portfile + ".log", "w", buffering=1)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % u.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    end = time.monotonic() + 60
    again = []  # wrongids: [when, peer, answer, times left]
    while time.monotonic() < end:
        r, _, _ = select.select([u, t], [], [], 0.01 if again else 0.5)
        for x in again:
            if x[0] <= time.monotonic():
                u.sendto(x[2], x[1])
                x[0] += 0.01
                x[3] -= 1
        again = [x for x in again if x[3] > 0]
        if u in r:
            q, peer = u.recvfrom(65535)
            log.write("udp\n")
            if len(q) < 17:
                continue
            a = answer(mode, q, value, False)
            if a is not None:
                u.sendto(a, peer)
                if mode == "wrongids":
                    again.append([time.monotonic() + 0.01, peer, a, 200])
        if t in r:
            c, _ = t.accept()
            try:
                q = read_tcp(c)
                if q is not None and len(q) >= 17:
                    log.write("tcp\n")
                    a = answer(mode, q, value, True)
                    if a is not None:
                        c.sendall(struct.pack(">H", len(a)) + a)
            except OSError:
                pass
            c.close()


main()

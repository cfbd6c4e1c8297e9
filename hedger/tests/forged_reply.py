#!/usr/bin/env python3
"""forged_reply.py - the two ends of test_forged_reply.sh.

  client SERVER PORT CPORT ID WAIT_S
                                 from port CPORT, send one request (id little
                                 endian + 12 bytes 'REAL-REQUEST'), say "sent"
                                 on stderr, print every datagram that arrives
                                 within WAIT_S as 'T_MS HEX'.
  forge SRC SPORT DST DPORT ID good|bad
                                 say "ready" on stderr, wait for SIGUSR1, then
                                 send one UDP datagram with the id and 12 bytes
                                 'FORGED-REPLY' from SRC:SPORT through a raw
                                 socket, its checksum correct or off by one.
"""
import signal
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def client(server, port, cport, ident, wait_s):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(cport)))
    s.connect((server, int(port)))
    t0 = time.monotonic()
    s.send(struct.pack("<I", int(ident)) + b"REAL-REQUEST")
    print("sent", file=sys.stderr, flush=True)
    deadline = t0 + float(wait_s)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(2048)
        except socket.timeout:
            break
        print("%.1f %s" % ((time.monotonic() - t0) * 1000, data.hex()), flush=True)


def forge(src, sport, dst, dport, ident, kind):
    payload = struct.pack("<I", int(ident)) + b"FORGED-REPLY"
    ulen = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", int(sport), int(dport), ulen, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    if kind == "bad":
        c = (c + 1) & 0xFFFF or 1
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    signal.signal(signal.SIGUSR1, lambda *_: None)
    print("ready", file=sys.stderr, flush=True)
    signal.pause()
    r.sendto(ip + udp, (dst, 0))


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "client":
        client(*sys.argv[2:])
    elif len(sys.argv) == 8 and sys.argv[1] == "forge":
        forge(*sys.argv[2:])
    else:
        sys.exit(__doc__)

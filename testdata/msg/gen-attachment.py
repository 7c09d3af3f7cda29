#!/usr/bin/python3
"""Regenerate testdata/msg/attachment.eml byte-exactly.

Run with /usr/bin/python3 (any Python 3 works; only hashlib/base64 are used):
    /usr/bin/python3 gen-attachment.py
The attachment is 3 MiB (3145728 bytes) of pseudo-random data made by
SHA-256 in counter mode: block i = SHA256(SEED || i as 8-byte big-endian),
i = 0, 1, 2, ...  This does not depend on Python's random module, so the
output is the same on every Python version and platform.
The data is base64-encoded in lines of 76 characters; every line of the
file ends with CRLF.
"""
import base64
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = b"dkim-tools testdata/msg/attachment.eml v1"
SIZE = 3 * 1024 * 1024
BOUNDARY = b"=_dkim-tools-boundary-0001"
CRLF = b"\r\n"


def random_bytes(n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(SEED + i.to_bytes(8, "big")).digest()
        i += 1
    return bytes(out[:n])


def main():
    data = random_bytes(SIZE)
    b64 = base64.b64encode(data)
    b64_lines = [b64[i:i + 76] for i in range(0, len(b64), 76)]

    head = [
        b"From: Alice Example <alice@example.com>",
        b"To: Bob Example <bob@example.net>",
        b"Subject: Message with a 3 MB base64 attachment",
        b"Date: Mon, 30 Nov 2026 10:15:00 +0000",
        b"Message-ID: <attachment.20261130@example.com>",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="' + BOUNDARY + b'"',
        b"",
        b"This is a multi-part message in MIME format.",
        b"",
        b"--" + BOUNDARY,
        b"Content-Type: text/plain; charset=us-ascii",
        b"Content-Transfer-Encoding: 7bit",
        b"",
        b"Please find attached 3145728 bytes of pseudo-random data",
        b"(SHA-256 counter mode, see gen-attachment.py).",
        b"",
        b"--" + BOUNDARY,
        b'Content-Type: application/octet-stream; name="random.bin"',
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="random.bin"',
        b"",
    ]
    tail = [
        b"--" + BOUNDARY + b"--",
    ]
    msg = b"".join(l + CRLF for l in head + b64_lines + tail)
    with open(os.path.join(HERE, "attachment.eml"), "wb") as f:
        f.write(msg)
    print("attachment.eml: %d bytes, sha256 %s; random.bin sha256 %s"
          % (len(msg), hashlib.sha256(msg).hexdigest(),
             hashlib.sha256(data).hexdigest()))


if __name__ == "__main__":
    main()

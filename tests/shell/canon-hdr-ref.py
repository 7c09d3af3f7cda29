#!/usr/bin/python3
# canon-hdr-ref.py -- random header sections, canonicalized by a plain
# reference written from RFC 6376 3.4.1/3.4.2 and by dkim-canon -H.
#
#   canon-hdr-ref.py DKIM-CANON DIR COUNT SEED
#
# One line per message and canonicalization: "ok NAME" or "FAIL NAME:
# why".  The fields are dense in what relaxed must get right: names in
# mixed case with WSP before the colon, runs of SP and TAB, folds (CRLF
# and WSP, whitespace-only continuation lines among them), WSP at both
# ends of the value, long runs without any WSP (a folded base64 b=),
# 8-bit bytes (RFC 6532) and bare CRs, which are data.
import random
import re
import subprocess
import sys


def relaxed(field):
    """3.4.2 on one field, without its final CRLF."""
    name, value = field.split(b":", 1)
    name = name.rstrip(b" \t").lower()
    value = value.replace(b"\r\n", b"")
    value = re.sub(rb"[ \t]+", b" ", value).strip(b" ")
    return name + b":" + value + b"\r\n"


WORD = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=.<>@"


def name(rng):
    n = bytes(rng.choice(b"abcxyzABCXYZ-") for _ in range(rng.randint(1, 12)))
    n = b"X" + n if n[:1] == b"-" else n
    return n + rng.choice((b"", b"", b"", b" ", b"\t", b" \t "))


def value(rng):
    out = []
    for _ in range(rng.randint(0, 25)):
        r = rng.random()
        if r < 0.5:
            k = rng.choice((1, 3, 8, 15, 16, 17, 31, 32, 33, 64, 76, 300))
            out.append(bytes(rng.choice(WORD) for _ in range(k)))
        elif r < 0.7:
            out.append(b" ")
        elif r < 0.8:
            out.append(rng.choice((b"  ", b"\t", b" \t", b"\t\t ", b" " * 17)))
        elif r < 0.9:
            # a fold: CRLF, then at least one WSP; sometimes a line of
            # nothing but WSP before the next one
            out.append(b"\r\n" + rng.choice((b" ", b"\t", b"  ", b" \t")))
            if rng.random() < 0.1:
                out.append(b"\r\n\t")
        elif r < 0.95:
            out.append(bytes(rng.randint(0x80, 0xff)
                             for _ in range(rng.randint(1, 4))))
        else:
            out.append(b"\r")
    v = b"".join(out)
    # a bare CR right before the field's CRLF would make CR CR LF, which
    # is no different, but keep the end simple: no CR last
    while v.endswith(b"\r"):
        v = v[:-1]
    return rng.choice((b"", b" ", b"\t", b"  ")) + v + \
        rng.choice((b"", b"", b" ", b"\t ", b" \r\n "))


def main():
    canon, tmp, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4])
    rng = random.Random(seed)
    for i in range(count):
        fields = [name(rng) + b":" + value(rng)
                  for _ in range(rng.randint(1, 30))]
        msg = b"".join(f + b"\r\n" for f in fields) + b"\r\nbody\r\n"
        path = "%s/hdr%d" % (tmp, i)
        with open(path, "wb") as f:
            f.write(msg)
        refs = (("simple", b"".join(f + b"\r\n" for f in fields)),
                ("relaxed", b"".join(relaxed(f) for f in fields)))
        for c, want in refs:
            p = subprocess.run([canon, "-c", c, "-H", path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            label = "header section %d (%d fields) %s" % (i, len(fields), c)
            got = p.stdout
            if p.returncode != 0:
                print("FAIL %s: exit %d: %s" % (label, p.returncode,
                                                p.stderr[:80]))
            elif got != want:
                k = next((j for j in range(min(len(got), len(want)))
                          if got[j] != want[j]), min(len(got), len(want)))
                print("FAIL %s: differs from the reference at byte %d: "
                      "%r, want %r" % (label, k, got[max(0, k - 10):k + 10],
                                       want[max(0, k - 10):k + 10]))
            else:
                print("ok %s" % label)


main()

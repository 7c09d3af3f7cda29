#!/usr/bin/python3
# canon-ref.py -- random message bodies, canonicalized by a plain
# reference written from RFC 6376 3.4.3/3.4.4 and by the library (through
# "unit chunks", which also compares every chunking and the SSE2 code).
#
#   canon-ref.py UNIT DIR COUNT SEED
#
# Bodies: 66 fixed ones, then COUNT random ones.
# One line per body and canonicalization: "ok NAME" or "FAIL NAME: why".
# The bodies are dense in what the fast paths must get right: CR, LF,
# SP and TAB next to each other and at every offset of a 64-byte block,
# long clean runs between them, runs of empty lines, a last line without
# its line end.  Our model: a bare LF ends a line like CRLF, a bare CR is
# data.
import random
import re
import subprocess
import sys


def lines(body):
    parts = body.split(b"\n")
    last = parts.pop()
    out = [p[:-1] if p.endswith(b"\r") else p for p in parts]
    if last:
        out.append(last)
    return out


def simple(body):
    ls = lines(body)
    while ls and ls[-1] == b"":
        ls.pop()
    return b"".join(x + b"\r\n" for x in ls) if ls else b"\r\n"


def relaxed(body):
    ls = [re.sub(rb"[ \t]+", b" ", x) for x in lines(body)]
    ls = [x[:-1] if x.endswith(b" ") else x for x in ls]
    while ls and ls[-1] == b"":
        ls.pop()
    return b"".join(x + b"\r\n" for x in ls)


PIECES = [b" ", b"  ", b"\t", b" \t", b"\r\n", b"\n", b"\r", b"\r\r\n",
          b" \r\n", b"\t\r\n", b"\r\n\r\n", b"\r\n\r\n\r\n", b"\n\n",
          b" \n", b"\r \n", b"\r\n \r\n", b"\r\n\t\r\n"]


def body(rng):
    out = []
    size = rng.choice((70, 200, 1000, 5000, 70000))
    n = 0
    while n < size:
        r = rng.random()
        if r < 0.45:
            # a clean run of words and single spaces, sometimes long
            k = rng.choice((1, 5, 30, 63, 64, 65, 127, 128, 300))
            w = bytes(rng.choice(b"abcxyz.-") for _ in range(k))
            w = re.sub(rb"(?<=.)\.(?=.)", b" ", w)
            out.append(w)
        elif r < 0.7:
            out.append(b"\r\n")
        else:
            out.append(rng.choice(PIECES))
        n += len(out[-1])
    b = b"".join(out)
    # end: as it comes, or in line ends, empty lines or white space; or
    # a long tail of lines that are empty once canonicalized, which the
    # fast paths must not pass as content
    if rng.random() < 0.3:
        b += b"".join(rng.choice((b"\r\n", b"\n", b" \r\n", b"\t\r\n",
                                  b"\r\n\r\n"))
                      for _ in range(rng.randint(1, 80)))
    return b + rng.choice((b"", b"\r\n", b"\r\n\r\n", b"\n", b" ", b"\r",
                          b" \r\n\r\n", b"\t"))


def main():
    unit, tmp, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4])
    rng = random.Random(seed)
    # first, an empty line at each offset of a 64-byte block, followed by
    # lines that canonicalize to empty: it must not count as content
    edge = [b"a\r\n" + b"y" * k + b"\r\n\r\n \r\n" + b"\r\n" * 40
            for k in range(66)]
    for i in range(len(edge) + count):
        b = edge[i] if i < len(edge) else body(rng)
        path = "%s/body%d" % (tmp, i)
        with open(path, "wb") as f:
            f.write(b)
        for name, ref in (("simple", simple), ("relaxed", relaxed)):
            p = subprocess.run([unit, "chunks", name, path],
                               stdout=subprocess.PIPE)
            label = "body %d (%d bytes) %s" % (i, len(b), name)
            if p.returncode != 0:
                print("FAIL %s: unit: %s" % (label, p.stdout[:80]))
            elif p.stdout != ref(b):
                a, e = p.stdout, ref(b)
                k = next((j for j in range(min(len(a), len(e)))
                          if a[j] != e[j]), min(len(a), len(e)))
                print("FAIL %s: differs from the reference at byte %d: "
                      "%r, want %r" % (label, k, a[k - 10:k + 10],
                                       e[k - 10:k + 10]))
            else:
                print("ok %s" % label)


main()

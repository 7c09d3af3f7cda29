#!/usr/bin/python3
"""Regenerate the expected canonicalization outputs in testdata/canon/.

Run with the Debian interpreter, which has python3-dkim (dkimpy 1.1.4):
    /usr/bin/python3 testdata/canon/gen-canon.py
Deterministic; rewrites every output file and provenance.tsv.  Exit status
is 0 even when dkimpy disagrees (disagreements are expected and listed);
it is 1 only when something new and unexplained shows up.

For every message testdata/msg/*.eml (the mbox-from*.eml ones with their
leading "From " postmark line removed; three.mbox is skipped) it writes

  <stem>.headers.simple   all header fields, in order, simple-canonicalized
  <stem>.headers.relaxed  all header fields, in order, relaxed-canonicalized
  <stem>.body.simple      canonical body, simple
  <stem>.body.relaxed     canonical body, relaxed
  <stem>.bh               "simple sha256 <b64>", "relaxed sha256 <b64>",
                          "simple sha1 <b64>", "relaxed sha1 <b64>"
                          (four lines, each ending in LF)

where <stem> is the file name without ".eml".  For attachment.eml only the
.bh and .headers.* files are written (the body would be a 4 MB copy).

Input preparation, identical for both implementations: every LF not
preceded by CR is turned into CRLF (a bare LF is a line ending); a bare CR
(CR not followed by LF) is ordinary data.

The expected bytes come from rfc_* below, a small implementation written
from RFC 6376 section 3.4 alone.  dkimpy's dkim.rfc822_parse and
dkim.canonicalization.{Simple,Relaxed} are run on the same input as an
independent cross-check; every difference is recorded in provenance.tsv
and explained in README.
"""
import base64
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MSGDIR = os.path.join(os.path.dirname(HERE), "msg")
CRLF = b"\r\n"

BODY_FILES_SKIPPED = {"attachment"}          # only .bh and headers
MBOX_POSTMARK = {"mbox-from", "mbox-from-lf"}

# Differences from dkimpy that are understood and documented in README.
# (stem, output kind) -> short reason.  Anything else is reported as new.
KNOWN_DIFFS = {
    ("obs-header-space", "parse"):
        "dkimpy rfc822_parse rejects WSP before ':' (MessageFormatError)",
    ("bare-cr-edge", "headers.relaxed"):
        "dkimpy strips a bare CR at the end of a header value "
        "(bytes.strip() removes CR)",
    ("no-final-newline-wsp", "body.relaxed"):
        "dkimpy keeps trailing WSP of an unterminated last line",
}


# ------------------------------------------------------------------ input
def prepare(stem, raw):
    data = re.sub(rb"(?<!\r)\n", CRLF, raw)         # bare LF -> CRLF
    if stem in MBOX_POSTMARK:
        assert data.startswith(b"From "), stem
        data = data[data.index(CRLF) + 2:]
    return data


# ------------------------------------------- RFC 6376 3.4, from the text
def rfc_split(data):
    """Return (list of raw header fields incl. their CRLF, body or None).

    The header ends at the first empty line; the body is everything after
    that line's CRLF.  If there is no empty line the message has no body
    (None), which canonicalizes like an empty body.  A header line is a
    continuation when it starts with SP or HTAB.  Lines are split on CRLF
    only, so a bare CR stays inside its line.
    """
    fields = []
    pos = 0
    while pos < len(data):
        eol = data.find(CRLF, pos)
        if eol < 0:
            raise ValueError("header line without CRLF at end of message")
        line = data[pos:eol]
        pos = eol + 2
        if line == b"":
            return fields, data[pos:]
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise ValueError("continuation line before first field")
            fields[-1] += line + CRLF
        else:
            if b":" not in line:
                raise ValueError("header line without colon: %r" % line)
            fields.append(line + CRLF)
    return fields, None


def rfc_header_simple(field):
    # 3.4.1: the header field is not changed in any way.
    return field


def rfc_header_relaxed(field):
    name, colon, value = field.partition(b":")
    assert colon and field.endswith(CRLF)
    value = value[:-2]                                   # drop final CRLF
    name = name.lower()                                  # ASCII only
    value = re.sub(rb"\r\n(?=[ \t])", b"", value)        # unfold
    value = re.sub(rb"[ \t]+", b" ", value)
    value = value.rstrip(b" \t")                         # WSP at end of value
    name = name.rstrip(b" \t")                           # WSP before ':'
    value = value.lstrip(b" \t")                         # WSP after ':'
    return name + b":" + value + CRLF


def rfc_body_simple(body):
    # 3.4.3: ignore all empty lines at the end of the body; if there is no
    # body or no trailing CRLF, a CRLF is added.
    if body is None or body == b"":
        return CRLF
    if not body.endswith(CRLF):
        body += CRLF
    while body.endswith(CRLF + CRLF):
        body = body[:-2]
    if body == CRLF:            # body made only of empty lines
        return CRLF
    return body


def rfc_body_relaxed(body):
    # 3.4.4: a. ignore WSP at the end of lines; b. reduce WSP runs within a
    # line to one SP; c. ignore all empty lines at the end of the body.
    # Empty body -> empty.  A non-empty body without trailing CRLF gets one.
    # The unterminated last line (if any) is a line like the others, so its
    # trailing WSP is ignored too; if it becomes empty it is an empty line
    # at the end of the body and is ignored as well.
    if body is None or body == b"":
        return b""
    lines = body.split(CRLF)        # last item: text after the final CRLF
    out = [re.sub(rb"[ \t]+", b" ", l.rstrip(b" \t")) for l in lines]
    while out and out[-1] == b"":
        out.pop()
    return b"".join(l + CRLF for l in out)


# --------------------------------------------------------- dkimpy (check)
def dkimpy_all(data):
    """Return dict kind -> bytes computed with dkimpy, or raise."""
    import dkim
    from dkim.canonicalization import Simple, Relaxed
    headers, body = dkim.rfc822_parse(data)
    return {
        "headers.simple": b"".join(
            n + b":" + v for n, v in Simple.canonicalize_headers(headers)),
        "headers.relaxed": b"".join(
            n + b":" + v for n, v in Relaxed.canonicalize_headers(headers)),
        "body.simple": Simple.canonicalize_body(body),
        "body.relaxed": Relaxed.canonicalize_body(body),
    }


def dkimpy_on_rfc_split(fields, body):
    """dkimpy's canonicalizers fed with (name, value) pairs from rfc_split."""
    from dkim.canonicalization import Simple, Relaxed
    pairs = [list(f.split(b":", 1)) for f in fields]
    b = body if body is not None else b""
    return {
        "headers.simple": b"".join(
            n + b":" + v for n, v in Simple.canonicalize_headers(pairs)),
        "headers.relaxed": b"".join(
            n + b":" + v for n, v in Relaxed.canonicalize_headers(pairs)),
        "body.simple": Simple.canonicalize_body(b),
        "body.relaxed": Relaxed.canonicalize_body(b),
    }


# ------------------------------------------------------------------ main
def b64(digest):
    return base64.b64encode(digest).decode("ascii")


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    stems = sorted(f[:-4] for f in os.listdir(MSGDIR) if f.endswith(".eml"))
    prov = [b"# file\tsource\tnote"]
    unexpected = []
    for stem in stems:
        with open(os.path.join(MSGDIR, stem + ".eml"), "rb") as f:
            data = prepare(stem, f.read())
        fields, body = rfc_split(data)
        rfc = {
            "headers.simple": b"".join(rfc_header_simple(x) for x in fields),
            "headers.relaxed": b"".join(rfc_header_relaxed(x) for x in fields),
            "body.simple": rfc_body_simple(body),
            "body.relaxed": rfc_body_relaxed(body),
        }
        # sanity: simple header canonicalization reproduces the header block
        assert rfc["headers.simple"] == data[:len(rfc["headers.simple"])]

        parse_note = ""
        try:
            dk = dkimpy_all(data)
        except Exception as e:                        # dkim.MessageFormatError
            parse_note = "dkimpy rfc822_parse failed (%s: %s); " \
                         "dkimpy canonicalizers fed from RFC split" % (
                             type(e).__name__, e)
            if (stem, "parse") not in KNOWN_DIFFS:
                unexpected.append((stem, "parse", str(e)))
            dk = dkimpy_on_rfc_split(fields, body)

        kinds = ["headers.simple", "headers.relaxed"]
        if stem not in BODY_FILES_SKIPPED:
            kinds += ["body.simple", "body.relaxed"]
        for kind in kinds:
            fname = "%s.%s" % (stem, kind)
            write(fname, rfc[kind])
            if dk[kind] == rfc[kind]:
                src = "rfc=dkimpy" if not parse_note else "rfc=dkimpy-canon"
                note = "RFC implementation and dkimpy agree"
            else:
                src = "rfc (dkimpy differs)"
                note = KNOWN_DIFFS.get((stem, kind))
                if note is None:
                    unexpected.append((stem, kind, dk[kind]))
                    note = "UNEXPECTED dkimpy difference: %r" % dk[kind]
            if parse_note and not kind.startswith("body"):
                note = parse_note + "; " + note
            elif parse_note:
                note = "body split by RFC implementation (dkimpy cannot " \
                       "parse); " + note
            prov.append(("%s\t%s\t%s" % (fname, src, note)).encode())

        # body hashes (for the attachment the body kinds were not written
        # but are still compared here)
        bh = []
        for alg in ("sha256", "sha1"):
            for c in ("simple", "relaxed"):
                h = hashlib.new(alg, rfc["body." + c]).digest()
                bh.append("%s %s %s\n" % (c, alg, b64(h)))
        write(stem + ".bh", "".join(bh).encode())
        differ = [k for k in ("body.simple", "body.relaxed") if dk[k] != rfc[k]]
        if not differ:
            src = "rfc=dkimpy" if not parse_note else "rfc=dkimpy-canon"
            note = "all four body hashes agree"
        else:
            src = "rfc (dkimpy differs)"
            notes = []
            for k in differ:
                if (stem, k) in KNOWN_DIFFS:
                    notes.append("%s: %s" % (k, KNOWN_DIFFS[(stem, k)]))
                else:
                    notes.append("%s: UNEXPECTED" % k)
                    if stem in BODY_FILES_SKIPPED:
                        unexpected.append((stem, k, dk[k][:200]))
            note = "; ".join(notes)
        prov.append(("%s.bh\t%s\t%s" % (stem, src, note)).encode())

    write("provenance.tsv", b"\n".join(prov) + b"\n")
    for u in unexpected:
        print("UNEXPECTED:", u, file=sys.stderr)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())

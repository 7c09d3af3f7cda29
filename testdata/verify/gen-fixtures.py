#!/usr/bin/python3
# gen-fixtures.py: write the signed messages (*.eml) and the key table
# (keys.zone) of testdata/verify/ from the keys in keys/.
#
#	/usr/bin/python3 testdata/verify/gen-fixtures.py [OUTDIR]
#
# Output is identical byte for byte on every run (RSASSA-PKCS1-v1_5 and
# Ed25519 are deterministic, every t= is fixed), so tests/shell/t-verify.sh
# regenerates into its temp dir and compares.  Nothing here uses the
# project's code: canonicalization (RFC 6376 3.4), header selection (5.4.2)
# and the header hash input (3.7) are written out below from the RFC, and
# the keys are used through python3-cryptography.  See README.
import base64
import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else HERE
T = 1700000000		# every t= (2023-11-14T22:13:20Z)


def openssl(*args, data=None, quiet=False):
    return subprocess.run(("openssl",) + args, input=data, check=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL if quiet else None).stdout


class Key:
    """A private key file, used through openssl(1) only."""

    def __init__(self, name):
        self.path = os.path.join(HERE, "keys", name + ".pem")
        self.spki = openssl("pkey", "-in", self.path, "-pubout",
                            "-outform", "DER")
        self.ed = name.startswith("ed")

    def sign(self, data, alg):
        if self.ed:
            # RFC 8463 3: Ed25519 over the SHA-256 of the input; a
            # one-shot algorithm, which openssl reads from a file only
            with tempfile.NamedTemporaryFile() as f:
                f.write(hashlib.sha256(data).digest())
                f.flush()
                return openssl("pkeyutl", "-sign", "-rawin", "-inkey",
                               self.path, "-in", f.name)
        md = "-sha1" if alg == "rsa-sha1" else "-sha256"
        return openssl("dgst", md, "-sign", self.path, data=data)


def p_spki(k):
    return base64.b64encode(k.spki).decode()


def p_pkcs1(k):
    return base64.b64encode(openssl("rsa", "-in", k.path,
                                    "-RSAPublicKey_out", "-outform",
                                    "DER", quiet=True)).decode()


def p_raw(k):
    return base64.b64encode(k.spki[-32:]).decode()


# ---- canonicalization, RFC 6376 3.4 (input is CRLF only) ----

def body_simple(b):
    while b.endswith(b"\r\n\r\n"):
        b = b[:-2]
    if b == b"" or not b.endswith(b"\r\n"):
        b += b"\r\n"
    return b


def body_relaxed(b):
    lines = b.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [re.sub(rb"[ \t]+", b" ", ln).rstrip(b" \t") for ln in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(ln + b"\r\n" for ln in lines)


def hdr_simple(f):
    return f


def hdr_relaxed(f):
    name, value = f.split(b":", 1)
    value = re.sub(rb"\r\n(?=[ \t])", b"", value)
    value = re.sub(rb"[ \t]+", b" ", value).strip(b" ")
    return name.rstrip(b" \t").lower() + b":" + value


CANON = {"simple": (hdr_simple, body_simple),
         "relaxed": (hdr_relaxed, body_relaxed)}


def select(fields, names):
    """RFC 6376 5.4.2: bottom-up, each instance used once."""
    used = set()
    out = []
    for n in names:
        for i in range(len(fields) - 1, -1, -1):
            fname = fields[i].split(b":", 1)[0].rstrip(b" \t")
            if i not in used and fname.lower() == n.lower().encode():
                used.add(i)
                out.append(fields[i])
                break
    return out


def split(msg):
    head, body = msg.split(b"\r\n\r\n", 1)
    fields = re.split(rb"\r\n(?![ \t])", head)
    return fields, body


def join(fields, body):
    return b"\r\n".join(fields) + b"\r\n\r\n" + body


def fold(s, first, width=64):
    """Insert CRLF TAB into s after first characters, then every width."""
    parts = [s[:first]]
    s = s[first:]
    while s:
        parts.append(s[:width])
        s = s[width:]
    return "\r\n\t".join(p for p in parts if p != "")


def sign(msg, tmpl, k, h, c="relaxed/relaxed", alg="rsa-sha256", l=None,
         bfold=None, bhsplit=False):
    """
    Add a DKIM-Signature made from tmpl, a header field with {bh}, {b}
    and optionally {l} in it, signing the fields named in h (as selected;
    tmpl spells h= its own way).  RFC 6376 3.7: the header hash input
    is the selected fields, canonicalized, then the signature field with
    the value of b= "(including all surrounding whitespace)" deleted.
    """
    hc, _, bc = c.partition("/")
    bc = bc or "simple"
    fields, body = split(msg)
    cbody = CANON[bc][1](body)
    if l is not None:
        if l == "all":
            l = len(cbody)
        tmpl = tmpl.replace("{l}", str(l))
        cbody = cbody[:l]
    digest = hashlib.sha1 if alg == "rsa-sha1" else hashlib.sha256
    bh = base64.b64encode(digest(cbody).digest()).decode()
    if bhsplit:
        bh = bh[:20] + "\r\n\t " + bh[20:]
    tmpl = tmpl.replace("{bh}", bh)
    hashed = re.sub(r"b=[ \t\r\n]*\{b\}[ \t\r\n]*", "b=", tmpl)
    assert hashed != tmpl
    data = b"".join(CANON[hc][0](f) + b"\r\n" for f in select(fields, h))
    data += CANON[hc][0](hashed.encode())
    sig = k.sign(data, alg)
    b = base64.b64encode(sig).decode()
    if bfold is not None:
        b = fold(b, bfold)
    return join([tmpl.replace("{b}", b).encode()] + fields, body)


# ---- the message ----

MSG = (b"From: Alice Example <alice@example.com>\r\n"
       b"To: Bob Example <bob@example.net>\r\n"
       b"Subject:  A  message\r\n"
       b"\t with   folding \r\n"
       b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
       b"Message-ID: <verify-1@example.com>\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=us-ascii\r\n"
       b"\r\n"
       b"Hello Bob,  \r\n"
       b"\tthis  body has trailing spaces and tabs.\t\r\n"
       b"\r\n"
       b"-- \r\n"
       b"Alice\r\n"
       b"\r\n"
       b"\r\n")

H = ["from", "to", "subject", "date", "message-id", "mime-version",
     "content-type", "from", "subject"]	# From and Subject over-signed
HTEXT = ("h=from:to:subject:date:message-id:mime-version:\r\n"
         "\tcontent-type:from:subject")


def std(s, c="relaxed/relaxed", a="rsa-sha256", extra="", d="example.com"):
    return ("DKIM-Signature: v=1; a=%s; c=%s; d=%s;\r\n"
            "\ts=%s; t=%d;%s %s;\r\n"
            "\tbh={bh};\r\n"
            "\tb={b}" % (a, c, d, s, T, extra, HTEXT))


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


rsa = Key("rsa2048")
other = Key("other2048")
ed = Key("ed25519")

# plain good signatures, one per key record variant (the record decides)
for sel in ("rsa", "pkcs1", "revoked", "testing",
            "strict", "sha256only", "sha1only", "wrongk", "unknownk",
            "badv", "vnotfirst", "service", "servicestar", "nop", "badp",
            "garbage", "multi", "multibad", "multiperm", "missing",
            "unknowntags"):
    name = "good.eml" if sel == "rsa" else "sel-%s.eml" % sel
    write(name, sign(MSG, std(sel), rsa, H))
write("sel-short.eml", sign(MSG, std("short"), Key("rsa512"), H))
write("sel-big.eml", sign(MSG, std("big"), Key("rsa8200"), H))
write("sel-bigrecord.eml", sign(MSG, std("big"), rsa, H))
write("sel-k1024.eml", sign(MSG, std("k1024"), Key("rsa1024"), H))
write("sel-k1016.eml", sign(MSG, std("k1016"), Key("rsa1016"), H))
write("ed25519.eml", sign(MSG, std("ed", a="ed25519-sha256"), ed, H,
                          alg="ed25519-sha256"))
write("sel-edspki.eml", sign(MSG, std("edspki", a="ed25519-sha256"), ed, H,
                             alg="ed25519-sha256"))
write("simple.eml", sign(MSG, std("rsa", c="simple/simple"), rsa, H,
                         c="simple/simple"))
write("sha1.eml", sign(MSG, std("rsa", a="rsa-sha1"), rsa, H,
                       alg="rsa-sha1"))
# i= forms, t=s
write("strict-subdomain.eml", sign(MSG, std("strict",
      extra=" i=alice@mail.example.com;"), rsa, H))
write("strict-same.eml", sign(MSG, std("strict",
      extra=" i=alice@example.com;"), rsa, H))
write("i-subdomain.eml", sign(MSG, std("rsa",
      extra=" i=@mail.example.com;"), rsa, H))
# x=: valid from T to T + 3600
write("expiring.eml", sign(MSG, std("rsa", extra=" x=%d;" % (T + 3600)),
                           rsa, H))
# x= at the top of its range (2^64 - 1): far in the future, not expired
write("x-max.eml", sign(MSG, std("rsa", extra=" x=18446744073709551615;"),
                        rsa, H))
# l=: the whole canonical body
write("l-all.eml", sign(MSG, std("rsa", extra=" l={l};"), rsa, H, l="all"))
write("l-zero.eml", sign(MSG, std("rsa", extra=" l={l};"), rsa, H, l=0))
# z=: copies of the signed fields (RFC 6376 3.5), for -v
Z = ("z=From:=20Alice=20Example=20<alice@example.com>|To:=20Bob=20Exampl"
     "e=20<bob@example.net>|\r\n\tSubject:=20=20A=20=20message=0D=0A=09=20"
     "with=20=20=20folding=20|Date:=20Tue,=2014=20Nov=202023=2022:13:20=20"
     "+0000")
write("z.eml", sign(MSG, std("rsa", extra="\r\n\t" + Z + ";"), rsa, H))

# c= as written: absent means simple/simple, one word means <word>/simple
# (RFC 6376 3.5).  MSG's header and body differ under each, so a
# verifier that reads c= wrongly fails these.
NOC = ("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa;\r\n"
       "\tt=%d; %s;\r\n\tbh={bh};\r\n\tb={b}" % (T, HTEXT))
write("c-absent.eml", sign(MSG, NOC, rsa, H, c="simple/simple"))
write("c-relaxed.eml", sign(MSG, std("rsa", c="relaxed"), rsa, H,
                            c="relaxed/simple"))

# b= with FWS around its value, not the last tag, both canonicalizations.
# RFC 6376 3.7: the header hash takes the signature field "with the value
# of the b= tag (including all surrounding whitespace) deleted".
BFWS = ("DKIM-Signature: v=1; a=rsa-sha256; c=%s; d=example.com;\r\n"
        "\ts=rsa; t=%d; b=\r\n\t  {b} \t\r\n\t; bh={bh};\r\n"
        "\t%s")
for c in ("relaxed/relaxed", "simple/simple"):
    write("b-fws-%s.eml" % c.split("/")[0],
          sign(MSG, BFWS % (c, T, HTEXT), rsa, H, c=c, bfold=30))
# FWS inside the bh= and b= values (base64 ignores FWS, RFC 6376 2.4)
write("bh-fws.eml", sign(MSG, std("rsa"), rsa, H, bhsplit=True, bfold=7))
# h= names in any case, FWS around the colons (RFC 6376 3.5, 5.4)
HCASE = ("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
         "\td=example.com; s=rsa; t=%d;\r\n"
         "\th=FROM : To :\r\n\t sUbJeCt:DATE\t: Message-Id ;\r\n"
         "\tbh={bh};\r\n\tb={b}" % T)
write("h-case.eml", sign(MSG, HCASE, rsa, ["from", "to", "subject", "date",
                                           "message-id"]))
# a field name with WSP before the colon, signed under h=subject
OBS = MSG.replace(b"Subject:  A", b"Subject \t:  A")
write("obs-space.eml", sign(OBS, std("rsa"), rsa, H))

# values that must not reach an Authentication-Results field raw: an i=
# whose dkim-quoted-printable decodes to CR LF, quotes and a semicolon
INJ = (" i=x=0D=0AAuthentication-Results:=20mx.example.net=3B=20dkim=3Dpass"
       "=22=3B@example.com;")
write("inject.eml", sign(MSG, std("rsa", extra=INJ), rsa, H))

# three signatures: ed25519 over rsa over simple/simple rsa
m = sign(MSG, std("rsa", c="simple/simple"), rsa, H, c="simple/simple")
m = sign(m, std("rsa"), rsa, H)
m = sign(m, std("ed", a="ed25519-sha256"), ed, H, alg="ed25519-sha256")
write("three.eml", m)
# nine signatures that each need their own body hash (l=0 .. l=8)
m = MSG
for n in range(9):
    m = sign(m, std("rsa", extra=" l={l};"), rsa, H, l=n)
write("nine-l.eml", m)
# a signature over another: h= names dkim-signature, which selects the one
# below, never the signature itself (RFC 6376 3.7, 5.4.2)
m = sign(MSG, std("rsa"), rsa, H)
HS = ("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
      "\td=example.com; s=ed; t=%d; h=dkim-signature:from:dkim-signature;"
      "\r\n\tbh={bh};\r\n\tb={b}" % T)
write("sig-over-sig.eml", sign(m, HS, ed, ["dkim-signature", "from",
                                            "dkim-signature"],
                               alg="ed25519-sha256"))
# a passing signature for another domain than From's, and one for a
# parent of it (alignment), each with its own key record
for name, dom in (("other", "example.net"), ("child", "mail.example.com"),
                  ("suffix", "xample.com"), ("tld", "com")):
    write("d-%s.eml" % name, sign(MSG, std("rsa", d=dom), rsa, H))
write("d-parent.eml", sign(MSG.replace(b"alice@example.com",
                                       b"alice@mail.example.com"),
                           std("rsa"), rsa, H))
write("unsigned.eml", MSG)


# ---- the key table: zone-file text (dkim-record's form) ----

def rec(sel, value, dom="example.com"):
    strings = []
    while len(value) > 255:
        strings.append(value[:255])
        value = value[255:]
    strings.append(value)
    return '%s._domainkey.%s. 300 IN TXT %s\n' % (
        sel, dom, " ".join('"%s"' % s.replace("\\", "\\\\").replace(
            '"', '\\"') for s in strings))


P = p_spki(rsa)
zone = [
    "; testdata/verify/keys.zone: written by gen-fixtures.py\n",
    rec("rsa", "v=DKIM1; k=rsa; p=" + P),
    rec("rsa", "v=DKIM1; k=rsa; p=" + P, "example.net"),
    rec("rsa", "v=DKIM1; k=rsa; p=" + P, "mail.example.com"),
    rec("rsa", "v=DKIM1; k=rsa; p=" + P, "xample.com"),
    rec("rsa", "v=DKIM1; k=rsa; p=" + P, "com"),
    rec("pkcs1", "v=DKIM1; k=rsa; p=" + p_pkcs1(rsa)),
    rec("ed", "v=DKIM1; k=ed25519; p=" + p_raw(ed)),
    rec("edspki", "v=DKIM1; k=ed25519; p=" + p_spki(ed)),
    rec("k1024", "v=DKIM1; k=rsa; p=" + p_spki(Key("rsa1024"))),
    rec("k1016", "v=DKIM1; k=rsa; p=" + p_spki(Key("rsa1016"))),
    rec("short", "v=DKIM1; k=rsa; p=" + p_spki(Key("rsa512"))),
    rec("big", "v=DKIM1; k=rsa; p=" + p_spki(Key("rsa8200"))),
    rec("revoked", "v=DKIM1; k=rsa; p="),
    rec("testing", "v=DKIM1; k=rsa; t=y; p=" + P),
    rec("strict", "v=DKIM1; k=rsa; t=s; p=" + P),
    rec("sha256only", "v=DKIM1; k=rsa; h=sha256; p=" + P),
    rec("sha1only", "v=DKIM1; k=rsa; h=sha1; p=" + P),
    rec("wrongk", "v=DKIM1; k=ed25519; p=" + p_raw(ed)),
    rec("unknownk", "v=DKIM1; k=dsa; p=" + P),
    rec("badv", "v=DKIM2; k=rsa; p=" + P),
    rec("vnotfirst", "k=rsa; v=DKIM1; p=" + P),
    rec("service", "v=DKIM1; k=rsa; s=tlsrpt; p=" + P),
    rec("servicestar", "v=DKIM1; k=rsa; s=tlsrpt:*; p=" + P),
    rec("nop", "v=DKIM1; k=rsa"),
    rec("badp", "v=DKIM1; k=rsa; p=!!not-base64!!"),
    rec("garbage", "this is not a key record"),
    rec("multi", "v=DKIM1; k=rsa; p=" + p_spki(other)),
    rec("multi", "v=DKIM1; k=rsa; p=" + P),
    rec("multibad", "v=DKIM1; k=rsa; p="),
    rec("multibad", "v=DKIM1; k=rsa; p=" + p_spki(other)),
    rec("multiperm", "v=DKIM1; k=rsa; p="),
    rec("multiperm", "this is not a key record"),
    rec("unknowntags", "v=DKIM1; g=*; k=rsa; x1 = extra ; n=a note; p=" + P),
]
write("keys.zone", "".join(zone).encode())

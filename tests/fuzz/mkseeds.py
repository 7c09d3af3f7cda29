#!/usr/bin/python3
# mkseeds.py: write the starting seeds of every harness into DIR/NAME/
# (default build/seeds), from testdata/ and the fixed keys in keys/.
# The stored corpora (corpus/NAME/) began as these seeds merged with what
# fuzzing found (make merge); rerun this only to start afresh:
#
#   /usr/bin/python3 mkseeds.py [DIR]     (from tests/fuzz, after make -C
#                                          ../.. so that dkim-sign exists)
#
# Needs /usr/bin/python3 with dnspython (python3-dnspython) for the DNS
# answers.  Output is deterministic: signatures use fixed t= values and
# the keys are fixed, RSA PKCS#1 v1.5 and Ed25519 signing are
# deterministic.
import base64
import glob
import hashlib
import os
import re
import subprocess
import sys

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.TXT
import dns.rrset

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
TD = os.path.join(TOP, "testdata")
VEC = os.path.join(TD, "vectors")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "build",
                                                         "seeds")
SIGN = os.path.join(TOP, "build", "dkim-sign")
MAXLEN = {"msg": 32768, "verify": 16384, "sign": 16384}


def save(harness, data, tag=""):
    if isinstance(data, str):
        data = data.encode("latin-1")
    if len(data) > MAXLEN.get(harness, 8192):
        return
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    name = (tag + "-" if tag else "") + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def messages():
    pats = ["msg/*.eml", "msg/*.mbox", "vectors/*/*.eml",
            "vectors/*/messages/*.eml", "vectors/mail-dkim/corpus/*.txt",
            "vectors/mail-dkim/test5.txt", "vectors/dkimpy/crlf/*",
            "vectors/dkimpy/data/*.msg", "vectors/dkimpy/data/*.message"]
    for p in pats:
        for f in sorted(glob.glob(os.path.join(TD, p))):
            yield f, read(f)


def header_fields(msg):
    """Raw header fields (with folding, without the final line end)."""
    head = re.split(rb"\r?\n\r?\n", msg, maxsplit=1)[0]
    fields = []
    for line in re.split(rb"(?<=\n)", head):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        elif line:
            fields.append(line)
    return [re.sub(rb"\r?\n$", b"", f) for f in fields]


def dnstxt():
    """(name, value) of every TXT line of the vectors' DNS tables."""
    for f in sorted(glob.glob(os.path.join(VEC, "**", "*.txt"),
                          recursive=True)):
        if not (f.endswith("dns.txt") or "/zones/" in f):
            continue
        for line in read(f).split(b"\n"):
            m = re.match(rb'^(\S+)\s+TXT\s+"(.*)"\s*$', line.rstrip(b"\r"))
            if m:
                yield m.group(1).decode("latin-1"), m.group(2)


def keyrecs():
    yield "rsa._domainkey.example.com", read(
        os.path.join(HERE, "keys", "rsa.rec")).strip()
    yield "ed._domainkey.example.com", read(
        os.path.join(HERE, "keys", "ed25519.rec")).strip()
    yield from dnstxt()


def seeds_msg():
    for f, m in messages():
        save("msg", m, os.path.basename(f).split(".")[0])
    for f in sorted(glob.glob(os.path.join(
            VEC, "canonicalization", "cases", "*"))):
        if not f.endswith(".expected"):
            save("msg", read(f), "case")


def seeds_sig():
    for f, m in messages():
        for fld in header_fields(m):
            if fld.lower().startswith(b"dkim-signature:"):
                save("sig", fld[len(b"dkim-signature:"):], "vec")
    for line in read(os.path.join(VEC, "canonicalization",
                                  "taglist.tsv")).split(b"\n")[1:]:
        cols = line.split(b"\t")
        if len(cols) > 1:
            save("sig", cols[1].decode("unicode_escape"), "taglist")


def seeds_keyrec():
    for _, v in keyrecs():
        save("keyrec", v, "rec")
    extra = [
        "v=DKIM1; p=",
        "v=DKIM1; k=rsa; t=y:s; h=sha1:sha256; s=email:*; n=a=20note; p=",
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "k=rsa; p=MEgCQQC4EqKl1UhJn3CLDs8O6EbggjsLJrV/0iZ01sWMo9pXhcX0vwFS"
        "fnWH2PoV6jLE+5fjGb74f0dVszeDDv5CP+17AgMBAAE=",
    ]
    for e in extra:
        save("keyrec", e, "extra")
    # key files, for dkim_key_any and dkim_key_private
    for f in sorted(glob.glob(os.path.join(HERE, "keys", "*.key")) +
                    glob.glob(os.path.join(VEC, "rfc8463", "*.pem")) +
                    glob.glob(os.path.join(VEC, "rfc8463", "*.b64"))):
        save("keyrec", read(f), "key")


def txt_answer(name, values, rcode=dns.rcode.NOERROR, flags=0, cname=None):
    q = dns.message.make_query(name, "TXT")
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    r.flags |= flags
    owner = dns.name.from_text(name)
    if cname is not None:
        rr = dns.rrset.RRset(owner, dns.rdataclass.IN, dns.rdatatype.CNAME)
        rr.add(dns.rdtypes.ANY.CNAME.CNAME(
            dns.rdataclass.IN, dns.rdatatype.CNAME,
            dns.name.from_text(cname)), 300)
        r.answer.append(rr)
        owner = dns.name.from_text(cname)
    if values:
        rr = dns.rrset.RRset(owner, dns.rdataclass.IN, dns.rdatatype.TXT)
        for v in values:
            parts = [v[i:i + 255] for i in range(0, len(v), 255)] or [b""]
            rr.add(dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN,
                                           dns.rdatatype.TXT, parts), 300)
        r.answer.append(rr)
    return r.to_wire()


def seeds_dns():
    recs = list(keyrecs())
    for name, v in recs:
        save("dns", txt_answer(name, [v]), "txt")
    n = "sel._domainkey.example.com"
    v = recs[0][1]
    save("dns", txt_answer(n, [v, b"v=spf1 -all"]), "two")
    save("dns", txt_answer(n, [b"x%d" % i for i in range(10)]), "many")
    save("dns", txt_answer(n, [b"v=DKIM1; p=\0x", v]), "nul")
    save("dns", txt_answer(n, [b"v=DKIM1; p=\0x"]), "nulonly")
    save("dns", txt_answer(n, [v], flags=dns.flags.AD), "ad")
    save("dns", txt_answer(n, [v], flags=dns.flags.TC), "tc")
    save("dns", txt_answer(n, [], rcode=dns.rcode.NXDOMAIN), "nxdomain")
    save("dns", txt_answer(n, [], rcode=dns.rcode.SERVFAIL), "servfail")
    save("dns", txt_answer(n, []), "nodata")
    save("dns", txt_answer(n, [v], cname="k._domainkey.example.net"),
         "cname")
    save("dns", txt_answer(n, [b""]), "empty")


def zone_line(name, v):
    out = []
    for i in range(0, max(len(v), 1), 255):
        s = ""
        for c in v[i:i + 255]:
            s += ("\\%03d" % c if c < 32 or c > 126 else
                  "\\" + chr(c) if chr(c) in '"\\' else chr(c))
        out.append('"%s"' % s)
    return "%s. 300 IN TXT %s\n" % (name, " ".join(out))


def seeds_keytable():
    lines = [zone_line(n, v) for n, v in keyrecs()]
    save("keytable", "".join(lines), "all")
    for ln in lines:
        save("keytable", ln, "one")
    for f in sorted(glob.glob(os.path.join(VEC, "*", "dns.zone"))):
        save("keytable", read(f), "zone")
    rsa = read(os.path.join(HERE, "keys", "rsa.rec")).strip().decode()
    save("keytable",
         "; dkim-record -f bind\n"
         "rsa._domainkey.example.com. 86400 IN TXT ( \"%s\"\n"
         "\t\"%s\" )  ; split\n" % (rsa[:18], rsa[18:]), "bind")
    save("keytable", "a._domainkey.example.com IN 300 TXT \"v=DKIM1;"
         " p=\"\nA._DOMAINKEY.EXAMPLE.COM. TXT \"x\\059\\\"y\"\n", "order")


def sign(msg, args):
    try:
        return subprocess.run([SIGN] + args, input=msg, check=True,
                              capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def seeds_verify():
    rsa = os.path.join(HERE, "keys", "rsa.key")
    ed = os.path.join(HERE, "keys", "ed25519.key")
    base = ["-d", "example.com", "-t", "1699999000"]
    variants = [
        ["-s", "rsa", "-k", rsa],
        ["-s", "ed", "-k", ed, "-c", "relaxed/relaxed"],
        ["-s", "both", "-k", ed, "-s", "rsa", "-k", rsa, "-c",
         "simple/relaxed"],
        ["-s", "testing", "-k", rsa, "-c", "relaxed/simple", "-l",
         "-i", "joe@example.com"],
        ["-s", "rsa", "-k", rsa, "-x", "3600", "-z"],
        ["-s", "revoked", "-k", rsa],
    ]
    n = 0
    for f in ["msg/crlf-basic.eml", "msg/lf-basic.eml", "msg/utf8.eml",
              "msg/folded-headers.eml", "msg/mbox-from.eml",
              "msg/empty-body.eml", "msg/no-body.eml", "msg/bare-cr.eml",
              "msg/duplicate-headers.eml", "msg/trailing-blank-lines.eml",
              "msg/whitespace-lines.eml", "msg/no-final-newline-wsp.eml"]:
        m = read(os.path.join(TD, f))
        v = variants[n % len(variants)]
        n += 1
        s = sign(m, base + v)
        if s is not None:
            save("verify", s, os.path.basename(f).split(".")[0])
    for f, m in messages():
        if b"DKIM-Signature" in m or b"dkim-signature" in m:
            save("verify", m, os.path.basename(f).split(".")[0])


def seeds_sign():
    for f, m in messages():
        save("sign", m, os.path.basename(f).split(".")[0])


for h in ["msg", "sig", "keyrec", "dns", "keytable", "verify", "sign"]:
    globals()["seeds_" + h]()

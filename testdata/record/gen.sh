#!/bin/sh
# gen.sh: write the expected dkim-record outputs in this directory from
# the fixed keys in ../keys, with openssl and python3 only (no dkim-tools
# code), so that tests/shell/t-record.sh compares against an independent
# rendering of RFC 6376 3.6.1 / RFC 8463 4 and of each publishing format.
#
#   sh testdata/record/gen.sh        (from the top of the tree)
#
# Files: <key>.<format> for the plain record (d=example.com, s=sel, TTL
# 86400), and <key>.flags.<format> for -t y -t s -h sha256 --ttl 300
# -n 'rotated 2026-12; see "ops" \ wiki'.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
keys=$here/../keys

for k in rsa2048 ed25519; do
	# p=: base64 of the SPKI DER for RSA, of the raw 32 bytes for Ed25519
	openssl pkey -in "$keys/$k.pem" -pubout -outform DER >"$here/.$k.der"
	python3 - "$here" "$k" <<'EOF'
import base64, json, sys
here, k = sys.argv[1], sys.argv[2]
der = open("%s/.%s.der" % (here, k), "rb").read()
if k == "ed25519":
    ktype, raw = "ed25519", der[-32:]	# SPKI: 12-byte prefix, 32-byte key
else:
    ktype, raw = "rsa", der
p = base64.b64encode(raw).decode()
name = "sel._domainkey.example.com"

def qp(s):
    out = ""
    for b in s.encode():
        c = chr(b)
        if 0x21 <= b <= 0x7e and c not in ';="\\':
            out += c
        else:
            out += "=%02X" % b
    return out

def strings(tags, p):
    # the tags in one string, p= cut into 255-byte strings
    v = "p=" + p
    return [tags] + [v[i:i + 255] for i in range(0, len(v), 255)]

def zq(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

def tiny(s):
    o = ""
    for b in s.encode():
        c = chr(b)
        if b <= 0x20 or b > 0x7e or c in ":\\":
            o += "\\%03o" % b
        else:
            o += c
    return o

def write(suffix, tags, ttl):
    ss = strings(tags, p)
    value = "".join(ss)
    files = {
        "zone": "%s. %d IN TXT %s\n" % (name, ttl, " ".join(map(zq, ss))),
        "bind": "%s. %d IN TXT (\n\t%s )\n" % (name, ttl,
                                             "\n\t".join(map(zq, ss))),
        "value": value + "\n",
        "tinydns": "'%s:%s:%d\n" % (name, tiny(value), ttl),
        "nsupdate": "update add %s. %d IN TXT %s\nsend\n" % (
            name, ttl, " ".join(map(zq, ss))),
        "json": json.dumps({"name": name, "type": "TXT", "ttl": ttl,
                            "value": value, "strings": ss}) + "\n",
    }
    for fmt, text in files.items():
        with open("%s/%s%s.%s" % (here, k, suffix, fmt), "w") as f:
            f.write(text)

write("", "v=DKIM1; k=%s; " % ktype, 86400)
note = 'rotated 2026-12; see "ops" \\ wiki'
write(".flags", "v=DKIM1; k=%s; h=sha256; t=y:s; n=%s; " % (ktype, qp(note)),
      300)
EOF
	rm -f "$here/.$k.der"
done

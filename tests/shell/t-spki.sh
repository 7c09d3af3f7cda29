#!/bin/sh
# The p= of an RSA key record, SubjectPublicKeyInfo or a bare
# RSAPublicKey, in the forms a record may hold.  The SPKI is split by
# OpenSSL's DER templates, not d2i_PUBKEY (whose decoder machinery costs
# 0.25-0.6 ms a key); what it accepts must stay what d2i_PUBKEY accepted:
# any parameters, unused bits and bytes after the key in the BIT STRING
# (OpenSSL looks at none of them), but rsaEncryption only, and nothing
# after the SPKI.  Through "unit keyrec", which prints the parsed record.
. "$(dirname "$0")/lib.sh"

KEY=$(private_copy "$TD/verify/keys/rsa2048.pem")
P=$(dkim-record -F value -d example.com -s x "$KEY" | sed 's/.*p=//')
$PY - "$P" >"$T/cases" <<'EOF'
import base64, sys
p = base64.b64decode(sys.argv[1])


def tlv(t, v):
    n = len(v)
    if n < 128:
        return bytes([t, n]) + v
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([t, 0x80 | len(b)]) + b + v


# the RSAPublicKey inside the 2048-bit SPKI: after 30 82 01 22, the
# AlgorithmIdentifier (15 bytes) and 03 82 01 0f 00
rsa = p[24:]
assert p[19:24] == b"\x03\x82\x01\x0f\x00", "not a 2048-bit SPKI"
RSAENC = tlv(6, bytes.fromhex("2a864886f70d010101"))
PSS = tlv(6, bytes.fromhex("2a864886f70d01010a"))
EC = tlv(6, bytes.fromhex("2a8648ce3d0201"))
P256 = tlv(6, bytes.fromhex("2a8648ce3d030107"))


def spki(alg, bits, unused=0):
    return tlv(0x30, tlv(0x30, alg) + tlv(3, bytes([unused]) + bits))


NULL = b"\x05\x00"
cases = [
    ("ok", "rsa", spki(RSAENC + NULL, rsa)),
    ("no-parameters", "rsa", spki(RSAENC, rsa)),
    ("integer-parameter", "rsa", spki(RSAENC + b"\x02\x01\x05", rsa)),
    ("rsa-pss", "bad", spki(PSS, rsa)),
    ("ec-oid", "bad", spki(EC + P256, rsa)),
    ("unused-bits", "rsa", spki(RSAENC + NULL, rsa, 3)),
    ("byte-after-spki", "bad", spki(RSAENC + NULL, rsa) + b"\x00"),
    ("bytes-after-key-in-bit-string", "rsa",
     spki(RSAENC + NULL, rsa + b"\x00\x00")),
    ("bare-rsapublickey", "rsa", rsa),
    ("bare-rsapublickey-byte-after", "bad", rsa + b"\x00"),
    ("truncated", "bad", spki(RSAENC + NULL, rsa)[:-5]),
    ("not-an-rsapublickey", "bad",
     spki(RSAENC + NULL, tlv(0x30, tlv(2, b"\x01")))),
    ("length-past-the-end", "bad",
     bytes([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]) + p[4:]),
    ("empty-sequence", "bad", tlv(0x30, b"")),
]
for name, want, der in cases:
    print(name, want, base64.b64encode(der).decode())
EOF
eq "$?.$(wc -l <"$T/cases")" "0.14" "the SPKI variants made"
while read -r name want b64; do
	got=$("$BIN/unit" keyrec "v=DKIM1; k=rsa; p=$b64")
	case $want in
	rsa) exp="k=rsa bits=2048 h=sha256,sha1" ;;
	*) exp="ERROR key record p= is not an RSA public key" ;;
	esac
	eq "$got" "$exp" "p= $name"
done <"$T/cases"

# the same key as k=ed25519, and Ed25519's own form
eq "$("$BIN/unit" keyrec "v=DKIM1; k=ed25519; p=$P")" \
    "ERROR key record p= is not a raw Ed25519 key" "an RSA SPKI as k=ed25519"
ED=$(head -c 32 /dev/zero | tr '\0' '\7' | base64 -w 0)
eq "$("$BIN/unit" keyrec "v=DKIM1; k=ed25519; p=$ED")" \
    "k=ed25519 bits=256 h=sha256,sha1" "32 raw bytes as k=ed25519"
t_done

#!/bin/sh
# Hostile key records, served by a real nsd on 127.0.0.1 and the same
# records through -K: a 16384-bit RSA key (refused, quickly), p= that is no
# key or the other type's, several records at one name, records of 60 KB
# and 100 KB (over UDP, then TCP), CNAME loops, and records whose text
# must come out escaped.  dkim-verify and dkim-record -q both read them.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/shell/dns-lib.sh"

KEY=$(private_copy "$TD/verify/keys/rsa2048.pem")
EDKEY=$(private_copy "$TD/verify/keys/ed25519.pem")
NOW=1700000000
ID=mx.example.net
stop_nsd() { nsd_stop "$T"; }
at_exit stop_nsd

# zl NAME VALUE: a zone-file TXT record for NAME, VALUE C-escaped (\x1b,
# \r...), cut into strings of 255 bytes, bytes outside 32..126 as \DDD
zl() {
	$PY -c 'import codecs, sys
v = codecs.escape_decode(sys.argv[2].encode())[0]
def esc(b):
    return "".join(chr(c) if 32 <= c <= 126 and chr(c) not in "\"\\"
                   else "\\" + chr(c) if chr(c) in "\"\\" else "\\%03d" % c
                   for c in b)
print(sys.argv[1] + "._domainkey.example.com. 300 IN TXT " +
      " ".join("\"%s\"" % esc(v[i:i + 255])
               for i in range(0, max(len(v), 1), 255)))' "$1" "$2"
}

P=$(dkim-record -F value -d example.com -s x "$KEY" | sed 's/.*p=//')
EDP=$(dkim-record -F value -d example.com -s x "$EDKEY" | sed 's/.*p=//')
# an RSA public key of 16384 bits, as SubjectPublicKeyInfo and as a bare
# RSAPublicKey: any odd number of that size will do as a modulus
$PY -c 'import base64, random, sys
n = random.Random(16384).getrandbits(16384) | 1 << 16383 | 1
def tlv(t, v):
    l = len(v)
    if l < 128:
        return bytes([t, l]) + v
    b = l.to_bytes((l.bit_length() + 7) // 8, "big")
    return bytes([t, 0x80 | len(b)]) + b + v
def integer(x):
    return tlv(2, x.to_bytes(x.bit_length() // 8 + 1, "big"))
rsa = tlv(0x30, integer(n) + integer(65537))
alg = tlv(0x30, tlv(6, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
spki = tlv(0x30, alg + tlv(3, b"\x00" + rsa))
print(base64.b64encode(spki).decode(), base64.b64encode(rsa).decode())' \
    >"$T/big16k"
read -r BIGP BIGP1 <"$T/big16k"
eq "$(printf '%s' "$BIGP" | base64 -d | openssl pkey -pubin -inform DER \
    -noout -text 2>/dev/null | head -n 1)" "Public-Key: (16384 bit)" \
    "a 16384-bit RSA public key made"
NOTE='n=evil=1B[31m=0D=0AX-Injected:=20yes=07'
{
	zl rsa "v=DKIM1; k=rsa; p=$P"
	zl big16k "v=DKIM1; k=rsa; p=$BIGP"
	zl big16kpkcs1 "v=DKIM1; k=rsa; p=$BIGP1"
	zl notder "v=DKIM1; k=rsa; p=$(head -c 300 /dev/zero | tr '\0' x |
	    base64 -w 0)"
	zl notraw "v=DKIM1; k=ed25519; p=$(head -c 31 /dev/zero | base64 -w 0)"
	zl rsaased "v=DKIM1; k=ed25519; p=$P"
	zl edasrsa "v=DKIM1; k=rsa; p=$EDP"
	zl multi "v=DKIM1; k=rsa; p="
	zl multi "this is not a key record"
	zl multi "v=DKIM1; k=rsa; p=$P"
	zl note "v=DKIM1; k=rsa; $NOTE; x_unknown=a=1Bb; p=$P"
	zl rawctl "v=DKIM1; k=rsa; n=evil\\x1b[31m\\rX-Injected: yes\\x07; p=$P"
	zl huge "v=DKIM1; k=rsa; n=$(head -c 60000 /dev/zero | tr '\0' n); p=$P"
	for i in 1 2; do
		zl big100k "v=DKIM1; k=rsa; n=$(head -c 50000 /dev/zero |
		    tr '\0' $i); p=$P"
	done
} >"$T/keys.zone"
{
	echo 'loop._domainkey.example.com. 300 IN CNAME loop._domainkey.example.com.'
	echo 'loopa._domainkey.example.com. 300 IN CNAME loopb._domainkey.example.com.'
	echo 'loopb._domainkey.example.com. 300 IN CNAME loopa._domainkey.example.com.'
} >"$T/cname.zone"
nsd_add "$T" "$T/keys.zone" "$T/cname.zone"
if ! nsd_start "$T" 2>"$T/nsd.err"; then
	fail "nsd_start" "$(cat "$T/nsd.err")"
	t_done
	exit 1
fi

# a message signed for each selector, with the RSA key or the Ed25519 one
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n' \
    >"$T/m"
for s in rsa big16k big16kpkcs1 notder edasrsa multi note rawctl huge \
    big100k loop loopa; do
	dkim-sign -d example.com -s $s -k "$KEY" -t $NOW "$T/m" >"$T/$s.eml"
done
for s in notraw rsaased; do
	dkim-sign -d example.com -s $s -k "$EDKEY" -t $NOW "$T/m" >"$T/$s.eml"
done

DNS="-r $NSD_ADDR --timeout 2"
# timed cmd...: run, and set ms to the elapsed milliseconds
timed() {
	_t0=$(date +%s%N)
	run "$@"
	ms=$((($(date +%s%N) - _t0) / 1000000))
}
# res DESC SEL CODE LINE [-K FILE]: dkim-verify on SEL's message, from nsd
# or from the key table, exits CODE, its line starts with LINE (the
# header.* properties left out), in under 2 s
res() {
	_d=$1 _s=$2 _c=$3 _w=$4
	shift 4
	if [ $# -eq 0 ]; then
		set -- --tries 1 $DNS
		_d="$_d (DNS)"
	else
		_d="$_d (-K)"
	fi
	timed dkim-verify --time $NOW "$@" "$T/$_s.eml"
	_l=$(sed 's/ header\..*//' "$T/out")
	if [ "$rc" = "$_c" ] && [ "$_l" = "$_w" ] && [ "$ms" -lt 2000 ]; then
		pass "$_d"
	else
		fail "$_d" "exit $rc, '$_l' in $ms ms;" \
		    "want exit $_c, '$_w'; $(brief "$T/err")"
	fi
}
# both DESC SEL CODE LINE: res from nsd, and from the key table
both() {
	res "$@"
	res "$@" -K "$T/keys.zone"
}
# rq DESC SEL CODE [PATTERN]: dkim-record -q, from nsd and from the key
# table, exits CODE, its report (or error) matches PATTERN
rq() {
	for _src in DNS -K; do
		case $_src in
		DNS) _o="--tries 1 $DNS" ;;
		-K) _o="-K $T/keys.zone" ;;
		esac
		run dkim-record -q -d example.com -s "$2" $_o
		if [ "$rc" = "$3" ] && { [ -z "${4:-}" ] ||
		    grep -Eq -- "$4" "$T/out" "$T/err"; }; then
			pass "dkim-record -q: $1 ($_src)"
		else
			fail "dkim-record -q: $1 ($_src)" \
			    "exit $rc, want $3 /${4:-}/:" \
			    "$(brief "$T/out") $(brief "$T/err")"
		fi
	done
}

both "the good key passes" rsa 0 "dkim=pass"
rq "the good key" rsa 0 '^result +usable'

# --- a 16384-bit RSA key: refused, not used, at once ---
both "16384-bit RSA key" big16k 1 "dkim=permerror (RSA key over 8192 bits)"
both "16384-bit bare RSAPublicKey" big16kpkcs1 1 \
    "dkim=permerror (RSA key over 8192 bits)"
rq "16384-bit RSA key" big16k 1 '^error +16384-bit RSA key'
rq "16384-bit bare RSAPublicKey" big16kpkcs1 1 '^error +16384-bit RSA key'
timed dkim-verify --time $NOW --tries 1 $DNS "$T/big16k.eml"
[ "$ms" -lt 1000 ] && pass "dkim-verify: 16384 bits refused in $ms ms" ||
    fail "dkim-verify: 16384 bits refused quickly" "took $ms ms"
timed dkim-record -q -d example.com -s big16k --tries 1 $DNS
[ "$ms" -lt 1000 ] && pass "dkim-record -q: 16384 bits refused in $ms ms" ||
    fail "dkim-record -q: 16384 bits refused quickly" "took $ms ms"

# --- p= that is no key, or the other type's ---
both "p= is not DER" notder 1 \
    "dkim=permerror (key record p= is not an RSA public key)"
both "k=ed25519 with 31 bytes in p=" notraw 1 \
    "dkim=permerror (key record p= is not a raw Ed25519 key)"
both "k=ed25519 with an RSA p=" rsaased 1 \
    "dkim=permerror (key record p= is not a raw Ed25519 key)"
both "k=rsa with an Ed25519 p=" edasrsa 1 \
    "dkim=permerror (key record p= is not an RSA public key)"
rq "p= is not DER" notder 1 '^error +key record p= is not an RSA public key'
rq "k=ed25519 with an RSA p=" rsaased 1 \
    '^error +key record p= is not a raw Ed25519 key'
rq "k=rsa with an Ed25519 p=" edasrsa 1 \
    '^error +key record p= is not an RSA public key'

# --- several TXT records at the name: each tried, each reported ---
both "revoked, garbage, then the key" multi 0 "dkim=pass"
for src in DNS -K; do
	case $src in
	DNS) set -- --tries 1 $DNS ;;
	-K) set -- -K "$T/keys.zone" ;;
	esac
	run dkim-verify --time $NOW -j "$@" "$T/multi.eml"
	eq "$($PY -c 'import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
print("|".join(sorted("%s %s" % (k["result"], k["reason"])
                      for k in s["keys_tried"])))' "$T/out")" \
	    "pass None|permerror key record syntax error|permerror key revoked" \
	    "three records: -j reports each ($src)"
	run dkim-verify --time $NOW -v "$@" "$T/multi.eml"
	eq "$(grep -c 'signature 1: key record [123]: ' "$T/err")" 3 \
	    "three records: -v reports each ($src)"
done
rq "three records" multi 1 '^warning +3 TXT records'

# --- 60 KB and 100 KB of TXT: UDP gets TC, TCP carries 60 KB; 100 KB
# fits no DNS message, nsd answers TC over TCP too: a temporary failure,
# as for any truncated answer ---
both "a 60 KB record" huge 0 "dkim=pass"
rq "a 60 KB record" huge 0 '^result +usable'
res "two records of 50 KB: truncated even over TCP" big100k 75 \
    "dkim=temperror (DNS failure)"
run dkim-record -q -d example.com -s big100k --tries 1 $DNS
eq "$rc" 75 "dkim-record -q: two records of 50 KB: truncated, exit 75"
# through -K there is no message to fit in
res "two records of 50 KB" big100k 0 "dkim=pass" -K "$T/keys.zone"
zl one100k "v=DKIM1; k=rsa; n=$(head -c 100000 /dev/zero | tr '\0' n); p=$P" \
    >"$T/100k.zone"
filter_fails 65 "-K: a record of 100 KB" dkim-verify --time $NOW \
    -K "$T/100k.zone" "$T/rsa.eml"
has 'too long' "$T/err" "-K: a record of 100 KB is too long"
filter_fails 65 "dkim-record -q -K: a record of 100 KB" dkim-record -q \
    -d example.com -s one100k -K "$T/100k.zone"

# --- CNAME loops: no key, at once ---
res "CNAME to itself" loop 1 "dkim=permerror (no key for signature)"
res "two CNAMEs to each other" loopa 1 "dkim=permerror (no key for signature)"
filter_fails 1 "dkim-record -q: CNAME to itself" dkim-record -q \
    -d example.com -s loop --tries 1 $DNS
has 'no key' "$T/err" "dkim-record -q: CNAME to itself: no key"

# --- record text comes out escaped ---
# ctl FILE: the control bytes in FILE other than LF and TAB, counted
ctl() { tr -d '\n\t' <"$1" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c; }
for src in DNS -K; do
	case $src in
	DNS) set -- --tries 1 $DNS ;;
	-K) set -- -K "$T/keys.zone" ;;
	esac
	run dkim-record -q -d example.com -s note "$@"
	eq "$rc:$(ctl "$T/out"):$(ctl "$T/err")" "0:0:0" \
	    "n= with ESC, CR LF, BEL: report escaped, usable ($src)"
	has '^notes +evil\\033\[31m\\015\\012X-Injected: yes\\007$' "$T/out" \
	    "n= shown decoded, as \\ooo ($src)"
	run dkim-record -q -d example.com -s rawctl "$@"
	eq "$rc:$(ctl "$T/out"):$(ctl "$T/err")" "1:0:0" \
	    "raw control bytes in the record: unusable, escaped ($src)"
	has '^record +v=DKIM1; k=rsa; n=evil\\033\[31m\\015X-Injected: yes\\007; p=' \
	    "$T/out" "raw control bytes shown as \\ooo ($src)"
	case $src in
	DNS) set -- --tries 1 $DNS ;;
	esac
	for o in -v -j "-A $ID"; do
		for s in note rawctl; do
			run dkim-verify --time $NOW $o "$@" "$T/$s.eml"
			[ "$o" = "-A $ID" ] && sed -n 1,2p "$T/out" >"$T/o" ||
			    cp "$T/out" "$T/o"
			eq "$(ctl "$T/o"):$(ctl "$T/err")" "$(
			    [ "$o" = "-A $ID" ] && echo 2 || echo 0):0" \
			    "dkim-verify $o, record $s: no control byte ($src)"
		done
	done
done
run dkim-verify --time $NOW -K "$T/keys.zone" "$T/note.eml"
has '^dkim=pass ' "$T/out" "n= and unknown tags do not stop a key"
run dkim-verify --time $NOW -K "$T/keys.zone" "$T/rawctl.eml"
has '^dkim=permerror \(key record syntax error\) ' "$T/out" \
    "raw control bytes: key record syntax error"
t_done

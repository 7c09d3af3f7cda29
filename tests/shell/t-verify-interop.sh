#!/bin/sh
# dkim-verify and other implementations, and real DNS: messages of
# testdata/msg/ signed by dkimpy, Mail::DKIM, libopendkim and mailauth
# (tests/peers/*-sign) verify through nsd (-r) and through the key table
# (-K); DNS failures give temperror (exit 75) and no key permerror; a key
# is fetched once per process; the DNSSEC AD bit is reported; the peers'
# view of the RFC 6376 3.7 fixtures.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/shell/dns-lib.sh"

F=$TD/verify
K=$F/keys.zone
KEYS=$F/keys
NOW=1700000000
# The peers stamp t= with the clock and never add x= here; verifying "in
# 2100" makes every t= past whatever the clock says.
LATER=4102444800

D=$T/dns
stop_dns() { nsd_stop "$D"; }
at_exit stop_dns
nsd_add "$D" "$K"
echo 'nodata._domainkey.example.com. 300 IN A 192.0.2.1' | nsd_add "$D"
nsd_servfail "$D" servfail._domainkey.example.com
if ! nsd_start "$D" 2>"$T/nsd.err"; then
	fail "nsd" "$(cat "$T/nsd.err")"
	t_done
	exit 1
fi

# --- sign testdata/msg/ with each peer ---
S=$T/signed
mkdir "$S"
# sign NAME OUTSUFFIX PEER-COMMAND...: message on stdin
sign() {
	_b=$1 _s=$2
	shift 2
	if ! "$@" >"$S/$_b.$_s" 2>"$T/sign.$_s.err"; then
		rm -f "$S/$_b.$_s"
		echo "$_b.$_s" >>"$T/unsigned"
	fi
}
: >"$T/unsigned"
# dkimpy (a second or more per message) in the background, the others here
(
	for m in "$TD"/msg/*.eml; do
		b=$(basename "$m" .eml)
		sign "$b" dkimpy-rsa "$PEERS/dkimpy-sign" -d example.com -s rsa \
		    -k "$KEYS/rsa2048.pem" <"$m"
	done
	for b in crlf-basic utf8 folded-headers; do
		sign "$b" dkimpy-ed "$PEERS/dkimpy-sign" -d example.com -s ed \
		    -k "$KEYS/ed25519.pem" -c simple/relaxed <"$TD/msg/$b.eml"
	done
) &
dkimpy_pid=$!
for m in "$TD"/msg/*.eml; do
	b=$(basename "$m" .eml)
	sign "$b" maildkim-rsa "$PEERS/maildkim-sign" -d example.com -s rsa \
	    -k "$KEYS/rsa2048.pem" -c relaxed <"$m"
	sign "$b" opendkim-rsa "$PEERS/opendkim-peer" sign -d example.com \
	    -s rsa -k "$KEYS/rsa2048.pem" -c simple/simple <"$m"
	sign "$b" opendkim-ed "$PEERS/opendkim-peer" sign -d example.com \
	    -s ed -k "$KEYS/ed25519.pem" <"$m"
	sign "$b" mailauth-rsa "$PEERS/mailauth-sign" -d example.com -s rsa \
	    -k "$KEYS/rsa2048.pem" -c simple/simple <"$m"
	sign "$b" mailauth-ed "$PEERS/mailauth-sign" -d example.com -s ed \
	    -k "$KEYS/ed25519.pem" <"$m"
done
wait "$dkimpy_pid"
# dkimpy refuses WSP before a field's colon, libopendkim a TAB there;
# libopendkim's relaxed body wants a final CRLF; mailauth makes no
# signature for a header with no empty line after it (tests/peers/README,
# testdata/canon/README D1, O3, O4)
printf '%s\n' no-body.mailauth-ed no-body.mailauth-rsa \
    no-final-newline.opendkim-ed \
    obs-header-space.dkimpy-rsa obs-header-space.opendkim-ed \
    obs-header-space.opendkim-rsa >"$T/want"
sort "$T/unsigned" >"$T/got"
eq "$(paste -s -d ' ' "$T/got")" "$(paste -s -d ' ' "$T/want")" \
    "the peers sign every message but these"

# Where the signers canonicalize otherwise than RFC 6376 as we read it
# (testdata/canon/README): the signature verifies with its own library
# only.  Everything else must pass.
cat >"$T/expected" <<'EOF'
bare-cr-edge.mailauth-ed fail (body hash mismatch)	mailauth relaxed drops WSP before a bare CR and a CR-only last line
bare-cr-edge.mailauth-rsa fail (body hash mismatch)	mailauth simple drops a CR-only last line
bare-cr-edge.opendkim-ed fail (body hash mismatch)	O2: libopendkim relaxed drops a CR before CRLF
bare-cr-edge.opendkim-rsa fail (body hash mismatch)	O2: libopendkim simple makes a CR-only line empty
bare-cr.mailauth-ed fail (body hash mismatch)	mailauth relaxed joins WSP runs across a bare CR
bare-cr.opendkim-ed fail (body hash mismatch)	O1: libopendkim relaxed drops a bare CR
no-body.opendkim-rsa fail (signature mismatch)	O5: libopendkim simple hashes a CRLF after the last field
no-final-newline-wsp.dkimpy-rsa fail (body hash mismatch)	D3: dkimpy keeps WSP on an unterminated last line
no-final-newline-wsp.maildkim-rsa fail (body hash mismatch)	Mail::DKIM simple adds no CRLF to an unterminated last line
no-final-newline-wsp.opendkim-ed fail (body hash mismatch)	O3: libopendkim relaxed adds no CRLF to an unterminated last line
no-final-newline.maildkim-rsa fail (body hash mismatch)	Mail::DKIM simple adds no CRLF to an unterminated last line
EOF
# results NAME OUTFILE: compare "file result" lines with the table
results() {
	sed -e "s|^$S/||" -e 's/: dkim=/ /' -e 's/ header\..*//' "$2" |
	    sort >"$T/res"
	n=0
	while read -r f r; do
		n=$((n + 1))
		w=$(awk -F'\t' -v f="$f" '{ split($1, a, " ") }
		    a[1] == f { sub(/^[^ ]* /, "", $1); print $1 }' "$T/expected")
		[ -n "$w" ] || w=pass
		if [ "$r" = "$w" ]; then
			pass "$1: $f: $r"
		else
			fail "$1: $f" "$r, expected $w"
		fi
	done <"$T/res"
	eq "$n" "$(ls "$S" | wc -l)" "$1: one result per signed message"
}
expect 1 "peer-signed messages via nsd: exit 1 (the highest)" \
    dkim-verify --time $LATER -r "$NSD_ADDR" --timeout 2 "$S"
cp "$T/out" "$T/via-dns"
results "via nsd" "$T/via-dns"
expect 1 "peer-signed messages via the key table: exit 1" \
    dkim-verify --time $LATER -K "$K" "$S"
same "$T/via-dns" "$T/out" "key table and DNS: the same results"
# each signature on its own: exit 0, and as a filter
expect 0 "dkimpy, Ed25519, one message: exit 0" \
    dkim-verify --time $LATER -r "$NSD_ADDR" "$S/utf8.dkimpy-ed"
has '^dkim=pass header\.d=example\.com header\.i=@example\.com header\.s=ed header\.a=ed25519-sha256 ' \
    "$T/out" "dkimpy Ed25519: pass"
expect 0 "Mail::DKIM c=relaxed as a filter" dkim-verify -A mx.example.net \
    --time $LATER -r "$NSD_ADDR" "$S/crlf-basic.maildkim-rsa"
has '^	dkim=pass header\.d=example\.com header\.s=rsa header\.a=rsa-sha256 ' \
    "$T/out" "Mail::DKIM: pass in the Authentication-Results field"
run dkim-verify -j --time $LATER -K "$K" "$S/crlf-basic.maildkim-rsa"
has '"c":"relaxed/simple"' "$T/out" "Mail::DKIM wrote c=relaxed: relaxed/simple"

# LF line ends: every signed message without a bare CR, CRLF -> LF
mkdir "$T/lf"
$PY - "$S" "$T/lf" <<'EOF'
import os, sys
src, dst = sys.argv[1:3]
for n in os.listdir(src):
    d = open(os.path.join(src, n), "rb").read()
    if b"\r" in d.replace(b"\r\n", b""):
        continue	# a bare CR would become a line end
    open(os.path.join(dst, n), "wb").write(d.replace(b"\r\n", b"\n"))
EOF
dkim-verify --time $LATER -K "$K" "$T/lf" >"$T/lf.out" 2>&1
sed "s|^$T/lf/|$S/|" "$T/lf.out" | sort >"$T/got"
for f in "$T"/lf/*; do grep "^$S/${f##*/}: " "$T/via-dns"; done | sort >"$T/want"
same "$T/want" "$T/got" "LF copies: the same results as CRLF"
eq "$(wc -l <"$T/got")" "$(ls "$S" | grep -cv bare-cr)" \
    "LF copies: all but the bare-CR messages"

# mailauth without a signing time reads the clock once for the t= it
# hashes and once for the t= it writes (tests/peers/README); the driver
# passes the time, so even a clock that moves 0.4 s a reading gives a
# signature that verifies
printf 'let t = Date.now();\nDate.now = () => (t += 400);\n' >"$T/clock.js"
NODE_OPTIONS="--require $T/clock.js" "$PEERS/mailauth-sign" -d example.com \
    -s ed -k "$KEYS/ed25519.pem" <"$TD/msg/crlf-basic.eml" >"$T/clock.eml"
expect 0 "mailauth-sign, a clock that jumps: the signature holds" \
    dkim-verify --time $LATER -K "$K" "$T/clock.eml"

# libopendkim's Ed25519 simple-header signatures verify nowhere, not even
# in libopendkim (tests/peers/README): the field is hashed folded one way
# and written another.  Unfolded (-m 0) they are fine.
"$PEERS/opendkim-peer" sign -d example.com -s ed -k "$KEYS/ed25519.pem" \
    -c simple/simple <"$TD/msg/crlf-basic.eml" >"$T/ed-simple.eml"
expect 1 "libopendkim Ed25519 c=simple: fail, as everywhere" \
    dkim-verify --time $LATER -K "$K" "$T/ed-simple.eml"
has '^dkim=fail \(signature mismatch\) ' "$T/out" \
    "libopendkim Ed25519 c=simple: the header hash"
eq "$("$PEERS/opendkim-peer" verify --dns "$NSD_ADDR" <"$T/ed-simple.eml")" \
    fail "libopendkim Ed25519 c=simple: libopendkim fails it too"
"$PEERS/opendkim-peer" sign -d example.com -s ed -k "$KEYS/ed25519.pem" \
    -c simple/simple -m 0 <"$TD/msg/crlf-basic.eml" >"$T/ed-simple.eml"
expect 0 "libopendkim Ed25519 c=simple, not folded: pass" \
    dkim-verify --time $LATER -K "$K" "$T/ed-simple.eml"

# the other way round: the peers on the fixtures' b= with FWS around it.
# RFC 6376 3.7 deletes the b= value "(including all surrounding
# whitespace)"; Mail::DKIM, libopendkim and mailauth read it so, dkimpy
# keeps the whitespace (and so fails these).
for c in relaxed simple; do
	f=$F/b-fws-$c.eml
	eq "$("$PEERS/maildkim-verify" --dns "$NSD_ADDR" <"$f")" pass \
	    "b= FWS, $c: Mail::DKIM passes it"
	eq "$("$PEERS/opendkim-peer" verify --dns "$NSD_ADDR" <"$f")" pass \
	    "b= FWS, $c: libopendkim passes it"
	eq "$("$PEERS/dkimpy-verify" --dns "$NSD_ADDR" <"$f")" fail \
	    "b= FWS, $c: dkimpy does not (keeps the whitespace)"
	eq "$("$PEERS/mailauth-verify" --dns "$NSD_ADDR" <"$f")" pass \
	    "b= FWS, $c: mailauth passes it"
done

# --- DNS: what each answer means ---
dvr() { dkim-verify --time $NOW -r "$NSD_ADDR" --timeout 1 --tries 1 "$@"; }
expect 0 "via nsd: pass" dvr "$F/good.eml"
expect 0 "via nsd: two TXT records, the second one's key" \
    dvr "$F/sel-multi.eml"
expect 1 "NXDOMAIN: exit 1" dvr "$F/sel-missing.eml"
has '^dkim=permerror \(no key for signature\) ' "$T/out" \
    "NXDOMAIN: permerror (no key for signature)"
sed 's/s=rsa;/s=nodata;/' "$F/good.eml" >"$T/nodata.eml"
expect 1 "a name with an A record, no TXT (NODATA): exit 1" dvr "$T/nodata.eml"
has '^dkim=permerror \(no key for signature\) header\.d=example\.com header\.s=nodata ' \
    "$T/out" "NODATA: permerror (no key for signature)"
sed 's/s=rsa;/s=servfail;/' "$F/good.eml" >"$T/servfail.eml"
expect 75 "SERVFAIL: exit 75" dvr "$T/servfail.eml"
has '^dkim=temperror \(DNS failure\) header\.d=example\.com header\.s=servfail ' \
    "$T/out" "SERVFAIL: temperror (DNS failure)"
$PY -c 'import sys
s = open(sys.argv[1], "rb").read()
g = open(sys.argv[2], "rb").read()
sys.stdout.buffer.write(s[:s.index(b"\r\nFrom:") + 2] + g)' \
    "$T/servfail.eml" "$F/good.eml" >"$T/both.eml"
expect 0 "SERVFAIL for one signature, another passes: exit 0" \
    dvr "$T/both.eml"
eq "$(sed 's/ header\..*//' "$T/out" | paste -s -d '|' -)" \
    "dkim=temperror (DNS failure)|dkim=pass" \
    "SERVFAIL for one signature, another passes: both reported"
# a server that is down: refused at once, temperror, exit 75
stop_dns
s=$(date +%s)
expect 75 "DNS server down: exit 75" dvr "$F/good.eml"
has '^dkim=temperror \(DNS failure\) ' "$T/out" "DNS server down: temperror"
[ $(($(date +%s) - s)) -le 3 ] && pass "DNS server down: no long wait" ||
    fail "DNS server down" "took $(($(date +%s) - s)) s"
expect 0 "DNS server down, -A: exit 0, the message goes on" \
    dvr -A mx.example.net "$F/good.eml"
has '^	dkim=temperror \(DNS failure\) ' "$T/out" \
    "DNS server down, -A: temperror in the field"
run dvr -j "$F/good.eml"
has '"result":"temperror"' "$T/out" "DNS server down, -j: temperror overall"

# --- a DNS server of our own: query log, AD bit, no answer at all ---
cat >"$T/fakedns.py" <<'EOF'
# Serve the TXT records of a zone file over UDP on 127.0.0.1 with the AD
# bit set; log each query name; never answer names starting "drop".
import socket, sys
import dns.flags, dns.message, dns.name, dns.rcode, dns.rdataclass
import dns.rdatatype, dns.rrset, dns.zone
zonefile, portfile, logfile = sys.argv[1:4]
z = dns.zone.from_text(open(zonefile).read(), origin=dns.name.root,
                       relativize=False, check_origin=False)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
log = open(logfile, "a", buffering=1)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(portfile + ".tmp", portfile)
while True:
    data, peer = s.recvfrom(65535)
    try:
        q = dns.message.from_wire(data)
    except Exception:
        continue
    name = q.question[0].name
    log.write(name.to_text().lower() + "\n")
    if name.labels[0].lower().startswith(b"drop"):
        continue
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AD
    node = z.get_node(name)
    rds = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT) \
        if node is not None else None
    if rds is None:
        r.set_rcode(dns.rcode.NXDOMAIN)
    else:
        r.answer.append(dns.rrset.from_rdata_list(name, 300, list(rds)))
    w = r.to_wire()
    if len(w) > 512:
        r.answer = []
        r.flags |= dns.flags.TC
        w = r.to_wire()
    s.sendto(w, peer)
EOF
$PY "$T/fakedns.py" "$K" "$T/fake.port" "$T/queries" 2>"$T/fake.err" &
echo $! >"$T/fake.pid"
stop_fake() { kill "$(cat "$T/fake.pid")" 2>/dev/null; }
at_exit stop_fake
i=0
while [ ! -s "$T/fake.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
FAKE=127.0.0.1:$(cat "$T/fake.port" 2>/dev/null)
dvf() { dkim-verify --time $NOW -r "$FAKE" --timeout 1 --tries 1 "$@"; }
# one lookup per name for the whole process: three signatures with two
# selectors, the same message again, and the peer-signed messages
: >"$T/queries"
expect 0 "own server: three messages" dvf "$F/three.eml" "$F/good.eml" \
    "$F/three.eml"
eq "$(sort "$T/queries" | uniq -c | awk '{ print $1, $2 }' | paste -s -d ' ' -)" \
    "1 ed._domainkey.example.com. 1 rsa._domainkey.example.com." \
    "each key fetched once for five signatures over three messages"
: >"$T/queries"
dkim-verify --time $LATER -r "$FAKE" -P 4 "$S" >"$T/out" 2>&1
eq "$(sort "$T/queries" | uniq -c | awk '{ print $1, $2 }' | paste -s -d ' ' -)" \
    "1 ed._domainkey.example.com. 1 rsa._domainkey.example.com." \
    "each key fetched once for $(ls "$S" | wc -l) messages, 4 threads"
sort "$T/out" >"$T/got"
sort "$T/via-dns" >"$T/want"
same "$T/want" "$T/got" "4 threads: the same results as nsd gave"
# the AD bit, kept when the resolver trusts it (RES_OPTIONS=trust-ad)
run env RES_OPTIONS=trust-ad dkim-verify -j --time $NOW -r "$FAKE" \
    "$F/good.eml"
has '"key":\{"type":"rsa","bits":2048,"dnssec":true\}' "$T/out" \
    "AD bit, trust-ad: -j says dnssec true"
run env RES_OPTIONS=trust-ad dkim-verify -v --time $NOW -r "$FAKE" \
    "$F/good.eml"
has 'signature 1: rsa key, 2048 bits, DNSSEC-secure$' "$T/err" \
    "AD bit, trust-ad: -v says DNSSEC-secure"
if ! grep -q trust-ad /etc/resolv.conf 2>/dev/null; then
	run env -u RES_OPTIONS dkim-verify -j --time $NOW -r "$FAKE" \
	    "$F/good.eml"
	has '"dnssec":false' "$T/out" "AD bit without trust-ad: not trusted"
fi
# no answer at all: a timeout, after --timeout seconds
sed 's/s=rsa;/s=drop;/' "$F/good.eml" >"$T/drop.eml"
s=$(date +%s)
expect 75 "no answer: exit 75" dvf "$T/drop.eml"
e=$(($(date +%s) - s))
has '^dkim=temperror \(DNS timeout\) header\.d=example\.com header\.s=drop ' \
    "$T/out" "no answer: temperror (DNS timeout)"
[ $e -ge 1 ] && [ $e -le 4 ] && pass "no answer: --timeout 1 --tries 1 ($e s)" ||
    fail "no answer" "took $e s"
filter_fails 64 "--timeout 31" dkim-verify --timeout 31 -r "$FAKE" "$F/good.eml"
filter_fails 64 "--tries 6" dkim-verify --tries 6 -r "$FAKE" "$F/good.eml"
t_done

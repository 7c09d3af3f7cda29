#!/bin/sh
# DNS for real: keys made by dkim-keygen, their records printed by it and
# served by nsd on 127.0.0.1, checked with dkim-record -q.  Also what goes
# wrong: another key, revoked, NXDOMAIN, NODATA, SERVFAIL, a stopped
# server, a server that never answers.  Everything stays on loopback and
# every server is stopped at exit, whatever happens.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/shell/dns-lib.sh"

K=$TD/keys
BH_PID=
stop_all() {
	nsd_stop "$T"
	[ -z "$BH_PID" ] || kill "$BH_PID" 2>/dev/null
}
at_exit stop_all

q() { dkim-record -q -r "$NSD_ADDR" "$@"; }

# --- keys and the zone, as an operator makes them ---
dkim-keygen -o "$T/rsa.pem" -d example.com -s rsa >"$T/zone" &&
dkim-keygen -t ed25519 -o "$T/ed.pem" -d example.com -s ed >>"$T/zone" &&
dkim-keygen -b 4096 -o "$T/big.pem" -d example.com -s big >>"$T/zone" &&
dkim-record -d example.com -s other "$K/rsa2048.pem" >>"$T/zone"
eq "$?" 0 "keys made, records printed"
eq "$(grep '^big\.' "$T/zone" | grep -o '" "' | wc -l)" 3 \
    "RSA-4096: the record is four strings"
ED=$(dkim-record -F value -d x -s x "$K/ed25519.pem" | sed 's/.*p=//')
{
	cat "$T/zone"
	echo 'rev._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p="'
	echo 'nodata._domainkey.example.com. IN A 192.0.2.1'
	echo 'cn._domainkey.example.com. IN CNAME ed._domainkey.example.com.'
	echo "two._domainkey.example.com. IN TXT \"v=DKIM1; k=ed25519; p=$ED\""
	dkim-record -d example.com -s two "$K/rsa2048.pem"
	printf '%s\n' 'nul._domainkey.example.com. IN TXT "v=DKIM1;\000 p="'
	for i in 1 2 3 4 5 6 7 8 9; do
		echo "many._domainkey.example.com. IN TXT \"v=DKIM1; n=$i; p=\""
	done
} | nsd_add "$T"
nsd_servfail "$T" sf.example.com
if ! nsd_start "$T" 2>"$T/nsd.err"; then
	fail "nsd_start" "$(cat "$T/nsd.err")"
	t_done
	exit 1
fi

# --- round trips ---
expect 0 "RSA: published key matches" q -d example.com -s rsa -k "$T/rsa.pem"
has '^match +yes' "$T/out" "RSA: match yes"
has '^key +rsa, 2048 bits' "$T/out" "RSA: 2048 bits"
has "^source +DNS \\($NSD_ADDR\\), AD bit not set" "$T/out" \
    "the server is named, AD bit not set"
has '^result +usable' "$T/out" "RSA: usable"
expect 0 "Ed25519: published key matches" q -d example.com -s ed \
    -k "$T/ed.pem"
has '^key +ed25519' "$T/out" "Ed25519 key"
expect 0 "RSA-4096 (over 512 bytes: TCP) matches" q -d example.com -s big \
    -k "$T/big.pem"
has '^key +rsa, 4096 bits' "$T/out" "RSA-4096: 4096 bits"
expect 0 "a public key file for -k" q -d example.com -s other \
    -k "$K/rsa2048.pub.pem"
expect 0 "without -k: usable" q -d example.com -s ed
hasnt '^match' "$T/out" "without -k no match line"
expect 0 "through a CNAME" q -d example.com -s cn -k "$T/ed.pem"

# --- unusable, no key, other key ---
expect 1 "another key" q -d example.com -s other -k "$T/rsa.pem"
has '^match +no' "$T/out" "match no"
has '^result +another key' "$T/out" "result: another key"
expect 1 "revoked" q -d example.com -s rev
has '^error +the key is revoked' "$T/out" "revoked reported"
filter_fails 1 "NXDOMAIN" q -d example.com -s nothing -k "$T/rsa.pem"
has 'nothing._domainkey.example.com: no key' "$T/err" "NXDOMAIN: no key"
filter_fails 1 "no TXT at the name (NODATA)" q -d example.com -s nodata
filter_fails 1 "a NUL byte in the only record" q -d example.com -s nul
has 'NUL byte' "$T/err" "the NUL byte is named"
expect 0 "two records at the name" q -d example.com -s two
has '^warning +2 TXT records' "$T/out" "two records warned"
expect 1 "two records, only one the key" q -d example.com -s two \
    -k "$K/rsa2048.pem"
expect 1 "nine records at the name" q -d example.com -s many
has '^error +1 more TXT records not shown' "$T/out" "over eight counted"

# --- temporary failures: exit 75 ---
filter_fails 75 "SERVFAIL" q -d sf.example.com -s sel
has 'temporary DNS failure' "$T/err" "SERVFAIL: temporary, not a timeout"
filter_fails 75 "IPv6 -r, nothing listening there" dkim-record -q \
    -r "[::1]:$NSD_PORT" -d example.com -s rsa
filter_fails 64 "-r a host name" dkim-record -q -r localhost -d example.com \
    -s rsa
filter_fails 64 "-r port 0" dkim-record -q -r 127.0.0.1:0 -d example.com \
    -s rsa
filter_fails 64 "-r [::1 unclosed" dkim-record -q -r '[::1' -d example.com \
    -s rsa
filter_fails 64 "--timeout 0" q --timeout 0 -d example.com -s rsa
filter_fails 64 "--tries 6" q --tries 6 -d example.com -s rsa

# a server that never answers: a bound UDP socket nobody reads
$PY -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
time.sleep(30)' "$T/bh.port" &
BH_PID=$!
i=0
while [ ! -s "$T/bh.port" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
filter_fails 75 "no answer: timeout" dkim-record -q -d example.com -s rsa \
    -r "127.0.0.1:$(cat "$T/bh.port")" --timeout 1 --tries 1
has 'DNS timeout' "$T/err" "reported as a timeout"
kill "$BH_PID" 2>/dev/null
BH_PID=

# --- another implementation reads our records: dkimpy ---
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n' \
    >"$T/msg"
for k in rsa ed; do
	"$PEERS/dkimpy-sign" -d example.com -s $k -k "$T/$k.pem" <"$T/msg" \
	    >"$T/signed" 2>"$T/err" &&
	    run "$PEERS/dkimpy-verify" --dns "$NSD_ADDR" <"$T/signed"
	eq "$(cat "$T/out" 2>/dev/null)" pass "dkimpy verifies with our $k record"
done

# --- the key rotation of dkim-keygen(1), EXAMPLES ---
export TZ=UTC
now=1800000000	# January 2027
sel=$(date -d "@$now" +k%Y%m)
dkim-keygen -t ed25519 -o "$T/$sel.pem" -d example.com -s 'k%Y%m' \
    --now $now >"$T/new.zone" 2>"$T/err"
eq "$?:$sel" "0:k202701" "rotation: a key with a dated selector"
expect 1 "rotation: not published yet, do not switch" \
    q -d example.com -s "$sel" -k "$T/$sel.pem"
old=$NSD_ADDR
nsd_stop "$T"
filter_fails 75 "a stopped server: temporary" dkim-record -q -r "$old" \
    -d example.com -s rsa
nsd_add "$T" "$T/new.zone"
if nsd_start "$T" 2>"$T/nsd.err"; then
	expect 0 "rotation: published, switch" q -d example.com -s "$sel" \
	    -k "$T/$sel.pem"
else
	fail "nsd restart" "$(cat "$T/nsd.err")"
fi
t_done

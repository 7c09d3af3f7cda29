#!/bin/sh
# Key rotation for real: examples/rotate-dkim-key, run as its cron line
# says, with a fake clock, against knot (an authoritative server taking
# TSIG-signed RFC 2136 updates) on 127.0.0.1.  Two rotations, and after
# each step what dig and dkim-record -q see, where active.pem points, and
# which mail signed before and after each switch still verifies.  Then
# what goes wrong: the server down, an update without the TSIG key or
# with a wrong one, a key not seen in time, a second run at once, usage.
# knot is stopped at exit, whatever happens.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/shell/dns-lib.sh"

ROT=$TOP/examples/rotate-dkim-key
PATH=$TOP/examples:$PATH
stop_knot() { knot_stop "$T"; }
at_exit stop_knot
export TZ=UTC
DAY=86400
T0=1800000000		# 2027-01-15 08:00 UTC
A=k20270115		# day 0
B=k20270415		# day 90 (--every: 90 by default)
C=k20270714		# day 180

if ! knot_start "$T" example.com tsig 2>"$T/knot.err"; then
	fail "knot_start" "$(cat "$T/knot.err")"
	t_done
	exit 1
fi
TSIG=$T/knot/tsig.key
KD=$T/dkim
mkdir -m 700 "$KD"

# --- the commands of the script's header (and of the README) ---
CRON=$(sed -n 's/^#	17 3 \* \* \*  root  //p' "$ROT")
case $CRON in
'rotate-dkim-key -d example.com -D /etc/dkim '*) pass "the header's cron line" ;;
*) fail "the header's cron line" "not found: $CRON" ;;
esac
# run as written, with this test's directory, TSIG key and server
ROTATE=$(printf '%s\n' "$CRON" | sed -e 's#/etc/dkim/tsig.key#"$TSIG"#g' \
    -e 's#/etc/dkim#"$KD"#g' -e 's#192\.0\.2\.1#"$KNOT_ADDR"#g')
rotate() { eval "$ROTATE"' --wait 5 --now "$now" "$@"'; }
# the signer's two lines: the key and its selector from one readlink
SIGNER=$(sed -n '/^#	key=\$(readlink/,/^#	dkim-sign /s/^#	//p' "$ROT" |
    sed 's#/etc/dkim#"$KD"#g')
eq "$(printf '%s\n' "$SIGNER" | wc -l)" 2 "the header's signer lines"
sign() {	# sign FILE: a message signed as the header says, at $now
	printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: %s\r\n\r\nhello\r\n' \
	    "$1" | eval "$SIGNER"' -t "$now"' >"$T/$1.eml"
}

day() { now=$((T0 + $1 * DAY)); }
dg() { dig @127.0.0.1 -p "$KNOT_PORT" +time=2 +tries=1 "$@"; }
txt() { dg +short TXT "$1._domainkey.example.com"; }
status() {
	dg +noall +comments TXT "$1._domainkey.example.com" |
	    sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}
serial() { dg +short SOA example.com | cut -d ' ' -f 3; }
# the key directory: names, link, states, keys
snap() {
	(cd "$KD" && LC_ALL=C ls -A && readlink active.pem && cat ./*.state &&
	    cksum ./*.pem) 2>&1
}
# the record dkim-record makes for SELECTOR's key file, as dig shows it
record() {
	dkim-record -d example.com -s "$1" "$KD/$1.pem" | sed 's/^[^"]*//'
}
q() { dkim-record -q -r "$KNOT_ADDR" -d example.com "$@"; }
verify() { dkim-verify -r "$KNOT_ADDR" --time "$now" "$@"; }

# published SEL: its key is served, and is the one in KEYDIR/SEL.pem
published() {
	eq "$(txt "$1")" "$(record "$1")" "day $d: dig: $1 published"
	expect 0 "day $d: dkim-record -q -k: $1 is this key" q -s "$1" \
	    -k "$KD/$1.pem"
}
revoked() {
	eq "$(txt "$1")" '"v=DKIM1; " "p="' "day $d: dig: $1 revoked, p= empty"
	expect 1 "day $d: dkim-record -q: $1 unusable" q -s "$1"
	has '^error +the key is revoked' "$T/out" "day $d: $1 reported revoked"
}
deleted() {
	eq "$(txt "$1"):$(status "$1")" ":NXDOMAIN" "day $d: dig: $1 gone"
	filter_fails 1 "day $d: dkim-record -q: $1 no key" q -s "$1"
	[ ! -e "$KD/$1.pem" ]
	eq "$?" 0 "day $d: $KD/$1.pem removed"
	eq "$(tail -n 1 "$KD/$1.state")" "deleted=$now" "day $d: $1 deleted"
}
active() {
	eq "$(readlink "$KD/active.pem")" "$1.pem" "day $d: active.pem -> $1.pem"
}
# nothing due: no output, the directory and the zone as they were
idle() {
	d=$1
	day "$d"
	snap >"$T/snap.before"
	s=$(serial)
	expect 0 "day $d: nothing due" rotate
	eq "$(cat "$T/out" "$T/err")" "" "day $d: nothing said"
	snap >"$T/snap.after"
	same "$T/snap.before" "$T/snap.after" "day $d: key directory unchanged"
	eq "$(serial)" "$s" "day $d: zone unchanged (serial $s)"
}
# passes FILE...: each verifies; fails FILE...: none does
passes() {
	expect 0 "day $d: $* verify" verify "$@"
	eq "$(grep -c 'dkim=pass ' "$T/out")" $# "day $d: $# dkim=pass"
}
fails() {
	expect 1 "day $d: $* fail" verify "$@"
	eq "$(grep -c 'dkim=pass' "$T/out")" 0 "day $d: no dkim=pass"
}

# --- day 0: the first key ---
d=0
day 0
eq "$(serial)" 1 "day 0: the zone as seeded"
expect 0 "day 0: the first key" rotate
eq "$(cat "$T/out")" "$A: new rsa key, published via $KNOT_ADDR
$A: seen at $KNOT_ADDR; active" "day 0: what it says"
eq "$(cat "$T/err")" "" "day 0: nothing on stderr"
active "$A"
published "$A"
eq "$(stat -c %a "$KD/$A.pem")" 600 "day 0: the key is mode 0600"
eq "$(tr '\n' ' ' <"$KD/$A.state")" \
    "created=$now published=$now active=$now " "day 0: its state"
eq "$(LC_ALL=C ls -A "$KD" | tr '\n' ' ')" ".lock active.pem $A.pem $A.state " \
    "day 0: nothing else in the key directory"
sign m0
has "s=$A;" "$T/m0.eml" "day 0: signed with $A"
passes "$T/m0.eml"
printf 'From: a@example.com\r\n\r\nhi\r\n' |
    dkim-sign -d example.com -s "$A" -k "$KD/active.pem" -t "$now" \
    >"$T/m0link.eml"
passes "$T/m0link.eml"

idle 0
idle 89
expect 0 "day 89: dry run" rotate -n
eq "$(cat "$T/out")" "$A: active, the next key is due 2027-04-15 08:00 UTC" \
    "day 89: dry run: when the next key is due"

# --- day 90: the first rotation ---
d=90
day 90
expect 0 "day 90: rotation" rotate
eq "$(cat "$T/out")" "$B: new rsa key, published via $KNOT_ADDR
$B: seen at $KNOT_ADDR; active, was $A
$A: retired, stays published for 7 days" "day 90: what it says"
active "$B"
published "$B"
published "$A"
sign m90
has "s=$B;" "$T/m90.eml" "day 90: signed with $B"
passes "$T/m0.eml" "$T/m90.eml"
idle 90
idle 96

# --- day 97: past the grace, the old key revoked ---
d=97
day 97
expect 0 "day 97: revocation" rotate
eq "$(cat "$T/out")" "$A: revoked (empty p=), deleted in 30 days" \
    "day 97: what it says"
revoked "$A"
published "$B"
active "$B"
fails "$T/m0.eml"
has 'revoked' "$T/out" "day 97: m0: the key is revoked"
passes "$T/m90.eml"
eq "$(ls "$KD/$A.pem")" "$KD/$A.pem" "day 97: the revoked key is kept"
idle 126

# --- day 127: past --revoked-for, the old key deleted ---
d=127
day 127
expect 0 "day 127: deletion" rotate
eq "$(cat "$T/out")" "$A: deleted from DNS, $KD/$A.pem removed" \
    "day 127: what it says"
deleted "$A"
published "$B"
fails "$T/m0.eml"
passes "$T/m90.eml"
idle 127

# --- day 180, what goes wrong first ---
d=180
day 180
snap >"$T/snap.0"
s=$(serial)

# a dry run
expect 0 "dry run" rotate -n
has "^would make a new rsa key $KD/$C.pem\$" "$T/out" "dry run: the new key"
has "^	update add $C._domainkey.example.com. 86400 IN TXT \"v=DKIM1; k=rsa; \" \"p=" \
    "$T/out" "dry run: the update it would send"
has "^would switch $KD/active.pem to $C.pem once it is seen\$" "$T/out" \
    "dry run: the switch"
snap >"$T/snap.1"
same "$T/snap.0" "$T/snap.1" "dry run: key directory unchanged"
eq "$(serial)" "$s" "dry run: zone unchanged"

# the server down
knot_stop "$T"
filter_fails 75 "server down: exit 75" rotate
has "^rotate-dkim-key: $C: not published, $B stays active: DNS update via $KNOT_ADDR: " \
    "$T/err" "server down: one line, the old key stays"
snap >"$T/snap.1"
same "$T/snap.0" "$T/snap.1" "server down: key directory unchanged"
if knot_start "$T" example.com tsig 2>"$T/knot.err"; then
	pass "knot restarted"
else
	fail "knot restarted" "$(cat "$T/knot.err")"
fi
eq "$(serial)" "$s" "restarted: the zone as the updates left it"
published "$B"

# updates without the TSIG key, with a wrong one: refused
filter_fails 78 "no TSIG key: refused" rotate-dkim-key -d example.com \
    -D "$KD" -S "$KNOT_ADDR" -r "$KNOT_ADDR" --now "$now"
has ": update failed: NOTAUTH$" "$T/err" "no TSIG key: NOTAUTH"
sed 's/secret "[^"]*"/secret "c2VjcmV0LCBidXQgbm90IHRoZSBvbmU="/' "$TSIG" \
    >"$T/wrong.key"
filter_fails 78 "wrong TSIG key: refused" rotate-dkim-key -d example.com \
    -D "$KD" -S "$KNOT_ADDR" -k "$T/wrong.key" -r "$KNOT_ADDR" --now "$now"
has ": update failed: NOTAUTH\(BADSIG\)$" "$T/err" "wrong TSIG key: BADSIG"
snap >"$T/snap.1"
same "$T/snap.0" "$T/snap.1" "refused: key directory unchanged"
eq "$(serial)" "$s" "refused: zone unchanged"
eq "$(status "$C")" NXDOMAIN "refused: $C not in DNS"

# another run at the same time
if command -v flock >/dev/null 2>&1; then
	exec 8>>"$KD/.lock"
	flock 8
else
	mkdir "$KD/.lock.d" && echo $$ >"$KD/.lock.d/pid"
fi
filter_fails 75 "locked: exit 75" rotate
has "another run holds $KD/\.lock" "$T/err" "locked: says why"
exec 8>&-
rm -rf "$KD/.lock.d"
snap >"$T/snap.1"
same "$T/snap.0" "$T/snap.1" "locked: key directory unchanged"

# published, but not seen where it must be: not switched
expect 75 "not seen: exit 75" rotate -r 127.0.0.1:1 --wait 1
eq "$(wc -l <"$T/err")" 1 "not seen: one line on stderr"
has "^rotate-dkim-key: $C: published, not seen after 1 s \(127\.0\.0\.1:1: .*\); $B stays active, the next run checks again\$" \
    "$T/err" "not seen: says so"
eq "$(cat "$T/out")" "$C: new rsa key, published via $KNOT_ADDR" \
    "not seen: what it says"
active "$B"
published "$C"
eq "$(tail -n 1 "$KD/$C.state")" "published=$now" "not seen: $C pending"
sign m180b
has "s=$B;" "$T/m180b.eml" "not seen: mail is signed with $B"

# --- the next run carries on: the second rotation ---
HOOK_OUT=$T/hook
export HOOK_OUT
s=$(serial)
expect 0 "day 180: the pending key switched" rotate \
    -x 'printf "%s %s %s\n" "$DKIM_DOMAIN" "$DKIM_SELECTOR" "$DKIM_KEY" >"$HOOK_OUT"'
eq "$(cat "$T/out")" "$C: seen at $KNOT_ADDR; active, was $B
$B: retired, stays published for 7 days" "day 180: what it says"
eq "$(serial)" "$s" "day 180: not published again"
eq "$(cat "$T/hook" 2>&1)" "example.com $C $KD/$C.pem" \
    "day 180: -x ran with the new key"
active "$C"
published "$C"
published "$B"
sign m180
has "s=$C;" "$T/m180.eml" "day 180: signed with $C"
passes "$T/m90.eml" "$T/m180b.eml" "$T/m180.eml"
idle 180
idle 186

d=187
day 187
expect 0 "day 187: revocation" rotate
eq "$(cat "$T/out")" "$B: revoked (empty p=), deleted in 30 days" \
    "day 187: what it says"
revoked "$B"
published "$C"
fails "$T/m90.eml" "$T/m180b.eml"
passes "$T/m180.eml"

d=217
day 217
expect 0 "day 217: deletion" rotate
eq "$(cat "$T/out")" "$B: deleted from DNS, $KD/$B.pem removed" \
    "day 217: what it says"
deleted "$B"
eq "$(status "$A")" NXDOMAIN "day 217: $A still gone"
published "$C"
active "$C"
passes "$T/m180.eml"
idle 217
eq "$(LC_ALL=C ls -A "$KD" | tr '\n' ' ')" \
    ".lock active.pem $A.state $B.state $C.pem $C.state " \
    "day 217: one key left, the states of the others"
expect 0 "-l: the keys and their phases" rotate-dkim-key -D "$KD" -l
eq "$(cat "$T/out")" "$A            deleted   2027-05-22 08:00 UTC
$B            deleted   2027-08-20 08:00 UTC
$C            active    2027-07-14 08:00 UTC" "-l: what it lists"
eq "$(ls -d "$KD"/.rotate.* "$KD"/.active* 2>/dev/null)" "" \
    "no temporary files left"

# a selector already used: a fixed -s
filter_fails 78 "a selector in use" rotate -s "$C" --every 1 --now \
    $((T0 + 218 * DAY))
has "^rotate-dkim-key: $C: selector already used " "$T/err" \
    "says the selector is in use"

# --- an IPv6 server, in a dry run in an empty directory ---
mkdir "$T/v6"
expect 0 "-S [::1]:5353, dry run" rotate-dkim-key -d example.com -D "$T/v6" \
    -S '[::1]:5353' -t ed25519 -n --now "$T0"
has '^would send to \[::1\]:5353:$' "$T/out" "dry run: the server named"
has '^	server ::1 5353$' "$T/out" "-S [addr]:port: nsupdate's server line"
has "^	update add $A._domainkey.example.com. 86400 IN TXT \"v=DKIM1; k=ed25519; \" \"p=" \
    "$T/out" "-t ed25519: an Ed25519 key"
eq "$(ls -A "$T/v6")" "" "dry run: nothing made"

# --- a key made by hand is adopted ---
mkdir -m 700 "$T/hand"
dkim-keygen -t ed25519 -o "$T/hand/mail.pem" >/dev/null &&
ln -s mail.pem "$T/hand/active.pem"
expect 0 "a hand-made key adopted" rotate-dkim-key -d example.com \
    -D "$T/hand" -S 127.0.0.1:1 --now "$T0"
eq "$(cat "$T/out")" "mail: adopted as the active key" "adopted: says so"
eq "$(cat "$T/hand/mail.state")" "active=$T0" "adopted: active since now"

# --- the key directory is not as it must be ---
mkdir "$T/bad"
: >"$T/bad/active.pem"
filter_fails 78 "active.pem a plain file" rotate-dkim-key -d example.com \
    -D "$T/bad" -S "$KNOT_ADDR"
ln -s /etc/passwd "$T/bad/elsewhere.pem"
mv "$T/bad/elsewhere.pem" "$T/bad/active.pem"
filter_fails 78 "active.pem links out of the directory" rotate-dkim-key \
    -d example.com -D "$T/bad" -S "$KNOT_ADDR"
mkdir "$T/old"
dkim-keygen -o "$T/old/k1.pem" >/dev/null
printf 'created=1\npublished=1\nactive=1\nretired=2\n' >"$T/old/k1.state"
ln -s k1.pem "$T/old/active.pem"
filter_fails 78 "active.pem links to a retired key" rotate-dkim-key \
    -d example.com -D "$T/old" -S "$KNOT_ADDR" --now "$T0"
has 'links to k1, retired$' "$T/err" "says the key is retired"
filter_fails 78 "no key directory" rotate-dkim-key -d example.com \
    -D "$T/none" -S "$KNOT_ADDR"
filter_fails 78 "an unreadable TSIG key" rotate-dkim-key -d example.com \
    -D "$KD" -S "$KNOT_ADDR" -k "$T/none.key"

# --- usage ---
expect 0 "--help" rotate-dkim-key --help
has '^usage: rotate-dkim-key -d domain -D keydir ' "$T/out" "--help: usage"
for o in -d -D -s -t -b -S -z -k -r --ttl --every --grace --revoked-for \
    --wait --now -x -n -l; do
	has "^  $o " "$T/out" "--help lists $o"
done
filter_fails 64 "no arguments" rotate-dkim-key
filter_fails 64 "no -D" rotate-dkim-key -d example.com
filter_fails 64 "--every 0" rotate-dkim-key -d example.com -D "$KD" --every 0
filter_fails 64 "--grace x" rotate-dkim-key -d example.com -D "$KD" --grace x
filter_fails 64 "-t dsa" rotate-dkim-key -d example.com -D "$KD" -t dsa
filter_fails 64 "an unknown option" rotate-dkim-key -d example.com -D "$KD" -q
filter_fails 64 "-S port 0" rotate-dkim-key -d example.com -D "$KD" \
    -S 127.0.0.1:0
filter_fails 64 "--ttl over the grace" rotate-dkim-key -d example.com \
    -D "$KD" --ttl 700000
filter_fails 64 "-d without its argument" rotate-dkim-key -D "$KD" -d

if command -v shellcheck >/dev/null 2>&1; then
	expect 0 "shellcheck" shellcheck "$ROT"
fi
t_done

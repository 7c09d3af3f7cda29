#!/bin/sh
# examples/procmailrc and examples/maildroprc, run as shipped by the real
# procmail and maildrop in a temporary home (and again as an ordinary
# user when we are root): mail signed, tampered with, unsigned,
# malformed, or carrying forged Authentication-Results lands where the
# recipes say, byte for byte; the signing half hands sendmail a message
# that verifies.  Keys come from a key table, never DNS: the dkim-verify
# the recipes find first on their path adds -K.
. "$(dirname "$0")/lib.sh"

ID=mx.example.net
EX=$TOP/examples
KT=$T/keys.zone

# --- keys: Ed25519 for the mail we receive, RSA for the mail we send ---
mkdir "$T/keys"
for d in example.com paypal.com evil.example; do
	dkim-keygen -t ed25519 -o "$T/keys/$d.pem" -d $d -s sel >>"$KT" ||
	    fail "dkim-keygen $d" "exit $?"
done
dkim-keygen -b 2048 -o "$T/keys/m2026.pem" -d example.com -s m2026 >>"$KT" ||
    fail "dkim-keygen m2026.pem" "exit $?"
# keys as rotate-dkim-key leaves them: active.pem links to SELECTOR.pem
keydir() {	# DIR: make DIR with the outgoing key, active.pem linking to it
	mkdir "$1"
	cp "$T/keys/m2026.pem" "$1/m2026.pem"
	ln -s m2026.pem "$1/active.pem"
	chmod 700 "$1"
	[ -z "$u" ] || chown -R "$u" "$1"
}

# W: what the recipes run.  dkim-verify takes keys from the table;
# dkim-sign is the real one.  F: a dkim-verify that cannot set up DNS.
W=$T/bin
F=$T/bin75
mkdir "$W" "$F"
cat >"$W/dkim-verify" <<EOF
#!/bin/sh
exec "$BIN/dkim-verify" -K "$KT" "\$@"
EOF
ln -s "$BIN/dkim-sign" "$W/dkim-sign"
cat >"$F/dkim-verify" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "dkim-verify: resolver: cannot set up" >&2
exit 75
EOF
# a sendmail that keeps its arguments and the message beside it
cat >"$T/sendmail" <<'EOF'
#!/bin/sh
d=$(dirname "$0")
printf '%s\n' "$@" >"$d/sent.args"
cat >"$d/sent.eml"
EOF
chmod 755 "$W/dkim-verify" "$F/dkim-verify" "$T/sendmail"

# --- messages, as an MTA hands them over: LF line ends ---
M=$T/msg
mkdir "$M"
msg() {		# FROM SUBJECT [HEADER...]: a message on stdout
	_f=$1 _s=$2
	shift 2
	printf 'From: %s\nTo: bob@example.net\nSubject: %s\n' "$_f" "$_s"
	printf 'Date: Mon, 1 Jan 2024 00:00:00 +0000\n'
	printf 'Message-ID: <%s@example.net>\n' "$_s"
	for _h in "$@"; do printf '%s\n' "$_h"; done
	printf '\nHello Bob,\n\nthe invoice is attached.\n-- \nAlice\n'
}
sign() {	# DOMAIN [dkim-sign options]: stdin signed by DOMAIN's key
	_d=$1
	shift
	dkim-sign -T -d "$_d" -s sel -k "$T/keys/$_d.pem" "$@"
}
tamper() { sed 's/the invoice/the new invoice/'; }

msg 'Alice <alice@example.com>' good | sign example.com >"$M/good.eml"
tamper <"$M/good.eml" >"$M/tampered.eml"
msg 'bob@example.org' unsigned >"$M/unsigned.eml"
msg 'PayPal <service@paypal.com>' pp-good | sign paypal.com >"$M/pp-good.eml"
msg 'PayPal <service@mail.paypal.com>' pp-sub | sign paypal.com \
    >"$M/pp-sub.eml"
tamper <"$M/pp-good.eml" >"$M/pp-tampered.eml"
msg 'service@paypal.com' pp-unsigned >"$M/pp-unsigned.eml"
# forged fields claiming our authserv-id, one folded as ours are
msg 'PayPal <service@paypal.com>' pp-forged \
    "Authentication-Results: $ID;
	dkim=pass header.d=paypal.com header.s=sel header.a=ed25519-sha256" \
    "Authentication-Results: (ours) MX.Example.NET; dkim=pass" \
    >"$M/pp-forged.eml"
# a signature of evil.example whose i= puts a whole resinfo into our
# field: as a quoted-string, and as an RFC 2047 word (which maildrop
# decodes, tab and all, before it matches a pattern)
msg 'PayPal <service@paypal.com>' pp-inject-quoted | sign evil.example \
    -i '"x; dkim=pass header.d=paypal.com header.s=sel x"@evil.example' \
    >"$M/pp-inject-quoted.eml"
w2047='=?us-ascii?Q?=09dkim=3Dpass_header.d=3Dpaypal.com_header.s=3Dsel?='
msg 'PayPal <service@paypal.com>' pp-inject-2047 | sign evil.example \
    -i "$w2047@evil.example" >"$M/pp-inject-2047.eml"
# a pass with a test-mode key (t=y) counts, as for dkim-verify --require
msg 'PayPal <service@paypal.com>' pp-testing |
    dkim-sign -T -d paypal.com -s testing -k "$T/keys/paypal.com.pem" \
    >"$M/pp-testing.eml"
dkim-record -t y -d paypal.com -s testing "$T/keys/paypal.com.pem" >>"$KT"
# a header line without a colon: dkim-verify exits 65
msg 'bob@example.org' malformed | sed 's/^To: /To /' >"$M/malformed.eml"
sed 's/^To: /To /' "$M/pp-forged.eml" >"$M/malformed-forged.eml"
# with an mbox From line of its own
{ echo 'From bounce@example.com Mon Jan  1 00:00:00 2024'
  cat "$M/good.eml"; } >"$M/from-line.eml"
for f in good pp-good pp-sub pp-inject-quoted pp-inject-2047; do
	dkim-verify -K "$KT" "$M/$f.eml" >"$T/res"
	has '^dkim=pass ' "$T/res" "test message $f: signature passes"
done
dkim-verify -K "$KT" "$M/pp-testing.eml" >"$T/res"
has '^dkim=pass \(key in test mode\) header\.d=paypal\.com ' "$T/res" \
    "test message pp-testing: a pass in test mode"
run dkim-verify -A $ID -K "$KT" "$M/malformed.eml"
eq "$rc" 65 "test message malformed: dkim-verify exits 65"

# expected MSG: what a recipe that adds our field delivers, in $T/want
expected() {
	"$W/dkim-verify" -A $ID "$1" >"$T/want" ||
	    fail "expected $1" "dkim-verify -A exit $?"
}
# the message without its first header field (a new DKIM-Signature)
drop_first_field() { awk 'NR > 1 && (b || !/^[ \t]/) { b = 1; print }' "$1"; }


# ---------------------------------------------------------------- procmail
# pm ARGS...: run procmail on stdin; the mailboxes $D/inbox and
# $D/quarantine start empty; exit status in $rc.  (A mailbox written in
# the second it was made costs a second: procmail waits for its clock
# to move, so that mail readers see new mail.  Old empty files do not.)
pm() {
	for _b in inbox quarantine log; do
		: >"$D/$_b"
		touch -d 2000-01-01 "$D/$_b"
	done
	(cd "$D" && as_user "$u" procmail "$@") >"$T/out" 2>"$T/err"
	rc=$?
}
pm_in() {	# MSG [-f SENDER]: deliver MSG with the example file
	_m=$1
	shift
	pm "$@" PATH="$W:/usr/bin:/bin" MAILDIR="$D" DEFAULT="$D/inbox" \
	    LOGFILE="$D/log" "$D/procmailrc" <"$_m"
}
# mbox_is FILE DESC: FILE holds $T/want as one mbox message: after
# procmail's own From line for alice@example.com, and ending in the
# empty line that separates messages
mbox_is() {
	_l=$(head -n 1 "$1")
	case $_l in
	"From alice@example.com "*) pass "$2: procmail's From line" ;;
	*) fail "$2: procmail's From line" "line 1: $_l" ;;
	esac
	{ printf '%s\n' "$_l"; cat "$T/want"; echo; } >"$T/want.mbox"
	same "$T/want.mbox" "$1" "$2: the message, byte for byte"
}
empty() {	# FILE DESC
	eq "$(wc -c <"$1")" 0 "$2"
}

procmail_tests() {	# USER (empty: ourselves)
	u=$1
	w=${u:-self}
	D=$T/pm-$w
	mkdir -p "$D"
	cp "$EX/procmailrc" "$D/procmailrc"
	chmod 644 "$D/procmailrc"
	: >"$D/inbox"
	: >"$D/quarantine"
	: >"$D/log"
	[ -n "$u" ] && chown -R "$u" "$D"

	for f in good tampered unsigned pp-good pp-sub; do
		pm_in "$M/$f.eml" -f alice@example.com
		eq "$rc" 0 "procmail ($w), $f: exit 0"
		expected "$M/$f.eml"
		mbox_is "$D/inbox" "procmail ($w), $f: in the inbox"
		empty "$D/quarantine" "procmail ($w), $f: not quarantined"
		case $f in
		good) r='	dkim=pass header\.d=example\.com header\.s=sel ' ;;
		tampered) r='	dkim=fail \(body hash mismatch\) header\.d=' ;;
		unsigned) r="Authentication-Results: $ID; dkim=none\$" ;;
		*) r= ;;
		esac
		[ -z "$r" ] || has "^$r" "$D/inbox" "procmail ($w), $f: the result"
	done
	for f in pp-tampered pp-unsigned pp-testing pp-forged pp-inject-quoted \
	    pp-inject-2047; do
		pm_in "$M/$f.eml" -f alice@example.com
		eq "$rc" 0 "procmail ($w), $f: exit 0"
		expected "$M/$f.eml"
		mbox_is "$D/quarantine" "procmail ($w), $f: quarantined"
		empty "$D/inbox" "procmail ($w), $f: not in the inbox"
		[ $f = pp-tampered ] && has \
		    '^	dkim=fail \(body hash mismatch\) header\.d=paypal\.com ' \
		    "$D/quarantine" "procmail ($w), pp-tampered: dkim=fail"
	done
	# the forged fields are gone, ours says none
	pm_in "$M/pp-forged.eml" -f alice@example.com
	eq "$(grep -ci '^Authentication-Results:' "$D/quarantine")" 1 \
	    "procmail ($w), pp-forged: one field for $ID left"
	has "^Authentication-Results: $ID; dkim=none\$" "$D/quarantine" \
	    "procmail ($w), pp-forged: ours, dkim=none"

	# our field's line ends and the From line the message came with
	pm_in "$M/from-line.eml"
	eq "$rc" 0 "procmail ($w), own From line: exit 0"
	expected "$M/from-line.eml"
	echo >>"$T/want"
	same "$T/want" "$D/inbox" \
	    "procmail ($w), own From line: kept first, the rest exact"

	# dkim-verify fails: the message goes on as it came
	pm_in "$M/malformed.eml" -f alice@example.com
	eq "$rc" 0 "procmail ($w), malformed: exit 0"
	cp "$M/malformed.eml" "$T/want"
	mbox_is "$D/inbox" "procmail ($w), malformed: unchanged, in the inbox"
	has 'Program failure \(65\) of "dkim-verify"' "$D/log" \
	    "procmail ($w), malformed: the exit 65 logged"
	pm_in "$M/malformed-forged.eml" -f alice@example.com
	cp "$M/malformed-forged.eml" "$T/want"
	mbox_is "$D/quarantine" \
	    "procmail ($w), malformed with a field naming us: quarantined"
	# no resolver: exit 75 (the MTA tries again), nothing delivered
	pm PATH="$F:/usr/bin:/bin" MAILDIR="$D" DEFAULT="$D/inbox" \
	    LOGFILE="$D/log" "$D/procmailrc" <"$M/good.eml"
	eq "$rc" 75 "procmail ($w), dkim-verify exits 75: procmail exits 75"
	empty "$D/inbox" "procmail ($w), exit 75: nothing in the inbox"
	empty "$D/quarantine" "procmail ($w), exit 75: nothing quarantined"

	# the README's shortest recipe
	cat >"$D/short-procmailrc" <<'EOF'
:0 fw
| dkim-verify -A mx.example.net
EOF
	[ -n "$u" ] && chown "$u" "$D/short-procmailrc"
	pm -f alice@example.com PATH="$W:/usr/bin:/bin" DEFAULT="$D/inbox" \
	    "$D/short-procmailrc" <"$M/tampered.eml"
	eq "$rc" 0 "procmail ($w), shortest recipe: exit 0"
	expected "$M/tampered.eml"
	mbox_is "$D/inbox" "procmail ($w), shortest recipe: the field added"

	# the README's way: included from a ~/.procmailrc
	cat >"$D/dot-procmailrc" <<EOF
PATH=$W:/usr/bin:/bin
MAILDIR=$D
DEFAULT=$D/inbox
INCLUDERC=$D/procmailrc
EOF
	[ -n "$u" ] && chown "$u" "$D/dot-procmailrc"
	pm -f alice@example.com "$D/dot-procmailrc" <"$M/pp-tampered.eml"
	eq "$rc" 0 "procmail ($w), INCLUDERC: exit 0"
	expected "$M/pp-tampered.eml"
	mbox_is "$D/quarantine" "procmail ($w), INCLUDERC: quarantined"
	rm "$D/dot-procmailrc"

	# --- outgoing: procmail -m as sendmail ---
	keydir "$D/dkim"
	key=$D/dkim/active.pem
	psign() {	# MSG KEY ARGS...: run the sign mode, sendmail in $D
		_m=$1 _k=$2
		shift 2
		rm -f "$D/sent.args" "$D/sent.eml"
		cp "$T/sendmail" "$D/sendmail"
		pm -m DKIM_MODE=sign PATH="$W:/usr/bin:/bin" \
		    SENDMAIL="$D/sendmail" DKIM_KEY="$_k" LOGFILE="$D/log" \
		    "$D/procmailrc" "$@" <"$_m"
	}
	msg 'Alice <alice@example.com>' outgoing >"$T/out.eml"
	psign "$T/out.eml" "$key" -f alice@example.com -- bob@example.net \
	    carol@example.org
	eq "$rc" 0 "procmail ($w) sign: exit 0"
	printf '%s\n' -oi -f alice@example.com -- bob@example.net \
	    carol@example.org >"$T/want"
	same "$T/want" "$D/sent.args" "procmail ($w) sign: sendmail's arguments"
	run dkim-verify -K "$KT" --require example.com "$D/sent.eml"
	eq "$rc" 0 "procmail ($w) sign: the message verifies"
	has '^dkim=pass header\.d=example\.com header\.s=m2026 header\.a=rsa-' \
	    "$T/out" "procmail ($w) sign: d=example.com, s= from the link, RSA"
	drop_first_field "$D/sent.eml" >"$T/got"
	head -c 17 "$D/sent.eml" >"$T/got1"
	eq "$(cat "$T/got1")" "DKIM-Signature: v" \
	    "procmail ($w) sign: the signature first, no From line"
	same "$T/out.eml" "$T/got" "procmail ($w) sign: the rest unchanged"
	msg 'carol@example.org' other-domain >"$T/other.eml"
	psign "$T/other.eml" "$key" -f carol@example.org -- bob@example.net
	eq "$rc" 0 "procmail ($w) sign, From: another domain: exit 0"
	same "$T/other.eml" "$D/sent.eml" \
	    "procmail ($w) sign, From: another domain: sent unsigned"
	pm -m DKIM_MODE=sign PATH="$W:/usr/bin:/bin" SENDMAIL=/bin/false \
	    DKIM_KEY="$key" LOGFILE="$D/log" "$D/procmailrc" \
	    -f alice@example.com -- bob@example.net <"$T/out.eml"
	eq "$rc" 75 "procmail ($w) sign, sendmail fails: exit 75"
	empty "$D/inbox" "procmail ($w) sign, sendmail fails: nothing delivered"
	psign "$T/out.eml" "$D/no-such.pem" -f alice@example.com -- bob@ex.net
	eq "$rc" 75 "procmail ($w) sign, no key: exit 75"
	[ -e "$D/sent.eml" ] && fail "procmail ($w) sign, no key" "sent" ||
	    pass "procmail ($w) sign, no key: nothing sent"
	# (dkim-sign reads the key first, so procmail may log the exit 66
	# or the pipe it closed)
	has 'dkim-sign: .*/no-such\.pem: No such file' "$D/log" \
	    "procmail ($w) sign, no key: dkim-sign's error logged"
	has 'Rescue of unfiltered data succeeded' "$D/log" \
	    "procmail ($w) sign, no key: the unsigned message kept"
}

# ---------------------------------------------------------------- maildrop
# md MSG: deliver MSG with $D/mailfilter, which includes the example
# file; Maildir/ is the inbox and Maildir/.Quarantine/ the quarantine
md() {
	rm -f "$D"/Maildir/new/* "$D"/Maildir/.Quarantine/new/*
	(cd "$D" && as_user "$u" maildrop "$D/mailfilter") <"$1" \
	    >"$T/out" 2>"$T/err"
	rc=$?
}
# in_maildir DIR DESC: DIR/new holds exactly $T/want
in_maildir() {
	set -- "$1"/new/* "$2"
	if [ $# -ne 2 ] || [ ! -f "$1" ]; then
		fail "$2" "not one message in the Maildir: $(ls "${1%/*}")"
		return
	fi
	same "$T/want" "$1" "$2, byte for byte"
}
maildir_empty() {	# DIR DESC
	eq "$(ls "$1/new")" "" "$2"
}

maildrop_tests() {	# USER (empty: ourselves)
	u=$1
	w=${u:-self}
	D=$T/md-$w
	mkdir -p "$D"/Maildir/new "$D"/Maildir/cur "$D"/Maildir/tmp \
	    "$D"/Maildir/.Quarantine/new "$D"/Maildir/.Quarantine/cur \
	    "$D"/Maildir/.Quarantine/tmp
	cp "$EX/maildroprc" "$D/maildroprc"
	# the README's way: included from a ~/.mailfilter, settings first
	cat >"$D/mailfilter" <<EOF
DKIM_BIN="$W"
QUARANTINE="$D/Maildir/.Quarantine/"
include "$D/maildroprc"
to "$D/Maildir/"
EOF
	chmod 600 "$D/mailfilter" "$D/maildroprc"
	[ -n "$u" ] && chown -R "$u" "$D"
	I=$D/Maildir
	Q=$D/Maildir/.Quarantine

	for f in good tampered unsigned pp-good pp-sub; do
		md "$M/$f.eml"
		eq "$rc" 0 "maildrop ($w), $f: exit 0"
		expected "$M/$f.eml"
		in_maildir "$I" "maildrop ($w), $f: in the inbox"
		maildir_empty "$Q" "maildrop ($w), $f: not quarantined"
	done
	for f in pp-tampered pp-unsigned pp-testing pp-forged pp-inject-quoted \
	    pp-inject-2047; do
		md "$M/$f.eml"
		eq "$rc" 0 "maildrop ($w), $f: exit 0"
		expected "$M/$f.eml"
		in_maildir "$Q" "maildrop ($w), $f: quarantined"
		maildir_empty "$I" "maildrop ($w), $f: not in the inbox"
	done
	md "$M/malformed.eml"
	eq "$rc" 0 "maildrop ($w), malformed: exit 0"
	cp "$M/malformed.eml" "$T/want"
	in_maildir "$I" "maildrop ($w), malformed: unchanged, in the inbox"
	md "$M/malformed-forged.eml"
	cp "$M/malformed-forged.eml" "$T/want"
	in_maildir "$Q" "maildrop ($w), malformed, a field naming us: quarantined"
	maildir_empty "$I" "maildrop ($w), malformed-forged: not in the inbox"
	sed "s|^DKIM_BIN=.*|DKIM_BIN=\"$F\"|" "$D/mailfilter" >"$D/mf75"
	chmod 600 "$D/mf75"
	[ -n "$u" ] && chown "$u" "$D/mf75"
	(cd "$D" && as_user "$u" maildrop "$D/mf75") <"$M/good.eml" \
	    >"$T/out" 2>"$T/err"
	eq "$?" 75 "maildrop ($w), dkim-verify exits 75: maildrop exits 75"
	maildir_empty "$I" "maildrop ($w), exit 75: nothing delivered"

	# --- outgoing: maildrop -f SENDER FILE RECIPIENT ---
	keydir "$D/dkim"
	key=$D/dkim/active.pem
	cp "$T/sendmail" "$D/sendmail"
	cat >"$D/sign" <<EOF
SENDMAIL="$D/sendmail -oi"
DKIM_BIN="$W"
DKIM_KEY="$key"
include "$D/maildroprc"
EOF
	chmod 600 "$D/sign"
	[ -n "$u" ] && chown "$u" "$D/sign"
	msign() {	# MSG ARGS...
		_m=$1
		shift
		rm -f "$D/sent.args" "$D/sent.eml"
		(cd "$D" && as_user "$u" env DKIM_MODE=sign maildrop "$@") \
		    <"$_m" >"$T/out" 2>"$T/err"
		rc=$?
	}
	msign "$T/out.eml" -f alice@example.com "$D/sign" bob@example.net
	eq "$rc" 0 "maildrop ($w) sign: exit 0"
	printf '%s\n' -oi -f alice@example.com -- bob@example.net >"$T/want"
	same "$T/want" "$D/sent.args" "maildrop ($w) sign: sendmail's arguments"
	run dkim-verify -K "$KT" --require example.com "$D/sent.eml"
	eq "$rc" 0 "maildrop ($w) sign: the message verifies"
	has '^dkim=pass header\.d=example\.com header\.s=m2026 header\.a=rsa-' \
	    "$T/out" "maildrop ($w) sign: d=example.com, s= from the link, RSA"
	drop_first_field "$D/sent.eml" >"$T/got"
	same "$T/out.eml" "$T/got" "maildrop ($w) sign: the rest unchanged"
	msign "$T/other.eml" -f carol@example.org "$D/sign" bob@example.net
	eq "$rc" 0 "maildrop ($w) sign, From: another domain: exit 0"
	same "$T/other.eml" "$D/sent.eml" \
	    "maildrop ($w) sign, From: another domain: sent unsigned"
	msign "$T/out.eml" -f alice@example.com "$D/sign" bob@example.net \
	    carol@example.org
	eq "$rc" 75 "maildrop ($w) sign, two recipients: exit 75"
	[ -e "$D/sent.eml" ] && fail "maildrop ($w) sign, two recipients" \
	    "sent" || pass "maildrop ($w) sign, two recipients: nothing sent"
	rm "$D/dkim/m2026.pem"
	msign "$T/out.eml" -f alice@example.com "$D/sign" bob@example.net
	eq "$rc" 75 "maildrop ($w) sign, no key: exit 75"
	[ -e "$D/sent.eml" ] && fail "maildrop ($w) sign, no key" "sent" ||
	    pass "maildrop ($w) sign, no key: nothing sent"
}

if ! command -v procmail >/dev/null 2>&1; then
	fail "procmail" "not installed (tests/setup.sh installs it)"
elif ! command -v maildrop >/dev/null 2>&1; then
	fail "maildrop" "not installed (tests/setup.sh installs it)"
else
	procmail_tests ""
	maildrop_tests ""
	# as root, also as an ordinary user: the delivery agents drop
	# privileges and check their files' owners then
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
	    id nobody >/dev/null 2>&1; then
		chmod 711 "$T"
		chmod 755 "$W" "$F"
		chmod 644 "$KT"
		procmail_tests nobody
		maildrop_tests nobody
	fi
fi

# --- the README's pipelines, as written: sendmail keeps what it gets,
# and the last dkim-verify is the one that reads $KT, not DNS ---
P=$T/pipe
mkdir "$P"
cp "$T/sendmail" "$P/sendmail"
msg 'Alice <alice@example.com>' report >"$P/message.eml"
cp "$M/good.eml" "$P/incoming.eml"
(
	cd "$P" || exit 1
	dkim-keygen -o mail.pem -d example.com -s mail >mail.zone
	dkim-sign -d example.com -s mail -k mail.pem message.eml | dkim-verify -K mail.zone >check
	echo "$?" >check.rc
	PATH=$P:$PATH
	dkim-sign -d example.com -s mail -k mail.pem message.eml >signed.eml &&
	    sendmail -oi -t <signed.eml
	PATH=$W:$PATH
	dkim-verify -A mx.example.net <incoming.eml >checked.eml
	echo "$?" >checked.rc
) >"$T/out" 2>"$T/err"
eq "$(cat "$T/out" "$T/err")" "" "pipeline: nothing on stdout or stderr"
eq "$(cat "$P/check.rc")" 0 "pipeline: sign and check, exit 0"
has '^dkim=pass header\.d=example\.com header\.s=mail header\.a=rsa-sha256 ' \
    "$P/check" "pipeline: sign and check: dkim=pass"
printf '%s\n' -oi -t >"$T/want"
same "$T/want" "$P/sent.args" "pipeline: sendmail -oi -t ran"
same "$P/signed.eml" "$P/sent.eml" "pipeline: sendmail got the signed message"
run dkim-verify -K "$P/mail.zone" "$P/sent.eml"
eq "$rc" 0 "pipeline: what was sent verifies"
eq "$(cat "$P/checked.rc")" 0 "pipeline: dkim-verify -A, exit 0"
expected "$M/good.eml"
same "$T/want" "$P/checked.eml" "pipeline: dkim-verify -A added the field"

# maildrop's patterns see RFC 2047 words decoded, in any field, even in
# an address: an i= of "=?us-ascii?Q?=09dkim=3Dpass_header.d=3D...?=@..."
# would decode into a fake result line.  dkim-verify writes the '=' of
# "=?" in header.i as '?', so the pattern is not fooled; examples/
# maildroprc still decides with dkim-verify --require, which no text in
# the message can influence.
if command -v maildrop >/dev/null 2>&1; then
	D=$T/md-quirk
	mkdir "$D"
	cat >"$D/rc" <<'EOF'
if (/^Authentication-Results:.*\tdkim=pass header\.d=paypal\.com header\./)
	echo "fooled"
exit
EOF
	chmod 600 "$D/rc"
	expected "$M/pp-inject-2047.eml"
	has 'header\.i=\?\?us-ascii\?Q\?=09dkim=3Dpass' "$T/want" \
	    "maildrop: the field holds the word, its '=?' made '??'"
	(cd "$D" && maildrop ./rc) <"$T/want" >"$T/out" 2>&1
	eq "$(cat "$T/out")" "" \
	    "maildrop: an RFC 2047 word in i= cannot fake a result line"
fi
t_done

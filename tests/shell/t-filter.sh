#!/bin/sh
# dkim-verify -A: the message goes out byte for byte, with one
# Authentication-Results field added at the top (after an mbox From line);
# fields claiming our authserv-id are removed (RFC 8601 section 5), others
# kept; nothing from the message can inject header syntax; exit 0 whenever
# the message was written.  Then procmail and maildrop really run it.
. "$(dirname "$0")/lib.sh"

F=$TD/verify
K=$F/keys.zone
NOW=1700000000
ID=mx.example.net
fv() { dkim-verify --time $NOW -K "$K" -A $ID "$@"; }

# archeck IN OUT DESC [mda]: OUT is IN with one Authentication-Results
# field for $ID inserted at the top, after IN's mbox From line if it has
# one; the field is left in $T/ar.  With "mda", OUT may also start with a
# From line of its own and end in one more LF (an mbox postmark and
# separator written by the delivery agent).  archeck_list FILE does the
# same for each "IN<TAB>OUT<TAB>DESC<TAB>[mda]" line of FILE, in one run.
archeck() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >"$T/checks"
	archeck_list "$T/checks"
}
archeck_list() {
	$PY - "$1" "$T/ar" "$ID" >"$T/verdicts" 2>&1 <<'EOF'
import sys
lst, arf, ident = sys.argv[1:4]

def check(src, dst, mda):
    i = open(src, "rb").read()
    o = open(dst, "rb").read()
    if mda and o.startswith(b"From ") and not i.startswith(b"From "):
        o = o[o.index(b"\n") + 1:]
    pre = b""
    if i.startswith(b"From "):
        pre = i[:i.index(b"\n") + 1]
    if not o.startswith(pre):
        return "the mbox From line is not first"
    p = len(pre)
    head = b"Authentication-Results: " + ident.encode() + b";"
    if not o.startswith(head, p):
        return "no Authentication-Results for %s at the top" % ident
    e = p
    while True:
        e = o.index(b"\n", e) + 1
        if e >= len(o) or o[e:e + 1] not in (b" ", b"\t"):
            break
    open(arf, "wb").write(o[p:e])
    rest = o[e:]
    if rest == i[p:] or (mda and rest == i[p:] + b"\n"):
        return None
    n = next((k for k in range(min(len(rest), len(i) - p))
              if rest[k] != i[p + k]), None)
    return "the rest differs from the input at byte %s (%d vs %d bytes)" % (
        n, len(rest), len(i) - p)

for line in open(lst):
    src, dst, desc, mda = line.rstrip("\n").split("\t")
    why = check(src, dst, mda)
    print(("FAIL\t%s\t%s" % (desc, why)) if why else ("ok\t" + desc))
EOF
	while IFS='	' read -r v d why; do
		case $v in
		ok) pass "$d" ;;
		FAIL) fail "$d" "$why" ;;
		*) fail "archeck" "$v $d $why" ;;
		esac
	done <"$T/verdicts"
}

# --- exact output ---
expect 0 "good: exit 0" fv "$F/good.eml"
{ printf 'Authentication-Results: %s;\r\n\t' $ID
  dkim-verify --time $NOW -K "$K" "$F/good.eml" | tr -d '\n'
  printf '\r\n'
  cat "$F/good.eml"; } >"$T/want"
same "$T/want" "$T/out" "good: the field, then the message, exactly"
eq "$(wc -c <"$T/err")" 0 "good: nothing on stderr"
expect 0 "three signatures" fv "$F/three.eml"
dkim-verify --time $NOW -K "$K" "$F/three.eml" >"$T/lines"
{ printf 'Authentication-Results: %s;' $ID
  sep=
  while IFS= read -r l; do
	printf '%s\r\n\t%s' "$sep" "$l"
	sep=';'
  done <"$T/lines"
  printf '\r\n'
  cat "$F/three.eml"; } >"$T/want"
same "$T/want" "$T/out" "three signatures: one resinfo a line, ';' between"
expect 0 "unsigned: exit 0 (not 2)" fv "$F/unsigned.eml"
head -n 1 "$T/out" >"$T/got"
printf 'Authentication-Results: %s; dkim=none\r\n' $ID >"$T/want"
same "$T/want" "$T/got" "unsigned: dkim=none"
for f in sel-revoked.eml sha1.eml sel-missing.eml; do
	expect 0 "$f: exit 0 whatever the result" fv "$F/$f"
	archeck "$F/$f" "$T/out" "$f: the message whole"
done
edit_body() { sed 's/Hello Bob/Hello Eve/' "$1"; }
edit_body "$F/good.eml" >"$T/m.eml"
expect 0 "failing signature: exit 0" fv "$T/m.eml"
has '^	dkim=fail \(body hash mismatch\) header\.d=example\.com ' "$T/out" \
    "failing signature: reported"
expect 0 "-v: exit 0" fv -v "$T/m.eml"
archeck "$T/m.eml" "$T/out" "-v: stdout is still the message"
has 'signature 1: body hash: computed ' "$T/err" "-v: the explanation on stderr"

# --- byte for byte, every test message, each line-end convention ---
: >"$T/checks"
k=0
for f in "$TD"/msg/*.eml "$TD"/msg/three.mbox "$F"/*.eml; do
	n=${f#"$TD"/}
	k=$((k + 1))
	expect 0 "$n: exit 0" fv "$f" || continue
	mv "$T/out" "$T/out.$k"
	printf '%s\t%s\t%s\t\n' "$f" "$T/out.$k" \
	    "$n: unchanged but for the field" >>"$T/checks"
done
archeck_list "$T/checks"
rm -f "$T"/out.*
# the field's line ends follow the message's first line
fv "$TD/msg/lf-basic.eml" >"$T/out"
archeck "$TD/msg/lf-basic.eml" "$T/out" "LF message"
eq "$(od -An -c "$T/ar" | tr -d ' \n')" \
    "$(printf 'Authentication-Results: %s; dkim=none\n' $ID |
    od -An -c | tr -d ' \n')" "LF message: the field ends in LF"
fv "$TD/msg/mbox-from.eml" >"$T/out"
head -n 1 "$T/out" >"$T/got"
head -n 1 "$TD/msg/mbox-from.eml" >"$T/want"
same "$T/want" "$T/got" "mbox From line: still the first line"
sed -n 2p "$T/out" | grep -q "^Authentication-Results: $ID; dkim=none" &&
    pass "mbox From line: the field right after it" ||
    fail "mbox From line" "line 2: $(sed -n 2p "$T/out" | brief /dev/stdin)"
# input that cannot be read twice: the body is spooled (in $TMPDIR)
mkdir "$T/tmp"
a=$TD/msg/attachment.eml
expect 0 "a 4 MB message from a file" fv "$a"
mv "$T/out" "$T/file.out"
expect 0 "the same from a pipe" sh -c 'cat "$1" | TMPDIR="$2" "$3" -A '$ID' \
    -K "$4"' sh "$a" "$T/tmp" "$BIN/dkim-verify" "$K"
same "$T/file.out" "$T/out" "pipe and file: the same bytes"
archeck "$a" "$T/out" "4 MB message from a pipe: unchanged"
eq "$(ls -A "$T/tmp")" "" "the spool file is gone"
expect 0 "signed message from a pipe" sh -c 'cat "$1" | "$2" -A '$ID' \
    --time '$NOW' -K "$3"' sh "$F/three.eml" "$BIN/dkim-verify" "$K"
archeck "$F/three.eml" "$T/out" "signed message from a pipe: unchanged"
has '^	dkim=pass header\.d=example\.com header\.s=ed ' "$T/out" \
    "signed message from a pipe: verified"

# --- Authentication-Results already there (RFC 8601 section 5) ---
sig_end=$(awk '/^From:/ { print NR - 1; exit }' "$F/good.eml")
{ head -n "$sig_end" "$F/good.eml"
  printf 'Authentication-Results: %s; dkim=pass header.d=paypal.com\r\n' $ID
  printf 'Authentication-Results: other.example.org; dkim=pass\r\n'
  printf 'Authentication-Results: MX.Example.NET; spf=pass\r\n'
  printf 'Authentication-Results:\r\n\t%s;\r\n\tdkim=pass header.d=bank.example\r\n' $ID
  printf 'Authentication-Results: (forged) %s (really); dkim=pass\r\n' $ID
  printf 'Authentication-Results: "%s"; dkim=pass\r\n' $ID
  printf 'Authentication-Results : %s 1; dkim=pass\r\n' $ID
  printf 'Authentication-Results: %s.evil.example; dkim=pass\r\n' $ID
  printf 'Authentication-Results: x%s; dkim=pass\r\n' $ID
  printf 'X-Authentication-Results: %s; dkim=pass\r\n' $ID
  printf 'Authentication-Results: %s\r\n' other.example.org
  tail -n +$((sig_end + 1)) "$F/good.eml"; } >"$T/forged.eml"
expect 0 "forged fields: exit 0" fv "$T/forged.eml"
{ printf 'Authentication-Results: %s;\r\n\t' $ID
  dkim-verify --time $NOW -K "$K" "$F/good.eml" | tr -d '\n'
  printf '\r\n'
  head -n "$sig_end" "$F/good.eml"
  printf 'Authentication-Results: other.example.org; dkim=pass\r\n'
  printf 'Authentication-Results: %s.evil.example; dkim=pass\r\n' $ID
  printf 'Authentication-Results: x%s; dkim=pass\r\n' $ID
  printf 'X-Authentication-Results: %s; dkim=pass\r\n' $ID
  printf 'Authentication-Results: %s\r\n' other.example.org
  tail -n +$((sig_end + 1)) "$F/good.eml"; } >"$T/want"
same "$T/want" "$T/out" \
    "ours removed (any case, folded, comments, quoted, version), others kept"
has '^	dkim=pass header\.d=example\.com ' "$T/out" \
    "unsigned fields added: still pass"

# --- nothing from the message becomes header syntax ---
expect 0 "i= with CR LF and a forged field in it: exit 0" fv "$F/inject.eml"
archeck "$F/inject.eml" "$T/out" "i= injection: the message whole"
eq "$(wc -l <"$T/ar")" 2 "i= injection: the field is two lines"
eq "$(grep -c '^Authentication-Results:' "$T/out")" 1 \
    "i= injection: one Authentication-Results field in the output"
has '^	dkim=pass header\.d=example\.com header\.i=x\?\?Authentication-Results\?\?mx\.example\.net\?\?dkim=pass\?\?@example\.com header\.s=rsa ' \
    "$T/ar" "i= injection: CR LF, space, ':', ';' and quote as ?"

# --- errors: nothing on stdout, one line on stderr ---
printf 'From: a@example.com\r\nno colon here\r\n\r\nbody\r\n' >"$T/bad.eml"
filter_fails 65 "malformed message: exit 65" fv "$T/bad.eml"
filter_fails 65 "malformed message on stdin: exit 65" fv <"$T/bad.eml"
filter_fails 66 "no such file" fv "$T/none.eml"
filter_fails 66 "a directory" fv "$F"
filter_fails 64 "two files" fv "$F/good.eml" "$F/good.eml"
filter_fails 64 "with -j" fv -j "$F/good.eml"
filter_fails 64 "with -0" fv -0 </dev/null
filter_fails 64 "authserv-id with a semicolon" \
    dkim-verify -A "$ID;dkim=pass" -K "$K" "$F/good.eml"
if [ -w /dev/full ]; then
	fv "$F/good.eml" >/dev/full 2>"$T/err"
	eq "$?" 74 "stdout full: exit 74"
fi
( fv "$a" 2>"$T/err"; echo $? >"$T/rc" ) | head -c 10 >/dev/null
eq "$(cat "$T/rc")" 74 "stdout closed early: exit 74"

# --- procmail: a :0 fw recipe, the message delivered to $T ---
# In procmailrc a failing filter ("Program failure") leaves the message
# as it was; :0 fw waits for the filter and uses its output.
procmail_run() {	# DIR MESSAGE: deliver with DIR/rc, as the caller
	cat >"$1/rc" <<EOF
SHELL=/bin/sh
PATH=$BIN:/usr/bin:/bin
MAILDIR=$1
DEFAULT=$1/mbox
LOGFILE=$1/log
:0 fw
| dkim-verify -A $ID -K $K --time $NOW
EOF
	chmod 644 "$1/rc"
}
maildrop_rc() {		# DIR
	cat >"$1/mailfilter" <<EOF
SHELL="/bin/sh"
xfilter "$BIN/dkim-verify -A $ID -K $K --time $NOW"
to "$1/Maildir/"
EOF
	chmod 600 "$1/mailfilter"
	mkdir -p "$1/Maildir/new" "$1/Maildir/cur" "$1/Maildir/tmp"
}
mda_tests() {		# USER (empty: ourselves)
	u=$1
	w=${u:-self}
	D=$T/mda-$w
	mkdir -p "$D"
	procmail_run "$D"
	maildrop_rc "$D"
	[ -n "$u" ] && chown -R "$u" "$D"
	if command -v procmail >/dev/null 2>&1; then
		(cd "$D" && as_user "$u" procmail "$D/rc") <"$F/good.eml" \
		    >"$T/out" 2>"$T/err"
		eq "$?" 0 "procmail ($w): exit 0"
		archeck "$F/good.eml" "$D/mbox" \
		    "procmail ($w): delivered with the field" mda
		has '^	dkim=pass header\.d=example\.com ' "$T/ar" \
		    "procmail ($w): dkim=pass"
		rm -f "$D/mbox"
		(cd "$D" && as_user "$u" procmail "$D/rc") <"$T/bad.eml" \
		    >"$T/out" 2>"$T/err"
		eq "$?" 0 "procmail ($w), malformed message: exit 0"
		{ cat "$T/bad.eml"; echo; } >"$T/want"
		same "$T/want" "$D/mbox" \
		    "procmail ($w): filter failed, the original delivered"
		has 'Program failure \(65\) of "dkim-verify"' "$D/log" \
		    "procmail ($w): logs the filter's exit 65"
	else
		fail "procmail" "not installed"
	fi
	if command -v maildrop >/dev/null 2>&1; then
		(cd "$D" && as_user "$u" maildrop "$D/mailfilter") \
		    <"$F/three.eml" >"$T/out" 2>"$T/err"
		eq "$?" 0 "maildrop ($w): exit 0"
		set -- "$D"/Maildir/new/*
		eq "$#" 1 "maildrop ($w): one message in Maildir/new"
		archeck "$F/three.eml" "$1" \
		    "maildrop ($w): delivered with the field, byte for byte"
		eq "$(grep -c '^	dkim=pass' "$T/ar")" 3 \
		    "maildrop ($w): three passes"
		rm -f "$D"/Maildir/new/*
		(cd "$D" && as_user "$u" maildrop "$D/mailfilter") \
		    <"$T/bad.eml" >"$T/out" 2>"$T/err"
		eq "$?" 75 "maildrop ($w): filter failed: exit 75 (deferred)"
		eq "$(ls "$D/Maildir/new")" "" "maildrop ($w): nothing delivered"
	else
		fail "maildrop" "not installed"
	fi
}
mda_tests ""
# as root, also as an ordinary user: the delivery agents drop privileges
# and read their rc files differently then
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
    id nobody >/dev/null 2>&1; then
	chmod 711 "$T"
	mda_tests nobody
fi
t_done

#!/bin/sh
# Hostile DKIM-Signature fields, checked offline (-K): each broken tag is
# a permerror with its own reason on the dkim= line (and in -j and -A),
# exit 1; and what the field carries (i= and z= decode to any byte) comes
# out escaped: no raw control byte on stdout or stderr, no second header
# field or line over 998 characters in the -A output.
. "$(dirname "$0")/lib.sh"

K=$TD/verify/keys.zone
KEY=$(private_copy "$TD/verify/keys/rsa2048.pem")
NOW=1700000000
ID=mx.example.net
dv() { dkim-verify --time $NOW -K "$K" "$@"; }

# a real signature to take b= and bh= from
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n' \
    >"$T/m"
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW -O '' -h from:to:subject \
    "$T/m" >"$T/signed"
tags=$($PY -c 'import re, sys
d = open(sys.argv[1], "rb").read().decode()
f = re.sub(r"\r\n[ \t]+", " ", d.split("\r\nFrom:")[0])
t = dict(x.strip().split("=", 1) for x in f.split(":", 1)[1].split(";"))
print(t["bh"], re.sub(r"\s", "", t["b"]))' "$T/signed")
BH=${tags% *}
B=${tags#* }
eq "${#BH}:${#B}" "44:344" "a signature to edit: bh= and b= taken"

# sig TAGS: $T/v is the message under a DKIM-Signature field whose value is
# TAGS, C-escaped (\r, \x1b ... become the bytes)
sig() {
	{ printf 'DKIM-Signature: '; unescape "$1"; printf '\r\n'; cat "$T/m"; } \
	    >"$T/v"
}
# std [TAG=VALUE...]: the tags of a plain signature, each TAG=VALUE given
# replacing that tag ("t=" alone removes it), others added before h=
std() {
	$PY -c 'import sys
tags = [("v", "1"), ("a", "rsa-sha256"), ("c", "relaxed/relaxed"),
        ("d", "example.com"), ("s", "rsa"), ("t", sys.argv[1]),
        ("h", "from:to:subject"), ("bh", sys.argv[2]), ("b", sys.argv[3])]
for a in sys.argv[4:]:
    k, v = a.split("=", 1)
    i = [n for n, _ in tags].index(k) if k in [n for n, _ in tags] else -1
    if i < 0:
        tags.insert(len(tags) - 3, (k, v))
    elif v == "" and k in ("v", "a", "b", "bh", "d", "h", "s", "t"):
        del tags[i]
    else:
        tags[i] = (k, v)
print("; ".join("%s=%s" % (k, "" if v == "@EMPTY@" else v) for k, v in tags))' \
	    "$NOW" "$BH" "$B" "$@"
}
# a value for std: the tag kept, with nothing after "="
E=@EMPTY@

# perm DESC REASON TAGS: permerror with this reason, exit 1, in the plain
# output, in -j and in the -A field
perm() {
	_d=$1 _r=$2
	sig "$3"
	run dv "$T/v"
	_l=$(head -n 1 "$T/out")
	case $rc:$_l in
	"1:dkim=permerror ($_r)"|"1:dkim=permerror ($_r) "*)
		pass "$_d" ;;
	*)	fail "$_d" "exit $rc, '$_l'; want exit 1, permerror ($_r)" ;;
	esac
	run dv -j "$T/v"
	eq "$rc:$($PY -c 'import json, sys
s = json.load(open(sys.argv[1]))["signatures"][0]
print(s["result"], s["reason"])' "$T/out" 2>&1)" "1:permerror $_r" "$_d: -j"
	run dv -A $ID "$T/v"
	_a=$(sed -n '2p' "$T/out" | tr -d '\r')
	case $rc:$_a in
	"0:	dkim=permerror ($_r)"*) pass "$_d: -A" ;;
	*)	fail "$_d: -A" "exit $rc, '$_a'" ;;
	esac
}

sig "$(std)"
expect 0 "the unedited field passes" dv "$T/v"

# --- the tag-list ---
perm "duplicate v=" "duplicate tag" "v=1; $(std)"
perm "duplicate d=" "duplicate tag" "$(std) ; d=example.com"
perm "duplicate b=" "duplicate tag" "$(std); b=$B"
perm "duplicate unknown tag" "duplicate tag" "$(std xq=1); xq=1"
perm "a tag without =" "tag-list syntax error" "$(std); novalue"
perm "a tag name with a digit first" "tag-list syntax error" "$(std); 1x=y"
perm "a tag name with -" "tag-list syntax error" "$(std x-y=1)"
perm "two semicolons at the end" "tag-list syntax error" "$(std);;"
perm "an empty field" "tag-list syntax error" ""
perm "no tag-list at all" "tag-list syntax error" "this is not a signature"
perm "a control byte in a value" "tag-list syntax error" \
    "$(std xq=a\\x1bb)"
perm "a bare CR in a value" "tag-list syntax error" \
    "$(std 'xq=a\rInjected: yes')"
perm "65 tags" "too many tags" "$(std $(seq -f 'x%g=1' 1 56))"

# --- each required tag missing ---
for t in v a b bh d h s; do
	perm "no $t=" "missing $t= tag" "$(std "$t=")"
done

# --- b= and bh= ---
perm "junk in b=" "b= is not valid base64" "$(std 'b=!!!junk***')"
perm "b= with junk after the base64" "b= is not valid base64" \
    "$(std "b=$B%%")"
perm "b= of one character" "b= is not valid base64" "$(std b=A)"
perm "b= with base64 after its padding" "b= is not valid base64" \
    "$(std "b=AA==$B")"
perm "b= with three padding characters" "b= is not valid base64" \
    "$(std "b=A===")"
perm "bh= with folding after its padding, then more" \
    "bh= is not a valid hash" "$(std "bh=$BH
	A")"
perm "b= empty" "b= is empty" "$(std "b=$E")"
perm "b= of 2048 bytes" "b= too long" \
    "$(std "b=$(head -c 2048 /dev/zero | base64 -w 0)")"
perm "bh= too short" "bh= has the wrong length for a=" \
    "$(std "bh=$(printf '%s' "$BH" | cut -c 1-40)")"
perm "bh= of 48 bytes" "bh= is not a valid hash" \
    "$(std "bh=$(head -c 48 /dev/zero | base64 -w 0)")"
perm "bh= of 20 bytes (SHA-1's)" "bh= has the wrong length for a=" \
    "$(std "bh=$(head -c 20 /dev/zero | base64 -w 0)")"
perm "bh= empty" "bh= has the wrong length for a=" "$(std "bh=$E")"
perm "junk in bh=" "bh= is not a valid hash" "$(std 'bh=!!!')"

# --- l=, t=, x= ---
perm "l= larger than the body" "l= is longer than the body" "$(std l=1000)"
perm "l= 2^64-1" "l= is longer than the body" \
    "$(std l=18446744073709551615)"
perm "l= 2^64: overflow" "l= out of range" "$(std l=18446744073709551616)"
perm "l= of 40 digits" "l= out of range" \
    "$(std l=9999999999999999999999999999999999999999)"
perm "l= negative" "l= is not a number" "$(std l=-1)"
perm "l= empty" "l= is not a number" "$(std "l=$E")"
perm "l= hexadecimal" "l= is not a number" "$(std l=0x10)"
perm "t= 2^64: overflow" "t= out of range" "$(std t=18446744073709551616)"
perm "t= of 30 digits" "t= out of range" \
    "$(std t=999999999999999999999999999999)"
perm "t= not a number" "t= is not a number" "$(std t=abc)"
perm "x= 2^64: overflow" "x= out of range" "$(std x=18446744073709551616)"
perm "x= of 30 digits" "x= out of range" \
    "$(std x=999999999999999999999999999999)"
perm "x= before t=" "x= is before t=" "$(std x=$((NOW - 1)))"

# --- a=, c=, q=, v= ---
perm "unknown a=" "unknown a= algorithm" "$(std a=rsa-sha512)"
perm "a= empty" "unknown a= algorithm" "$(std "a=$E")"
perm "unknown c= header part" "unknown c= canonicalization" \
    "$(std c=strict/relaxed)"
perm "unknown c= body part" "unknown c= canonicalization" \
    "$(std c=relaxed/strict)"
perm "c= of three parts" "unknown c= canonicalization" \
    "$(std c=relaxed/relaxed/simple)"
perm "c= empty" "unknown c= canonicalization" "$(std "c=$E")"
perm "unknown q=" "q= offers no dns/txt method" "$(std q=http/get)"
perm "q=dns without /txt" "q= offers no dns/txt method" "$(std q=dns)"
perm "v=2" "unsupported version (v= is not 1)" "$(std v=2)"
perm "v= empty" "unsupported version (v= is not 1)" "$(std "v=$E")"

# --- h= ---
perm "h= empty" "h= is not a list of field names" "$(std "h=$E")"
perm "h= only colons" "h= is not a list of field names" "$(std h=:::)"
perm "h= without From" "h= does not include From" "$(std h=to:subject)"
perm "h= of 300 names" "h= lists too many fields" \
    "$(std "h=from$(seq -f ':x%g' 1 299 | tr -d '\n')")"

# --- d=, s=, i= ---
perm "d= with a space" "d= is not a domain name" "$(std 'd=exa mple.com')"
perm "d= with an empty label" "d= is not a domain name" \
    "$(std d=example..com)"
perm "d= with hyphens at the ends" "d= is not a domain name" \
    "$(std d=-bad-.com)"
perm "d= an address literal" "d= is not a domain name" \
    "$(std 'd=[127.0.0.1]')"
perm "d= of 303 characters" "d= is not a domain name" \
    "$(std "d=$(printf 'a.%.0s' $(seq 150))com")"
perm "d= with a 64-character label" "d= is not a domain name" \
    "$(std "d=$(printf 'a%.0s' $(seq 64)).com")"
perm "d= empty" "d= is not a domain name" "$(std "d=$E")"
perm "s= with a space" "s= is not a valid selector" "$(std 's=a b')"
perm "s= with a slash" "s= is not a valid selector" "$(std s=../x)"
perm "s= empty" "s= is not a valid selector" "$(std "s=$E")"
perm "i= in another domain" "i= is not in the d= domain" \
    "$(std i=@example.org)"
perm "i= in a domain that ends like d=" "i= is not in the d= domain" \
    "$(std i=@xample.com)"
perm "i= in a parent of d=" "i= is not in the d= domain" "$(std i=@com)"
perm "i= without @" "i= is not in the d= domain" "$(std i=example.com)"
perm "i= empty" "i= is not a valid identity" "$(std "i=$E")"
perm "i= of 600 characters" "i= is not a valid identity" \
    "$(std "i=$(printf 'a%.0s' $(seq 600))@example.com")"

# --- what the field carries comes out escaped ---
# ctl FILE: the control bytes in FILE other than LF and TAB, counted
ctl() { tr -d '\n\t' <"$1" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c; }
# arfield: the -A output in $T/out: "<fields> <lines> <ctl> <longest>":
# Authentication-Results fields in the header, lines of ours, control
# bytes in ours other than its CR LF line ends and TABs, its longest line
arfield() {
	$PY -c 'import re, sys
o = open(sys.argv[1], "rb").read()
head = o.split(b"\r\n\r\n", 1)[0]
nar = len(re.findall(rb"(?im)^authentication-results:", head))
lines = o.split(b"\r\n")
n = 1
while lines[n][:1] in (b"\t", b" "):
    n += 1
ar = lines[:n]
bad = sum(1 for l in ar for c in l if c < 32 and c != 9 or c == 127)
print(nar, n, bad, max(len(l) for l in ar))' "$T/out"
}
# escaped DESC: the field in $T/v, through every output form
escaped() {
	_d=$1
	for o in plain -v -j; do
		case $o in plain) set -- ;; *) set -- $o ;; esac
		run dv "$@" "$T/v"
		eq "$(ctl "$T/out"):$(ctl "$T/err")" "0:0" \
		    "$_d: no control byte on stdout or stderr ($o)"
	done
	if $PY -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/out" \
	    2>/dev/null; then
		pass "$_d: -j is valid JSON"
	else
		fail "$_d: -j is valid JSON" "$(brief "$T/out")"
	fi
	run dv -A $ID "$T/v"
	_x=$(arfield)
	eq "$rc ${_x% *}" "0 1 2 0" \
	    "$_d: -A: one field of two lines, no control byte"
}
escaped_i() {
	sig "$(std "i=$2")"
	escaped "$1"
}
escaped_i "i= with ESC, CR LF and a field" \
    'a=1B[31m=0D=0AX-Injected:=20yes=07@example.com'
run dv "$T/v"
has ' header\.i=a\?\?31m\?\?X-Injected\?\?yes\?@example\.com ' \
    "$T/out" "i= with control bytes, '[', ':' and space: each shown as ?"
escaped_i "i= with DEL and 8-bit bytes" '=7F=C3=A9=FF@example.com'
# a NUL decoded in i= must not cut the identity short: the results name
# the whole value (escaped) or none, never another identity
escaped_i "i= with a NUL" '@paypal.com=00@example.com'
run dv -j "$T/v"
eq "$($PY -c 'import json, sys
i = json.load(open(sys.argv[1]))["signatures"][0]["i"]
print("ok" if i in (None, "@paypal.com\x00@example.com") else repr(i))' \
    "$T/out")" ok "i= with a NUL: -j gives the whole value or null"
run dv -A $ID "$T/v"
hasnt 'header\.i="?@paypal\.com"?( |;|.$)' "$T/out" \
    "i= with a NUL: -A does not name @paypal.com as the identity"
escaped_i "i= closing the quoted-string" \
    'a=22=3B=20dkim=3Dpass=20header.d=3Dpaypal.com=20=5C=22(@example.com'
sed -n 2p "$T/out" >"$T/ar2"
Q="[-A-Za-z0-9!#\$%&'*+/=?^_\`{|}~.]*@example\\.com"
has "^	dkim=fail \\(signature mismatch\\) header\\.d=example\\.com header\\.i=$Q \
header\\.s=rsa header\\.a=rsa-sha256 header\\.b=[A-Za-z0-9+/]{8}.\$" \
    "$T/ar2" "i= with quotes and a forged result: one atext word, no space"
# unknown tags: raw control bytes make no tag-list; quotes, backslashes
# and 8-bit bytes are fine, and -j must quote them
sig "$(std 'xq=a\x1b[31mb\x07')"
escaped "an unknown tag with ESC and BEL"
sig "$(std 'xq=a\rX-Injected: yes')"
escaped "an unknown tag with a bare CR"
sig "$(std 'xq=a"b\\c}\xc3\xa9\xff')"
escaped "an unknown tag with a quote, a backslash, 8-bit bytes"
run dv -j "$T/v"
eq "$($PY -c 'import json, sys
print(ascii(json.load(open(sys.argv[1]))["signatures"][0]["tags"]["xq"]))' \
    "$T/out" 2>&1)" "'a\"b\\\\c}\\xe9\\xff'" \
    "-j: the unknown tag as written, quote and backslash escaped"
# z= copies are decoded and shown by -v
sig "$(std 'z=From:=1B[31mevil=0D=0AX-Inj:=20y=07|Subject:=1B]0=3Btitle=07' \
    h=from:subject)"
escaped "z= with ESC, CR LF, BEL"
run dv -v "$T/v"
has 'From changed since signing: signed "\\033\[31mevil[^"]*X-Inj: y\\007",' \
    "$T/err" "-v shows z= control bytes as \\ooo"
# a quoted-string of 500 escaped quotes, folded in the message: the field
# we add must keep to RFC 5322's 998 characters a line too
sig "$(std "i=$($PY -c 'print("\r\n\t".join(["=22" * 25] * 20))')@example.com")"
m=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/v")
[ "$m" -le 998 ] && pass "500 quotes in i=, folded: input lines of $m or less" ||
    fail "500 quotes in i=, folded" "an input line of $m characters"
run dv -A $ID "$T/v"
set -- $(arfield)
if [ "$rc" = 0 ] && [ "$1" = 1 ] && [ "$4" -le 998 ]; then
	pass "i= of 500 quotes: -A lines stay within 998 characters"
else
	fail "i= of 500 quotes: -A lines stay within 998 characters" \
	    "exit $rc, $1 field(s), a line of $4 characters"
fi
t_done

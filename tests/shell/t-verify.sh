#!/bin/sh
# dkim-verify on the fixed messages and key table of testdata/verify/ (see
# its README), offline (-K): each check of RFC 6376 6.1 with its result,
# reason and exit status, the tags read as the RFC says, RFC 8301, the
# options, the output forms.  DNS is in t-verify-interop.sh, -A in
# t-filter.sh, the public vectors in t-vectors.sh.
. "$(dirname "$0")/lib.sh"

F=$TD/verify
K=$F/keys.zone
NOW=1700000000			# t= of every fixture
dv() { dkim-verify --time $NOW -K "$K" "$@"; }

# res FILE CODE WANT DESC [OPTION...]: exit CODE, and the results without
# their header.* properties, one per signature joined by "|", are WANT
res() {
	_f=$1 _c=$2 _w=$3 _d=$4
	shift 4
	run dv "$@" "$_f"
	_g=$(sed 's/ header\..*//' "$T/out" | paste -s -d '|' -)
	if [ "$rc" = "$_c" ] && [ "$_g" = "$_w" ]; then
		pass "$_d"
	else
		fail "$_d" "exit $rc, '$_g'; want exit $_c, '$_w'; $(brief "$T/err")"
	fi
}

# edit IN OUT STATEMENTS: OUT is IN after Python statements changed d
edit() {
	$PY -c 'import re, sys
d = open(sys.argv[1], "rb").read()
exec(sys.argv[3])
open(sys.argv[2], "wb").write(d)' "$1" "$2" "$3"
}

# jtrue DESC EXPR: the Python expression holds for j, the JSON in $T/out
jtrue() {
	if $PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/out" "$2" 2>"$T/jerr"; then
		pass "$1"
	else
		fail "$1" "not ($2): $(brief "$T/jerr") $(brief "$T/out")"
	fi
}

# the first 8 base64 characters of the top signature's b=
b8() {
	$PY -c 'import re, sys
d = open(sys.argv[1], "rb").read().decode("latin-1")
b = re.search(r"[;\s]b=([^;]*)", d).group(1)
print(re.sub(r"[^A-Za-z0-9+/]", "", b)[:8])' "$1"
}

# --- the fixtures are what gen-fixtures.py makes ---
mkdir "$T/regen"
if $PY "$F/gen-fixtures.py" "$T/regen" 2>"$T/err"; then
	n=0 bad=
	for f in "$T"/regen/*; do
		n=$((n + 1))
		cmp -s "$f" "$F/${f##*/}" || bad="$bad ${f##*/}"
	done
	eq "$n:$bad" "$(ls "$F"/*.eml "$F"/keys.zone | wc -l):" \
	    "gen-fixtures.py rewrites every fixture byte for byte"
else
	fail "gen-fixtures.py" "$(brief "$T/err")"
fi

# --- options: --help, the man page, usage errors ---
expect 0 "--help exits 0" dkim-verify --help
cp "$T/out" "$T/help"
for o in -0 -A -j -K -m -P -r -v --aligned --require --skew --time \
    --timeout --tries --help; do
	has "^ +$o " "$T/help" "--help explains $o"
	case $o in
	--*) pat="^\\.It Fl -${o#--}( |\$)" ;;
	*) pat="^\\.It Fl ${o#-}( |\$)" ;;
	esac
	has "$pat" "$TOP/man/dkim-verify.1" "the man page has $o"
done
# usage() = SYNOPSIS, for all five programs: t-man.sh
mandoc -Tlint -Wwarning "$TOP/man/dkim-verify.1" >"$T/lint" 2>&1
eq "$(cat "$T/lint")" "" "mandoc -Tlint -Wwarning is silent"

filter_fails 64 "unknown option" dkim-verify -Z "$F/good.eml"
has 'unknown option -Z; usage: dkim-verify ' "$T/err" "unknown option named"
filter_fails 64 "-m without its argument" dkim-verify -m
filter_fails 64 "-m 0" dv -m 0 "$F/good.eml"
filter_fails 64 "-m 5001" dv -m 5001 "$F/good.eml"
filter_fails 64 "-m x" dv -m x "$F/good.eml"
filter_fails 64 "--time -1" dkim-verify -K "$K" --time -1 "$F/good.eml"
filter_fails 64 "--skew x" dv --skew x "$F/good.eml"
filter_fails 64 "--timeout 0" dv --timeout 0 "$F/good.eml"
filter_fails 64 "--tries 11" dv --tries 11 "$F/good.eml"
filter_fails 64 "--retries 11 (--tries)" dv --retries 11 "$F/good.eml"
filter_fails 64 "-A with a space" dv -A "mx example" "$F/good.eml"
filter_fails 64 "-A with a semicolon" dv -A "mx;dkim=pass" "$F/good.eml"
filter_fails 64 "--require not a domain" dv --require "-x-.com" "$F/good.eml"
filter_fails 64 "-A and -j together" dv -A mx.example.net -j "$F/good.eml"
filter_fails 64 "-K and -r together" dv -r 127.0.0.1 "$F/good.eml"
filter_fails 64 "-r not an address" dkim-verify -r dns.example.net \
    "$F/good.eml"
filter_fails 66 "no such message" dv "$T/nonexistent.eml"
filter_fails 66 "no such key table" dkim-verify -K "$T/none.zone" "$F/good.eml"
printf 'rsa._domainkey.example.com. 300 IN TXT "v=DKIM1; p=\n' >"$T/bad.zone"
filter_fails 65 "key table syntax error" dkim-verify -K "$T/bad.zone" \
    "$F/good.eml"
has 'bad.zone:1: ' "$T/err" "the key table error names the line"

# --- results: exact line, exit status ---
expect 0 "good: exit 0" dv "$F/good.eml"
eq "$(cat "$T/out")" "dkim=pass header.d=example.com header.s=rsa header.a=rsa-sha256 header.b=$(b8 "$F/good.eml")" \
    "good: the result line, exactly"
eq "$(wc -c <"$T/err")" 0 "good: nothing on stderr"
expect 2 "unsigned: exit 2" dv "$F/unsigned.eml"
eq "$(cat "$T/out")" "dkim=none" "unsigned: dkim=none"
res "$F/ed25519.eml" 0 "dkim=pass" "ed25519-sha256 passes"
has ' header\.a=ed25519-sha256 ' "$T/out" "ed25519: header.a"
res "$F/simple.eml" 0 "dkim=pass" "simple/simple passes"
res "$F/three.eml" 0 "dkim=pass|dkim=pass|dkim=pass" "three signatures, in order"
eq "$(sed 's/.* header\.s=\([a-z]*\) header\.a=\([a-z0-9-]*\) .*/\1 \2/' \
    "$T/out" | paste -s -d ' ' -)" \
    "ed ed25519-sha256 rsa rsa-sha256 rsa rsa-sha256" \
    "three signatures: top first"
res "$F/i-subdomain.eml" 0 "dkim=pass" "i= in a subdomain of d="
has ' header\.i=@mail\.example\.com ' "$T/out" "header.i printed"

# --- the key record (RFC 6376 3.6.1, 6.1.2; RFC 8301; RFC 8463) ---
res "$F/sel-pkcs1.eml" 0 "dkim=pass" "p= a bare RSAPublicKey (erratum 3017)"
res "$F/sel-unknowntags.eml" 0 "dkim=pass" "unknown key tags (g=, x1) ignored"
res "$F/sel-sha256only.eml" 0 "dkim=pass" "key h=sha256, a=rsa-sha256"
res "$F/sel-servicestar.eml" 0 "dkim=pass" "key s=tlsrpt:* allows email"
res "$F/sel-k1024.eml" 0 "dkim=pass" "1024-bit RSA key passes"
res "$F/sel-testing.eml" 0 "dkim=pass (key in test mode)" "t=y flagged"
# RFC 6376 3.6.1: mail signed in test mode is treated like unsigned mail,
# so a policy does not count it; the result itself stays pass
res "$F/sel-testing.eml" 1 "dkim=pass (key in test mode)" \
    "t=y: --require does not count it" --require example.com
res "$F/sel-testing.eml" 1 "dkim=pass (key in test mode)" \
    "t=y: --aligned does not count it" --aligned
res "$F/sel-revoked.eml" 1 "dkim=permerror (key revoked)" "revoked (p= empty)"
res "$F/sel-missing.eml" 1 "dkim=permerror (no key for signature)" \
    "no key record"
res "$F/sel-nop.eml" 1 "dkim=permerror (key record has no p= tag)" "no p="
res "$F/sel-badp.eml" 1 "dkim=permerror (key record p= is not base64)" \
    "p= not base64"
res "$F/sel-garbage.eml" 1 "dkim=permerror (key record syntax error)" \
    "record not a tag-list"
res "$F/sel-badv.eml" 1 "dkim=permerror (key record v= is not DKIM1)" \
    "key v=DKIM2"
# RFC 6376 3.6.1 on v=: "This tag MUST be the first tag in the record."
# (dkimpy, Mail::DKIM and libopendkim accept it anywhere.)
res "$F/sel-vnotfirst.eml" 1 \
    "dkim=permerror (key record v= is not the first tag)" "key v= not first"
res "$F/sel-unknownk.eml" 1 "dkim=permerror (unknown key type k=)" "key k=dsa"
res "$F/sel-wrongk.eml" 1 "dkim=permerror (key type does not match a=)" \
    "key k=ed25519 for a=rsa-sha256"
res "$F/sel-edspki.eml" 1 \
    "dkim=permerror (key record p= is not a raw Ed25519 key)" \
    "Ed25519 p= as SubjectPublicKeyInfo (RFC 8463 4: raw 32 bytes)"
res "$F/sel-sha1only.eml" 1 "dkim=permerror (key h= does not allow the hash)" \
    "key h=sha1, a=rsa-sha256"
res "$F/sel-service.eml" 1 "dkim=permerror (key s= does not allow email)" \
    "key s=tlsrpt"
res "$F/strict-subdomain.eml" 1 \
    "dkim=permerror (key t=s forbids an i= subdomain)" "key t=s, i= subdomain"
res "$F/strict-same.eml" 0 "dkim=pass" "key t=s, i= in d= itself"
res "$F/sel-strict.eml" 0 "dkim=pass" "key t=s, no i="
# RFC 8301: rsa-sha1 and RSA keys under 1024 bits never pass; the legacy
# driver shows that these signatures are otherwise good
res "$F/sha1.eml" 1 "dkim=permerror (rsa-sha1 is not accepted (RFC 8301))" \
    "rsa-sha1 (RFC 8301 3.1)"
run "$BIN/unit" legacy "$K" "$F/sha1.eml" $NOW
eq "$(cat "$T/out")" "pass (ok)" "rsa-sha1: good as RFC 6376 had it"
res "$F/sel-short.eml" 1 \
    "dkim=permerror (RSA key under 1024 bits (RFC 8301))" "512-bit RSA key"
run "$BIN/unit" legacy "$K" "$F/sel-short.eml" $NOW
eq "$(cat "$T/out")" "pass (ok)" "512-bit key: good as RFC 6376 had it"
res "$F/sel-k1016.eml" 1 \
    "dkim=permerror (RSA key under 1024 bits (RFC 8301))" "1016-bit RSA key"
# over 8192 bits: the key record is refused, and so is a signature that
# long (DKIM_MAX_SIG_BYTES), legacy or not
res "$F/sel-bigrecord.eml" 1 "dkim=permerror (RSA key over 8192 bits)" \
    "8200-bit key record"
res "$F/sel-big.eml" 1 "dkim=permerror (b= too long)" \
    "8200-bit key's signature"
run "$BIN/unit" legacy "$K" "$F/sel-bigrecord.eml" $NOW
eq "$(cat "$T/out")" "permerror (RSA key over 8192 bits)" \
    "8200-bit key refused in legacy mode too"
# several TXT records at one name: each tried, each reported (6.1.2)
res "$F/sel-multi.eml" 0 "dkim=pass" "two records, the second one's key"
run dv -j "$F/sel-multi.eml"
jtrue "two records: both in keys_tried" \
    '[(k["result"], k["reason"]) for k in j["signatures"][0]["keys_tried"]] == [("fail", "signature mismatch"), ("pass", None)]'
run dv -v "$F/sel-multi.eml"
has 'signature 1: key record 1: signature mismatch$' "$T/err" "-v: record 1"
has 'signature 1: key record 2: verified$' "$T/err" "-v: record 2"
res "$F/sel-multibad.eml" 1 "dkim=fail (signature mismatch)" \
    "revoked + wrong key: fail, a usable key did not verify"
run dv -j "$F/sel-multibad.eml"
jtrue "revoked + wrong key: both tried" \
    '[(k["result"], k["reason"]) for k in j["signatures"][0]["keys_tried"]] == [("permerror", "key revoked"), ("fail", "signature mismatch")]'
res "$F/sel-multiperm.eml" 1 "dkim=permerror (key revoked)" \
    "revoked + garbage: the first record's reason"
run dv -j "$F/sel-multiperm.eml"
jtrue "revoked + garbage: both tried" \
    'len(j["signatures"][0]["keys_tried"]) == 2'

# more records than are tried (8): the rest are named, not silently lost
grep '^rsa\._domainkey\.example\.com\. ' "$K" >"$T/good.rec"
{
	for n in 1 2 3 4 5 6 7 8; do
		echo "rsa._domainkey.example.com. 300 IN TXT \"v=DKIM1; p=\""
	done
	cat "$T/good.rec"
} >"$T/ten.zone"
run dkim-verify --time $NOW -K "$T/ten.zone" -v "$F/good.eml"
eq "$rc" 1 "nine records: the ninth is not tried"
has '^dkim=permerror \(key revoked\)' "$T/out" "nine records: the first's reason"
has 'signature 1: 1 more TXT records at the name not tried' "$T/err" \
    "-v names the records not tried"
run dkim-verify --time $NOW -K "$T/ten.zone" -j "$F/good.eml"
has '"keys_skipped":1,' "$T/out" "-j counts the records not tried"

# --- the signature's tags (RFC 6376 3.5, 6.1.1) ---
# each edit breaks the header hash too; the check comes first
for tag in v a b bh d h s; do
	edit "$F/good.eml" "$T/m.eml" \
	    "d = re.sub(rb'(?<=[;:\\s])$tag=(?:[^;\\r]|\\r\\n[ \\t])*;?', b'', d, 1)"
	res "$T/m.eml" 1 "dkim=permerror (missing $tag= tag)" "no $tag= tag"
done
bad() {
	edit "$F/good.eml" "$T/m.eml" "d = re.sub(rb'$1', rb'$2', d, 1)"
	res "$T/m.eml" 1 "dkim=permerror ($3)" "$4"
}
bad 'v=1' 'v=2' 'unsupported version (v= is not 1)' "v=2"
bad 'a=rsa-sha256' 'a=rsa-md5' 'unknown a= algorithm' "a=rsa-md5"
bad 'c=relaxed/relaxed' 'c=relaxed/bogus' 'unknown c= canonicalization' \
    "c=relaxed/bogus"
bad 'c=relaxed/relaxed' 'c=relaxed/relaxed; q=http' \
    'q= offers no dns/txt method' "q=http"
bad 'd=example.com' 'd=legitimate.com(.attacker.com' \
    'd= is not a domain name' "d= not a domain"
bad 's=rsa' 's=r;s' 'tag-list syntax error' "s= broken tag-list"
bad 's=rsa' 's=-rsa' 's= is not a valid selector' "s= not a selector"
bad 'h=[^;]*' 'h=to:subject' 'h= does not include From' "h= without From"
bad 'h=from:to:' 'h=from::to:' 'h= is not a list of field names' "h= empty name"
bad 't=1700000000;' 't=1700000000; i=alice@example.net;' \
    'i= is not in the d= domain' "i= in another domain"
bad 't=1700000000;' 't=1700000000; i=alice@badexample.com;' \
    'i= is not in the d= domain' "i= in a domain ending like d="
bad 't=1700000000;' 't=1700000000; x=1699999999;' 'x= is before t=' "x= < t="
bad 't=1700000000' 't=17e8' 't= is not a number' "t= not a number"
bad 't=1700000000' 't=99999999999999999999' 't= out of range' "t= over 2^64"
bad 't=1700000000;' 't=1700000000; l=-1;' 'l= is not a number' "l=-1"
bad 'bh=[^;]*' 'bh=' 'bh= has the wrong length for a=' "bh= empty"
bad 'bh=HyY4DA3V' 'bh=' 'bh= has the wrong length for a=' "bh= short"
bad 'b=FWhL' 'b=!FWhL' 'b= is not valid base64' "b= not base64"
bad 'v=1;' 'v=1; v=1;' 'duplicate tag' "a tag twice"
edit "$F/good.eml" "$T/m.eml" \
    "d = re.sub(rb'b=[A-Za-z0-9+/=]+', b'b=', d, 1)"
res "$T/m.eml" 1 "dkim=permerror (b= is empty)" "b= empty"
printf 'DKIM-Signature: synerr\r\n' | cat - "$F/good.eml" >"$T/m.eml"
res "$T/m.eml" 0 "dkim=permerror (tag-list syntax error)|dkim=pass" \
    "an unparseable signature above a good one"

# --- tags read as the RFC says ---
# c= absent is simple/simple (RFC 6376 3.5); the message's header and
# body are different under relaxed, so reading it otherwise fails
res "$F/c-absent.eml" 0 "dkim=pass" "no c=: simple/simple"
run dv -j "$F/c-absent.eml"
jtrue "no c=: JSON says simple/simple" 'j["signatures"][0]["c"] == "simple/simple"'
jtrue "no c=: claimed bh= is the simple body hash" \
    'j["signatures"][0]["bh"] == j["signatures"][0]["bh_computed"]'
claimed=$($PY -c 'import json, sys
print(json.load(open(sys.argv[1]))["signatures"][0]["bh"])' "$T/out")
run dkim-canon -c simple/relaxed -b sha256 "$F/c-absent.eml"
[ -n "$claimed" ] && [ "$(cat "$T/out")" != "$claimed" ] &&
    pass "no c=: the relaxed body hash would not match" ||
    fail "no c=" "relaxed body hash $(cat "$T/out") = claimed $claimed"
# c=relaxed is relaxed/simple
res "$F/c-relaxed.eml" 0 "dkim=pass" "c=relaxed: relaxed/simple"
run dv -j "$F/c-relaxed.eml"
jtrue "c=relaxed: JSON says relaxed/simple" \
    'j["signatures"][0]["c"] == "relaxed/simple"'
# RFC 6376 3.7 decides what is hashed of the signature itself: the field
# "with the value of the b= tag (including all surrounding whitespace)
# deleted".  These b= values have FWS on both sides and are not the last
# tag, so keeping that FWS would change the hash under either
# canonicalization.  (The issue said the whitespace stays; the RFC wins.
# Mail::DKIM and libopendkim agree, dkimpy does not: t-verify-interop.sh.)
res "$F/b-fws-relaxed.eml" 0 "dkim=pass" "b= with FWS around it, relaxed"
res "$F/b-fws-simple.eml" 0 "dkim=pass" "b= with FWS around it, simple"
# ... and so the FWS around b= may change in transit
edit "$F/b-fws-simple.eml" "$T/m.eml" \
    "d = re.sub(rb'b=\\r\\n\\t  ', b'b=', d, 1)"
res "$T/m.eml" 0 "dkim=pass" "b= FWS removed in transit, simple: still pass"
# FWS inside b= and bh= is not data (RFC 6376 3.5, base64 with FWS)
res "$F/bh-fws.eml" 0 "dkim=pass" "FWS inside bh= and b="
has ' header\.b=[A-Za-z0-9+/]{8}$' "$T/out" "header.b= skips the FWS"
# h=: names in any case, FWS around the colons (RFC 6376 3.5)
res "$F/h-case.eml" 0 "dkim=pass" "h=FROM : To :\\r\\n\\t sUbJeCt:DATE\\t: ..."
run dv -j "$F/h-case.eml"
jtrue "h= names as written" \
    'j["signatures"][0]["h"] == ["FROM", "To", "sUbJeCt", "DATE", "Message-Id"]'
res "$F/obs-space.eml" 0 "dkim=pass" "signed field with WSP before its colon"
res "$F/z.eml" 0 "dkim=pass" "z= present"
# h= may name DKIM-Signature: the field below is signed, never the
# signature itself (RFC 6376 3.7), so changing the one below breaks it
res "$F/sig-over-sig.eml" 0 "dkim=pass|dkim=pass" "h= names dkim-signature"
edit "$F/sig-over-sig.eml" "$T/m.eml" \
    "d = d.replace(b';\\r\\n\\ts=rsa;', b';\\r\\n\\t s=rsa;', 1)"
res "$T/m.eml" 0 "dkim=pass|dkim=pass" \
    "h= names dkim-signature: the one below refolded (relaxed): pass"
edit "$F/sig-over-sig.eml" "$T/m.eml" \
    "d = d.replace(b's=rsa; t=1700000000', b's=rsa; t=1700000001', 1)"
res "$T/m.eml" 1 "dkim=fail (signature mismatch)|dkim=fail (signature mismatch)" \
    "h= names dkim-signature: the one below changed: both fail"


# --- tampering (RFC 6376 6.1.3) ---
t() {
	edit "$1" "$T/m.eml" "$2"
	res "$T/m.eml" "$3" "$4" "$5"
}
t "$F/good.eml" "d = d.replace(b'Subject:  A  message', b'Subject:  A  massage')" \
    1 "dkim=fail (signature mismatch)" "signed header changed"
t "$F/good.eml" "d = d.replace(b'Hello Bob', b'Hello Eve')" \
    1 "dkim=fail (body hash mismatch)" "body changed"
t "$F/good.eml" "d = d.replace(b'\\r\\n\\r\\n', b'\\r\\nFrom: Eve <eve@example.com>\\r\\n\\r\\n', 1)" \
    1 "dkim=fail (signature mismatch)" "a From added below (From over-signed)"
t "$F/good.eml" "d = d.replace(b'From:', b'From: Eve <eve@example.com>\\r\\nFrom:', 1)" \
    1 "dkim=fail (signature mismatch)" "a From added above (From over-signed)"
t "$F/good.eml" "d = d.replace(b'\\r\\n\\r\\n', b'\\r\\nX-Added: yes\\r\\n\\r\\n', 1)" \
    0 "dkim=pass" "an unsigned field added"
t "$F/good.eml" "d = d.replace(b'Message-ID: <verify-1', b'Message-ID: <verify-2')" \
    1 "dkim=fail (signature mismatch)" "Message-ID changed"
t "$F/good.eml" "d = d + b'appended\\r\\n'" \
    1 "dkim=fail (body hash mismatch)" "text appended, no l="
t "$F/l-all.eml" "d = d + b'appended\\r\\n'" \
    0 "dkim=pass" "text appended, l= covers the signed body only"
t "$F/l-all.eml" "d = d.replace(b'Hello Bob', b'Hello Eve')" \
    1 "dkim=fail (body hash mismatch)" "l=: a change inside the signed part"
t "$F/l-all.eml" "d = d.replace(b'Alice\\r\\n', b'')" \
    1 "dkim=permerror (l= is longer than the body)" "l= longer than the body"
t "$F/l-zero.eml" "d = d.replace(b'Hello Bob', b'Hello Eve')" \
    0 "dkim=pass" "l=0: the body is not signed at all"
t "$F/good.eml" "d = d + b'\\r\\n\\r\\n'" \
    0 "dkim=pass" "empty lines added at the end (both canonicalizations)"
t "$F/good.eml" "d = d.replace(b'this  body', b'this \\t body')" \
    0 "dkim=pass" "relaxed body: whitespace run changed"
t "$F/simple.eml" "d = d.replace(b'this  body', b'this \\t body')" \
    1 "dkim=fail (body hash mismatch)" "simple body: whitespace run changed"
t "$F/good.eml" "d = d.replace(b'Subject:', b'SUBJECT:')" \
    0 "dkim=pass" "relaxed header: name case changed"
t "$F/simple.eml" "d = d.replace(b'Subject:', b'SUBJECT:')" \
    1 "dkim=fail (signature mismatch)" "simple header: name case changed"
t "$F/good.eml" "d = d.replace(b'To: Bob Example', b'To: Bob\\r\\n Example')" \
    0 "dkim=pass" "relaxed header: refolded"
t "$F/simple.eml" "d = d.replace(b'To: Bob Example', b'To: Bob\\r\\n Example')" \
    1 "dkim=fail (signature mismatch)" "simple header: refolded"
t "$F/good.eml" "d = d.replace(b'd=example.com', b'd=example.net')" \
    1 "dkim=fail (signature mismatch)" "d= changed (the other domain's key)"
t "$F/three.eml" "d = d.replace(b'Hello Bob', b'Hello Eve')" \
    1 "dkim=fail (body hash mismatch)|dkim=fail (body hash mismatch)|dkim=fail (body hash mismatch)" \
    "three signatures, body changed: each fails"

# -v: what failed (the body hash, computed and claimed; or the header)
edit "$F/good.eml" "$T/m.eml" "d = d.replace(b'Hello Bob', b'Hello Eve')"
expect 1 "-v, body changed: exit 1" dv -v "$T/m.eml"
has 'signature 1: body hash: computed [A-Za-z0-9+/]{43}=, claimed HyY4DA3VGpHAG/lu5U5Lf03so\+tM8cpUIZ0eQYNT4Hs=$' \
    "$T/err" "-v: computed and claimed body hash"
eq "$(wc -l <"$T/out")" 1 "-v: the result line still on stdout"
edit "$F/good.eml" "$T/m.eml" "d = d.replace(b'Bob Example', b'Eve Example', 1)"
run dv -v "$T/m.eml"
has 'signature 1: the body hash matches; the header hash does not$' "$T/err" \
    "-v: header hash failed"
has 'signature 1: rsa key, 2048 bits$' "$T/err" "-v: key type and size"
# with z=, the fields that changed are named, and only those
edit "$F/z.eml" "$T/m.eml" "d = d.replace(b'To: Bob', b'To: Eve')"
run dv -v "$T/m.eml"
has 'signature 1: To changed since signing: signed " Bob Example <bob@example\.net>", now " Eve Example <bob@example\.net>"$' \
    "$T/err" "-v with z=: the changed field, before and after"
hasnt 'Subject changed' "$T/err" "-v with z=: an unchanged folded field is not named"
run dv -v "$F/sel-testing.eml"
has 'signature 1: rsa key, 2048 bits, test mode \(t=y\)$' "$T/err" "-v: t=y"

# --- time: t= and x= with the clock-skew allowance (--time, --skew) ---
X=$((NOW + 3600))		# expiring.eml's x=
res "$F/expiring.eml" 0 "dkim=pass" "x= ahead" --time $X
res "$F/expiring.eml" 0 "dkim=pass" "x= 300 s past: within the allowance" \
    --time $((X + 300))
res "$F/expiring.eml" 1 "dkim=permerror (signature expired)" "x= 301 s past" \
    --time $((X + 301))
res "$F/expiring.eml" 1 "dkim=permerror (signature expired)" \
    "x= 1 s past, --skew 0" --skew 0 --time $((X + 1))
res "$F/expiring.eml" 0 "dkim=pass" "x= 1000 s past, --skew 1000" \
    --skew 1000 --time $((X + 1000))
res "$F/x-max.eml" 0 "dkim=pass" "x=2^64-1 is the far future, not expired"
res "$F/good.eml" 0 "dkim=pass" "t= 300 s ahead: within the allowance" \
    --time $((NOW - 300))
res "$F/good.eml" 1 "dkim=permerror (signature in the future)" \
    "t= 301 s ahead" --time $((NOW - 301))
res "$F/good.eml" 1 "dkim=permerror (signature in the future)" \
    "t= 1 s ahead, --skew 0" --skew 0 --time $((NOW - 1))
res "$F/good.eml" 0 "dkim=pass" "t= now, --skew 0" --skew 0 --time $NOW
expect 0 "--time defaults to now (t= is in the past)" \
    dkim-verify -K "$K" "$F/good.eml"

# --- -m: signatures past the limit get "policy" ---
res "$F/three.eml" 0 "dkim=pass|dkim=pass|dkim=policy (too many signatures)" \
    "-m 2: the third is policy" -m 2
has 'dkim=policy \(too many signatures\) header\.d=example\.com header\.s=rsa ' \
    "$T/out" "-m: the skipped signature is named"
res "$F/nine-l.eml" 0 \
    "dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=policy (too many signatures)" \
    "nine signatures: -m defaults to 8"
res "$F/nine-l.eml" 0 \
    "dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass|dkim=pass" \
    "-m 9: nine signatures, nine body hashes (l=0..8)" -m 9
edit "$F/three.eml" "$T/m.eml" \
    "d = d.replace(b'a=ed25519-sha256', b'a=ed25519-sha257', 1)"
res "$T/m.eml" 1 "dkim=permerror (unknown a= algorithm)|dkim=policy (too many signatures)|dkim=policy (too many signatures)" \
    "-m 1: only the first is checked; no pass, exit 1" -m 1

# --- --require and --aligned ---
expect 0 "--require the signing domain" dv --require example.com "$F/good.eml"
expect 0 "--require: case does not matter" dv --require EXAMPLE.com \
    "$F/good.eml"
expect 1 "--require another domain" dv --require example.net "$F/good.eml"
has '^dkim=pass ' "$T/out" "--require: the result line is unchanged"
expect 1 "--require a parent domain is not the domain" \
    dv --require example.com "$F/d-child.eml"
expect 2 "--require, no signature" dv --require example.com "$F/unsigned.eml"
# --aligned: d= is the From domain, or a parent or child of it at a label
# boundary, but never a bare top-level name (no public suffix list)
expect 0 "--aligned: d= = From domain" dv --aligned "$F/good.eml"
expect 0 "--aligned: d= a child of the From domain" dv --aligned \
    "$F/d-child.eml"
expect 0 "--aligned: d= a parent of the From domain" dv --aligned \
    "$F/d-parent.eml"
expect 1 "--aligned: d= another domain" dv --aligned "$F/d-other.eml"
expect 1 "--aligned: d=xample.com, From example.com" dv --aligned \
    "$F/d-suffix.eml"
expect 1 "--aligned: d=com, a top-level name" dv --aligned "$F/d-tld.eml"
res "$F/d-tld.eml" 0 "dkim=pass" "d=com passes on its own"
expect 0 "--aligned and --require together" \
    dv --aligned --require mail.example.com "$F/d-child.eml"
expect 1 "--aligned holds, --require does not" \
    dv --aligned --require example.net "$F/good.eml"
edit "$F/good.eml" "$T/m.eml" \
    "d = d.replace(b'From: Alice', b'Sender: Alice', 1)"
expect 1 "--aligned: no From field" dv --aligned "$T/m.eml"

# --- JSON ---
expect 0 "-j: exit 0" dv -j "$F/good.eml"
eq "$(wc -l <"$T/out")" 1 "-j: one line per message"
jtrue "-j: message fields" \
    'j["file"].endswith("good.eml") and j["result"] == "pass" and len(j["signatures"]) == 1'
jtrue "-j: signature fields" \
    '(s := j["signatures"][0])["result"] == "pass" and s["reason"] is None and (s["d"], s["s"], s["i"], s["a"], s["c"], s["t"]) == ("example.com", "rsa", None, "rsa-sha256", "relaxed/relaxed", 1700000000)'
jtrue "-j: h= list" \
    'j["signatures"][0]["h"] == ["from", "to", "subject", "date", "message-id", "mime-version", "content-type", "from", "subject"]'
jtrue "-j: body hashes" \
    '(s := j["signatures"][0])["bh"] == s["bh_computed"] == "HyY4DA3VGpHAG/lu5U5Lf03so+tM8cpUIZ0eQYNT4Hs=" and s["body_length"] > 0'
jtrue "-j: key type, size, DNSSEC" \
    'j["signatures"][0]["key"] == {"type": "rsa", "bits": 2048, "dnssec": False}'
jtrue "-j: every tag as written" \
    'sorted(j["signatures"][0]["tags"]) == ["a", "b", "bh", "c", "d", "h", "s", "t", "v"] and j["signatures"][0]["tags"]["h"].startswith("from:to:")'
run dv -j "$F/ed25519.eml"
jtrue "-j: Ed25519 key" 'j["signatures"][0]["key"]["type"] == "ed25519" and j["signatures"][0]["key"]["bits"] == 256'
run dv -j "$F/sel-testing.eml"
jtrue "-j: t=y" 'j["signatures"][0]["testing"] is True'
expect 2 "-j, unsigned: exit 2" dv -j "$F/unsigned.eml"
jtrue "-j, unsigned" 'j["result"] == "none" and j["signatures"] == []'
edit "$F/three.eml" "$T/m.eml" "d = d.replace(b'Hello Bob', b'Hello Eve')"
expect 1 "-j, three failing: exit 1" dv -j "$T/m.eml"
jtrue "-j, three failing" \
    'j["result"] == "fail" and [s["reason"] for s in j["signatures"]] == ["body hash mismatch"] * 3'
expect 1 "-j, permerror only" dv -j "$F/sel-revoked.eml"
jtrue "-j, permerror only" \
    'j["result"] == "permerror" and "key" not in j["signatures"][0]'
run dv -j "$F/inject.eml"
jtrue "-j: i= decoded, CR LF and quotes escaped in valid JSON" \
    'j["signatures"][0]["i"] == "x\r\nAuthentication-Results: mx.example.net; dkim=pass\";@example.com"'
edit "$F/good.eml" "$T/m.eml" \
    "d = d.replace(b'Subject:', b'X-Bin: \\xff\\xfe\\x01\\r\\nSubject:', 1)"
run dv -j "$T/m.eml"
jtrue "-j: valid JSON whatever the message holds" 'len(j["signatures"]) == 1'

# --- values from the message cannot break the result syntax ---
res "$F/inject.eml" 0 "dkim=pass" "i= with CR LF, quotes, ';': pass"
eq "$(cat "$T/out")" "dkim=pass header.d=example.com header.i=x??Authentication-Results??mx.example.net??dkim=pass??@example.com header.s=rsa header.a=rsa-sha256 header.b=$(b8 "$F/inject.eml")" \
    "i=: CR LF, space, ':', ';' and quote each become '?'"
# what a pattern-matching filter (procmail, maildrop) could be fooled by:
# a space or ';' to fake a second result, an RFC 2047 word that maildrop
# decodes into a tab, two '@' (a quoted-string then)
rk=$(private_copy "$F/keys/rsa2048.pem")
for i in '"x; dkim=pass header.d=paypal.com x"@example.com' \
    '=?us-ascii?Q?=09dkim=3Dpass?=@example.com' '"a@b"@example.com'; do
	dkim-sign -d example.com -s rsa -k "$rk" -i "$i" -t $NOW \
	    <"$F/good.eml" >"$T/m.eml" 2>"$T/err"
	eq "$?" 0 "sign with i=$i"
	run dv "$T/m.eml"
	a=$(sed -n 's/.* header\.i=\([^ ]*\) header\.s=.*/\1/p' "$T/out")
	if [ -n "$a" ] && ! printf '%s' "$a" | sed 's/^"\(.*\)"$/\1/' |
	    grep -q '[ ;"]\|=?'; then
		pass "i=$i in the result: $a"
	else
		fail "i=$i in the result" "'$a': a space, ';', '\"' or '=?'"
	fi
done
eq "$a" '"?a@b?@example.com"' "i= with two '@': a quoted-string of '?'s"

edit "$F/good.eml" "$T/m.eml" \
    "d = d.replace(b't=1700000000;', b't=1700000000; i=a=40b@example.com;', 1)"
run dv "$T/m.eml"
has ' header\.i="a@b@example\.com" ' "$T/out" \
    "i= with two @ (no RFC 8601 pvalue bare): quoted"

# --- input forms ---
expect 0 "message on stdin" dv <"$F/good.eml"
eq "$(cat "$T/out")" "dkim=pass header.d=example.com header.s=rsa header.a=rsa-sha256 header.b=$(b8 "$F/good.eml")" \
    "stdin: no label"
tr -d '\r' <"$F/good.eml" >"$T/lf.eml"
res "$T/lf.eml" 0 "dkim=pass" "LF line ends (as CRLF)"
tr -d '\r' <"$F/simple.eml" >"$T/lf.eml"
res "$T/lf.eml" 0 "dkim=pass" "LF line ends, simple/simple"
{ printf 'From alice@example.com Tue Nov 14 22:13:20 2023\r\n'
  cat "$F/good.eml"; } >"$T/mbox.eml"
expect 0 "an mbox From line on stdin: one message" dv <"$T/mbox.eml"
has '^dkim=pass ' "$T/out" "an mbox From line on stdin: pass"

# --- several messages: files, an mbox, a Maildir, -0, -P ---
expect 1 "two files: the higher status (pass 0, fail 1)" \
    dv "$F/good.eml" "$F/sel-revoked.eml"
printf '%s\n' "$F/good.eml: dkim=pass" \
    "$F/sel-revoked.eml: dkim=permerror (key revoked)" >"$T/want"
sed 's/ header\..*//' "$T/out" >"$T/got"
same "$T/want" "$T/got" "two files: each line labelled with its path"
for f in good unsigned simple; do
	printf 'From alice@example.com Tue Nov 14 22:13:20 2023\n'
	tr -d '\r' <"$F/$f.eml"
done >"$T/three.mbox"
expect 2 "an mbox: the higher status (none 2)" dv "$T/three.mbox"
printf '%s\n' "$T/three.mbox:1: dkim=pass" "$T/three.mbox:2: dkim=none" \
    "$T/three.mbox:3: dkim=pass" >"$T/want"
sed 's/ header\..*//' "$T/out" >"$T/got"
same "$T/want" "$T/got" "an mbox: path:number: labels, in order"
run dv -j "$T/three.mbox"
eq "$(sed -n 's/.*"message":\([0-9]*\),"result":"\([a-z]*\)".*/\1 \2/p' \
    "$T/out" | paste -s -d ' ' -)" "1 pass 2 none 3 pass" \
    "-j, an mbox: one object per message, numbered"
mkdir -p "$T/md/new" "$T/md/cur" "$T/md/tmp"
cp "$F/good.eml" "$T/md/new/1.a"
cp "$F/sel-revoked.eml" "$T/md/cur/2.b:2,S"
cp "$F/unsigned.eml" "$T/md/tmp/3.c"
expect 1 "a Maildir" dv "$T/md"
printf '%s\n' "$T/md/new/1.a: dkim=pass" \
    "$T/md/cur/2.b:2,S: dkim=permerror (key revoked)" >"$T/want"
sed 's/ header\..*//' "$T/out" >"$T/got"
same "$T/want" "$T/got" "a Maildir: new/ then cur/, tmp/ left alone"
( cd "$F" && find . -name '*.eml' -print0 | sort -z ) >"$T/list"
( cd "$F" && dkim-verify --time $NOW -K "$K" -0 -P 4 <"$T/list" ) \
    >"$T/p4" 2>&1
( cd "$F" && dkim-verify --time $NOW -K "$K" -0 <"$T/list" ) >"$T/p1" 2>&1
same "$T/p1" "$T/p4" "-0 -P 4: the same output as one at a time"
# 12 times the list (660 messages) is more than twice the 256 in flight:
# the submitter waits for room, workers for work, and the order holds
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do cat "$T/list"; done >"$T/list12"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do cat "$T/p1"; done >"$T/want"
for j in 2 3; do
	( cd "$F" && dkim-verify --time $NOW -K "$K" -0 -P $j <"$T/list12" ) \
	    >"$T/got" 2>&1
	same "$T/want" "$T/got" "-0 -P $j, 660 messages: in order, none lost"
done
# Files held open for the workers are bounded, not the whole window:
# under a low "ulimit -n" no message is lost to EMFILE.
for j in 2 3; do
	( ulimit -n 40 && cd "$F" &&
	    dkim-verify --time $NOW -K "$K" -0 -P $j <"$T/list12" ) \
	    >"$T/got" 2>&1
	same "$T/want" "$T/got" "-0 -P $j, ulimit -n 40: none lost to EMFILE"
done
mkdir -p "$T/md300/new" "$T/md300/cur"
i=0
while [ $i -lt 300 ]; do
	cp "$F/good.eml" "$T/md300/new/$i"
	i=$((i + 1))
done
( ulimit -n 40 && dkim-verify --time $NOW -K "$K" -P 2 "$T/md300" ) \
    >"$T/got" 2>"$T/err"
eq "$?.$(grep -c ': dkim=pass' "$T/got").$(wc -c <"$T/err")" "0.300.0" \
    "a Maildir of 300, -P 2, ulimit -n 40: all pass, nothing on stderr"
# a directory stays open while its files are verified (they are opened
# in it): 120 directories of one message each count as open files too.
# Every third message is unsigned, so one opened in the wrong directory
# (each worker has its own descriptor of the directory it reads) shows.
i=0
while [ $i -lt 120 ]; do
	mkdir "$T/d$i"
	if [ $((i % 3)) = 0 ]; then
		cp "$F/unsigned.eml" "$T/d$i/m"
	else
		cp "$F/good.eml" "$T/d$i/m"
	fi
	i=$((i + 1))
done
for j in 1 2 3; do
	( ulimit -n 40 && cd "$T" &&
	    dkim-verify --time $NOW -K "$K" -P $j d* ) >"$T/got" 2>"$T/err"
	st=$?
	bad=$(sed -n 's/^d\([0-9]*\)\/m: dkim=\([a-z]*\).*/\1 \2/p' "$T/got" |
	    awk '($1 % 3 == 0) != ($2 == "none") { n++ } END { print n + 0 }')
	eq "$st.$(grep -c '^d[0-9]*/m: dkim=' "$T/got").$bad.$(wc -c <"$T/err")" \
	    "2.120.0.0" \
	    "120 directories, -P $j, ulimit -n 40: each verified in its own"
done
# a thread keeps a verifying context for each of its last four keys, an
# Ed25519 one as a template it verifies copies of: six Ed25519 keys and
# an RSA one in turn, each message good, then with its Subject changed
# (a signature that does not verify), then good again, in one batch
mkdir "$T/ctx"
: >"$T/ctx/keys.zone"
: >"$T/ctx/want"
for s in e1 e2 e3 e4 e5 e6 r1; do
	t=ed25519
	[ $s = r1 ] && t=rsa
	dkim-keygen -t $t -o "$T/ctx/$s.pem" -d example.com -s $s \
	    >>"$T/ctx/keys.zone" 2>/dev/null
done
i=0
for round in 1 2; do
	for s in e1 e2 e3 e4 e5 e6 r1; do
		i=$((i + 10))
		dkim-sign -d example.com -s $s -k "$T/ctx/$s.pem" -t $NOW \
		    "$F/unsigned.eml" >"$T/ctx/$i.eml"
		sed 's/^Subject: .*/Subject: changed/' "$T/ctx/$i.eml" \
		    >"$T/ctx/$((i + 1)).eml"
		cp "$T/ctx/$i.eml" "$T/ctx/$((i + 2)).eml"
		printf '%s\n' "$i.eml: pass" "$((i + 1)).eml: fail" \
		    "$((i + 2)).eml: pass" >>"$T/ctx/want"
	done
done
( cd "$T/ctx" && ls -- *.eml | sort -n | tr '\n' '\0' ) >"$T/ctx/list"
for j in 1 2; do
	( cd "$T/ctx" && dkim-verify --time $NOW -K keys.zone -0 -P $j \
	    <list ) >"$T/got" 2>"$T/err"
	sed 's/ dkim=\([a-z]*\).*/ \1/' "$T/got" >"$T/got.r"
	if cmp -s "$T/got.r" "$T/ctx/want" && [ ! -s "$T/err" ]; then
		pass "-P $j, seven keys, pass and fail in turn: kept contexts"
	else
		fail "-P $j, seven keys, pass and fail in turn: kept contexts" \
		    "$(diff "$T/ctx/want" "$T/got.r" | head -5); $(brief "$T/err")"
	fi
done
rm -rf "$T/ctx"
# the library's parts that make threads cheap: each thread's recent key
# records (by source, by whole name) and its digests kept for the next
out=$("$BIN/unit" keysrc 2>&1)
eq "$?.$(printf '%s\n' "$out" | grep -c '^ok:')" "0.8" \
    "key cache: a thread's recent records, by source and whole name"
out=$("$BIN/unit" digest 2>&1)
eq "$?.$(printf '%s\n' "$out" | grep -c '^ok:')" "0.6" \
    "digests kept and used again: the known hashes"
n=0
for f in "$F"/*.eml; do
	k=$(grep -c '^DKIM-Signature:' "$f")
	n=$((n + (k > 0 ? k : 1)))
done
eq "$(grep -c '^\./[a-z0-9-]*\.eml: dkim=' "$T/p1")" "$n" \
    "-0: one labelled line per signature of every fixture"
filter_fails 64 "-0 with an operand" dv -0 "$F/good.eml"
filter_fails 64 "-P 257" dv -P 257 "$F/good.eml"
printf 'From: a@example.com\r\nno colon here\r\n\r\nbody\r\n' >"$T/m.eml"
filter_fails 65 "malformed header: exit 65" dv "$T/m.eml"
: >"$T/m.eml"
filter_fails 65 "empty message: exit 65" dv "$T/m.eml"
if [ -w /dev/full ]; then
	dv "$F/good.eml" >/dev/full 2>"$T/err"
	eq "$?" 74 "stdout full: exit 74"
fi

# "-" is stdin, alone or among other operands, and for -A
dv "$F/good.eml" >"$T/want"
dv - <"$F/good.eml" >"$T/got"
same "$T/want" "$T/got" '"-" reads stdin'
dv "$F/good.eml" - <"$F/good.eml" >"$T/got"
eq "$(grep -c ': dkim=pass' "$T/got")" 2 '"-" among files'
has '^-: dkim=pass' "$T/got" '"-" labelled as such'
dkim-verify -K "$K" --time 1700000000 -A mx.test - <"$F/good.eml" >"$T/got"
eq "$?" 0 '-A with "-"'
has '^Authentication-Results: mx.test;' "$T/got" '-A with "-" filters stdin'
t_done

#!/bin/sh
# dkim-sign: the RFC 8463 example and the go-msgauth and OpenDKIM signing
# vectors as fixed-time cases (bh= theirs, b= recomputed with openssl,
# result verified by the peers), every option, key formats, byte-exact
# pass-through, line ends, and the failures (exact code, one line on
# stderr, nothing on stdout).  Interop over testdata/msg/ is in
# t-sign-interop.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns-lib.sh"

K=$TD/sign
M=$TD/msg
R=$V/rfc8463
G=$V/go-msgauth
O=$V/opendkim
T0=1700000000
[ -x "$PEERS/opendkim-peer" ] || make -s -C "$PEERS" >/dev/null 2>&1

# git keeps no modes: private keys are used from 0600 copies
key() {
	cp "$1" "$T/$2" && chmod 600 "$T/$2"
}
for f in rsa.pem rsa.pkcs1.pem rsa.b64 rsa.pkcs1.b64 ed25519.key \
    ed25519.pem ed25519.b64; do
	key "$K/$f" "$f"
done
key "$R/rsa.private.pem" 8463-rsa.pem
key "$R/ed25519.seed.b64" 8463-ed.key
key "$R/ed25519.private.pkcs8.pem" 8463-ed.pem
key "$G/rsa.private.pem" go-rsa.pem
key "$G/ed25519.seed.b64" go-ed.key
key "$O/test.private.pem" odk.pem
# key tables for dkim-verify -K
nsd_dnstxt_to_zone "$K/dns.txt" >"$T/sign.zone"
nsd_dnstxt_to_zone "$R/dns.txt" >"$T/8463.zone"
nsd_dnstxt_to_zone "$O/dns.txt" >"$T/odk.zone"
cat "$K/dns.txt" "$R/dns.txt" >"$T/both.txt"

SIGN="dkim-sign -d example.com -s rsa -k $T/rsa.pem"

# The n-th DKIM-Signature field of a file (top first), unfolded, with all
# whitespace removed: "DKIM-Signature:v=1;a=...".
sigfield() {
	tr -d '\r' <"$2" | awk -v n="$1" '
	/^$/ { exit }
	/^[^ \t]/ {
		on = tolower(substr($0, 1, 15)) == "dkim-signature:" && ++k == n
	}
	on { printf "%s", $0 }' | tr -d ' \t'
}

# tagof TAG N FILE: the value of TAG in the n-th signature, FWS removed
tagof() {
	sigfield "$2" "$3" | sed 's/^[^:]*://' | tr ';' '\n' |
	    sed -n "s/^$1=//p"
}

# How many DKIM-Signature fields a file has.
nsigs() {
	tr -d '\r' <"$1" | awk '/^$/ { exit }
	    tolower(substr($0, 1, 15)) == "dkim-signature:" { n++ }
	    END { print n + 0 }'
}

# Every line of the DKIM-Signature fields at most 78 columns (a tab
# counts as 8), every continuation line starting with a tab.
folded_ok() {
	tr -d '\r' <"$1" | awk '
	/^$/ { exit }
	/^[^ \t]/ { on = tolower(substr($0, 1, 15)) == "dkim-signature:" }
	on && /^ / { bad = 1 }
	on { l = $0; gsub(/\t/, "        ", l); if (length(l) > 78) bad = 1 }
	END { exit bad }'
}

# passthrough IN OUT: OUT is IN with only DKIM-Signature fields added at
# the top (after an mbox postmark), every other byte unchanged.
passthrough() {
	_pm=0
	head -n 1 "$1" | grep -q '^From ' && _pm=$(head -n 1 "$1" | wc -c)
	_add=$(($(wc -c <"$2") - $(wc -c <"$1")))
	[ "$_add" -gt 0 ] || return 1
	{ head -c "$_pm" "$2"; tail -c +$((_pm + _add + 1)) "$2"; } |
	    cmp -s - "$1" || return 1
	tail -c +$((_pm + 1)) "$2" | head -c "$_add" | tr -d '\r' |
	    awk '!/^(DKIM-Signature:|\t)/ { bad = 1 } END { exit bad }'
}

# The header hash input of signature n up to the signature field itself:
# the canonical fields h= selected, in order.
selected() {
	dkim-canon -S "$1" -H "$2" |
	    awk 'tolower(substr($0, 1, 15)) == "dkim-signature:" { exit }
		{ print }'
}

# b= recomputed with openssl from the bytes dkim-canon -S n -H shows:
# rsa-sha256 is PKCS#1 v1.5 over SHA-256, ed25519-sha256 is Ed25519 over
# the SHA-256 digest (RFC 8463 3); openssl 3.0 pkeyutl -rawin wants the
# input in a file.
b_rsa() {
	dkim-canon -S "$1" -H "$2" | openssl dgst -sha256 -binary >"$T/dg"
	openssl pkeyutl -sign -inkey "$3" -pkeyopt digest:sha256 \
	    -in "$T/dg" | openssl base64 -A
}
b_ed() {
	dkim-canon -S "$1" -H "$2" | openssl dgst -sha256 -binary >"$T/dg"
	openssl pkeyutl -sign -rawin -inkey "$3" -in "$T/dg" |
	    openssl base64 -A
}

# peer words, one line: "pass pass"
words() {
	"$@" | tr '\n' ' ' | sed 's/ $//'
}

# ---------------------------------------------------------------------
# RFC 8463 Appendix A: the unsigned message, its keys and parameters
# (manifest section 1).  Our tag order and h= layout differ from the
# RFC's (h= lists each name's instances together: from:from:... where
# the RFC has from:to:...:from), so b= differs; the fields selected, bh=
# and the verifiers' verdicts are the same.
run dkim-sign -d football.example.com -i @football.example.com \
    -t 1528637909 -c relaxed/relaxed -h from:to:subject:date:message-id \
    -O from:subject:date -s brisbane -k "$T/8463-ed.key" \
    -s test -k "$T/8463-rsa.pem" "$R/message.unsigned.eml"
eq "$rc" 0 "RFC 8463: exit 0"
cp "$T/out" "$T/8463.eml"
has '1024-bit RSA key; 2048 bits or more are recommended' "$T/err" \
    "RFC 8463: 1024-bit RSA key warned about (RFC 8301 3.2)"
eq "$(nsigs "$T/8463.eml")" 2 "RFC 8463: two signatures"
rfcbh=$(tagof bh 1 "$R/message.signed.eml")
eq "$rfcbh" 2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8= \
    "RFC 8463: the RFC's bh="
eq "$(tagof bh 1 "$T/8463.eml")" "$rfcbh" "RFC 8463: Ed25519 bh= is the RFC's"
eq "$(tagof bh 2 "$T/8463.eml")" "$rfcbh" "RFC 8463: RSA bh= is the RFC's"
eq "$(tagof a 1 "$T/8463.eml") $(tagof a 2 "$T/8463.eml")" \
    "ed25519-sha256 rsa-sha256" "RFC 8463: a= follows each key"
for t in c=relaxed/relaxed d=football.example.com i=@football.example.com \
    t=1528637909 h=from:from:to:subject:subject:date:date:message-id; do
	eq "$(tagof "${t%%=*}" 1 "$T/8463.eml")" "${t#*=}" "RFC 8463: $t"
done
eq "$(tagof s 1 "$T/8463.eml") $(tagof s 2 "$T/8463.eml")" \
    "brisbane test" "RFC 8463: selectors in -s order"
# the same header fields, in the same order, as the RFC's signing input
selected 1 "$T/8463.eml" >"$T/ours"
awk 'tolower(substr($0, 1, 15)) == "dkim-signature:" { exit } { print }' \
    "$R/signing-input.ed25519.bin" >"$T/theirs"
same "$T/theirs" "$T/ours" "RFC 8463: fields hashed as in the RFC's input"
selected 2 "$T/8463.eml" >"$T/ours"
same "$T/theirs" "$T/ours" "RFC 8463: RSA signature selects the same"
# b= recomputed independently
eq "$(b_ed 1 "$T/8463.eml" "$T/8463-ed.pem")" "$(tagof b 1 "$T/8463.eml")" \
    "RFC 8463: Ed25519 b= = openssl pkeyutl over SHA-256 of the input"
eq "$(b_rsa 2 "$T/8463.eml" "$T/8463-rsa.pem")" \
    "$(tagof b 2 "$T/8463.eml")" "RFC 8463: RSA b= = openssl pkeyutl"
eq "$(dkim-canon -S 2 -H "$T/8463.eml" |
    openssl dgst -sha256 -sign "$T/8463-rsa.pem" | openssl base64 -A)" \
    "$(tagof b 2 "$T/8463.eml")" "RFC 8463: RSA b= = openssl dgst -sign"
for n in 1 2; do
	expect 0 "RFC 8463: dkim-canon -S $n -b sha256 agrees" \
	    dkim-canon -S $n -b sha256 "$T/8463.eml"
	eq "$(sed -n 's/^computed bh=//p' "$T/out")" "$rfcbh" \
	    "RFC 8463: computed bh= of signature $n"
done
if passthrough "$R/message.unsigned.eml" "$T/8463.eml"; then
	pass "RFC 8463: message passed through byte for byte"
else
	fail "RFC 8463: pass-through" "bytes changed"
fi
folded_ok "$T/8463.eml" && pass "RFC 8463: folded within 78 columns" ||
    fail "RFC 8463: folding" "a line over 78 columns"
eq "$(words "$PEERS/dkimpy-verify" --zone "$R/dns.txt" <"$T/8463.eml")" \
    "pass pass" "RFC 8463: dkimpy verifies both"
eq "$(words "$PEERS/opendkim-peer" verify --zone "$R/dns.txt" \
    <"$T/8463.eml")" "pass pass" "RFC 8463: libopendkim verifies both"
# Debian 12's Mail::DKIM has no Ed25519 (tests/peers/README)
eq "$(words "$PEERS/maildkim-verify" --zone "$R/dns.txt" <"$T/8463.eml")" \
    "permerror pass" "RFC 8463: Mail::DKIM: RSA pass, Ed25519 unsupported"
run dkim-verify -K "$T/8463.zone" --time 1528637909 "$T/8463.eml"
eq "$rc $(grep -c 'dkim=pass' "$T/out")" "0 2" \
    "RFC 8463: dkim-verify passes both"

# ---------------------------------------------------------------------
# go-msgauth TestSign / TestSignEd25519: t=424242, simple/simple,
# h=From:To:Subject:Date:Message-ID.  Their tags are sorted and folded
# otherwise, so their b= differs from ours; bh= and the hashed fields
# must not.
for alg in rsa ed25519; do
	case $alg in
	rsa) d=example.org k=go-rsa.pem ;;
	ed25519) d=football.example.com k=go-ed.key ;;
	esac
	run dkim-sign -d $d -s brisbane -k "$T/$k" -t 424242 -c simple/simple \
	    -h From:To:Subject:Date:Message-ID -O '' "$G/sign-input.eml"
	eq "$rc" 0 "go-msgauth $alg: exit 0"
	cp "$T/out" "$T/go.eml"
	eq "$(tagof bh 1 "$T/go.eml")" \
	    "$(tagof bh 1 "$G/sign-expected.$alg.eml")" "go-msgauth $alg: bh="
	eq "$(tagof h 1 "$T/go.eml") $(tagof t 1 "$T/go.eml")" \
	    "From:To:Subject:Date:Message-ID 424242" "go-msgauth $alg: h= t="
	selected 1 "$T/go.eml" >"$T/ours"
	selected 1 "$G/sign-expected.$alg.eml" >"$T/theirs"
	same "$T/theirs" "$T/ours" "go-msgauth $alg: same fields hashed"
	case $alg in
	rsa) b=$(b_rsa 1 "$T/go.eml" "$T/go-rsa.pem") ;;
	ed25519) b=$(b_ed 1 "$T/go.eml" "$T/8463-ed.pem") ;;
	esac
	eq "$b" "$(tagof b 1 "$T/go.eml")" "go-msgauth $alg: b= = openssl pkeyutl"
	eq "$(words "$PEERS/opendkim-peer" verify --zone "$G/dns.txt" \
	    <"$T/go.eml")" pass "go-msgauth $alg: libopendkim verifies"
	eq "$(words "$PEERS/dkimpy-verify" --zone "$G/dns.txt" \
	    <"$T/go.eml")" pass "go-msgauth $alg: dkimpy verifies"
done

# ---------------------------------------------------------------------
# OpenDKIM libopendkim/tests signing vectors (expected.tsv): same key,
# c=, t=, h= (theirs, with -O ''), l=, i=, z=.  Our tag order and folding
# differ from libopendkim's, so b= differs: bh=, l=, z= and the fields
# hashed must match, and the result must verify.
# (a loop reading a file, not a pipe: pass and fail count in this shell)
awk -F '\t' '$2 == "sign" { print $1, $5, $6, $8, $9 }' "$O/expected.tsv" \
    >"$T/odk.rows"
while read -r id a c d other; do
	case $a in
	rsa-sha1)
		# RFC 8301 3.1: signers MUST NOT use rsa-sha1; dkim-sign has
		# no way to make one (checked once below), so these
		# vectors are skipped.
		continue ;;
	esac
	s=$O/messages/$id.signed.eml
	set -- -c "$c" -d "$d" -s test -k "$T/odk.pem" -t 1172620939 -O '' \
	    -h "$(tagof h 1 "$s")"
	case " $other " in *" l="*) set -- "$@" -l ;; esac
	case " $other " in *" z="*) set -- "$@" -z ;; esac
	case " $other " in *" i="*)
		i=${other#*i=}
		set -- "$@" -i "${i%% *}" ;;
	esac
	run dkim-sign "$@" "$O/messages/$id.unsigned.eml"
	if [ "$rc" != 0 ]; then
		fail "$id" "exit $rc: $(brief "$T/err")"
		continue
	fi
	cp "$T/out" "$T/odk.eml"
	for t in bh l i; do
		eq "$(tagof $t 1 "$T/odk.eml")" "$(tagof $t 1 "$s")" "$id: $t="
	done
	selected 1 "$T/odk.eml" >"$T/ours"
	selected 1 "$s" >"$T/theirs"
	same "$T/theirs" "$T/ours" "$id: same fields hashed"
	case " $other " in *" z="*)
		# the same copies; libopendkim lists repeated fields top
		# down and keeps the CRLF of a folded one as =0D=0A, we
		# list them in h= selection order (bottom up) and unfolded
		# (RFC 5322 2.2.3); RFC 6376 3.5 fixes neither
		eq "$(tagof z 1 "$T/odk.eml" | tr '|' '\n' | sort)" \
		    "$(tagof z 1 "$s" | sed 's/=0D=0A//g' | tr '|' '\n' |
		    sort)" "$id: z=" ;;
	esac
	eq "$(words "$PEERS/opendkim-peer" verify --zone "$O/dns.txt" \
	    <"$T/odk.eml")" pass "$id: libopendkim verifies"
	run dkim-verify -K "$T/odk.zone" --time 1172620939 "$T/odk.eml"
	eq "$rc $(grep -c 'dkim=pass' "$T/out")" "0 1" \
	    "$id: dkim-verify passes"
	passthrough "$O/messages/$id.unsigned.eml" "$T/odk.eml" &&
	    pass "$id: pass-through" || fail "$id: pass-through" "bytes changed"
done <"$T/odk.rows"
# no rsa-sha1: the algorithm follows the key, and there is no -a
run dkim-sign -d example.com -s test -k "$T/odk.pem" -t 1172620939 \
    "$O/messages/t-test00.unsigned.eml"
eq "$(tagof a 1 "$T/out")" rsa-sha256 "rsa-sha1 vector key signs rsa-sha256"
filter_fails 64 "no -a to ask for rsa-sha1" dkim-sign -a rsa-sha1 \
    -d example.com -s test -k "$T/odk.pem" "$O/messages/t-test00.unsigned.eml"

# ---------------------------------------------------------------------
# Fixed outputs: both keys, default options, t= fixed (testdata/sign/README)
for m in crlf-basic mbox-from-lf; do
	run dkim-sign -d example.com -t $T0 -s rsa -k "$T/rsa.pem" \
	    -s ed25519 -k "$T/ed25519.key" "$M/$m.eml"
	same "$K/$m.signed.eml" "$T/out" "$m: output is the fixed one"
	eq "$(wc -c <"$T/err")" 0 "$m: nothing on stderr"
	eq "$(b_rsa 1 "$T/out" "$T/rsa.pem")" "$(tagof b 1 "$T/out")" \
	    "$m: RSA b= = openssl pkeyutl"
	eq "$(b_ed 2 "$T/out" "$T/ed25519.pem")" "$(tagof b 2 "$T/out")" \
	    "$m: Ed25519 b= = openssl pkeyutl"
	eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" \
	    <"$T/out")" "pass pass" "$m: libopendkim verifies both"
	run dkim-verify -K "$T/sign.zone" --time $T0 "$K/$m.signed.eml"
	eq "$rc $(grep -c 'dkim=pass' "$T/out")" "0 2" \
	    "$m: dkim-verify passes both"
done

# every key file format gives the same bytes
$SIGN -t $T0 "$M/crlf-basic.eml" >"$T/want" 2>/dev/null
# PEM PKCS#8 and PKCS#1 RSA keys are read without libcrypto's decoders;
# the same key by the decoders (armourless DER, a PUBLIC KEY block first)
# must sign the same bytes.
openssl pkey -in "$T/rsa.pem" -pubout >"$T/rsa-pubfirst.pem"
cat "$T/rsa.pem" >>"$T/rsa-pubfirst.pem"
sed 's/$/\r/' "$T/rsa.pkcs1.pem" >"$T/rsa-crlf.pem"
chmod 600 "$T/rsa-pubfirst.pem" "$T/rsa-crlf.pem"
for k in rsa.pkcs1.pem rsa.b64 rsa.pkcs1.b64 rsa-pubfirst.pem rsa-crlf.pem; do
	run dkim-sign -d example.com -s rsa -k "$T/$k" -t $T0 "$M/crlf-basic.eml"
	same "$T/want" "$T/out" "RSA key as $k"
done
# a three-prime key (RSAPrivateKey version 1) is the decoders': the same
# bytes from its PEM and from its DER
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -pkeyopt rsa_keygen_primes:3 -out "$T/rsa3.pem" 2>/dev/null &&
    sed '/-----/d' "$T/rsa3.pem" >"$T/rsa3.b64")
for k in rsa3.pem rsa3.b64; do
	dkim-sign -d example.com -s rsa -k "$T/$k" -t $T0 "$M/crlf-basic.eml" \
	    >"$T/out-$k" 2>"$T/err"
	eq "$?.$(grep -c '^DKIM-Signature:' "$T/out-$k")" "0.1" \
	    "three-prime RSA key as $k: signs"
done
same "$T/out-rsa3.pem" "$T/out-rsa3.b64" \
    "three-prime RSA key: PEM and DER sign the same bytes"
dkim-sign -d example.com -s ed -k "$T/ed25519.key" -t $T0 \
    "$M/crlf-basic.eml" >"$T/want" 2>/dev/null
# A PKCS#8 Ed25519 key in PEM is made straight from its seed; the same key
# by libcrypto's decoders (a PUBLIC KEY block first, or no armour) must
# sign the same bytes, and an X25519 key of the same shape stays refused.
openssl pkey -in "$T/ed25519.pem" -pubout >"$T/ed-pubfirst.pem"
cat "$T/ed25519.pem" >>"$T/ed-pubfirst.pem"
sed 's/$/\r/' "$T/ed25519.pem" >"$T/ed-crlf.pem"
chmod 600 "$T/ed-pubfirst.pem" "$T/ed-crlf.pem"
for k in ed25519.pem ed25519.b64 ed-pubfirst.pem ed-crlf.pem; do
	run dkim-sign -d example.com -s ed -k "$T/$k" -t $T0 "$M/crlf-basic.eml"
	same "$T/want" "$T/out" "Ed25519 key as $k"
done
(umask 077 && openssl genpkey -algorithm x25519 -out "$T/x25519.pem")
filter_fails 78 "an X25519 key in PKCS#8: refused, exit 78" \
    dkim-sign -d example.com -s ed -k "$T/x25519.pem" -t $T0 \
    "$M/crlf-basic.eml"

# ---------------------------------------------------------------------
# Every message of testdata/msg/: pass-through, folding, bh= agreeing
# with dkim-canon; stdin (a pipe, spooled) gives the same bytes.
for f in "$M"/*.eml "$M"/three.mbox; do
	b=$(basename "$f")
	run dkim-sign -d example.com -t $T0 -s rsa -k "$T/rsa.pem" \
	    -s ed25519 -k "$T/ed25519.key" "$f"
	if [ "$rc" != 0 ]; then
		fail "$b" "exit $rc: $(brief "$T/err")"
		continue
	fi
	cp "$T/out" "$T/signed"
	passthrough "$f" "$T/signed" && pass "$b: pass-through" ||
	    fail "$b: pass-through" "bytes changed"
	folded_ok "$T/signed" && pass "$b: folded within 78 columns" ||
	    fail "$b: folding" "a line over 78 columns"
	for n in 1 2; do
		run dkim-canon -S $n -b sha256 "$T/signed"
		eq "$rc $(awk '{ print $2 }' "$T/out" | sort -u | wc -l)" "0 1" \
		    "$b: computed bh= = claimed bh= (signature $n)"
	done
	run sh -c 'cat "$1" | dkim-sign -d example.com -t $2 -s rsa -k "$3" \
	    -s ed25519 -k "$4"' sh "$f" $T0 "$T/rsa.pem" "$T/ed25519.key"
	same "$T/signed" "$T/out" "$b: stdin pipe = file"
done

# the body hash the signature claims is the one dkim-canon computes
run sh -c 'dkim-sign -d example.com -s rsa -k "$1" -T "$2" |
    dkim-canon -S 1 -b sha256' sh "$T/rsa.pem" "$M/whitespace-lines.eml"
eq "$rc $(awk '{ print $2 }' "$T/out" | sort -u | wc -l)" "0 1" \
    "dkim-sign | dkim-canon -S 1 -b sha256: computed = claimed"

# line ends: LF in, LF out, and the same signature as for CRLF
$SIGN -t $T0 "$M/crlf-basic.eml" >"$T/crlf" 2>/dev/null
$SIGN -t $T0 "$M/lf-basic.eml" >"$T/lf" 2>/dev/null
hasnt "$(printf '\r')" "$T/lf" "LF input: no CR in the output"
tr -d '\r' <"$T/crlf" | cmp -s - "$T/lf" &&
    pass "LF input: the CRLF output with LF line ends" ||
    fail "LF input" "differs from the CRLF output beyond line ends"
head -n 1 "$T/crlf" | grep -q "$(printf '\r')\$" &&
    pass "CRLF input: CRLF signature" || fail "CRLF input" "no CRLF"
# mbox: the postmark first, then the signature the message alone gets
$SIGN -t $T0 "$M/mbox-from.eml" >"$T/mbox" 2>/dev/null
tail -n +2 "$M/mbox-from.eml" >"$T/nopm"
$SIGN -t $T0 "$T/nopm" >"$T/nopm.out" 2>/dev/null
{ head -n 1 "$M/mbox-from.eml"; cat "$T/nopm.out"; } >"$T/want"
same "$T/want" "$T/mbox" "mbox postmark passed through first"
# a header with no line end at all
printf 'From: a@example.com' >"$T/bare"
run $SIGN -T -O '' "$T/bare"
printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; %s\n\t%s' \
    'd=example.com; s=rsa;' 'h=From;' >"$T/want"
eq "$(head -c "$(wc -c <"$T/want")" "$T/out")" "$(cat "$T/want")" \
    "unterminated header: LF signature"
eq "$(tail -c 19 "$T/out")" "From: a@example.com" \
    "unterminated header passed through"

# ---------------------------------------------------------------------
# Options
expect 0 "--help exits 0" dkim-sign --help
has '^usage: dkim-sign -d domain -s selector -k keyfile' "$T/out" \
    "--help starts with the usage"
for o in -c -d -h -i -k -l -O -s -t -T -x -z --help; do
	has "^ +$o " "$T/out" "--help explains $o"
	has "^\\.It Fl ${o#-}( |\$)" "$TOP/man/dkim-sign.1" "man page has $o"
done
has 'from:reply-to:subject:to:cc:content-type' "$T/out" \
    "--help states the over-sign default"
if command -v mandoc >/dev/null 2>&1; then
	run mandoc -Tlint -Wwarning "$TOP/man/dkim-sign.1"
	eq "$rc:$(cat "$T/out" "$T/err")" 0: "man page lints clean"
fi

# -h default: the fields present of RFC 6376 5.4.1's list, Message-ID and
# the MIME fields, each instance once; the -O default once more; never
# Received, Return-Path or anything else
printf '%s\r\n' 'Return-Path: <a@example.com>' 'Received: by mx' \
    'From: a@example.com' 'Reply-To: r@example.com' 'Subject: s' \
    'Date: Thu, 1 Jan 2026 00:00:00 +0000' 'To: b@example.com' \
    'To: c@example.com' 'Cc: d@example.com' 'Resent-Date: x' \
    'Resent-From: x' 'Resent-To: x' 'Resent-Cc: x' 'In-Reply-To: <x@y>' \
    'References: <x@y>' 'List-Id: x' 'List-Help: x' 'List-Unsubscribe: x' \
    'List-Subscribe: x' 'List-Post: x' 'List-Owner: x' 'List-Archive: x' \
    'Message-ID: <m@example.com>' 'MIME-Version: 1.0' \
    'Content-Type: text/plain' 'Content-Transfer-Encoding: 7bit' \
    'Sender: x@example.com' 'X-Mailer: x' '' 'body' >"$T/all"
run $SIGN -T "$T/all"
h=From:From:Reply-To:Reply-To:Subject:Subject:Date:To:To:To:Cc:Cc
h=$h:Resent-Date:Resent-From:Resent-To:Resent-Cc:In-Reply-To:References
h=$h:List-Id:List-Help:List-Unsubscribe:List-Subscribe:List-Post
h=$h:List-Owner:List-Archive:Message-ID:MIME-Version:Content-Type
h=$h:Content-Type:Content-Transfer-Encoding
eq "$(tagof h 1 "$T/out")" "$h" \
    "default h= on a message with every field"
eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" <"$T/out")" \
    pass "default h= verifies"
run $SIGN -T "$M/crlf-basic.eml"
h=From:From:Reply-To:Subject:Subject:Date:To:To:Cc:Message-ID
eq "$(tagof h 1 "$T/out")" "$h:MIME-Version:Content-Type:Content-Type" \
    "default h= on crlf-basic (absent Reply-To and Cc over-signed)"
run $SIGN -T "$M/duplicate-headers.eml"
h=From:From:Reply-To:Subject:Subject:Subject:Date:To:To:To:Cc
eq "$(tagof h 1 "$T/out")" "$h:Message-ID:Content-Type" \
    "repeated fields: each instance, once more when over-signed"
tagof h 1 "$T/out" >"$T/h"
hasnt '[Rr]eceived' "$T/h" "Received never signed by default"
# -h and -O
run $SIGN -T -O '' -h to:subject "$M/crlf-basic.eml"
eq "$(tagof h 1 "$T/out")" From:to:subject "-h without From: From added"
run $SIGN -T -O '' -h ' subject : FROM :: to' "$M/crlf-basic.eml"
eq "$(tagof h 1 "$T/out")" subject:FROM:to "-h names trimmed, case kept"
run $SIGN -T -O '' -h to:to:received "$M/duplicate-headers.eml"
eq "$(tagof h 1 "$T/out")" From:to:to:received:received:received \
    "-h: every instance of a named field, named once"
run $SIGN -T -h to -O x-absent:to "$M/crlf-basic.eml"
eq "$(tagof h 1 "$T/out")" From:to:to:x-absent "-O adds to -h, absent once"
eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" <"$T/out")" \
    pass "over-signed h= verifies"

# what over-signing buys (RFC 6376 8.15): a field added above a signed
# one breaks the signature only when the name is over-signed
for o in default none; do
	case $o in
	default) set -- ;;
	none) set -- -O '' ;;
	esac
	$SIGN -t $T0 "$@" "$M/crlf-basic.eml" >"$T/s" 2>/dev/null
	for add in 'Subject: changed' 'Reply-To: thief@example.net'; do
		{ printf '%s\r\n' "$add"; cat "$T/s"; } >"$T/forged"
		v=$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" \
		    <"$T/forged")
		case $o in
		default) eq "$v" fail "over-signed: adding '$add' fails" ;;
		none) eq "$v" pass "-O '': adding '$add' still passes" ;;
		esac
	done
done
# Date and Message-ID are not over-signed by default: an MTA may add them
# after signing without breaking the signature
printf 'From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\n\r\nhi\r\n' \
    >"$T/nodate"
for o in default date; do
	case $o in
	default) set -- ;;
	date) set -- -O from:date:message-id ;;
	esac
	$SIGN -t $T0 "$@" "$T/nodate" >"$T/s" 2>/dev/null
	awk '/^\r?$/ && !d {
		printf "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
		printf "Message-ID: <m@example.com>\r\n"
		d = 1
	    } { print }' "$T/s" >"$T/mta"
	v=$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" <"$T/mta")
	case $o in
	default) eq "$v" pass "Date, Message-ID added after signing: pass" ;;
	date) eq "$v" fail "-O date: Date added after signing: fail" ;;
	esac
done

# -c
for c in simple:simple/simple relaxed:relaxed/simple \
    simple/relaxed:simple/relaxed relaxed/simple:relaxed/simple \
    relaxed/relaxed:relaxed/relaxed; do
	run $SIGN -T -c "${c%%:*}" "$M/whitespace-lines.eml"
	cp "$T/out" "$T/s"
	eq "$(tagof c 1 "$T/s")" "${c#*:}" "-c ${c%%:*}: c=${c#*:}"
	eq "$(tagof bh 1 "$T/s")" "$(dkim-canon -c "${c#*:}" -b sha256 \
	    "$M/whitespace-lines.eml")" "-c ${c%%:*}: bh= as dkim-canon says"
	eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" \
	    <"$T/s")" pass "-c ${c%%:*}: verifies"
done
run $SIGN -T "$M/crlf-basic.eml"
eq "$(tagof c 1 "$T/out")" relaxed/relaxed "default c=relaxed/relaxed"

# -i
run $SIGN -T -i 'a;b=c d@Sub.Example.COM' "$M/crlf-basic.eml"
eq "$(tagof i 1 "$T/out")" 'a=3Bb=3Dc=20d@Sub.Example.COM' \
    "-i: i= in dkim-quoted-printable"
eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" <"$T/out")" \
    pass "-i subdomain identity verifies"
run $SIGN -T -i @example.com "$M/crlf-basic.eml"
eq "$(tagof i 1 "$T/out")" @example.com "-i @domain"
run $SIGN -T "$M/crlf-basic.eml"
hasnt '[; 	]i=' "$T/out" "no i= without -i"

# -l
run $SIGN -T -l -c simple/relaxed "$M/whitespace-lines.eml"
cp "$T/out" "$T/s"
eq "$(tagof l 1 "$T/s")" \
    "$(dkim-canon -B -c simple/relaxed "$M/whitespace-lines.eml" | wc -c)" \
    "-l: l= is the canonical body length"
printf 'appended by a list\r\n' >>"$T/s"
eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" <"$T/s")" \
    pass "-l: text appended after signing still verifies"
run $SIGN -T "$M/crlf-basic.eml"
hasnt '[; 	]l=' "$T/out" "no l= without -l"

# -t, -T, -x
run $SIGN -t 1234567890 "$M/crlf-basic.eml"
eq "$(tagof t 1 "$T/out")" 1234567890 "-t: t="
hasnt '[; 	]x=' "$T/out" "no x= without -x"
run $SIGN -t 0 "$M/crlf-basic.eml"
eq "$(tagof t 1 "$T/out")" 0 "-t 0"
run $SIGN -t 999999999999 "$M/crlf-basic.eml"
eq "$rc $(tagof t 1 "$T/out")" "0 999999999999" "-t: 12 digits at most"
run $SIGN -T "$M/crlf-basic.eml"
hasnt '[; 	]t=' "$T/out" "-T: no t="
run $SIGN -t 1000 -x 86400 "$M/crlf-basic.eml"
eq "$(tagof t 1 "$T/out") $(tagof x 1 "$T/out")" "1000 87400" \
    "-x: x= is t= plus the seconds"
run $SIGN -t 999999999998 -x 1 "$M/crlf-basic.eml"
eq "$rc $(tagof x 1 "$T/out")" "0 999999999999" "-x up to 12 digits"
run $SIGN -T -x 60 "$M/crlf-basic.eml"
x=$(tagof x 1 "$T/out" | grep -c '^[0-9]\{10,12\}$')
eq "$rc $(tagof t 1 "$T/out") $x" "0  1" "-T -x: x= from now, no t="
run $SIGN -t $T0 -x 3000000000 "$M/crlf-basic.eml"
eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" <"$T/out")" \
    pass "-x: x= in the future verifies"
# without -t, t= is now: between two readings of the clock
before=$(date +%s)
run $SIGN "$M/crlf-basic.eml"
after=$(date +%s)
t=$(tagof t 1 "$T/out")
[ "$t" -ge "$before" ] && [ "$t" -le "$after" ] &&
    pass "default t= is now" || fail "default t=" "$t not in [$before, $after]"

# -z
printf '%s\r\n' 'From: A <a@example.com>' 'To: b@example.com' \
    'Subject: x|y; z=1' '' body >"$T/z"
run $SIGN -T -O '' -h from:to:subject:cc -z "$T/z"
eq "$(tagof z 1 "$T/out")" 'From:=20A=20<a@example.com>|To:=20b@example.com|'\
'Subject:=20x=7Cy=3B=20z=3D1' \
    "-z: z= copies the signed fields present"
run $SIGN -T "$M/crlf-basic.eml"
hasnt '[; 	]z=' "$T/out" "no z= without -z"
for f in utf8 folded-headers; do
	run $SIGN -T -z "$M/$f.eml"
	cp "$T/out" "$T/s"
	folded_ok "$T/s" && pass "-z $f: folded within 78 columns" ||
	    fail "-z $f: folding" "a line over 78 columns"
	eq "$(words "$PEERS/opendkim-peer" verify --zone "$K/dns.txt" \
	    <"$T/s")" pass "-z $f: verifies"
	eq "$(sigfield 1 "$T/s" | LC_ALL=C tr -d '\001-\177' | wc -c)" 0 \
	    "-z $f: only ASCII in the field"
done

# several signatures in one pass, in -s/-k order
run dkim-sign -d example.com -T -s ed25519 -k "$T/ed25519.key" \
    -s rsa -k "$T/rsa.pem" -s rsa -k "$T/rsa.b64" "$M/crlf-basic.eml"
eq "$(tagof s 1 "$T/out") $(tagof s 2 "$T/out") $(tagof s 3 "$T/out")" \
    "ed25519 rsa rsa" "three signatures, in -s order"
eq "$(tagof a 1 "$T/out") $(tagof a 2 "$T/out")" \
    "ed25519-sha256 rsa-sha256" "each with its key's algorithm"
eq "$(tagof b 2 "$T/out")" "$(tagof b 3 "$T/out")" \
    "same key, same signature (RFC 8017 PKCS#1 v1.5 is deterministic)"
# signing a signed message: the old signatures still verify
run $SIGN -t $T0 "$R/message.signed.eml"
eq "$(words "$PEERS/opendkim-peer" verify --zone "$T/both.txt" <"$T/out")" \
    "pass pass pass" "new signature on top of two old ones: all verify"

# key file readable by others: a warning, the same output
$SIGN -t $T0 "$M/crlf-basic.eml" >"$T/want" 2>/dev/null
cp "$T/rsa.pem" "$T/loose.pem"
chmod 644 "$T/loose.pem"
run dkim-sign -d example.com -s rsa -k "$T/loose.pem" -t $T0 \
    "$M/crlf-basic.eml"
eq "$rc $(wc -l <"$T/err")" "0 1" "loose key file: exit 0, one warning"
has 'loose.pem: key file is accessible by group or others' "$T/err" \
    "loose key file: the warning names it"
same "$T/want" "$T/out" "loose key file: same output"

# a fresh dknewkey key is read as dkimpy writes it
if (cd "$T" && $PY /usr/bin/dknewkey --ktype ed25519 dk) >/dev/null 2>&1; then
	chmod 600 "$T/dk.key"
	printf 'dk._domainkey.example.com TXT "%s"\n' "$(cat "$T/dk.dns")" \
	    >"$T/dk.txt"
	dkim-sign -d example.com -s dk -k "$T/dk.key" -T "$M/utf8.eml" \
	    >"$T/s" 2>"$T/err"
	eq "$(words "$PEERS/dkimpy-verify" --zone "$T/dk.txt" <"$T/s")" \
	    pass "fresh dknewkey Ed25519 key: dkimpy verifies"
else
	fail "dknewkey" "could not make a key"
fi

# ---------------------------------------------------------------------
# Failures: exact code, nothing on stdout, one line on stderr
MSG=$M/crlf-basic.eml
filter_fails 74 "stdout is /dev/full" \
    sh -c 'exec "$@" >/dev/full' sh $SIGN "$MSG"
filter_fails 74 "stdout closed" sh -c 'exec "$@" >&-' sh $SIGN "$MSG"
# a reader that goes away: EPIPE, not a silent success
(
	$SIGN -T "$M/attachment.eml" 2>"$T/perr"
	echo $? >"$T/prc"
) | head -c 1 >/dev/null
eq "$(cat "$T/prc") $(wc -l <"$T/perr")" "74 1" "closed pipe: exit 74"

printf 'To: b@example.com\r\nSubject: s\r\n\r\nbody\r\n' >"$T/nofrom"
filter_fails 65 "no From field" $SIGN "$T/nofrom"
has 'no From' "$T/err" "no From: said so"
printf '%s\r\n' 'From: a@example.com' 'To: b@example.com' \
    'FROM : c@example.com' '' body >"$T/twofrom"
filter_fails 65 "two From fields" $SIGN "$T/twofrom"
has '2 From fields' "$T/err" "two From: said so"
: >"$T/empty"
filter_fails 65 "empty message" $SIGN "$T/empty"
printf 'From: a@example.com\r\nno colon here\r\n\r\n' >"$T/bad"
filter_fails 65 "header line without a colon" $SIGN "$T/bad"
$PY -c 'import sys
sys.stdout.write("From: a@example.com\r\n" + "To: b@example.com\r\n" * 255 +
    "\r\nbody\r\n")' >"$T/manyto"
# From and 255 To: 256 names in h=, the limit; over-signing both is 258
run $SIGN -T -O '' "$T/manyto"
eq "$rc $(tagof h 1 "$T/out" | tr ':' '\n' | wc -l)" "0 256" \
    "256 names in h=: within the limit"
filter_fails 65 "more than 256 names in h=" $SIGN "$T/manyto"
has 'more than 256 fields to sign' "$T/err" "h= limit: said so"
filter_fails 66 "message file missing" $SIGN "$T/nonexistent"
filter_fails 66 "message file is a directory" $SIGN "$T"

filter_fails 66 "key file missing" dkim-sign -d example.com -s s \
    -k "$T/nonexistent" "$MSG"
filter_fails 66 "key file is a directory" dkim-sign -d example.com -s s \
    -k "$T" "$MSG"
mkfifo "$T/fifo"
filter_fails 66 "key file is a FIFO (no hang)" timeout 10 \
    dkim-sign -d example.com -s s -k "$T/fifo" "$MSG"
has 'fifo: not a regular file$' "$T/err" "FIFO: said so"
if [ "$(id -u)" != 0 ]; then
	cp "$T/rsa.pem" "$T/unreadable.pem"
	chmod 000 "$T/unreadable.pem"
	filter_fails 66 "key file unreadable" dkim-sign -d example.com -s s \
	    -k "$T/unreadable.pem" "$MSG"
fi
head -c 300 /dev/urandom >"$T/garbage"
chmod 600 "$T/garbage"
filter_fails 78 "garbage key" dkim-sign -d example.com -s s \
    -k "$T/garbage" "$MSG"
: >"$T/nokey"
chmod 600 "$T/nokey"
filter_fails 78 "empty key file" dkim-sign -d example.com -s s \
    -k "$T/nokey" "$MSG"
head -c 70000 /dev/zero | tr '\0' A >"$T/huge"
chmod 600 "$T/huge"
filter_fails 78 "key file over 64 KiB" dkim-sign -d example.com -s s \
    -k "$T/huge" "$MSG"
openssl genrsa -out "$T/k512.pem" 512 2>/dev/null ||
    cp "$O/small.private.pem" "$T/k512.pem"
chmod 600 "$T/k512.pem"
filter_fails 78 "512-bit RSA key (RFC 8301)" dkim-sign -d example.com -s s \
    -k "$T/k512.pem" "$MSG"
has '512-bit' "$T/err" "512-bit: said so"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/ec.pem" 2>/dev/null
chmod 600 "$T/ec.pem"
filter_fails 78 "EC P-256 key" dkim-sign -d example.com -s s \
    -k "$T/ec.pem" "$MSG"
openssl pkey -in "$T/rsa.pem" -aes256 -passout pass:x -out "$T/enc.pem"
chmod 600 "$T/enc.pem"
filter_fails 78 "passphrase-protected key (never prompts)" \
    dkim-sign -d example.com -s s -k "$T/enc.pem" "$MSG" </dev/null
openssl pkey -in "$T/rsa.pem" -pubout -out "$T/pub.pem"
chmod 600 "$T/pub.pem"
filter_fails 78 "public key as -k" dkim-sign -d example.com -s s \
    -k "$T/pub.pem" "$MSG"
# the key is checked before the message is read
filter_fails 78 "bad key, message missing" dkim-sign -d example.com -s s \
    -k "$T/garbage" "$T/nonexistent"

# usage errors
filter_fails 64 "no arguments" dkim-sign
has '-d, -s and -k are required' "$T/err" "no arguments: said so"
filter_fails 64 "no -d" dkim-sign -s rsa -k "$T/rsa.pem" "$MSG"
filter_fails 64 "no -s" dkim-sign -d example.com -k "$T/rsa.pem" "$MSG"
filter_fails 64 "no -k" dkim-sign -d example.com -s rsa "$MSG"
filter_fails 64 "-s and -k not paired" dkim-sign -d example.com -s a -s b \
    -k "$T/rsa.pem" "$MSG"
set --
for n in 1 2 3 4 5 6 7 8 9; do set -- "$@" -s "s$n" -k "$T/rsa.pem"; done
filter_fails 64 "nine signatures" dkim-sign -d example.com "$@" "$MSG"
filter_fails 64 "two files" $SIGN "$MSG" "$MSG"
filter_fails 64 "unknown option" $SIGN -Q "$MSG"
filter_fails 64 "missing option argument" $SIGN "$MSG" -c
filter_fails 64 "-c unknown" $SIGN -c fancy "$MSG"
filter_fails 64 "-c upper case" $SIGN -c Relaxed "$MSG"
filter_fails 64 "-d not a domain" dkim-sign -d 'exa mple.com' -s rsa \
    -k "$T/rsa.pem" "$MSG"
filter_fails 64 "-s not a selector" dkim-sign -d example.com -s 'a;b' \
    -k "$T/rsa.pem" "$MSG"
filter_fails 64 "-t not a number" $SIGN -t soon "$MSG"
filter_fails 64 "-t negative" $SIGN -t -1 "$MSG"
filter_fails 64 "-t over 12 digits" $SIGN -t 1000000000000 "$MSG"
filter_fails 64 "-t with -T" $SIGN -t 1 -T "$MSG"
filter_fails 64 "-x 0" $SIGN -x 0 "$MSG"
filter_fails 64 "-x past 12 digits" $SIGN -t 999999999999 -x 1 "$MSG"
filter_fails 64 "-i without @" $SIGN -i example.com "$MSG"
filter_fails 64 "-i outside -d" $SIGN -i a@example.net "$MSG"
filter_fails 64 "-i suffix but not subdomain" $SIGN -i a@xexample.com "$MSG"
filter_fails 64 "-i invalid domain" $SIGN -i a@.example.com "$MSG"
filter_fails 64 "-h name with a space" $SIGN -h 'x y' "$MSG"
filter_fails 64 "-h name with ;" $SIGN -h 'from;x' "$MSG"
filter_fails 64 "-O name with ;" $SIGN -O 'a;b' "$MSG"
filter_fails 64 "-h 8-bit name" $SIGN -h "$(printf 'x\303\251')" "$MSG"
filter_fails 64 "-h DKIM-Signature (none in the message)" \
    $SIGN -h from:dkim-signature "$MSG"
filter_fails 64 "-O DKIM-Signature" $SIGN -O DKIM-Signature \
    "$R/message.signed.eml"
filter_fails 64 "-h 257 names" $SIGN \
    -h "$($PY -c 'print(":".join("x%d" % i for i in range(257)))')" "$MSG"
t_done

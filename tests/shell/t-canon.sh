#!/bin/sh
# dkim-canon and the canonicalization library against the public vectors.
. "$(dirname "$0")/lib.sh"

C=$V/canonicalization
HDR=$(printf 'X-Test: canon\r\n\r\n')

# --- canonicalization.tsv: one case a row, byte for byte ---
tail -n +2 "$C/canonicalization.tsv" | cut -f1,2 | while IFS='	' read -r id fn; do
	in=$C/cases/$id.in
	case $fn in
	body-*)
		{ printf 'X-Test: canon\r\n\r\n'; cat "$in"; } >"$T/msg"
		run dkim-canon -B -c "simple/${fn#body-}" "$T/msg"
		;;
	header-*)
		{ cat "$in"; printf '\r\n'; } >"$T/msg"
		run dkim-canon -H -c "${fn#header-}" "$T/msg"
		;;
	esac
	if [ "$rc" -ne 0 ]; then
		fail "$id" "exit $rc: $(brief "$T/err")"
	else
		same "$C/cases/$id.expected" "$T/out" "$id"
	fi
	# every case again, fed one byte at a time and in random chunks
	case $fn in body-*)
		tail -c +$((${#HDR} + 1)) "$T/msg" >"$T/body"
		run "$BIN/unit" chunks "${fn#body-}" "$T/body"
		eq "$rc" 0 "$id chunking" ;;
	esac
done >"$T/tsv.log"
# the loop ran in a subshell: count its verdicts here
while read -r line; do
	case $line in
	FAIL*) echo "$line"; T_FAILED=$((T_FAILED + 1)) ;;
	esac
done <"$T/tsv.log"
n=$(tail -n +2 "$C/canonicalization.tsv" | grep -c .)
nb=$(tail -n +2 "$C/canonicalization.tsv" | cut -f2 | grep -c '^body')
T_PASSED=$((T_PASSED + n + nb - $(grep -c '^FAIL' "$T/tsv.log")))

# --- body-hash.tsv: base64 body hashes, with and without l= ---
tail -n +2 "$C/body-hash.tsv" | cut -f1-6 >"$T/bh.tsv"
while IFS='	' read -r id file canon hash l bh; do
	{ printf 'X-Test: bh\r\n\r\n'; cat "$C/cases/$file"; } >"$T/msg"
	if [ -n "$l" ]; then
		run dkim-canon -c "simple/$canon" -l "$l" -b "$hash" "$T/msg"
	else
		run dkim-canon -c "simple/$canon" -b "$hash" "$T/msg"
	fi
	eq "$(cat "$T/out")" "$bh" "body hash $id"
done <"$T/bh.tsv"

# --- tag-lists and c= ---
tail -n +2 "$C/taglist.tsv" | cut -f1-3 >"$T/tl.tsv"
while IFS='	' read -r id input want; do
	unescape "$input" >"$T/tl.in"
	"$BIN/unit" taglist "$(cat "$T/tl.in")" >"$T/tl.out"
	if [ "$want" = ERROR ]; then
		eq "$(cat "$T/tl.out")" ERROR "$id"
	else
		# {"foo": "bar", "baz": "f oo=bar"} -> foo=bar lines
		exp=$($PY -c 'import sys,json; print(json.dumps(json.loads(sys.argv[1])))' "$want" 2>/dev/null)
		if [ -z "$exp" ]; then
			# "11 tags; t = \"...\"": count and one value
			eq "$(grep -c '^[a-z]' "$T/tl.out")" 11 "$id tag count"
			has '^t=1308078492$' "$T/tl.out" "$id t="
			has '^b=EUmDmdnA' "$T/tl.out" "$id b= with FWS"
		else
			got=$($PY -c 'import sys,json
print(json.dumps(dict(l.split("=",1) for l in open(sys.argv[1]).read().splitlines())))' "$T/tl.out")
			eq "$got" "$exp" "$id"
		fi
	fi
done <"$T/tl.tsv"
for c in 'relaxed:relaxed/simple' 'simple/relaxed:simple/relaxed' \
    'relaxed/relaxed:relaxed/relaxed' 'simple/simple:simple/simple' \
    ':ERROR' 'simple/simple/simple:ERROR' 'relaxed/stressed:ERROR' \
    'worried:ERROR' 'Relaxed:ERROR'; do
	eq "$("$BIN/unit" ctag "${c%%:*}")" "${c#*:}" "c=${c%%:*}"
done

# --- RFC 8463 Appendix A and RFC 6376 Appendix A ---
R=$V/rfc8463
for n in 1 2; do
	expect 0 "rfc8463 sig $n body hash matches" \
	    dkim-canon -S $n -b sha256 "$R/message.signed.eml"
	has '^computed bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=$' \
	    "$T/out" "rfc8463 sig $n computed bh"
	has '^claimed  bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=$' \
	    "$T/out" "rfc8463 sig $n claimed bh"
done
run dkim-canon -S 1 -H "$R/message.signed.eml"
same "$R/signing-input.ed25519.bin" "$T/out" "rfc8463 ed25519 signing input"
run dkim-canon -S 2 -H "$R/message.signed.eml"
same "$R/signing-input.rsa.bin" "$T/out" "rfc8463 rsa signing input"
run dkim-canon -c relaxed/relaxed -B "$R/message.signed.eml"
same "$R/canonical-body.relaxed.bin" "$T/out" "rfc8463 relaxed body"
run dkim-canon -B "$R/message.signed.eml"
same "$R/canonical-body.simple.bin" "$T/out" "rfc8463 simple body"
run dkim-canon -S 1 -H "$V/rfc6376/a2.signed.eml"
same "$V/rfc6376/signing-input.a2.bin" "$T/out" "rfc6376 A.2 signing input"
run dkim-canon -S 1 -B "$V/rfc6376/a2.signed.eml"
same "$V/rfc6376/canonical-body.simple.bin" "$T/out" "rfc6376 A.2 body"
for f in go-msgauth/signing-input.rsa.bin:go-msgauth/sign-expected.rsa.eml \
    go-msgauth/signing-input.ed.bin:go-msgauth/sign-expected.ed25519.eml; do
	run dkim-canon -S 1 -H "$V/${f#*:}"
	same "$V/${f%%:*}" "$T/out" "signing input of ${f#*:}"
done
# mailauth's copy of RFC 8463: LF line ends, no final empty line
for n in 1 2; do
	expect 0 "mailauth LF copy sig $n body hash" \
	    dkim-canon -S $n -b sha256 "$V/mailauth/ec-signed.eml"
done
# a mismatch exits 1 and says so
sed 's/^Joe\./Jim./' "$R/message.signed.eml" >"$T/tampered"
expect 1 "-S -b on a changed body exits 1" dkim-canon -S 1 -b sha256 "$T/tampered"
hasnt 'computed bh=2jUSOH9N' "$T/out" "changed body hashes differently"

# --- the OpenDKIM signing vectors: the bytes we hash give OpenDKIM's bh= ---
for f in "$V"/opendkim/messages/t-test*.signed.eml; do
	run dkim-canon -S 1 -b sha256 "$f"
	[ "$rc" -eq 0 ] || grep -q 'a=rsa-sha1' "$f" || {
		fail "$(basename "$f") body hash" "$(brief "$T/out")"; continue; }
	pass "$(basename "$f") body hash"
done

t_done

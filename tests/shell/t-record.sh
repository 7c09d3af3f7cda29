#!/bin/sh
# dkim-record offline: every output format against independently written
# expected files, the key inputs it reads, the lint report (-l), the key
# table (-q -K), and its usage errors.
. "$(dirname "$0")/lib.sh"

K=$TD/keys
E=$TD/record
NOTE='rotated 2026-12; see "ops" \ wiki'

# --- help: every option listed ---
expect 0 "--help" dkim-record --help
for o in -d -s -F --ttl '-t y' '-t s' '-h sha256' -n -q -k -r -K --timeout \
    --tries -l --revoke --help; do
	has "^ +$o " "$T/out" "--help lists $o"
done

# --- formats: fixed keys against testdata/record ---
for k in rsa2048 ed25519; do
	for f in zone bind value tinydns nsupdate json; do
		run dkim-record -d example.com -s sel -F $f "$K/$k.pem"
		same "$E/$k.$f" "$T/out" "$k -F $f"
		run dkim-record -d example.com -s sel -F $f -t y -t s \
		    -h sha256 --ttl 300 -n "$NOTE" "$K/$k.pem"
		same "$E/$k.flags.$f" "$T/out" "$k -F $f with flags"
	done
done
run dkim-record -d example.com -s sel "$K/rsa2048.pem"
same "$E/rsa2048.zone" "$T/out" "zone is the default format"
eq "$(sed -n 1p "$E/rsa2048.zone" | grep -o '" "' | wc -l)" 2 \
    "RSA-2048 record: three strings, the first ending before p="

# --- --revoke: the record that withdraws a selector (RFC 6376 3.6.1) ---
run dkim-record -d example.com -s old --revoke -F value
eq "$rc:$(cat "$T/out")" "0:v=DKIM1; p=" "--revoke: v=DKIM1; p="
run dkim-record -d example.com -s old --revoke -F nsupdate -n retired
eq "$(cat "$T/out")" "$(printf '%s\n' \
    'update delete old._domainkey.example.com. TXT' \
    'update add old._domainkey.example.com. 86400 IN TXT "v=DKIM1; n=retired; " "p="' \
    send)" "--revoke -F nsupdate -n: replaces the record"
run sh -c 'dkim-record -d example.com -s old --revoke -F value | dkim-record -l'
eq "$rc" 1 "--revoke: -l calls the record unusable"
has '^key +revoked' "$T/out" "--revoke: -l says revoked"
filter_fails 64 "--revoke with a key" dkim-record -d example.com -s old \
    --revoke "$K/ed25519.pem"
filter_fails 64 "--revoke with -q" dkim-record -q -d example.com -s old \
    --revoke

# --- inputs: private, public, stdin, "-", RFC 8463 seed ---
for f in rsa2048.pub.pem rsa2048.rsapub.pem; do
	run dkim-record -d example.com -s sel "$K/$f"
	same "$E/rsa2048.zone" "$T/out" "public key $f"
done
run dkim-record -d example.com -s sel "$K/ed25519.pub.pem"
same "$E/ed25519.zone" "$T/out" "Ed25519 public key"
run dkim-record -d example.com -s sel <"$K/rsa2048.pem"
same "$E/rsa2048.zone" "$T/out" "key on stdin"
run dkim-record -d example.com -s sel - <"$K/ed25519.pem"
same "$E/ed25519.zone" "$T/out" "key from -"
openssl pkey -in "$K/rsa2048.pem" -traditional >"$T/pkcs1.pem" 2>/dev/null
run dkim-record -d example.com -s sel "$T/pkcs1.pem"
same "$E/rsa2048.zone" "$T/out" "PKCS#1 RSA PRIVATE KEY"
openssl pkey -in "$K/rsa2048.pem" -outform DER 2>/dev/null | base64 -w0 \
    >"$T/der.b64"
run dkim-record -d example.com -s sel "$T/der.b64"
same "$E/rsa2048.zone" "$T/out" "base64 DER without PEM lines"
run dkim-record -d example.com. -s sel "$K/ed25519.pem"
same "$E/ed25519.zone" "$T/out" "a final dot on the domain"
run dkim-record -d football.example.com -s brisbane -F value \
    "$V/rfc8463/ed25519.seed.b64"
eq "$(cat "$T/out")" \
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" \
    "RFC 8463 A.2 record from its seed"
run dkim-record -d example.com -s sel "$K/rsa1024.pem"
eq "$rc:$(wc -l <"$T/err")" "0:1" "1024-bit RSA: a record and a warning"
has 'RFC 8301' "$T/err" "the warning cites RFC 8301"

# --- what nsd makes of the zone and bind forms ---
if command -v nsd-checkzone >/dev/null 2>&1 || [ -x /usr/sbin/nsd-checkzone ]
then
	chk=$(command -v nsd-checkzone || echo /usr/sbin/nsd-checkzone)
	{
		printf '$ORIGIN example.com.\n$TTL 300\n'
		printf '@ IN SOA ns.invalid. h.invalid. 1 3600 600 86400 60\n'
		printf '@ IN NS ns.invalid.\n'
		cat "$E"/*.zone "$E"/*.bind
	} >"$T/z"
	expect 0 "nsd-checkzone reads the zone and bind forms" \
	    "$chk" example.com "$T/z"
else
	fail "nsd-checkzone" "not installed (tests/setup.sh installs nsd)"
fi

# --- generate: errors ---
filter_fails 64 "no -d" dkim-record -s sel "$K/rsa2048.pem"
filter_fails 64 "no -s" dkim-record -d example.com "$K/rsa2048.pem"
filter_fails 64 "-F unknown" dkim-record -d example.com -s sel -F xml \
    "$K/rsa2048.pem"
filter_fails 64 "-h sha1" dkim-record -d example.com -s sel -h sha1 \
    "$K/rsa2048.pem"
filter_fails 64 "-t x" dkim-record -d example.com -s sel -t x "$K/rsa2048.pem"
filter_fails 64 "--ttl -1" dkim-record -d example.com -s sel --ttl -1 \
    "$K/rsa2048.pem"
filter_fails 64 "--ttl 2^31" dkim-record -d example.com -s sel \
    --ttl 2147483648 "$K/rsa2048.pem"
expect 0 "--ttl 2^31-1" dkim-record -d example.com -s sel --ttl 2147483647 \
    "$K/rsa2048.pem"
has ' 2147483647 IN TXT ' "$T/out" "the TTL is written"
filter_fails 64 "-n over 255 bytes" dkim-record -d example.com -s sel \
    -n "$($PY -c 'print("x" * 256)')" "$K/rsa2048.pem"
filter_fails 64 "selector with a space" dkim-record -d example.com \
    -s 'a b' "$K/rsa2048.pem"
filter_fails 64 "domain with a slash" dkim-record -d 'exa/mple.com' -s sel \
    "$K/rsa2048.pem"
filter_fails 64 "name over 253 bytes" dkim-record -s sel \
    -d "$($PY -c 'print(".".join(["a" * 60] * 4))')" "$K/rsa2048.pem"
filter_fails 64 "two key files" dkim-record -d example.com -s sel \
    "$K/rsa2048.pem" "$K/ed25519.pem"
filter_fails 64 "-k when generating" dkim-record -d example.com -s sel \
    -k "$K/rsa2048.pem"
filter_fails 64 "-r without -q" dkim-record -d example.com -s sel \
    -r 127.0.0.1 "$K/rsa2048.pem"
filter_fails 64 "unknown option" dkim-record -x
filter_fails 64 "-F without its argument" dkim-record -d example.com -s sel -F
filter_fails 66 "no such key file" dkim-record -d example.com -s sel \
    "$T/nonexistent"
filter_fails 66 "a directory as key file" dkim-record -d example.com -s sel \
    "$T"
printf 'not a key\n' >"$T/junk"
filter_fails 78 "a file without a key" dkim-record -d example.com -s sel \
    "$T/junk"
filter_fails 78 "empty stdin" dkim-record -d example.com -s sel </dev/null
filter_fails 78 "an ECDSA key" dkim-record -d example.com -s sel \
    "$K/p256.pem"
filter_fails 78 "a 512-bit RSA key" dkim-record -d example.com -s sel \
    "$K/rsa512.pem"
has '512' "$T/err" "the size is named"
if [ -w /dev/full ]; then
	dkim-record -d example.com -s sel "$K/rsa2048.pem" >/dev/full \
	    2>"$T/err"
	eq "$?:$(wc -l <"$T/err")" "74:1" "write error on stdout"
fi

# --- lint (-l) ---
run dkim-record -l <"$E/rsa2048.flags.value"
same "$E/rsa2048.flags.lint" "$T/out" "the report on a record"
eq "$rc" 0 "usable record: exit 0"
expect 0 "-l -k, the same key" dkim-record -l -k "$K/rsa2048.pub.pem" \
    <"$E/rsa2048.value"
has "^match +yes" "$T/out" "match yes"
expect 1 "-l -k, another key" dkim-record -l -k "$K/rsa2048.pem" \
    <"$E/ed25519.value"
has "^match +no" "$T/out" "match no"
has "^result +another key" "$T/out" "result: another key"
printf 'v=DKIM1; k=ed25519; p=7TRySsfju9j9G81KRSTBZlJRfm895YZkWIyRMVoBEww=\r\n' \
    >"$T/crlf"
expect 0 "a CRLF line end is not part of the record" dkim-record -l <"$T/crlf"

# each lint: input, exit, a pattern the report must have
ED=$(sed 's/.*p=//' "$E/ed25519.value")
RSA=$(sed 's/.*p=//' "$E/rsa2048.value")
openssl pkey -in "$K/rsa512.pem" -pubout -outform DER 2>/dev/null |
    base64 -w0 >"$T/p512"
openssl pkey -in "$K/rsa1024.pem" -pubout -outform DER 2>/dev/null |
    base64 -w0 >"$T/p1024"
while IFS='|' read -r code pat rec; do
	printf '%s\n' "$rec" | sed "s|@ED@|$ED|; s|@RSA@|$RSA|;
	    s|@512@|$(cat "$T/p512")|; s|@1024@|$(cat "$T/p1024")|" >"$T/rec"
	expect "$code" "lint: $rec" dkim-record -l <"$T/rec" &&
	    has "$pat" "$T/out" "lint: $rec: /$pat/"
done <<'EOF'
1|^error +tag-list syntax error at byte 9|v=DKIM1; ;p=
1|^error +tag-list syntax error at byte 0|
1|^error +duplicate tag at byte 16|v=DKIM1; k=rsa; k=rsa; p=@RSA@
1|^error +more than 64 tags|a0=;a1=;a2=;a3=;a4=;a5=;a6=;a7=;a8=;a9=;b0=;b1=;b2=;b3=;b4=;b5=;b6=;b7=;b8=;b9=;c0=;c1=;c2=;c3=;c4=;c5=;c6=;c7=;c8=;c9=;d0=;d1=;d2=;d3=;d4=;d5=;d6=;d7=;d8=;d9=;e0=;e1=;e2=;e3=;e4=;e5=;e6=;e7=;e8=;e9=;f0=;f1=;f2=;f3=;f4=;f5=;f6=;f7=;f8=;f9=;g0=;g1=;g2=;g3=;g4=;p=
1|^error +key record v= is not the first tag|k=rsa; v=DKIM1; p=@RSA@
1|^error +key record v= is not DKIM1|v=DKIM2; p=@RSA@
1|^error +unknown key type k=|v=DKIM1; k=dsa; p=@RSA@
1|^error +key record p= is not base64|v=DKIM1; p=MIIB!IjAN
1|^error +key record has no p= tag|v=DKIM1; k=rsa
1|^hint +p= holds an Ed25519 key: k=ed25519 is missing|v=DKIM1; p=@ED@
1|^hint +p= holds an RSA key: k=rsa, not k=ed25519|v=DKIM1; k=ed25519; p=@RSA@
1|^error +key record p= is not an RSA public key|v=DKIM1; k=rsa; p=AAAA
1|^error +the key is revoked|v=DKIM1; k=rsa; p=
1|^key +revoked|v=DKIM1; p=
1|^error +512-bit RSA key: RFC 8301 requires at least 1024|v=DKIM1; p=@512@
0|^warning +1024-bit RSA key: RFC 8301 asks for at least 2048|v=DKIM1; p=@1024@
0|^key +rsa, 1024 bits|v=DKIM1; p=@1024@
0|^warning +testing mode|v=DKIM1; k=ed25519; t=y; p=@ED@
0|^flags +testing \(t=y\), strict \(t=s\)|v=DKIM1; k=ed25519; t=s:y; p=@ED@
0|^flags +strict \(t=s\)$|v=DKIM1; k=ed25519; t=s; p=@ED@
1|^error +h= rules out sha256|v=DKIM1; h=sha1; p=@RSA@
0|^hashes +sha1, sha256$|v=DKIM1; h=sha1:sha256; p=@RSA@
0|^hashes +any \(no h=\)|v=DKIM1; p=@RSA@
1|^error +s= does not allow email|v=DKIM1; s=tlsrpt; p=@RSA@
0|^services +email:tlsrpt|v=DKIM1; s=email:tlsrpt; p=@RSA@
0|^notes +a b;c$|v=DKIM1; n=a=20b=3Bc; k=ed25519; p=@ED@
0|^key +ed25519$|k=ed25519; p=@ED@
0|^tag +x=unknown tags are shown|v=DKIM1; x=unknown tags are shown; k=ed25519; p=@ED@
EOF
printf 'v=DKIM1; k=ed25519; p=\000AAAA\n' >"$T/rec"
expect 1 "lint: a NUL byte" dkim-record -l <"$T/rec"
has '\\000' "$T/out" "the NUL byte is shown escaped"
$PY -c 'print("v=DKIM1; n=" + "x" * 65530 + "; p=")' >"$T/rec"
filter_fails 1 "lint: a record over 65535 bytes" dkim-record -l <"$T/rec"
filter_fails 64 "-l with -d" dkim-record -l -d example.com </dev/null
filter_fails 64 "-l with -k -" dkim-record -l -k - </dev/null
filter_fails 64 "-l with -F" dkim-record -l -F zone </dev/null
filter_fails 64 "-l and -q" dkim-record -l -q -d example.com -s sel

# --- key table (-q -K) ---
kt=$T/keys.zone
{
	echo '; keys for example.com'
	echo
	dkim-record -d example.com -s rsa "$K/rsa2048.pem"
	dkim-record -d example.com -s ed -F bind "$K/ed25519.pem"
	echo '   ; an indented comment'
	dkim-record -d example.org -s both "$K/rsa2048.pem"
	dkim-record -d example.org -s both "$K/ed25519.pem"
} >"$kt"
expect 0 "-K: RSA key, same key" dkim-record -q -K "$kt" -d example.com \
    -s rsa -k "$K/rsa2048.pem"
has '^source +key table ' "$T/out" "the source is named"
has '^key +rsa, 2048 bits' "$T/out" "the key is described"
has '^result +usable' "$T/out" "usable"
expect 0 "-K: -k - reads the key from stdin" dkim-record -q -K "$kt" \
    -d example.com -s rsa -k - <"$K/rsa2048.pem"
has '^match +yes, the key in stdin$' "$T/out" "stdin key matches"
expect 0 "-K: Ed25519 key from the bind form" dkim-record -q -K "$kt" \
    -d example.com -s ed -k "$K/ed25519.pub.pem"
expect 0 "-K: names compare without case" dkim-record -q -K "$kt" \
    -d EXAMPLE.com -s ED
expect 1 "-K: another key" dkim-record -q -K "$kt" -d example.com -s ed \
    -k "$K/rsa2048.pem"
has '^result +another key' "$T/out" "another key"
filter_fails 1 "-K: no such name" dkim-record -q -K "$kt" -d example.com \
    -s nothing
has 'no key' "$T/err" "no key"
expect 0 "-K: two records at a name" dkim-record -q -K "$kt" -d example.org \
    -s both
has '^warning +2 TXT records at the name' "$T/out" "several records warned"
eq "$(grep -c '^record ' "$T/out")" 2 "both records reported"
expect 1 "-K: two records, -k matches one" dkim-record -q -K "$kt" \
    -d example.org -s both -k "$K/ed25519.pem"
i=0
while [ $i -lt 9 ]; do
	echo "many._domainkey.example.com. IN TXT \"v=DKIM1; p=\""
	i=$((i + 1))
done >"$T/many.zone"
expect 1 "-K: nine records at a name" dkim-record -q -K "$T/many.zone" \
    -d example.com -s many
has '^error +1 more TXT records not shown' "$T/out" "the ninth is counted"
eq "$(grep -c '^record ' "$T/out")" 8 "eight records reported"
printf 'esc._domainkey.example.com. 60 IN TXT "v\\061DKIM1\\059 k=ed25519; " "p=%s"\n' \
    "$ED" >"$T/esc.zone"
expect 0 "-K: \\DDD escapes" dkim-record -q -K "$T/esc.zone" \
    -d example.com -s esc -k "$K/ed25519.pem"
has '^tag +v=DKIM1$' "$T/out" "escapes decoded"
printf 'x._domainkey.example.com. IN 60 txt ("v=DKIM1; k=ed25519;"\n ; c\n\n  "p=%s")\n' \
    "$ED" >"$T/order.zone"
expect 0 "-K: class before TTL, parentheses over lines" dkim-record -q \
    -K "$T/order.zone" -d example.com -s x
expect 0 "-K: the RFC 8463 vectors' zone file" dkim-record -q \
    -K "$V/rfc8463/dns.zone" -d football.example.com -s brisbane \
    -k "$V/rfc8463/ed25519.seed.b64"
expect 0 "-K: the RFC 6376 vectors' zone file" dkim-record -q \
    -K "$V/rfc6376/dns.zone" -d example.com -s brisbane \
    -k "$V/rfc6376/private.pem"

# key table errors: the file and the line
while IFS='|' read -r line text; do
	printf '; ok\nsel._domainkey.example.com. IN TXT "v=DKIM1; p="\n%b\n' \
	    "$text" >"$T/bad.zone"
	filter_fails 65 "-K error: $text" dkim-record -q -K "$T/bad.zone" \
	    -d example.com -s sel &&
	    has "bad.zone: line $line: " "$T/err" "-K error names line $line"
done <<'EOF'
3|x._domainkey.example.com. IN TXT "unterminated
3|x._domainkey.example.com. IN "no type"
3|x._domainkey.example.com. IN A 192.0.2.1
3|x._domainkey.example.com. IN TXT unquoted
3|x._domainkey.example.com. IN TXT
3|$ORIGIN example.com.
3|  "no owner"
3|x._domainkey.example.com. IN TXT ( "open"
4|x._domainkey.example.com. IN TXT ( "a"\n"b" ) )
3|x._domainkey.example.com. IN TXT "\\000"
3|x._domainkey.example.com. IN TXT "\\256"
3|bad name. IN TXT "x"
3|x._domainkey.example.com. 2147483648 IN TXT "x"
EOF
$PY -c 'print("x._domainkey.example.com. IN TXT \"" + "a" * 256 + "\"")' \
    >"$T/long.zone"
filter_fails 65 "-K: a string over 255 bytes" dkim-record -q \
    -K "$T/long.zone" -d example.com -s x
filter_fails 66 "-K: no such file" dkim-record -q -K "$T/none" \
    -d example.com -s sel
filter_fails 64 "-K with -r" dkim-record -q -K "$kt" -r 127.0.0.1 \
    -d example.com -s sel
filter_fails 64 "-q with -t" dkim-record -q -K "$kt" -t y -d example.com \
    -s sel
filter_fails 64 "-q without -s" dkim-record -q -K "$kt" -d example.com
filter_fails 78 "-q -k with a non-key" dkim-record -q -K "$kt" \
    -d example.com -s rsa -k "$T/junk"
filter_fails 66 "-q -K a device" dkim-record -q -K /dev/null -d example.com \
    -s rsa
has '^dkim-record: /dev/null: not a regular file$' "$T/err" \
    "-q -K a device: says it is not a regular file"
filter_fails 66 "-K a device (dkim-verify)" dkim-verify -K /dev/null \
    "$TD/msg/crlf-basic.eml"
has '^dkim-verify: /dev/null: not a regular file$' "$T/err" \
    "dkim-verify -K a device: says it is not a regular file"
t_done

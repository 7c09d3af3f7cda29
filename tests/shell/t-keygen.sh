#!/bin/sh
# dkim-keygen: the keys it makes, the files it writes (mode, no clobber,
# no symlinks, nothing left behind), the record it prints, and its usage
# errors.  RSA-4096 is made once, in t-dns.sh; 8192 is only parsed here.
. "$(dirname "$0")/lib.sh"

D=$T/d
mkdir "$D"
cd "$D" || exit 1

# the file names in the directory, hidden ones too
names() { ls -A "$D" | tr '\n' ' '; }

# --- help: every option listed ---
expect 0 "--help" dkim-keygen --help
for o in -t -b -o -f -d -s --now --help; do
	has "^ +$o " "$T/out" "--help lists $o"
done

# --- to stdout: one PKCS#8 PEM and nothing else ---
expect 0 "Ed25519 to stdout" dkim-keygen -t ed25519
cp "$T/out" "$T/ed.pem"
eq "$(head -n 1 "$T/ed.pem")" "-----BEGIN PRIVATE KEY-----" "PKCS#8 PEM"
openssl pkey -in "$T/ed.pem" >"$T/re.pem" 2>/dev/null
same "$T/re.pem" "$T/ed.pem" "openssl pkey reads it back, nothing else"
openssl pkey -in "$T/ed.pem" -noout -text 2>/dev/null >"$T/text"
has '^ED25519 Private-Key' "$T/text" "an Ed25519 key"
eq "$(wc -c <"$T/err")" 0 "nothing on stderr"

expect 0 "RSA by default" dkim-keygen
openssl pkey -in "$T/out" -noout -text 2>/dev/null >"$T/text"
has '^Private-Key: \(2048 bit' "$T/text" "2048 bits by default"
has '^publicExponent: 65537' "$T/text" "exponent 65537"

expect 0 "-b 1024" dkim-keygen -b 1024
openssl pkey -in "$T/out" -noout -text 2>/dev/null >"$T/text"
has '^Private-Key: \(1024 bit' "$T/text" "1024 bits"
eq "$(wc -l <"$T/err")" 1 "a 1024-bit key gets one warning line"
has 'RFC 8301' "$T/err" "the warning cites RFC 8301"

# --- sizes ---
filter_fails 64 "-b 1023 refused" dkim-keygen -b 1023
has '1024 to 8192' "$T/err" "the range is named"
filter_fails 64 "-b 512 refused" dkim-keygen -b 512
filter_fails 64 "-b 8193 refused" dkim-keygen -b 8193
filter_fails 64 "-b x refused" dkim-keygen -b x
echo existing >"$D/existing"
# -o is checked before the key is made: a quick way to see 8192 accepted
filter_fails 73 "-b 8192 accepted (fails later, on -o)" \
    dkim-keygen -b 8192 -o "$D/existing"
has 'exists' "$T/err" "... on the existing file"
filter_fails 64 "-b with Ed25519" dkim-keygen -t ed25519 -b 2048
filter_fails 64 "-t dsa" dkim-keygen -t dsa

# --- key files ---
for u in 000 022 077 277; do
	(umask $u && dkim-keygen -t ed25519 -o "$D/k$u.pem") 2>"$T/err"
	eq "$?:$(stat -c %a "$D/k$u.pem" 2>&1)" "0:600" "mode 0600 under umask $u"
done
openssl pkey -in "$D/k000.pem" -noout 2>/dev/null
eq "$?" 0 "the file is a key openssl reads"
rm -f "$D"/k*.pem

expect 0 "-o writes nothing on stdout" dkim-keygen -t ed25519 -o "$D/a.pem"
eq "$(wc -c <"$T/out")" 0 "stdout empty"
cp "$D/a.pem" "$T/a.before"
filter_fails 73 "an existing file is not overwritten" \
    dkim-keygen -t ed25519 -o "$D/a.pem"
same "$T/a.before" "$D/a.pem" "the file is unchanged"
has 'a.pem exists' "$T/err" "the error names the file"
chmod 644 "$D/a.pem"
expect 0 "-f overwrites" dkim-keygen -t ed25519 -f -o "$D/a.pem"
if cmp -s "$T/a.before" "$D/a.pem"; then
	fail "-f: a new key" "the file is unchanged"
else
	pass "-f: a new key"
fi
eq "$(stat -c %a "$D/a.pem")" 600 "-f: mode 0600 again"

ln -s "$D/target" "$D/link.pem"
filter_fails 73 "-f never replaces a device" dkim-keygen -t ed25519 -f \
    -o /dev/null
mkfifo "$T/fifo"
filter_fails 73 "-f never replaces a FIFO" dkim-keygen -t ed25519 -f \
    -o "$T/fifo"
eq "$(ls -l /dev/null | cut -c1)$(ls -l "$T/fifo" | cut -c1)" cp \
    "the device and the FIFO are still there"
filter_fails 73 "no writing through a dangling symlink" \
    dkim-keygen -t ed25519 -o "$D/link.pem"
[ ! -e "$D/target" ] && [ -L "$D/link.pem" ]
eq "$?" 0 "the target is not created, the link stays"
echo precious >"$D/precious"
ln -s "$D/precious" "$D/link2.pem"
filter_fails 73 "no writing through a symlink" \
    dkim-keygen -t ed25519 -o "$D/link2.pem"
expect 0 "-f replaces the symlink itself" dkim-keygen -t ed25519 -f \
    -o "$D/link2.pem"
[ ! -L "$D/link2.pem" ] && [ "$(cat "$D/precious")" = precious ]
eq "$?" 0 "the link is a file now, its target untouched"
filter_fails 73 "-o a directory" dkim-keygen -t ed25519 -o "$D"
filter_fails 73 "-o dir/" dkim-keygen -t ed25519 -o "$D/new/"
filter_fails 73 "-o in a missing directory" dkim-keygen -t ed25519 \
    -o "$D/none/k.pem"
mkdir "$D/ro" && chmod 555 "$D/ro"
if [ "$(id -u)" -ne 0 ]; then
	filter_fails 73 "-o in a read-only directory" dkim-keygen \
	    -t ed25519 -o "$D/ro/k.pem"
fi
chmod 755 "$D/ro" && rmdir "$D/ro"
expect 0 "-o a bare name (current directory)" dkim-keygen -t ed25519 -o bare.pem
[ -f "$D/bare.pem" ]
eq "$?" 0 "the bare name is in the current directory"
eq "$(names)" "a.pem bare.pem existing link.pem link2.pem precious " \
    "no temporary files left behind"

# --- the record on stdout ---
expect 0 "-o -d -s" dkim-keygen -t ed25519 -o "$D/ed.pem" -d example.com \
    -s sel
cp "$T/out" "$T/rec"
eq "$(wc -l <"$T/rec")" 1 "one line on stdout"
hasnt 'PRIVATE' "$T/rec" "no private key on stdout"
run dkim-record -d example.com -s sel "$D/ed.pem"
same "$T/out" "$T/rec" "the record dkim-record makes from the file"
expect 0 "-o -d -s, RSA" dkim-keygen -o "$D/rsa.pem" -d example.com. -s sel
cp "$T/out" "$T/rec"
run dkim-record -d example.com -s sel "$D/rsa.pem"
same "$T/out" "$T/rec" "RSA: the record dkim-record makes from the file"
filter_fails 73 "the record is not printed when the file fails" \
    dkim-keygen -t ed25519 -o "$D/ed.pem" -d example.com -s sel

# --- dated selectors (strftime, local time, --now) ---
export TZ=UTC
expect 0 "-s k%Y%m" dkim-keygen -t ed25519 -o "$D/d1.pem" -d example.com \
    -s 'k%Y%m' --now 1800000000
has '^k202701\._domainkey\.example\.com\. ' "$T/out" "expanded for --now"
# 2027-01-01 00:00 UTC is still 2026 five hours west
TZ=EST5 dkim-keygen -t ed25519 -o "$D/d2.pem" -d example.com \
    -s 'k%Y%m%d' --now 1798761600 >"$T/out" 2>"$T/err"
has '^k20261231\._domainkey' "$T/out" "local time (TZ) is used"
filter_fails 64 "a selector expanding to a space" dkim-keygen -t ed25519 \
    -o "$D/d3.pem" -d example.com -s 'k%Y %m' --now 0
filter_fails 64 "a selector expanding to %" dkim-keygen -t ed25519 \
    -o "$D/d3.pem" -d example.com -s 'k%%' --now 0
has '"k%" is not a valid selector' "$T/err" "the expanded selector is named"
filter_fails 64 "a selector expanding to over 253 bytes" dkim-keygen \
    -t ed25519 -o "$D/d3.pem" -d example.com -s "$($PY -c 'print("%Y" * 64)')" \
    --now 0
filter_fails 64 "--now out of range" dkim-keygen -t ed25519 -o "$D/d3.pem" \
    -d example.com -s 'k%Y' --now -1
[ ! -e "$D/d3.pem" ]
eq "$?" 0 "no file after a usage error"

# --- usage errors ---
filter_fails 64 "-d without -o" dkim-keygen -d example.com -s sel
filter_fails 64 "-d without -s" dkim-keygen -o "$D/x.pem" -d example.com
filter_fails 64 "-s without -d" dkim-keygen -o "$D/x.pem" -s sel
filter_fails 64 "-f without -o" dkim-keygen -f
filter_fails 64 "--now without -s" dkim-keygen --now 0
filter_fails 64 "an argument" dkim-keygen extra
filter_fails 64 "unknown option" dkim-keygen -q
filter_fails 64 "-o without its argument" dkim-keygen -o
filter_fails 64 "a bad domain" dkim-keygen -o "$D/x.pem" -d 'a b' -s sel
[ ! -e "$D/x.pem" ]
eq "$?" 0 "no file after usage errors"
if [ -w /dev/full ]; then
	dkim-keygen -t ed25519 >/dev/full 2>"$T/err"
	eq "$?:$(wc -l <"$T/err")" "74:1" "write error on stdout"
fi
t_done

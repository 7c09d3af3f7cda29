#!/bin/sh
# make demo (tests/demo.sh) and the README's examples still run.
. "$(dirname "$0")/lib.sh"

expect 0 "the demo runs offline" env DKIM_BIN="$BIN" sh "$TOP/tests/demo.sh"
eq "$(grep -c '^dkim=pass header.d=example.com' "$T/out")" 2 \
    "the demo's two signatures pass"
eq "$(grep -c '^dkim=fail (body hash mismatch)' "$T/out")" 2 \
    "the demo's changed body fails both"
has '^Authentication-Results: mx.example.net;' "$T/out" "the demo's -A field"
has '^computed bh=(.*)$' "$T/out" "the demo's body hash"

# the README's examples, on a key table instead of DNS
cd "$T" || exit 1
dkim-keygen -o rsa.pem -d example.com -s rsa2026 >keys.zone 2>/dev/null
expect 0 "README: dkim-keygen -t ed25519 -o ed.pem -d -s" \
    dkim-keygen -t ed25519 -o ed.pem -d example.com -s ed2026
cat "$T/out" >>keys.zone
dkim-sign -d example.com -s rsa2026 -k rsa.pem -s ed2026 -k ed.pem \
    <"$TD/msg/crlf-basic.eml" >message.eml
eq "$?" 0 "README: dkim-sign with two keys"
expect 0 "README: dkim-verify message.eml" dkim-verify -K keys.zone message.eml
expect 0 "README: dkim-verify -A" sh -c \
    'dkim-verify -K keys.zone -A mx.example.net <message.eml'
mkdir -p Maildir/cur Maildir/new Maildir/tmp
cp message.eml Maildir/new/1
cp message.eml Maildir/cur/2
run sh -c 'find Maildir -type f -print0 | dkim-verify -0 -j -P 0 -K keys.zone'
eq "$rc:$(grep -c '"result":"pass"' "$T/out")" 0:2 \
    "README: find -print0 | dkim-verify -0 -j -P 0"
t_done

#!/bin/sh
# demo.sh: the main job on built-in defaults, offline (make demo):
# make keys, publish their records (into a key table, standing in for
# DNS), sign a message with both, verify it, then show what a change
# does to the result.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=${DKIM_BIN:-$top/build}:$PATH
d=$(mktemp -d "${TMPDIR:-/tmp}/dkim-demo.XXXXXX")
trap 'rm -rf "$d"' EXIT
msg=$top/testdata/msg/crlf-basic.eml

step() { printf '\n== %s\n' "$*"; }

step "dkim-keygen: an RSA-2048 and an Ed25519 key (files mode 0600), with their records"
dkim-keygen -o "$d/rsa.pem" -d example.com -s demo-rsa | tee "$d/keys.zone"
dkim-keygen -t ed25519 -o "$d/ed.pem" -d example.com -s demo-ed | tee -a "$d/keys.zone"
ls -l "$d"/*.pem | awk '{ print $1, $NF }'

step "dkim-record: the Ed25519 record as a BIND zone would have it"
dkim-record -F bind -d example.com -s demo-ed "$d/ed.pem"

step "dkim-sign: both signatures in one pass (RFC 8463 recommends RSA plus Ed25519)"
dkim-sign -d example.com -s demo-rsa -k "$d/rsa.pem" -s demo-ed -k "$d/ed.pem" \
    "$msg" >"$d/signed.eml"
sed -n '1,/^From:/p' "$d/signed.eml" | tr -d '\r'

step "dkim-verify: keys from the key table (-K) instead of DNS"
dkim-verify -K "$d/keys.zone" "$d/signed.eml"

step "dkim-verify -A: as a procmail or maildrop filter, the message with its result"
dkim-verify -K "$d/keys.zone" -A mx.example.net <"$d/signed.eml" |
    sed -n '1,3p' | tr -d '\r'

step "a changed body: both signatures fail, and -v says why"
sed 's/^Hello/Goodbye/' "$d/signed.eml" >"$d/changed.eml"
dkim-verify -v -K "$d/keys.zone" "$d/changed.eml" 2>&1 || true

step "dkim-canon: the body hash the signatures claim, recomputed"
dkim-canon -S 1 -b sha256 "$d/signed.eml"

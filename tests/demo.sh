#!/bin/sh
# demo.sh: the main job on built-in defaults, offline.  Run by "make demo".
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=${DKIM_BIN:-$top/build}:$PATH
msg=$top/testdata/vectors/rfc8463/message.signed.eml

echo "== dkim-canon: what the RFC 8463 Ed25519 signature covers"
dkim-canon -S 1 -H "$msg" | tr -d '\r'
echo
echo
echo "== its body hash, computed and claimed"
dkim-canon -S 1 -b sha256 "$msg"

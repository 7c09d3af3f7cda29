#!/bin/sh
# The body canonicalizer's fast paths (64-byte SIMD blocks, spans, the
# staging buffer) against a plain reference (canon-ref.py) on bodies made
# to hit them: 66 fixed ones with an empty line at every block offset,
# then random ones dense in CR, LF, SP and TAB.  "unit chunks" also feeds
# each body whole, a byte at a time, in random chunks and through the
# SSE2 code, and fails unless all agree.  Then header sections, against
# canon-hdr-ref.py.
. "$(dirname "$0")/lib.sh"

$PY "$TOP/tests/shell/canon-ref.py" "$BIN/unit" "$T" 150 20261129 \
    >"$T/log" 2>"$T/err"
eq "$?" 0 "canon-ref.py ran"
n=$(grep -c '^ok ' "$T/log")
eq "$n" $(((66 + 150) * 2)) "every body checked in both canonicalizations"
while read -r verdict rest; do
	case $verdict in
	ok) pass "$rest" ;;
	*) fail "${rest%%:*}" "${rest#*: }" ;;
	esac
done <"$T/log"

# Header fields (RFC 6376 3.4.1/3.4.2) the same way, through dkim-canon
# -H: 200 random header sections, both canonicalizations.
mkdir "$T/h"
$PY "$TOP/tests/shell/canon-hdr-ref.py" "$BIN/dkim-canon" "$T/h" 200 \
    20261129 >"$T/hlog" 2>"$T/err"
eq "$?" 0 "canon-hdr-ref.py ran"
eq "$(grep -c '^ok ' "$T/hlog")" 400 \
    "every header section checked in both canonicalizations"
grep -v '^ok ' "$T/hlog" >"$T/hbad"
while read -r verdict rest; do
	fail "${rest%%:*}" "${rest#*: }"
done <"$T/hbad"
t_done

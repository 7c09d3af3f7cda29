#!/bin/sh
# The body canonicalizer's fast paths (64-byte SIMD blocks, spans, the
# staging buffer) against a plain reference (canon-ref.py) on bodies made
# to hit them: 66 fixed ones with an empty line at every block offset,
# then random ones dense in CR, LF, SP and TAB.  "unit chunks" also feeds
# each body whole, a byte at a time, in random chunks and through the
# SSE2 code, and fails unless all agree.
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

t_done

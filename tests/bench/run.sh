#!/bin/sh
# run.sh: the dkim-tools benchmark ("make bench").  Builds the helpers
# (brun, floor, odkim-batch) in a temporary directory, then bench.py
# makes the messages there, measures our binaries, dkimpy, Mail::DKIM,
# libopendkim, the floor and openssl speed, prints a table and writes
# tests/bench/RESULTS.md.  The temporary directory is removed at the end.
#
#	DKIM_BIN=build sh tests/bench/run.sh
#
# A benchmark, not a test: exit 0 whatever the figures, 1 when something
# could not be measured, 2 when the helpers cannot be built.
# BENCH_QUICK=1: fewer repetitions, for trying the script.
# BENCH_CASES="small big batch memory": only those cases (default all).
# BENCH_KEEP=1: keep the temporary directory (messages, keys, helpers),
# for profiling by hand; its name is printed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=${DKIM_BIN:-$here/../../build}
bin=$(cd "$bin" && pwd) || exit 2
for p in dkim-sign dkim-verify; do
	if [ ! -x "$bin/$p" ]; then
		echo "bench: $bin/$p: not built" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkim-bench.XXXXXX") || exit 2
if [ "${BENCH_KEEP:-0}" = 1 ]; then
	echo "bench: keeping $tmp" >&2
else
	trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 2' HUP INT TERM

cc=${CC:-cc}
cflags="-O2 -Wall -Wextra"
$cc $cflags -o "$tmp/brun" "$here/brun.c" &&
$cc $cflags -pthread -o "$tmp/floor" "$here/floor.c" -lcrypto &&
$cc $cflags -I/usr/include/opendkim -o "$tmp/odkim-batch" \
    "$here/odkim-batch.c" -lopendkim -lcrypto -lresolv || {
	echo "bench: cannot build the helpers" >&2
	exit 2
}
# the floor with our other run-time libraries loaded too (optional)
$cc $cflags -pthread -o "$tmp/floor-libs" "$here/floor.c" -Wl,--no-as-needed \
    -lcrypto -lbsd -lresolv 2>/dev/null || rm -f "$tmp/floor-libs"

/usr/bin/python3 "$here/bench.py" "$bin" "$tmp" "$tmp" "$here/RESULTS.md"

#!/bin/sh
# run.sh: run every tests/shell/t-*.sh (or those named), print each
# failing case, end with "N passed, N failed"; exit 1 on any failure.
# Test files run two at a time (one per core on the reference machine).
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(ls tests/shell/t-*.sh)
fi
jobs=${DKIM_TEST_JOBS:-2}
res=$(mktemp -d "${TMPDIR:-/tmp}/dkim-run.XXXXXX")
trap 'rm -rf "$res"' EXIT

run_one() {
	name=$(basename "$1" .sh)
	start=$(date +%s)
	sh "$1" >"$res/$name.log" 2>&1 </dev/null
	echo "$?" >"$res/$name.rc"
	echo "$(($(date +%s) - start))" >"$res/$name.time"
}

# a simple job pool: at most $jobs test files at once
n=0
for t in $tests; do
	run_one "$t" &
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
		wait
		n=0
	fi
done
wait

passed=0
failed=0
for t in $tests; do
	name=$(basename "$t" .sh)
	log=$res/$name.log
	grep -v '^RESULT ' "$log"
	line=$(grep '^RESULT ' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $name: the test script died (exit $(cat "$res/$name.rc")) before t_done"
		failed=$((failed + 1))
		continue
	fi
	set -- $line
	passed=$((passed + $2))
	failed=$((failed + $3))
	[ -z "${T_TIMES:-}" ] || echo "# $name: $(cat "$res/$name.time")s"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

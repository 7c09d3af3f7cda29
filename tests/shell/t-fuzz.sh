#!/bin/sh
# The libFuzzer harnesses of tests/fuzz/: they build; every stored corpus
# input and every regression input (each an input that once crashed or
# hung a harness) passes again; a few seconds of fuzzing each finds
# nothing.  clang and libFuzzer (Debian clang, libclang-rt-14-dev, which
# tests/setup.sh installs) are required: without them this fails.
. "$(dirname "$0")/lib.sh"

F=$TOP/tests/fuzz
SMOKE=${FUZZ_SMOKE_SECONDS:-4}
HARNESSES="msg sig keyrec dns keytable verify sign keyfile"

# make in tests/fuzz, with no flags or variables from an enclosing make
fmake() {
	(unset MAKEFLAGS MFLAGS MAKELEVEL; make -s -C "$F" "$@")
}

# what went wrong, from a libFuzzer or compiler log
why() {
	grep -E 'CHECK failed|SUMMARY|ERROR|error:|Test unit written|Error' \
	    "$1" | head -n 4 | tr '\n\t' '  ' | cut -c 1-500
}

if ! command -v clang >/dev/null 2>&1; then
	fail "toolchain" "clang is not installed (tests/setup.sh installs \
clang and libclang-rt-14-dev)"
	t_done
	exit
fi

if fmake -j2 all >"$T/build.log" 2>&1; then
	pass "harnesses build"
else
	fail "harnesses build" "$(why "$T/build.log")"
	t_done
	exit
fi

# stored corpora stay small: a few hundred files each, well under 10 MB
kb=$(du -sk "$F/corpus" | cut -f1)
if [ "$kb" -lt 10240 ]; then
	pass "corpora total ${kb} KB"
else
	fail "corpora size" "${kb} KB, over 10 MB: make -C tests/fuzz merge"
fi

for h in $HARNESSES; do
	n=$(ls "$F/corpus/$h" 2>/dev/null | wc -l)
	if [ "$n" -ge 1 ] && [ "$n" -le 1000 ]; then
		pass "$h corpus has $n inputs"
	else
		fail "$h corpus" "$n inputs in tests/fuzz/corpus/$h"
	fi
	if fmake replay-"$h" >"$T/$h.replay" 2>&1; then
		pass "$h replays its corpus and regression inputs"
	else
		fail "$h replay" "$(why "$T/$h.replay")"
	fi
	if fmake smoke-"$h" SMOKE_SECONDS="$SMOKE" SMOKEDIR="$T/smoke" \
	    >"$T/$h.smoke" 2>&1; then
		pass "$h fuzzed ${SMOKE} s"
	else
		fail "$h fuzzing" "$(why "$T/$h.smoke") (input kept in \
tests/fuzz/build/)"
	fi
done
t_done

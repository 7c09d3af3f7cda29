# lib.sh: sourced by every tests/shell/t-*.sh.
#
# A test file is a list of cases.  Each case checks something that can
# fail and calls pass or fail; the file ends with t_done.  Failing cases
# print one line "FAIL <file>: <case>: <reason>".  The runner (run.sh)
# adds up the "RESULT <passed> <failed>" line t_done prints.
#
#   run cmd...                 run, keeping $rc, $T/out and $T/err
#   expect CODE DESC cmd...    exact exit status
#   filter_fails CODE DESC cmd...
#                              exact exit status, nothing on stdout and
#                              exactly one line on stderr
#   same EXPECTED ACTUAL DESC  byte-for-byte comparison of two files
#   has PATTERN FILE DESC      grep -E for PATTERN in FILE
#   hasnt PATTERN FILE DESC    the opposite
#   eq A B DESC                string equality

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TD=$TOP/testdata
V=$TD/vectors
BIN=${DKIM_BIN:-$TOP/build}
PEERS=$TOP/tests/peers
PATH=$BIN:$PATH
PY=/usr/bin/python3
export PATH
T_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/$T_NAME.XXXXXX")
T_PASSED=0
T_FAILED=0
T_CLEANUP=""

# Tests that need a fixed "now" get it through the tools' own options;
# nothing here depends on the current time.
t_cleanup() {
	for f in $T_CLEANUP; do $f; done
	rm -rf "$T"
}
trap t_cleanup EXIT
trap 'exit 1' INT TERM HUP

# Register a function to run at exit (e.g. to stop a server).
at_exit() {
	T_CLEANUP="$1 $T_CLEANUP"
}

pass() {
	T_PASSED=$((T_PASSED + 1))
	[ -z "${T_VERBOSE:-}" ] || echo "ok   $T_NAME: $1"
}

fail() {
	T_FAILED=$((T_FAILED + 1))
	echo "FAIL $T_NAME: $1: $2"
}

# One line of a file for a failure message, control characters dropped.
brief() {
	head -c 300 "$1" 2>/dev/null | tr -d '\000' | tr '\n\r\t' '   '
}

run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

expect() {
	_code=$1 _desc=$2
	shift 2
	run "$@"
	if [ "$rc" = "$_code" ]; then
		pass "$_desc"
		return 0
	fi
	fail "$_desc" "exit $rc, expected $_code; stderr: $(brief "$T/err")"
	return 1
}

filter_fails() {
	_code=$1 _desc=$2
	shift 2
	run "$@"
	if [ "$rc" != "$_code" ]; then
		fail "$_desc" "exit $rc, expected $_code; stderr: $(brief "$T/err")"
	elif [ -s "$T/out" ]; then
		fail "$_desc" "wrote $(wc -c <"$T/out") bytes on stdout"
	elif [ "$(wc -l <"$T/err")" -ne 1 ]; then
		fail "$_desc" "stderr is not one line: $(brief "$T/err")"
	else
		pass "$_desc"
		return 0
	fi
	return 1
}

same() {
	if cmp -s "$1" "$2"; then
		pass "$3"
		return 0
	fi
	fail "$3" "$(cmp "$1" "$2" 2>&1 | head -n 1)"
	return 1
}

has() {
	if grep -Eq -- "$1" "$2"; then
		pass "$3"
		return 0
	fi
	fail "$3" "no /$1/ in: $(brief "$2")"
	return 1
}

hasnt() {
	if ! grep -Eq -- "$1" "$2"; then
		pass "$3"
		return 0
	fi
	fail "$3" "unexpected /$1/ in: $(brief "$2")"
	return 1
}

eq() {
	if [ "$1" = "$2" ]; then
		pass "$3"
		return 0
	fi
	fail "$3" "got '$1', expected '$2'"
	return 1
}

# A private copy of a key file, mode 0600 (git keeps no modes, and the
# programs warn about keys others can read); prints its path.
private_copy() {
	mkdir -p "$T/private"
	_pc=$T/private/$(basename "$1")
	cp "$1" "$_pc" && chmod 600 "$_pc" && echo "$_pc"
}

# as_user USER CMD...: run CMD as USER (root only), else as ourselves; HOME
# is the current directory (procmail and maildrop read their rc there)
as_user() {
	_u=$1
	shift
	if [ -n "$_u" ]; then
		setpriv --reuid="$_u" --regid="$(id -g "$_u")" --clear-groups \
		    env HOME="$PWD" "$@"
	else
		env HOME="$PWD" "$@"
	fi
}

# C-escaped text (as in the vector tables) to bytes.
unescape() {
	$PY -c 'import sys,codecs
sys.stdout.buffer.write(codecs.escape_decode(sys.argv[1].encode())[0])' "$1"
}

t_done() {
	echo "RESULT $T_PASSED $T_FAILED"
	[ "$T_FAILED" -eq 0 ]
}

#!/bin/sh
# The message model's limits and hostile input: exact exit codes, one line
# on stderr, nothing on stdout.
. "$(dirname "$0")/lib.sh"

gen() { $PY -c "$1" >"$T/msg"; }

gen 'import sys; sys.stdout.write("X-A: b\r\n" * 5000 + "\r\nbody\r\n")'
expect 0 "5000 header fields are within the limit" dkim-canon -H "$T/msg"
gen 'import sys; sys.stdout.write("X-A: b\r\n" * 5001 + "\r\nbody\r\n")'
filter_fails 65 "5001 header fields" dkim-canon "$T/msg"
has 'more than 5000 header fields' "$T/err" "limit named in the error"
gen 'import sys; sys.stdout.write("X-A: b\r\n" * 100000 + "\r\nbody\r\n")'
filter_fails 65 "100000 header fields" dkim-canon "$T/msg"
gen 'import sys; sys.stdout.write("Subject: " + "x" * (10 << 20) + "\r\n\r\nbody\r\n")'
filter_fails 65 "10 MB header line" dkim-canon "$T/msg"
has '1048576' "$T/err" "header size limit named"
gen 'import sys; sys.stdout.write("Subject: " + "x" * 1000000 + "\r\n\r\nbody\r\n")'
expect 0 "1 MB header line is within the limit" dkim-canon -H "$T/msg"

: >"$T/empty"
filter_fails 65 "empty input" dkim-canon "$T/empty"
printf 'From someone@example.org Mon Nov 30 10:00:00 2026\n' >"$T/msg"
filter_fails 65 "only an mbox From line" dkim-canon "$T/msg"
printf 'From: a@example.org\r\nthis line has no colon\r\n\r\nbody\r\n' >"$T/msg"
filter_fails 65 "header line without a colon" dkim-canon "$T/msg"
has 'line 2' "$T/err" "the error names the line"
printf ' continued: x\r\nFrom: a@example.org\r\n\r\n' >"$T/msg"
filter_fails 65 "continuation line first" dkim-canon "$T/msg"
printf 'From: a\000b@example.org\r\n\r\nbody\r\n' >"$T/msg"
filter_fails 65 "NUL byte in a header" dkim-canon "$T/msg"
printf 'Bad Name: x\r\n\r\nbody\r\n' >"$T/msg"
filter_fails 65 "space inside a field name" dkim-canon "$T/msg"
printf ': no name\r\n\r\nbody\r\n' >"$T/msg"
filter_fails 65 "empty field name" dkim-canon "$T/msg"

# NUL and 8-bit bytes in the body are data
printf 'From: a@example.org\r\n\r\na\000b\377\r\n' >"$T/msg"
expect 0 "NUL and 8-bit bytes in the body" dkim-canon -B "$T/msg"
printf 'a\000b\377\r\n' >"$T/want"
same "$T/want" "$T/out" "body bytes passed through canonicalization"

# binary garbage: an error or a result, never a crash
head -c 200000 /dev/urandom >"$T/msg" 2>/dev/null
run dkim-canon "$T/msg"
case $rc in 0|65) pass "binary garbage: exit $rc" ;;
*) fail "binary garbage" "exit $rc: $(brief "$T/err")" ;; esac

# a long body line with no newline at all, 50 MB body: streamed, works
$PY -c 'import sys
sys.stdout.write("From: a@example.org\r\n\r\n")
sys.stdout.write(("x" * 999 + "\r\n") * (50 << 10))' >"$T/msg"
expect 0 "50 MB body" dkim-canon -c relaxed/relaxed -b sha256 "$T/msg"
t_done

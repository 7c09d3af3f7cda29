#!/bin/sh
# Every binary under valgrind's memcheck, on good and hostile input: no
# invalid read or write, no use of uninitialised memory, and on success no
# definite leak.  A run that ends in err(3) leaves its buffers to exit(3),
# so the error paths are checked for memory errors only (VGERR).
# valgrind exits 99 on an error; each run is a case that wants the
# program's own exit status.  About 40 s.
. "$(dirname "$0")/lib.sh"

# valgrind cannot run ASan binaries: under "make sanitize" it checks the
# ordinary build, which that target makes too
if [ -n "${DKIM_SANITIZE:-}" ]; then
	PATH=$TOP/build:$PATH
	export PATH
fi

F=$TD/verify
K=$F/keys.zone
KEY=$(private_copy "$F/keys/rsa2048.pem")
EDKEY=$(private_copy "$F/keys/ed25519.pem")
NOW=1700000000
ID=mx.example.net

if ! command -v valgrind >/dev/null 2>&1; then
	fail "valgrind" "not installed (tests/setup.sh installs it)"
	t_done
	exit 1
fi
VG="valgrind --error-exitcode=99 --leak-check=full"
VG="$VG --errors-for-leak-kinds=definite --track-fds=no -q"
VGERR="valgrind --error-exitcode=99 --leak-check=no --track-fds=no -q"

FPID=
fake_stop() {
	[ -z "$FPID" ] && return 0
	kill "$FPID" 2>/dev/null
	wait "$FPID" 2>/dev/null
	FPID=
}
at_exit fake_stop
fake_start() {
	fake_stop
	rm -f "$T/port"
	$PY "$TOP/tests/shell/fakedns.py" "$1" "$T/port" \
	    "$(dkim-record -F value -d example.com -s rsa "$KEY")" &
	FPID=$!
	_i=0
	while [ ! -s "$T/port" ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	FADDR=127.0.0.1:$(cat "$T/port" 2>/dev/null)
}

# vg CODE DESC [-p FILE] cmd...: cmd under memcheck exits CODE (99:
# memcheck found an error, shown from its report on stderr); with -p, cmd
# reads FILE from a pipe.  A CODE other than 0 checks without leaks.
vg() {
	_c=$1 _d=$2 _vg=$VG
	shift 2
	[ "$_c" = 0 ] || _vg=$VGERR
	if [ "$1" = -p ]; then
		_f=$2
		shift 2
		run sh -c 'cat "$0" | exec "$@"' "$_f" $_vg "$@"
	else
		run $_vg "$@"
	fi
	if [ "$rc" = "$_c" ]; then
		pass "$_d"
	else
		fail "$_d" "exit $rc, want $_c: $(grep -m 3 '^==' "$T/err" |
		    tr '\n' ' ' | cut -c 1-300)"
	fi
}

printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n' \
    >"$T/m"
printf 'From: a@example.com\r\nno colon here\r\n\r\nbody\r\n' >"$T/bad"
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/m" >"$T/s"
# hostile fields: control bytes in i= and z=, a duplicate tag
{
	printf 'DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; '
	printf 'i=a=1B=0D=0A=00@example.com; z=From:=1B[31m=0D=0A; h=from; '
	printf 'bh=x; b=x\r\n'
	printf 'DKIM-Signature: v=1; v=1; a=rsa-sha256\r\n'
	cat "$T/s"
} >"$T/hostile"

# dkim-canon
vg 0 "dkim-canon relaxed, folded fields" dkim-canon -c relaxed/relaxed \
    "$TD/msg/folded-headers.eml"
vg 0 "dkim-canon -S 1 -b sha256" dkim-canon -S 1 -b sha256 "$T/s"
vg 65 "dkim-canon: malformed message" dkim-canon "$T/bad"

# dkim-sign: two keys, every option that adds a tag; an error
vg 0 "dkim-sign: RSA and Ed25519, -z -l -i -x" dkim-sign -d example.com \
    -s rsa -k "$KEY" -s ed -k "$EDKEY" -z -l -i a@example.com -x 3600 \
    -t $NOW "$T/m"
vg 65 "dkim-sign: malformed message" dkim-sign -d example.com -s rsa \
    -k "$KEY" "$T/bad"

# dkim-verify: files, -j -v on hostile fields, -A from a pipe, threads
vg 0 "dkim-verify: three messages" dkim-verify --time $NOW -K "$K" \
    "$F/good.eml" "$F/three.eml" "$F/ed25519.eml"
vg 0 "dkim-verify -j -v: hostile fields, then a good one" dkim-verify \
    --time $NOW -K "$K" -j -v "$T/hostile"
vg 0 "dkim-verify -A from a pipe, several keys at the name" -p \
    "$F/sel-multi.eml" dkim-verify --time $NOW -K "$K" -A $ID
vg 0 "dkim-verify -P 2: four messages" dkim-verify --time $NOW -K "$K" \
    -P 2 "$F/good.eml" "$F/sel-multi.eml" "$F/z.eml" "$F/l-all.eml"
vg 0 "dkim-verify -A on a file" dkim-verify --time $NOW -K "$K" -A $ID \
    "$T/hostile"
# dkim-verify and dkim-record -q through DNS: TC then TCP, a malformed
# answer
fake_start tcok
vg 0 "dkim-verify -r: TC, then TCP" dkim-verify --time $NOW -r "$FADDR" \
    --timeout 2 --tries 1 "$T/s"
fake_start badtxt
vg 75 "dkim-record -q -r: a malformed answer" dkim-record -q \
    -d example.com -s rsa -r "$FADDR" --timeout 2 --tries 1
fake_stop

# dkim-keygen and dkim-record
vg 0 "dkim-keygen -t ed25519 -o -d -s" dkim-keygen -t ed25519 \
    -o "$T/new.pem" -d example.com -s sel
vg 0 "dkim-record -F json" dkim-record -F json -n 'a note' -d example.com \
    -s rsa "$KEY"
vg 0 "dkim-record -q -K -k" dkim-record -q -d example.com -s rsa -K "$K" \
    -k "$KEY"
t_done

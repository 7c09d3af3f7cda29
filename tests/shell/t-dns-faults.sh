#!/bin/sh
# DNS that goes wrong, from the fake server tests/shell/fakedns.py on
# 127.0.0.1: no answer, SERVFAIL, REFUSED, malformed answers, a wrong ID,
# truncation (TC) with and without a TCP answer.  Each is a temporary
# failure: dkim-verify says temperror and exits 75 within the time its
# --timeout and --tries allow, dkim-record -q exits 75 with one line on
# stderr.  What glibc's libresolv does with each is noted at its case.
. "$(dirname "$0")/lib.sh"

KEY=$(private_copy "$TD/verify/keys/rsa2048.pem")
NOW=1700000000
ID=mx.example.net
VALUE=$(dkim-record -F value -d example.com -s rsa "$KEY")

FPID=
fake_stop() {
	[ -z "$FPID" ] && return 0
	kill "$FPID" 2>/dev/null
	wait "$FPID" 2>/dev/null
	FPID=
}
at_exit fake_stop
# fake_start MODE: a fresh fake server; sets FADDR
fake_start() {
	fake_stop
	rm -f "$T/port" "$T/port.log"
	$PY "$TOP/tests/shell/fakedns.py" "$1" "$T/port" "$VALUE" \
	    2>"$T/fake.err" &
	FPID=$!
	_i=0
	while [ ! -s "$T/port" ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	FADDR=127.0.0.1:$(cat "$T/port" 2>/dev/null)
}
# queries: what the fake server was asked, e.g. "udp tcp"
queries() { tr '\n' ' ' <"$T/port.log" | sed 's/ $//'; }
timed() {
	_t0=$(date +%s%N)
	run "$@"
	ms=$((($(date +%s%N) - _t0) / 1000000))
}
# within LO HI DESC: the last timed command took LO to HI ms
within() {
	if [ "$ms" -ge "$1" ] && [ "$ms" -le "$2" ]; then
		pass "$3"
	else
		fail "$3" "took $ms ms, not $1 to $2"
	fi
}

printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n' \
    >"$T/m"
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/m" >"$T/s"
$PY -c 'import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"From: a@")
sys.stdout.buffer.write(d[:i] * 3 + d[i:])' "$T/s" >"$T/s3"

dv() { dkim-verify --time $NOW -r "$FADDR" --timeout 1 "$@"; }
dq() {
	dkim-record -q -d example.com -s rsa -r "$FADDR" --timeout 1 "$@"
}

# verify MODE DESC CODE LINE LO HI QUERIES: dkim-verify with one try on a
# fresh MODE server exits CODE, prints LINE (header.* left out) and nothing
# on stderr, in LO to HI ms, after QUERIES
verify() {
	fake_start "$1"
	timed dv --tries 1 "$T/s"
	eq "$rc:$(sed 's/ header\..*//' "$T/out"):$(wc -c <"$T/err")" \
	    "$3:$4:0" "$2: dkim-verify"
	within "$5" "$6" "$2: dkim-verify in $5 to $6 ms"
	eq "$(queries)" "$7" "$2: dkim-verify asked: $7"
}
# record MODE DESC CODE PATTERN LO HI QUERIES: the same for dkim-record -q
# (on failure: nothing on stdout, one line on stderr matching PATTERN;
# "-" for none)
record() {
	fake_start "$1"
	_t0=$(date +%s%N)
	if [ "$3" = 0 ]; then
		expect 0 "$2: dkim-record -q" dq --tries 1
	else
		filter_fails "$3" "$2: dkim-record -q" dq --tries 1
	fi
	ms=$((($(date +%s%N) - _t0) / 1000000))
	[ "$4" = - ] || has "$4" "$T/err" "$2: dkim-record -q says /$4/"
	within "$5" "$6" "$2: dkim-record -q in $5 to $6 ms"
	eq "$(queries)" "$7" "$2: dkim-record -q asked: $7"
}

# a server that answers well: the control case
verify txt "a good answer" 0 "dkim=pass" 0 900 udp
record txt "a good answer" 0 - 0 900 udp

# no answer at all: each try waits --timeout seconds
verify silent "no answer" 75 "dkim=temperror (DNS timeout)" 900 2500 udp
record silent "no answer" 75 'DNS timeout' 900 2500 udp
fake_start silent
timed dv --tries 3 "$T/s"
eq "$rc:$(queries)" "75:udp udp udp" "no answer, --tries 3: three tries"
within 2900 4500 "no answer, --tries 3: about 3 s"
fake_start silent
timed dq --tries 2
eq "$rc:$(queries)" "75:udp udp" "dkim-record -q --tries 2: two tries"
within 1900 3500 "dkim-record -q --tries 2: about 2 s"
# three signatures, three messages, three threads: one lookup, one wait
fake_start silent
timed dv --tries 1 "$T/s3"
eq "$rc:$(sed 's/ header\..*//' "$T/out" | sort | uniq -c | tr -s ' ')" \
    "75: 3 dkim=temperror (DNS timeout)" "three signatures: each temperror"
within 900 2500 "three signatures: one wait, not three"
eq "$(queries)" udp "three signatures: one query"
fake_start silent
timed dv --tries 1 -P 3 "$T/s" "$T/s3" "$T/s"
eq "$rc:$(queries)" "75:udp" "three messages in three threads: one query"
within 900 2500 "three messages in three threads: one wait"
# four keys: -P 4 looks them up at once (the submitter is one of the
# four threads once all is submitted), -P 2 two at a time
for i in 1 2 3 4; do
	sed "1s/ s=rsa;/ s=rsa$i;/" "$T/s" >"$T/k$i"
done
fake_start silent
timed dv --tries 1 -P 4 "$T/k1" "$T/k2" "$T/k3" "$T/k4"
eq "$rc:$(queries)" "75:udp udp udp udp" "four keys, -P 4: four queries"
within 900 2500 "four keys, -P 4: one wait for all four"
fake_start silent
timed dv --tries 1 -P 2 "$T/k1" "$T/k2" "$T/k3" "$T/k4"
eq "$rc:$(queries)" "75:udp udp udp udp" "four keys, -P 2: four queries"
within 1900 3500 "four keys, -P 2: two waits, two at a time"
# -A still writes the message, with the temperror in the field
fake_start silent
run dv --tries 1 -A $ID "$T/s"
eq "$rc:$(sed -n 2p "$T/out" | sed 's/ header\..*//')" \
    "0:	dkim=temperror (DNS timeout)" "no answer, -A: exit 0, temperror"
tail -c "$(wc -c <"$T/s")" "$T/out" >"$T/rest"
same "$T/s" "$T/rest" "no answer, -A: the message whole"

# SERVFAIL and REFUSED: libresolv gives up on the server at once, with
# TRY_AGAIN; each try asks again
verify servfail "SERVFAIL" 75 "dkim=temperror (DNS failure)" 0 900 udp
record servfail "SERVFAIL" 75 'temporary DNS failure' 0 900 udp
verify refused "REFUSED" 75 "dkim=temperror (DNS failure)" 0 900 udp
record refused "REFUSED" 75 'temporary DNS failure' 0 900 udp
fake_start servfail
run dv --tries 2 "$T/s"
eq "$rc:$(queries)" "75:udp udp" "SERVFAIL, --tries 2: asked twice"

# malformed answers: libresolv hands them over, ns_initparse or the TXT
# walk refuses them
verify garbage "an answer record cut short" 75 \
    "dkim=temperror (DNS failure)" 0 900 udp
record garbage "an answer record cut short" 75 'temporary DNS failure' \
    0 900 udp
verify badtxt "a TXT string longer than its RDATA" 75 \
    "dkim=temperror (DNS failure)" 0 900 udp
record badtxt "a TXT string longer than its RDATA" 75 \
    'temporary DNS failure' 0 900 udp
# five bytes: libresolv fails the try at once (EMSGSIZE), it does not wait
verify short "an answer shorter than a header" 75 \
    "dkim=temperror (DNS failure)" 0 900 udp
record short "an answer shorter than a header" 75 'temporary DNS failure' \
    0 900 udp

# the wrong ID: libresolv drops the answer and waits on: a timeout.
# After each dropped answer it polls again for the rest of the try, cut
# to whole milliseconds, so the try may end a little before --timeout
# seconds (0.9994 s measured, with 200 such answers): still a timeout.
verify wrongid "an answer with the wrong ID" 75 \
    "dkim=temperror (DNS timeout)" 900 2500 udp
record wrongid "an answer with the wrong ID" 75 'DNS timeout' 900 2500 udp
verify wrongids "wrong-ID answers every 10 ms" 75 \
    "dkim=temperror (DNS timeout)" 900 2500 udp
record wrongids "wrong-ID answers every 10 ms" 75 'DNS timeout' 900 2500 udp

# TC: libresolv asks again over TCP
verify tcok "TC, then a good answer over TCP" 0 "dkim=pass" 0 900 "udp tcp"
record tcok "TC, then a good answer over TCP" 0 - 0 900 "udp tcp"
verify tc "TC, then TCP closed without an answer" 75 \
    "dkim=temperror (DNS failure)" 0 900 "udp tcp"
record tc "TC, then TCP closed without an answer" 75 \
    'temporary DNS failure' 0 900 "udp tcp"
# TC over TCP as well (nsd does this when the records fit no message):
# still truncated, so temporary, not "no key"
verify tctc "TC over UDP and over TCP" 75 "dkim=temperror (DNS failure)" \
    0 900 "udp tcp"
record tctc "TC over UDP and over TCP" 75 'temporary DNS failure' \
    0 900 "udp tcp"
fake_stop
t_done

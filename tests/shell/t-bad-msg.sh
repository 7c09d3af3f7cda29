#!/bin/sh
# Hostile messages through every program that reads one: dkim-canon,
# dkim-sign, dkim-verify and dkim-verify -A, from a file and from a pipe.
# What cannot be a message is exit 65 with nothing on stdout and one line
# on stderr; what is within the limits (NUL bytes in the body, 200
# signatures, a 50 MB body) works, and quickly; random bytes give a result
# or a clean error, never a crash.  The big inputs are made once in $T.
. "$(dirname "$0")/lib.sh"

K=$TD/verify/keys.zone
KEY=$(private_copy "$TD/verify/keys/rsa2048.pem")
NOW=1700000000
ID=mx.example.net

# dv and ds are scripts, so that sh -c and the loops below see them too
mkdir "$T/bin"
printf '#!/bin/sh\nexec dkim-verify --time %s -K "%s" "$@"\n' $NOW "$K" \
    >"$T/bin/dv"
printf '#!/bin/sh\nexec dkim-sign -d example.com -s rsa -k "%s" -t %s "$@"\n' \
    "$KEY" $NOW >"$T/bin/ds"
chmod +x "$T/bin/dv" "$T/bin/ds"
PATH=$T/bin:$PATH

# timed cmd...: run, and set ms to the elapsed milliseconds
timed() {
	_t0=$(date +%s%N)
	run "$@"
	ms=$((($(date +%s%N) - _t0) / 1000000))
}

# below MAX DESC: the last timed command took less than MAX ms
below() {
	if [ "$ms" -lt "$1" ]; then
		pass "$2"
	else
		fail "$2" "took $ms ms, more than $1"
	fi
}

# all4 CODE DESC FILE PATTERN: the four readers fail on FILE, given as an
# operand and on stdin, each with exit CODE, nothing on stdout, one line
# on stderr matching PATTERN
all4() {
	_c=$1 _d=$2 _f=$3 _p=$4
	for _tool in canon sign verify filter; do
		case $_tool in
		canon) set -- dkim-canon ;;
		sign) set -- ds ;;
		verify) set -- dv ;;
		filter) set -- dv -A $ID ;;
		esac
		filter_fails "$_c" "$_d: $_tool" "$@" "$_f" &&
		    has "$_p" "$T/err" "$_d: $_tool names the problem"
		filter_fails "$_c" "$_d: $_tool, from a pipe" sh -c \
		    'cat "$0" | "$@"' "$_f" "$@"
	done
}
gen() { $PY -c "$1" >"$2"; }

# --- not a message: 65 everywhere ---
: >"$T/empty"
all4 65 "empty input" "$T/empty" 'empty message'
printf 'From someone@example.org Mon Nov 30 10:00:00 2026\n' >"$T/mbox1"
all4 65 "only an mbox From line" "$T/mbox1" 'empty message'
printf 'From: a\000b@example.com\r\nSubject: x\r\n\r\nbody\r\n' >"$T/nul"
all4 65 "NUL byte in a header field" "$T/nul" 'line 1: NUL byte'
printf 'From: a@example.com\r\nX: a\r\n b\000c\r\n\r\nbody\r\n' >"$T/nul2"
all4 65 "NUL byte in a continuation line" "$T/nul2" 'line 3: NUL byte'
printf 'From: a@example.com\r\nthis line has no colon\r\n\r\nbody\r\n' \
    >"$T/nocolon"
all4 65 "header line without a colon" "$T/nocolon" 'line 2: .*colon'
gen 'import sys
sys.stdout.write("From: a@example.com\r\nSubject: " + "x" * (10 << 20) +
    "\r\n\r\nbody\r\n")' "$T/longline"
all4 65 "a 10 MB header line" "$T/longline" 'larger than 1048576 bytes'
gen 'import sys
sys.stdout.write("From: a@example.com\r\n" + "X-A: b\r\n" * 100000 +
    "\r\nbody\r\n")' "$T/fields"
all4 65 "100000 header fields" "$T/fields" 'more than 5000 header fields'
rm -f "$T/longline" "$T/fields"

# --- NUL bytes in the body are data ---
printf 'From: a@example.com\r\nSubject: nul\r\n\r\na\000b\r\n\000\r\n' \
    >"$T/nulbody"
expect 0 "NUL in the body: dkim-canon" dkim-canon -B "$T/nulbody"
printf 'a\000b\r\n\000\r\n' >"$T/want"
same "$T/want" "$T/out" "NUL in the body: canonical body bytes kept"
expect 0 "NUL in the body: dkim-sign" ds "$T/nulbody"
cp "$T/out" "$T/nulsigned"
expect 0 "NUL in the body: dkim-verify passes" dv "$T/nulsigned"
has '^dkim=pass ' "$T/out" "NUL in the body: dkim=pass"
expect 0 "NUL in the body: dkim-verify -A" dv -A $ID "$T/nulsigned"
tail -c "$(wc -c <"$T/nulsigned")" "$T/out" >"$T/rest"
same "$T/nulsigned" "$T/rest" "NUL in the body: -A writes the message whole"

# --- 200 DKIM-Signature fields: 8 checked, the rest policy ---
printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: many\r\n\r\nhi\r\n' \
    >"$T/m"
ds "$T/m" >"$T/s1"
$PY -c 'import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"From: a@")
sys.stdout.buffer.write(d[:i] * 200 + d[i:])' "$T/s1" >"$T/s200"
# counts WORD...: "N word" for each result word, from $T/out
counts() {
	sed -n 's/^dkim=\([a-z]*\).*/\1/p' "$T/out" | sort | uniq -c |
	    awk '{ printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2 }'
}
expect 0 "200 signatures: exit 0" dv "$T/s200"
eq "$(counts)" "8 pass, 192 policy" "200 signatures: 8 checked, 192 policy"
eq "$(grep -c '^dkim=policy (too many signatures) header\.d=example\.com' \
    "$T/out")" 192 "200 signatures: policy says why"
expect 0 "200 signatures, -m 200" dv -m 200 "$T/s200"
eq "$(counts)" "200 pass" "-m 200: every signature checked"
expect 0 "200 signatures, -m 1" dv -m 1 "$T/s200"
eq "$(counts)" "1 pass, 199 policy" "-m 1: one checked"
head -n 1 "$T/out" >"$T/first"
has '^dkim=pass' "$T/first" "-m 1: the topmost is the one checked"
expect 0 "200 signatures, -j" dv -j "$T/s200"
eq "$($PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
r = [s["result"] for s in j["signatures"]]
print(len(r), r.count("pass"), r.count("policy"), j["result"])' "$T/out")" \
    "200 8 192 pass" "-j: 200 objects, 8 pass, 192 policy"
expect 0 "200 signatures, -A" dv -A $ID "$T/s200"
$PY -c 'import sys
o = open(sys.argv[1], "rb").read()
i = open(sys.argv[2], "rb").read()
lines = o.split(b"\r\n")
n = 1
while lines[n][:1] == b"\t":
    n += 1
ar = b"\r\n".join(lines[:n]) + b"\r\n"
print(n, ar.count(b"dkim="), o[len(ar):] == i)' "$T/out" "$T/s200" >"$T/v"
eq "$(cat "$T/v")" "201 200 True" \
    "-A: one field of 200 results, then the message whole"
expect 0 "200 signatures: dkim-sign adds one more" ds "$T/s200"
eq "$(grep -c '^DKIM-Signature:' "$T/out")" 201 "dkim-sign: 201 fields"
cp "$T/out" "$T/s201"
expect 0 "dkim-sign's new signature verifies, on top" dv -m 1 "$T/s201"
head -n 1 "$T/out" >"$T/first"
has '^dkim=pass' "$T/first" "the new signature is the topmost, and passes"
expect 0 "200 signatures: dkim-canon" dkim-canon -H "$T/s200"

# --- a 50 MB body: within the limits, streamed, quick ---
gen 'import sys
sys.stdout.write("From: a@example.com\r\nTo: b@example.org\r\nSubject: big\r\n\r\n")
sys.stdout.write(("x" * 998 + "\r\n") * (50 << 10))' "$T/big"
timed ds "$T/big"
eq "$rc" 0 "50 MB body: dkim-sign exit 0"
below 5000 "50 MB body: dkim-sign in under 5 s"
mv "$T/out" "$T/bigsigned"
timed dv "$T/bigsigned"
eq "$rc:$(cut -d' ' -f1 "$T/out")" "0:dkim=pass" "50 MB body: dkim-verify passes"
below 5000 "50 MB body: dkim-verify in under 5 s"
timed dv -A $ID "$T/bigsigned"
eq "$rc" 0 "50 MB body: dkim-verify -A exit 0"
below 5000 "50 MB body: dkim-verify -A in under 5 s"
tail -c "$(wc -c <"$T/bigsigned")" "$T/out" >"$T/rest"
same "$T/bigsigned" "$T/rest" "50 MB body: -A writes the message whole"
rm -f "$T/rest"
timed sh -c 'cat "$2" | dv -A "$1"' sh $ID "$T/bigsigned"
eq "$rc" 0 "50 MB body from a pipe: dkim-verify -A exit 0"
below 5000 "50 MB body from a pipe: -A in under 5 s"
tail -c "$(wc -c <"$T/bigsigned")" "$T/out" >"$T/rest"
same "$T/bigsigned" "$T/rest" "50 MB body from a pipe: the message whole"
rm -f "$T/rest" "$T/out"
timed dkim-canon -c relaxed/relaxed -b sha256 "$T/big"
eq "$rc" 0 "50 MB body: dkim-canon -b exit 0"
below 5000 "50 MB body: dkim-canon -b in under 5 s"
rm -f "$T/big" "$T/bigsigned"

# --- random bytes: a result or a clean error, never a crash ---
# garbage KIND SEED FILE: deterministic hostile bytes
garbage() {
	$PY -c 'import random, sys
kind, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
def rnd(n):
    return bytes(r.getrandbits(8) for _ in range(n))
out = b""
if kind == "bytes":
    out = rnd(r.choice([1, 77, 5000, 200000]))
elif kind == "body":
    out = b"From: a@example.com\r\n\r\n" + rnd(100000)
elif kind == "fields":
    # header fields of random printable bytes, folds, stray CR, 8-bit
    # bytes, and DKIM-Signature fields of random tags
    for _ in range(r.randint(1, 300)):
        if r.random() < 0.3:
            name = b"DKIM-Signature"
            val = b";".join(bytes([r.choice(b"abdhilstvxzq")]) +
                            b"=" + bytes(r.choice(b" \t=:;/.@\r\x1b\xff" +
                                              bytes(range(48, 123)))
                                         for _ in range(r.randint(0, 40)))
                            for _ in range(r.randint(0, 12)))
        else:
            name = bytes(r.choice(b"ABCXYZabc-_") for _ in range(r.randint(1, 8)))
            val = bytes(r.choice(b" \t\r=;:\"\\\x1b\xff" + bytes(range(33, 127)))
                        for _ in range(r.randint(0, 80)))
        out += name + b":" + val + r.choice([b"\r\n", b"\n", b"\r\n "])
    out += b"\r\n" + rnd(1000)
elif kind == "sig":
    # a real signature with random bytes spliced in
    d = bytearray(open(sys.argv[3], "rb").read())
    for _ in range(r.randint(1, 20)):
        d[r.randrange(len(d))] = r.getrandbits(8)
    out = bytes(d)
sys.stdout.buffer.write(out)' "$1" "$2" "$T/s1" >"$3"
}
n=0
bad=
for kind in bytes body fields sig; do
	for seed in 1 2 3 4 5 6; do
		garbage $kind $seed "$T/g"
		for tool in canon sign verify filter; do
			case $tool in
			canon) ok="0 65"; set -- dkim-canon ;;
			sign) ok="0 65"; set -- ds ;;
			verify) ok="0 1 2 65"; set -- dv ;;
			filter) ok="0 65"; set -- dv -A $ID ;;
			esac
			run "$@" "$T/g"
			n=$((n + 1))
			case " $ok " in
			*" $rc "*) ;;
			*) bad="$bad $kind/$seed/$tool:exit-$rc" ;;
			esac
			[ "$rc" -ne 0 ] || continue
			[ "$tool" = verify ] && [ "$rc" -ne 65 ] && continue
			[ -s "$T/out" ] && bad="$bad $kind/$seed/$tool:stdout"
			[ "$(wc -l <"$T/err")" -eq 1 ] ||
			    bad="$bad $kind/$seed/$tool:stderr"
		done
	done
done
eq "$n:$bad" "96:" "random bytes: 96 runs, each a result or one clean error"
t_done

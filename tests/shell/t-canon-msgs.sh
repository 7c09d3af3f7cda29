#!/bin/sh
# dkim-canon on testdata/msg/ against the independent expected outputs in
# testdata/canon/ (see its README), and the equivalences the message model
# promises: LF = CRLF, an mbox "From " line is set aside, any chunking.
. "$(dirname "$0")/lib.sh"

M=$TD/msg
E=$TD/canon
for f in "$M"/*.eml; do
	s=$(basename "$f" .eml)
	for c in simple relaxed; do
		run dkim-canon -H -c "$c" "$f"
		same "$E/$s.headers.$c" "$T/out" "$s headers $c"
		if [ -f "$E/$s.body.$c" ]; then
			run dkim-canon -B -c "simple/$c" "$f"
			same "$E/$s.body.$c" "$T/out" "$s body $c"
		fi
		for h in sha256 sha1; do
			run dkim-canon -c "simple/$c" -b $h "$f"
			eq "$(cat "$T/out")" "$(awk -v c=$c -v h=$h \
			    '$1 == c && $2 == h { print $3 }' "$E/$s.bh")" \
			    "$s bh $c $h"
		done
	done
	# the whole default output: headers, empty line, body
	if [ -f "$E/$s.body.relaxed" ]; then
		cat "$E/$s.headers.relaxed" >"$T/want"
		printf '\r\n' >>"$T/want"
		cat "$E/$s.body.relaxed" >>"$T/want"
		run dkim-canon -c relaxed/relaxed "$f"
		same "$T/want" "$T/out" "$s whole relaxed"
	fi
	# any chunking of the body gives the same bytes
	for c in simple relaxed; do
		dkim-canon -B -c "simple/$c" "$f" >"$T/whole" 2>/dev/null
		# the unit driver takes the raw body: what follows the empty line
		$PY -c 'import sys
d = open(sys.argv[1], "rb").read()
i = min([x for x in (d.find(b"\r\n\r\n") + 4 if b"\r\n\r\n" in d else -1,
         d.find(b"\n\n") + 2 if b"\n\n" in d else -1) if x > 0] or [len(d)])
sys.stdout.buffer.write(d[i:])' "$f" >"$T/body"
		run "$BIN/unit" chunks $c "$T/body"
		eq "$rc" 0 "$s chunking $c"
	done
done

# LF and CRLF give the same canonical bytes
for f in crlf-basic folded-headers duplicate-headers utf8 whitespace-lines \
    trailing-blank-lines long-lines empty-body obs-header-space; do
	tr -d '\r' <"$M/$f.eml" >"$T/lf.eml"
	for c in simple/simple relaxed/relaxed; do
		dkim-canon -c $c "$M/$f.eml" >"$T/a"
		dkim-canon -c $c "$T/lf.eml" >"$T/b"
		same "$T/a" "$T/b" "$f LF = CRLF $c"
	done
done

# an mbox postmark is not a header field, in both conventions
for c in simple/simple relaxed/relaxed; do
	tail -n +2 "$M/mbox-from.eml" >"$T/nofrom"
	dkim-canon -c $c "$M/mbox-from.eml" >"$T/a"
	dkim-canon -c $c "$T/nofrom" >"$T/b"
	same "$T/b" "$T/a" "mbox From line set aside ($c)"
	hasnt '^From ' "$T/a" "no postmark in canonical output ($c)"
done
# "From :" (obsolete syntax, space before the colon) is a header field
printf 'From : a@example.org\r\nTo: b@example.org\r\n\r\nhi\r\n' >"$T/obs"
run dkim-canon -H -c relaxed "$T/obs"
has '^from:a@example.org' "$T/out" '"From :" is a header field'

# -h selects bottom-up, in -h order; missing names select nothing
run dkim-canon -H -c relaxed -h 'subject:subject:subject:x-none:to' \
    "$M/duplicate-headers.eml"
awk '/^[Ss]ubject/' "$E/duplicate-headers.headers.relaxed" >"$T/subj"
{ tail -n 1 "$T/subj"; head -n 1 "$T/subj"; grep '^to:' \
    "$E/duplicate-headers.headers.relaxed" | tail -n 1; } >"$T/want"
same "$T/want" "$T/out" "-h picks instances bottom-up"

# -l limits the body
printf 'A: b\r\n\r\nhello world\r\n' >"$T/l"
run dkim-canon -B -l 5 "$T/l"
eq "$(cat "$T/out")" "hello" "-l 5 gives 5 bytes"

# --help and usage
expect 0 "--help exits 0" dkim-canon --help
has '^usage: dkim-canon' "$T/out" "--help prints usage on stdout"
for o in -c -h -l -H -B -b -S; do
	has " $o" "$T/out" "--help mentions $o"
done
filter_fails 64 "unknown option" dkim-canon -Q
has 'usage: dkim-canon' "$T/err" "usage error prints usage"
filter_fails 64 "bad -c" dkim-canon -c fancy "$M/crlf-basic.eml"
filter_fails 64 "bad -b" dkim-canon -b md5 "$M/crlf-basic.eml"
filter_fails 64 "bad -l" dkim-canon -l -3 "$M/crlf-basic.eml"
filter_fails 64 "-H with -B" dkim-canon -H -B "$M/crlf-basic.eml"
filter_fails 64 "-S with -c" dkim-canon -S 1 -c relaxed "$M/crlf-basic.eml"
filter_fails 65 "-S past the last signature" dkim-canon -S 1 "$M/crlf-basic.eml"
filter_fails 66 "missing file" dkim-canon "$T/nonexistent"
filter_fails 66 "directory as input" dkim-canon "$T"
run sh -c 'cat "$1" | dkim-canon' sh "$M/crlf-basic.eml"
same "$T/out" "$(dkim-canon "$M/crlf-basic.eml" >"$T/c"; echo "$T/c")" \
    "stdin and file give the same output"
t_done

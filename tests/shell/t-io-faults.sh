#!/bin/sh
# I/O that fails: standard output full (/dev/full), closed, or a pipe
# nobody reads any more (exit 74, never death by SIGPIPE, 141); standard
# input closed; key files and key tables that cannot be read, are
# directories, FIFOs or devices (66, at once: nothing may wait on a FIFO);
# inputs that are directories or missing (66); a temporary directory that
# cannot be used; an openssl.cnf that leaves no algorithm usable.  On each
# failure: one line on stderr, nothing on stdout.
. "$(dirname "$0")/lib.sh"

K=$TD/verify/keys.zone
KEY=$(private_copy "$TD/verify/keys/rsa2048.pem")
NOW=1700000000
ID=mx.example.net

printf 'From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n' \
    >"$T/m"
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/m" >"$T/s"
dkim-record -F value -d example.com -s rsa "$KEY" >"$T/value"

# Every program, a way that writes to standard output (NAME<TAB>COMMAND)
cat >"$T/cmds" <<EOF
dkim-canon	dkim-canon $T/m
dkim-canon -b	dkim-canon -b sha256 $T/m
dkim-sign	dkim-sign -d example.com -s rsa -k $KEY -t $NOW $T/m
dkim-verify	dkim-verify --time $NOW -K $K $T/s
dkim-verify -j	dkim-verify --time $NOW -K $K -j $T/s
dkim-verify -P 2	dkim-verify --time $NOW -K $K -P 2 $T/s $T/s
dkim-verify -A	dkim-verify --time $NOW -K $K -A $ID $T/s
dkim-verify -A stdin	sh -c 'exec dkim-verify --time $NOW -K $K -A $ID <$T/s'
dkim-verify -A pipe	sh -c 'cat $T/s | dkim-verify --time $NOW -K $K -A $ID'
dkim-record	dkim-record -d example.com -s rsa $KEY
dkim-record -F json	dkim-record -F json -d example.com -s rsa $KEY
dkim-record -q	dkim-record -q -d example.com -s rsa -K $K
dkim-record -l	sh -c 'exec dkim-record -l <$T/value'
dkim-keygen	dkim-keygen -t ed25519
dkim-keygen -o -d -s	dkim-keygen -t ed25519 -o $T/new.pem -f -d example.com -s sel
EOF

# onefail CODE DESC: exit CODE and one line on stderr (stdout is elsewhere)
onefail() {
	if [ "$rc" = "$1" ] && [ "$(wc -l <"$T/err")" -eq 1 ]; then
		pass "$2"
	else
		fail "$2" "exit $rc, want $1; stderr: $(brief "$T/err")"
	fi
}

# --- standard output full, closed, or a pipe with no reader ---
while IFS='	' read -r name cmd; do
	eval "$cmd" >/dev/full 2>"$T/err"
	rc=$?
	onefail 74 "$name: stdout /dev/full"
	eval "$cmd" >&- 2>"$T/err"
	rc=$?
	onefail 74 "$name: stdout closed"
	# the reading end closed before the program starts: the first write
	# gets EPIPE, or SIGPIPE if the program has not ignored it
	$PY -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(["sh", "-c", sys.argv[1]], stdout=w,
                   stderr=open(sys.argv[2], "wb"))
sys.exit(128 - p.returncode if p.returncode < 0 else p.returncode)' \
	    "$cmd" "$T/err"
	rc=$?
	onefail 74 "$name: stdout a pipe without a reader"
done <"$T/cmds"
for p in dkim-canon dkim-sign dkim-verify dkim-record dkim-keygen; do
	$p --help >/dev/full 2>"$T/err"
	rc=$?
	onefail 74 "$p --help: stdout /dev/full"
done

# a reader that goes away after one byte of a big output
$PY -c 'import sys
sys.stdout.write("From: a@example.com\r\nTo: b@example.org\r\nSubject: big\r\n\r\n")
sys.stdout.write(("x" * 998 + "\r\n") * (50 << 10))' >"$T/big"
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/big" >"$T/bigs"
# headpipe CMD...: CMD | head -c 1; rc is CMD's exit status
headpipe() {
	{ "$@" 2>"$T/err"; echo $? >"$T/rc"; } | head -c 1 >/dev/null
	rc=$(cat "$T/rc")
}
headpipe dkim-canon "$T/big"
onefail 74 "dkim-canon of a 50 MB body | head -c 1"
headpipe dkim-verify --time $NOW -K "$K" -A $ID "$T/bigs"
onefail 74 "dkim-verify -A of a 50 MB body | head -c 1"
headpipe sh -c 'cat "$4" | dkim-verify --time "$1" -K "$2" -A "$3"' sh \
    $NOW "$K" $ID "$T/bigs"
onefail 74 "dkim-verify -A of a 50 MB body from a pipe | head -c 1"
headpipe dkim-sign -d example.com -s rsa -k "$KEY" "$T/big"
onefail 74 "dkim-sign of a 50 MB body | head -c 1"
# -A spools a big body from a pipe in a temporary file: with stdout
# closed, that file must not become the output
sh -c 'cat "$4" | dkim-verify --time "$1" -K "$2" -A "$3"' sh \
    $NOW "$K" $ID "$T/bigs" >&- 2>"$T/err"
rc=$?
onefail 74 "dkim-verify -A, 50 MB from a pipe, stdout closed"
rm -f "$T/big"

# --- the body's second pass (sendfile(2) where it can) gives the same
# bytes whatever stdin and stdout are: a file, a pipe (spooled: 6 MB is
# past the 4 MiB kept in memory), an O_APPEND file (copied by hand) ---
$PY -c 'import sys
sys.stdout.write("From: a@example.com\r\nTo: b@example.org\r\nSubject: six\r\n\r\n")
sys.stdout.write(("y" * 998 + "\r\n") * 6144)' >"$T/six"
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/six" >"$T/six.s"
eq "$?:$(wc -c <"$T/six.s")" "0:$(($(wc -c <"$T/six") + \
    $(sed -n '/^DKIM-Signature/,/^From:/p' "$T/six.s" | sed '$d' | wc -c)))" \
    "dkim-sign, 6 MB file to a file: the input and the signature"
cat "$T/six" | dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW | cat \
    >"$T/six.p"
same "$T/six.s" "$T/six.p" "dkim-sign, 6 MB pipe to a pipe: the same bytes"
printf 'x\n' >"$T/six.a"
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/six" >>"$T/six.a"
tail -c +3 "$T/six.a" >"$T/six.t"
same "$T/six.s" "$T/six.t" "dkim-sign >> file (O_APPEND): the same bytes"
dkim-verify --time $NOW -K "$K" -A $ID "$T/six.s" >"$T/six.v"
eq "$?:$(sed 1,2d "$T/six.v" | cmp - "$T/six.s" && echo same)" 0:same \
    "dkim-verify -A, 6 MB file to a file: the field, then the input"
cat "$T/six.s" | dkim-verify --time $NOW -K "$K" -A $ID >"$T/six.w"
same "$T/six.v" "$T/six.w" "dkim-verify -A, 6 MB spooled pipe to a file"
printf 'x\n' >"$T/six.a"
dkim-verify --time $NOW -K "$K" -A $ID "$T/six.s" >>"$T/six.a"
tail -c +3 "$T/six.a" >"$T/six.t"
same "$T/six.v" "$T/six.t" "dkim-verify -A >> file (O_APPEND): the same bytes"
# a big file is read from where stdin's offset is: a shell that read a
# line first leaves it there, and the offset is at the end when we are
# done, as a shell expects of a filter
dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW <"$T/six" >"$T/six.i"
same "$T/six.s" "$T/six.i" "dkim-sign <6 MB file: the same bytes"
{ echo 'a line for the shell'; cat "$T/six"; } >"$T/six.o"
{ IFS= read -r line; dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW \
    >"$T/six.i"; echo "after: $(head -c 5 | wc -c)"; } <"$T/six.o" \
    >"$T/six.after"
same "$T/six.s" "$T/six.i" "dkim-sign, 6 MB stdin at an offset: the same bytes"
eq "$(cat "$T/six.after")" "after: 0" "dkim-sign, 6 MB stdin: offset at the end"
{ echo 'a line for the shell'; cat "$T/six.s"; } >"$T/six.o"
{ IFS= read -r line; dkim-verify --time $NOW -K "$K" -A $ID; } \
    <"$T/six.o" >"$T/six.i"
same "$T/six.v" "$T/six.i" "dkim-verify -A, 6 MB stdin at an offset"
# big files in a batch, read by several threads at once: the same
# results as by one
mkdir -p "$T/bigmd/new" "$T/bigmd/cur"
for i in 1 2 3 4; do cp "$T/six.s" "$T/bigmd/new/$i"; done
dkim-verify --time $NOW -K "$K" -P 1 "$T/bigmd" >"$T/six.p1"
dkim-verify --time $NOW -K "$K" -P 3 "$T/bigmd" >"$T/six.p3"
eq "$(grep -c ': dkim=pass' "$T/six.p3")" 4 "-P 3, four 6 MB files: all pass"
same "$T/six.p1" "$T/six.p3" "-P 3, four 6 MB files: the same as -P 1"
rm -rf "$T"/six* "$T/bigmd"

# a file cut short while it is read is an error, not a shorter message
# taken for the whole, read from stdin or as an mbox's range; one that
# grows is read as it was when reading began
$PY -c 'import sys; sys.stdout.write("z" * (3 << 20))' >"$T/shrink"
run "$BIN/unit" shrink "$T/shrink"
eq "$rc:$(cat "$T/out")" "0:whole: first 131072; then: the file shrank while being read
range: first 131072; then: the file shrank while being read" \
    "a file cut short under the reader: an error"
# the filters copy a file again after hashing it: what it gave the first
# time, by count, whether it grew meanwhile or was cut (then an error),
# with sendfile(2) and by hand
$PY -c 'import sys; sys.stdout.write("z" * (3 << 20) + "y" * 1000)' >"$T/shrink"
run "$BIN/unit" replay "$T/shrink"
eq "$rc:$(cat "$T/out")" "0:longer, sendfile: copied 3146728 of 3146728; done
cut, sendfile: copied 4096 of 3146728; the file shrank while being read
longer, by hand: copied 3146728 of 3146728; done
cut, by hand: copied 4096 of 3146728; the file shrank while being read" \
    "a file changed between hashing and copying: the same bytes, or an error"
$PY -c 'import sys; sys.stdout.write("z" * (3 << 20) + "y" * 1000)' >"$T/shrink"
run "$BIN/unit" grow "$T/shrink"
eq "$rc:$(cat "$T/out")" "0:read 3146728 of 3146728; the end" \
    "a file that grows under the reader: read as it was"
rm -f "$T/shrink"

# a file that says it is empty and is not, as under /proc, is read to
# its end, named or as stdin; one that is empty is an empty message
for how in named stdin; do
	if [ $how = named ]; then
		run dkim-verify /proc/self/status
	else
		run sh -c 'dkim-verify </proc/self/status'
	fi
	eq "$rc:$(cat "$T/out")" "2:dkim=none" \
	    "a /proc file ($how): read whole, not taken for empty"
done
: >"$T/empty"
run dkim-verify "$T/empty"
eq "$rc:$(cat "$T/err")" "65:dkim-verify: $T/empty: no header fields (empty message)" \
    "an empty file: an empty message"
rm -f "$T/empty"

# the temporary directory of -A cannot be used
run sh -c 'cat "$4" | TMPDIR=$0/none dkim-verify --time "$1" -K "$2" -A "$3"' \
    "$T" $NOW "$K" $ID "$T/bigs"
if [ "$rc" = 74 ] && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq 1 ]
then
	pass "-A from a pipe, TMPDIR missing: 74, nothing written"
else
	fail "-A from a pipe, TMPDIR missing" \
	    "exit $rc, $(wc -c <"$T/out") bytes out; $(brief "$T/err")"
fi
rm -f "$T/bigs"

# --- standard input closed ---
for name in dkim-canon dkim-sign dkim-verify "dkim-verify -A" \
    "dkim-record -l" "dkim-record -"; do
	case $name in
	dkim-canon) set -- dkim-canon ;;
	dkim-sign) set -- dkim-sign -d example.com -s rsa -k "$KEY" ;;
	dkim-verify) set -- dkim-verify -K "$K" ;;
	"dkim-verify -A") set -- dkim-verify -K "$K" -A $ID ;;
	"dkim-record -l") set -- dkim-record -l ;;
	*) set -- dkim-record -d example.com -s rsa - ;;
	esac
	filter_fails 66 "$name: stdin closed" sh -c 'exec "$@" <&-' sh "$@"
done

# --- key files and key tables that are not readable regular files ---
mkdir "$T/dir"
mkfifo "$T/fifo"
cp "$KEY" "$T/k000.pem"
chmod 000 "$T/k000.pem"
# keyuse NAME FILE: each way of naming a key file or key table
keyuse() {
	_n=$1 _f=$2
	filter_fails 66 "dkim-sign -k $_n" timeout 10 dkim-sign -d example.com \
	    -s rsa -k "$_f" "$T/m"
	filter_fails 66 "dkim-record KEYFILE $_n" timeout 10 dkim-record \
	    -d example.com -s rsa "$_f"
	filter_fails 66 "dkim-record -q -k $_n" timeout 10 dkim-record -q \
	    -d example.com -s rsa -K "$K" -k "$_f"
	filter_fails 66 "dkim-record -q -K $_n" timeout 10 dkim-record -q \
	    -d example.com -s rsa -K "$_f"
	filter_fails 66 "dkim-verify -K $_n" timeout 10 dkim-verify \
	    --time $NOW -K "$_f" "$T/s"
	filter_fails 66 "dkim-verify -A -K $_n" timeout 10 dkim-verify \
	    --time $NOW -K "$_f" -A $ID "$T/s"
}
keyuse "a directory" "$T/dir"
keyuse "a FIFO" "$T/fifo"
keyuse "/dev/null" /dev/null
keyuse "/dev/zero" /dev/zero
keyuse "that does not exist" "$T/none.pem"
# mode 000: root reads it anyway, so ask as nobody when we can
if [ "$(id -u)" != 0 ]; then
	keyuse "of mode 000" "$T/k000.pem"
elif command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null
then
	chmod 755 "$T"
	chmod 644 "$T/m" "$T/s"
	mkdir "$T/nb"
	cat >"$T/nb/dkim-sign" <<EOF
#!/bin/sh
exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN/\${0##*/}" "\$@"
EOF
	for p in dkim-record dkim-verify dkim-canon; do
		cp "$T/nb/dkim-sign" "$T/nb/$p"
	done
	chmod 755 "$T/nb" "$T/nb"/*
	oldpath=$PATH
	PATH=$T/nb:$PATH
	keyuse "of mode 000, as nobody" "$T/k000.pem"
	has "k000.pem: Permission denied" "$T/err" \
	    "as nobody: refused for the key file itself"
	filter_fails 66 "dkim-canon: message of mode 000, as nobody" \
	    dkim-canon "$T/k000.pem"
	filter_fails 66 "dkim-verify -A: message of mode 000, as nobody" \
	    dkim-verify -K "$K" -A $ID "$T/k000.pem"
	PATH=$oldpath
else
	# root, and no way to be someone else: root's behaviour
	expect 0 "dkim-sign -k of mode 000, as root: read" dkim-sign \
	    -d example.com -s rsa -k "$T/k000.pem" "$T/m"
fi

# --- inputs that are directories, FIFOs without a writer aside, missing ---
for name in dkim-canon dkim-sign "dkim-verify -A"; do
	case $name in
	dkim-canon) set -- dkim-canon ;;
	dkim-sign) set -- dkim-sign -d example.com -s rsa -k "$KEY" ;;
	*) set -- dkim-verify -K "$K" -A $ID ;;
	esac
	filter_fails 66 "$name: input a directory" timeout 10 "$@" "$T/dir"
	filter_fails 66 "$name: input missing" timeout 10 "$@" "$T/none.eml"
done
filter_fails 66 "dkim-verify: input missing" dkim-verify -K "$K" "$T/none.eml"
# a Maildir with a FIFO in cur/: skipped, not waited on
mkdir -p "$T/md/cur" "$T/md/new" "$T/md/tmp"
cp "$T/s" "$T/md/cur/1"
mkfifo "$T/md/cur/2"
mkdir "$T/md/new/sub"
# the workers open the files of a directory: -P 2 and 3 skip the same
for j in 1 2 3; do
	expect 0 "-P $j, a Maildir with a FIFO: the message verified" \
	    timeout 10 dkim-verify --time $NOW -K "$K" -P $j "$T/md"
	eq "$(sed 's/ header\..*//' "$T/out")" "$T/md/cur/1: dkim=pass" \
	    "-P $j, a Maildir with a FIFO and a directory: both skipped"
done
# --- an openssl.cnf that leaves no usable algorithm: default properties
# fips=yes, and no FIPS provider.  Our filters skip loading libcrypto's
# error strings, but must still read openssl.cnf; a failure of the
# local libcrypto is not the signature's: temperror (75), not permerror.
cat >"$T/fips.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
alg_section = evp_properties
[evp_properties]
default_properties = "fips=yes"
EOF
EDKEY=$(private_copy "$TD/verify/keys/ed25519.pem")
dkim-sign -d example.com -s ed -k "$EDKEY" -t $NOW "$T/m" >"$T/s-ed"
for f in s s-ed; do
	case $f in
	s) why="could not check the signature" ;;
	*) why="cannot load the key here" ;;
	esac
	OPENSSL_CONF=$T/fips.cnf dkim-verify --time $NOW -K "$K" "$T/$f" \
	    >"$T/out" 2>"$T/err"
	eq "$?.$(sed 's/ header\..*//' "$T/out")" \
	    "75.dkim=temperror (libcrypto $why)" \
	    "$f, openssl.cnf allows nothing: temperror, exit 75"
done
OPENSSL_CONF=$T/fips.cnf dkim-verify --time $NOW -K "$K" -P 2 "$T/s-ed" \
    "$T/s-ed" >"$T/out" 2>&1
eq "$?.$(grep -c 'temperror (libcrypto cannot load' "$T/out")" "75.2" \
    "-P 2, openssl.cnf allows nothing: not kept as the record's fault"
filter_fails 70 "dkim-sign, openssl.cnf allows nothing: exit 70" \
    env OPENSSL_CONF="$T/fips.cnf" \
    dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/m"
OPENSSL_CONF=$T/fips.cnf dkim-keygen -t ed25519 >"$T/out" 2>"$T/err"
eq "$?.$(grep -c 'cannot generate the key: [a-z]' "$T/err").$(grep -c \
    'null' "$T/err")" "70.1.0" \
    "dkim-keygen, openssl.cnf allows nothing: libcrypto's reason, exit 70"
# --- dkim-sign draws RSA blinding from HASH-DRBG over SHA-256, not
# libcrypto's default CTR-DRBG, unless openssl.cnf names a generator: the
# administrator's [random] section wins.  One that does not exist must
# then fail the signing (78), not be replaced by ours.
for g in HMAC-DRBG NO-SUCH-DRBG; do
	cat >"$T/rand-$g.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
random = random_sect
[random_sect]
random = $g
digest = SHA256
EOF
done
OPENSSL_CONF=$T/rand-HMAC-DRBG.cnf dkim-sign -d example.com -s rsa \
    -k "$KEY" -t $NOW "$T/m" >"$T/s-hmac" 2>"$T/err"
expect 0 "dkim-sign, openssl.cnf names HMAC-DRBG: signs, and it verifies" \
    dkim-verify --time $NOW -K "$K" "$T/s-hmac"
filter_fails 78 "dkim-sign, openssl.cnf names a generator that does not \
exist: it is not replaced by ours, exit 78" \
    env OPENSSL_CONF="$T/rand-NO-SUCH-DRBG.cnf" \
    dkim-sign -d example.com -s rsa -k "$KEY" -t $NOW "$T/m"
OPENSSL_CONF=$T/rand-NO-SUCH-DRBG.cnf dkim-sign -d example.com -s ed \
    -k "$EDKEY" -t $NOW "$T/m" >"$T/out" 2>"$T/err"
eq "$?.$(grep -c '^DKIM-Signature:' "$T/out")" "0.1" \
    "dkim-sign ed25519 draws no random numbers: that openssl.cnf is no matter"
t_done

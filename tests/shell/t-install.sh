#!/bin/sh
# The build targets: a parallel build from scratch, install under DESTDIR
# (the programs run from there, man(1) reads the pages, exactly the
# expected files with their modes), uninstall, and the man pages' lint.
. "$(dirname "$0")/lib.sh"

progs="dkim-canon dkim-keygen dkim-record dkim-sign dkim-verify"
R=$T/root
mk() { make -s -C "$TOP" B="$T/build" DESTDIR="$R" PREFIX=/usr "$@"; }

expect 0 "make -j4 from scratch in a fresh build directory" \
    make -s -C "$TOP" -j4 B="$T/build" all
for p in $progs; do
	if [ -x "$T/build/$p" ]; then pass "parallel build made $p"
	else fail "parallel build made $p" "missing"; fi
done
expect 0 "a second make has nothing to do" make -s -C "$TOP" -q B="$T/build" all

# --- install ---
expect 0 "make install" mk install
eq "$(cat "$T/out" "$T/err")" "" "make -s install is silent"

# exactly these files, with these modes: the programs, the pages, and
# whatever examples/ holds (scripts 755)
for p in $progs; do
	echo "755 /usr/bin/$p"
done >"$T/want"
for m in "$TOP"/man/*.1; do
	echo "644 /usr/share/man/man1/${m##*/}"
done >>"$T/want"
for m in "$TOP"/man/*.7; do
	echo "644 /usr/share/man/man7/${m##*/}"
done >>"$T/want"
for f in "$TOP"/examples/*; do
	[ -f "$f" ] || continue
	if [ -x "$f" ] || [ "$(head -c 2 "$f")" = "#!" ]; then m=755
	else m=644; fi
	echo "$m /usr/share/doc/dkim-tools/examples/${f##*/}"
done >>"$T/want"
sort "$T/want" -o "$T/want"
(cd "$R" && find . ! -type d -exec stat -c '%a %n' {} +) |
    sed 's| \./| /|' | sort >"$T/got"
same "$T/want" "$T/got" "install puts exactly these files, with these modes"
has 'man7/dkim-tools\.7$' "$T/got" "dkim-tools.7 is installed"

# the installed programs run
version=$(sed -n 's/.*DKIM_TOOLS_VERSION[	 ]*"\(.*\)"/\1/p' \
    "$TOP/common/cmd.h")
for p in $progs; do
	f=$R/usr/bin/$p
	expect 0 "installed $p -V" "$f" -V
	eq "$(cat "$T/out")" "$p $version" "installed $p -V prints its version"
	expect 0 "installed $p --help" "$f" --help
	has "^usage: $p " "$T/out" "installed $p --help prints its usage"
	eq "$(wc -c <"$T/err")" 0 "installed $p --help: nothing on stderr"
done
"$R/usr/bin/dkim-keygen" -t ed25519 >"$T/key.pem" 2>"$T/err" &&
    "$R/usr/bin/dkim-record" -F value -d example.com -s s "$T/key.pem" \
    >"$T/out" 2>>"$T/err"
eq "$?:$(sed "s/p=.*/p=/" "$T/out")" "0:v=DKIM1; k=ed25519; p=" \
    "installed keygen and record make a record"

# man(1) reads every installed page
for m in "$R"/usr/share/man/man1/*.1 "$R"/usr/share/man/man7/*.7; do
	n=${m##*/}
	n=${n%.*}
	MANPAGER=cat MANWIDTH=80 man -l "$m" >"$T/out" 2>"$T/err"
	eq "$?:$(cat "$T/err")" "0:" "man -l $n: exit 0, nothing on stderr"
	has '^NAME$' "$T/out" "man -l $n shows NAME"
	has "^ +$n [^ ]" "$T/out" "man -l $n names $n"
done
# and finds them under the installed MANPATH
MANPATH=$R/usr/share/man MANPAGER=cat MANWIDTH=80 man 7 dkim-tools \
    >"$T/out" 2>"$T/err"
eq "$?:$(cat "$T/err")" "0:" "man 7 dkim-tools with MANPATH: exit 0"
has '^ +dkim-tools ' "$T/out" "man 7 dkim-tools finds the page"

# --- uninstall ---
expect 0 "make uninstall" mk uninstall
eq "$(cat "$T/out" "$T/err")" "" "make -s uninstall is silent"
eq "$(find "$R" ! -type d | wc -l)" 0 "uninstall removes every file"
if [ -d "$R/usr/share/doc/dkim-tools" ]; then
	fail "uninstall removes the doc directory" "still there"
else
	pass "uninstall removes the doc directory"
fi
expect 0 "a second make uninstall is harmless" mk uninstall

expect 0 "mandoc -Tlint finds nothing" make -s -C "$TOP" lint
eq "$(wc -c <"$T/out")$(wc -c <"$T/err")" 00 "lint is silent"
t_done

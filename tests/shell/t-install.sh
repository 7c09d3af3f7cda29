#!/bin/sh
# The build targets: a parallel build from scratch, install and uninstall
# under DESTDIR, and the man pages' lint.
. "$(dirname "$0")/lib.sh"

progs="dkim-canon dkim-keygen dkim-record dkim-sign dkim-verify"

expect 0 "make -j4 from scratch in a fresh build directory" \
    make -s -C "$TOP" -j4 B="$T/build" all
for p in $progs; do
	if [ -x "$T/build/$p" ]; then pass "parallel build made $p"
	else fail "parallel build made $p" "missing"; fi
done
expect 0 "a second make has nothing to do" make -s -C "$TOP" -q B="$T/build" all

expect 0 "make install" make -s -C "$TOP" B="$T/build" DESTDIR="$T/root" \
    PREFIX=/usr install
for p in $progs; do
	f=$T/root/usr/bin/$p
	if [ -x "$f" ]; then pass "installed $p"; else fail "installed $p" "missing"; fi
	m=$T/root/usr/share/man/man1/$p.1
	if [ -f "$m" ]; then pass "installed $p.1"; else fail "installed $p.1" "missing"; fi
	expect 0 "installed $p runs" "$f" --help
done
expect 0 "make uninstall" make -s -C "$TOP" B="$T/build" DESTDIR="$T/root" \
    PREFIX=/usr uninstall
eq "$(find "$T/root" -type f | wc -l)" 0 "uninstall removes every file"

expect 0 "mandoc -Tlint finds nothing" make -s -C "$TOP" lint
eq "$(wc -c <"$T/out")$(wc -c <"$T/err")" 00 "lint is silent"
for p in $progs; do
	if [ -f "$TOP/man/$p.1" ]; then pass "man/$p.1 exists"
	else fail "man/$p.1 exists" "missing"; fi
done
t_done

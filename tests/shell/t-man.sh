#!/bin/sh
# The manual against the programs: each page's SYNOPSIS is its program's
# usage; every option a program accepts (found by trying them all) is in
# its page and its --help, and every option they show is accepted; -V,
# --help and usage errors behave alike in all five; the pages have the
# usual sections, lint clean, and the EXAMPLES of dkim-tools(7),
# dkim-canon(1) and dkim-sign(1) run and print what they show.
. "$(dirname "$0")/lib.sh"

progs="dkim-canon dkim-keygen dkim-record dkim-sign dkim-verify"
M=$TOP/man
BS=$(printf '\b')
# every short option letter there could be
chars="a b c d e f g h i j k l m n o p q r s t u v w x y z
A B C D E F G H I J K L M N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9"

# A page rendered as plain text: mandoc's overstriking removed.
render() {
	mandoc -Tascii "$1" 2>/dev/null | sed "s/.$BS//g"
}

# On one line, whitespace runs made one space: standard input.
squeeze() {
	tr -s ' \t\n' '   ' | sed 's/^ *//; s/ *$//'
}

# The rendered SYNOPSIS of a page, squeezed.
synopsis() {
	render "$1" | sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' | squeeze
}

# The usage lines at the top of --help (standard input): "usage: " and the
# lines indented four or more, up to the first that is not, squeezed.
usage_lines() {
	awk 'NR == 1 { if (sub(/^usage: /, "") == 0) exit; print; next }
	    /^    / { print; next } { exit }' | squeeze
}

# The mdoc source lines of section $2 of page $1.
section() {
	awk -v s="$2" '/^\.Sh / { on = (substr($0, 5) == s); next } on' "$1"
}

# The options in mdoc source lines (standard input), one a line: the
# words after each Fl, "Fl 0jv" being three, "Fl -name" one.
fl_words() {
	awk '{ for (i = 2; i <= NF; i++) {
		if ($(i - 1) != "Fl" || $i !~ /^-?[A-Za-z0-9][A-Za-z0-9-]*$/)
			continue
		if ($i ~ /^-/) { print "-" $i; continue }
		for (j = 1; j <= length($i); j++) print "-" substr($i, j, 1)
	} }' | sort -u
}

# The options that lead the option lines of --help (standard input):
# "  -V, --version   print..." gives -V and --version.
help_leaders() {
	awk '/^  -/ { print $1; if ($1 ~ /,$/ && $2 ~ /^-/) print $2 }' |
	    sed 's/,$//' | sort -u
}

# word W FILE: W appears in FILE as an option word (not inside another)
word() {
	grep -Eq -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)" "$2"
}

mkdir "$T/cwd"
version=

for p in $progs; do
	page=$M/$p.1
	src=$TOP/cmd/$p.c

	# --- --help, -V, an unknown option ---
	expect 0 "$p --help exits 0" $p --help
	cp "$T/out" "$T/help.$p"
	eq "$(wc -c <"$T/err")" 0 "$p --help writes nothing on stderr"
	has "^usage: $p " "$T/help.$p" "$p --help starts with its usage"
	# the options part of --help: everything after the usage lines
	awk 'NR == 1 || (go == 0 && /^    /) { next } { go = 1; print }' \
	    "$T/help.$p" >"$T/helpopts.$p"

	for v in -V --version; do
		expect 0 "$p $v exits 0" $p $v
		has "^$p [0-9]+\\.[0-9]+\\.[0-9]+\$" "$T/out" \
		    "$p $v prints name and version"
		eq "$(wc -l <"$T/out"):$(wc -c <"$T/err")" 1:0 \
		    "$p $v: one line on stdout, nothing on stderr"
	done
	v=$(cut -d ' ' -f 2 "$T/out")
	[ -n "$version" ] || version=$v
	eq "$v" "$version" "$p has the version of the others"

	filter_fails 64 "$p: an unknown long option is a usage error" \
	    $p --no-such-option
	has "unknown option --no-such-option; usage: $p " "$T/err" \
	    "$p names the unknown long option and shows the usage"

	# --- SYNOPSIS = usage ---
	usage_lines <"$T/help.$p" >"$T/usage.$p"
	synopsis "$page" >"$T/synopsis.$p"
	if cmp -s "$T/usage.$p" "$T/synopsis.$p"; then
		pass "$p.1 SYNOPSIS is the usage of --help"
	else
		why="SYNOPSIS '$(cat "$T/synopsis.$p")',"
		why="$why usage '$(cat "$T/usage.$p")'"
		fail "$p.1 SYNOPSIS is the usage of --help" "$why"
	fi

	# --- the options it accepts, found by trying every one ---
	: >"$T/accepted.$p"
	rejected=
	for c in $chars; do
		(cd "$T/cwd" && timeout 10 $p -$c </dev/null >/dev/null \
		    2>"$T/probe")
		[ $? -ne 124 ] || fail "$p -$c" "still running at 10 s"
		if grep -q "unknown option -$c" "$T/probe"; then
			rejected=$c
		else
			printf '%s\n' "-$c" >>"$T/accepted.$p"
		fi
	done
	if [ -n "$rejected" ]; then
		filter_fails 64 "$p: an unknown option is a usage error" \
		    $p -$rejected
		has "^$p: unknown option -$rejected; usage: $p " "$T/err" \
		    "$p names the unknown option and shows the usage"
		eq "$(sed 's/^[^;]*; usage: //' "$T/err" | squeeze)" \
		    "$(cat "$T/usage.$p")" \
		    "$p: the usage on a usage error is that of --help"
	else
		fail "$p rejects unknown options" "every letter accepted"
	fi
	# the optstring of getopt_long says the same
	optstr=$(sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p' "$src")
	eq "$(printf '%s\n' "$optstr" | sed 's/^://' | tr -d ':' | fold -w 1 |
	    sed 's/^/-/' | sort | paste -s -d ' ' -)" \
	    "$(sort "$T/accepted.$p" | paste -s -d ' ' -)" \
	    "$p: the options found are those of its optstring"
	c=$(printf '%s\n' "$optstr" | sed 's/^://' | grep -o '[A-Za-z0-9]:' |
	    head -n 1 | cut -c 1)
	filter_fails 64 "$p -$c without its argument is a usage error" $p -$c
	has "^$p: -$c needs an argument; usage: $p " "$T/err" \
	    "$p names the option that lacks its argument"
	# long options: the longopts table, each confirmed by trying it
	sed -n '/struct option longopts\[\]/,/};/p' "$src" |
	    sed -n 's/^[	 ]*{ "\([a-z0-9-]*\)",.*/\1/p' >"$T/longs.$p"
	has '^help$' "$T/longs.$p" "$p: longopts table found"
	while read -r l; do
		(cd "$T/cwd" && timeout 10 $p --$l </dev/null >/dev/null \
		    2>"$T/probe")
		[ $? -ne 124 ] || fail "$p --$l" "still running at 10 s"
		if grep -q "unknown option --$l" "$T/probe"; then
			fail "$p accepts --$l" "$(brief "$T/probe")"
		else
			printf '%s\n' "--$l" >>"$T/accepted.$p"
		fi
	done <"$T/longs.$p"
	sort -u "$T/accepted.$p" -o "$T/accepted.$p"

	# every accepted option is in an .It of the page and in --help
	section "$page" DESCRIPTION | grep '^\.It ' | fl_words >"$T/items.$p"
	help_leaders <"$T/help.$p" >"$T/leaders.$p"
	while read -r o; do
		if grep -qx -- "$o" "$T/items.$p"; then
			pass "$p.1 describes $o"
		else
			fail "$p.1 describes $o" "no .It Fl ${o#-} in the page"
		fi
		case $o in
		--*)	grep -qx -- "$o" "$T/leaders.$p" ||
			    word "$o" "$T/helpopts.$p" ;;
		*)	grep -qx -- "$o" "$T/leaders.$p" ;;
		esac
		if [ $? -eq 0 ]; then
			pass "$p --help explains $o"
		else
			fail "$p --help explains $o" "not in the option list"
		fi
	done <"$T/accepted.$p"

	# and every option shown anywhere is accepted
	{
		cat "$T/items.$p" "$T/leaders.$p"
		section "$page" SYNOPSIS | fl_words
		tr ' ' '\n' <"$T/usage.$p" | sed 's/^\[*//; s/[]|]*$//' |
		    awk '/^--[A-Za-z0-9]/ { print; next }
		    /^-[A-Za-z0-9]/ { for (j = 2; j <= length($0); j++)
			print "-" substr($0, j, 1) }'
	} | sort -u >"$T/shown.$p"
	while read -r o; do
		if grep -qx -- "$o" "$T/accepted.$p"; then
			pass "$p accepts $o, which it shows"
		else
			fail "$p accepts $o, which it shows" "unknown option"
		fi
	done <"$T/shown.$p"
done

# --- the pages: sections, cross references, lint ---
for page in "$M"/*.1 "$M"/*.7; do
	n=${page##*/}
	case $n in
	*.7)	want="NAME DESCRIPTION ENVIRONMENT FILES EXIT_STATUS"
		want="$want EXAMPLES SEE_ALSO STANDARDS AUTHORS" ;;
	*)	want="NAME SYNOPSIS DESCRIPTION ENVIRONMENT FILES EXIT_STATUS"
		want="$want EXAMPLES SEE_ALSO STANDARDS AUTHORS" ;;
	esac
	got=$(sed -n 's/^\.Sh //p' "$page" | tr ' ' _ | paste -s -d ' ' -)
	eq "$got" "$want" "$n has the sections in order"
	# SEE ALSO names the other pages of the toolkit
	section "$page" "SEE ALSO" >"$T/seealso"
	for q in $progs dkim-tools; do
		s=1
		[ $q = dkim-tools ] && s=7
		[ "$n" = "$q.$s" ] && continue
		has "^\\.Xr $q $s( ,)?\$" "$T/seealso" "$n SEE ALSO has $q($s)"
	done
	section "$page" STANDARDS >"$T/std"
	has '^\.%R RFC 6376$' "$T/std" "$n STANDARDS cites RFC 6376"
	run mandoc -Tlint -Wwarning "$page"
	eq "$rc:$(cat "$T/out" "$T/err")" "0:" \
	    "$n: mandoc -Tlint -Wwarning is silent"
done
for p in $progs; do
	if [ -f "$M/$p.1" ]; then pass "man/$p.1 exists"
	else fail "man/$p.1 exists" "missing"; fi
done
if [ -f "$M/dkim-tools.7" ]; then pass "man/dkim-tools.7 exists"
else fail "man/dkim-tools.7 exists" "missing"; fi

# every environment variable the code reads is in some page's ENVIRONMENT
for e in $(cat "$TOP"/cmd/*.c "$TOP"/common/*.c |
    sed -n 's/.*getenv("\([A-Z_]*\)").*/\1/p' | sort -u); do
	if cat "$M"/*.1 "$M"/*.7 | grep -q "^\\.It Ev .*$e"; then
		pass "ENVIRONMENT has $e, which the code reads"
	else
		fail "ENVIRONMENT has $e, which the code reads" "in no page"
	fi
done

# dkim-tools(7) has the exit codes of every page, and the pages theirs
section "$M/dkim-tools.7" "EXIT STATUS" >"$T/exit7"
for p in $progs; do
	for c in $(section "$M/$p.1" "EXIT STATUS" |
	    sed -n 's/^\.It \([0-9]*\)$/\1/p'); do
		has "^\\.It $c\$" "$T/exit7" "dkim-tools.7 lists exit $c of $p"
	done
done

# --- EXAMPLES that run: a command is a "$ " line of a .Dl or of a
# literal display, continued while it ends in \ or |; the display lines
# after it, up to the next command, are its output, "..." matching
# anything.  Each runs with sh in a directory set up for the page, must
# exit 0 with nothing on stderr, and print what the page shows.
# examples PAGE DIR
examples() {
	_pg=${1##*/}
	rm -rf "$T/exs"
	mkdir "$T/exs"
	section "$1" EXAMPLES | awk -v d="$T/exs" '
	function unesc(s) {
		gsub(/\\e/, "\\", s); gsub(/\\&/, "", s)
		gsub(/\\\(dq/, "\"", s)
		return s
	}
	function cmd(s) {
		n++
		s = unesc(s)
		print s > (d "/cmd." n)
		cont = s ~ /(\\|\|)$/
		out = 1
	}
	/^\.Dl \$ / { cmd(substr($0, 7)); out = 0; next }
	/^\.Bd -literal/ { lit = 1; out = 0; next }
	/^\.Ed/ { lit = 0; out = 0; next }
	!lit { next }
	/^\$ / { cmd(substr($0, 3)); next }
	cont { s = unesc($0); print s >> (d "/cmd." n); cont = s ~ /(\\|\|)$/
	    next }
	out { print unesc($0) >> (d "/want." n) }
	'
	_n=0
	while [ -f "$T/exs/cmd.$((_n + 1))" ]; do
		_n=$((_n + 1))
		_c=$(cat "$T/exs/cmd.$_n")
		(cd "$2" && sh -c "$_c") >"$T/out" 2>"$T/err"
		_rc=$?
		_d="$_pg EXAMPLES: $(head -n 1 "$T/exs/cmd.$_n" | cut -c 1-60)"
		if [ $_rc -ne 0 ] || [ -s "$T/err" ]; then
			fail "$_d" "exit $_rc: $(brief "$T/err")"
			continue
		fi
		[ -f "$T/exs/want.$_n" ] || { pass "$_d"; continue; }
		if awk -v w="$T/exs/want.$_n" '
		function match_(pat, s,   k, np, p, i) {
			np = split(pat, p, /\.\.\./)
			if (np <= 1) return pat == s
			if (substr(s, 1, length(p[1])) != p[1]) return 0
			s = substr(s, length(p[1]) + 1)
			for (k = 2; k < np; k++) {
				if ((i = index(s, p[k])) == 0) return 0
				s = substr(s, i + length(p[k]))
			}
			return length(s) >= length(p[np]) &&
			    substr(s, length(s) - length(p[np]) + 1) == p[np]
		}
		BEGIN { while ((getline l < w) > 0) want[++nw] = l }
		!match_(want[NR], $0) { bad = 1 }
		END { exit bad || NR != nw }' "$T/out"; then
			pass "$_d"
		else
			_w="printed '$(brief "$T/out")', the page shows"
			fail "$_d" "$_w '$(brief "$T/exs/want.$_n")'"
		fi
	done
	[ $_n -gt 0 ] || fail "$_pg EXAMPLES" "no command found"
}

# dkim-tools.7: a plain message, keys made by the examples themselves
mkdir "$T/ex7"
cp "$TD/msg/lf-basic.eml" "$T/ex7/message.eml"
examples "$M/dkim-tools.7" "$T/ex7"

# dkim-canon.1: the RFC 8463 example message, signed with Ed25519 and
# RSA, its keys and signing input
R=$V/rfc8463
mkdir "$T/ex1"
cp "$R/message.signed.eml" "$T/ex1/message.eml"
cp "$R/signing-input.rsa.bin" "$T/ex1/signing-input.bin"
cp "$R/rsa.private.pem" "$T/ex1/rsa.pem"
cp "$R/ed25519.private.pkcs8.pem" "$T/ex1/ed25519.pem"
chmod 600 "$T/ex1"/*.pem
examples "$M/dkim-canon.1" "$T/ex1"

# dkim-sign.1: an unsigned message and keys under the names it uses
mkdir "$T/ex2"
cp "$TD/msg/lf-basic.eml" "$T/ex2/message.eml"
cp "$TD/msg/crlf-basic.eml" "$T/ex2/m.eml"
cp "$TD/keys/rsa2048.pem" "$T/ex2/rsa.pem"
cp "$TD/keys/rsa2048.pem" "$T/ex2/k.pem"
cp "$TD/keys/ed25519.pem" "$T/ex2/ed25519.key"
chmod 600 "$T/ex2"/*.pem "$T/ex2"/*.key
examples "$M/dkim-sign.1" "$T/ex2"

t_done

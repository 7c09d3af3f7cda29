#!/bin/sh
# Interop: messages signed by dkim-sign verify with dkimpy, Mail::DKIM,
# libopendkim and mailauth (tests/peers/, keys from our nsd on loopback),
# rsa-sha256 and
# ed25519-sha256, simple/simple and relaxed/relaxed, over every message
# of testdata/msg/.  Where a peer is known to deviate (tests/peers/README,
# testdata/canon/README), its actual result is asserted, with the RFC
# clause that says our signature is right.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns-lib.sh"

K=$TD/sign
M=$TD/msg
T0=1700000000
[ -x "$PEERS/opendkim-peer" ] && [ -f "$PEERS/node_modules/.installed" ] ||
    make -s -C "$PEERS" >/dev/null 2>&1
for f in rsa.pem ed25519.key; do
	cp "$K/$f" "$T/$f" && chmod 600 "$T/$f"
done

# fresh keys from dkimpy's own key tool, as its users make them
(cd "$T" && $PY /usr/bin/dknewkey --ktype rsa dkrsa &&
    $PY /usr/bin/dknewkey --ktype ed25519 dked) >/dev/null 2>&1
printf '%s._domainkey.example.com TXT "%s"\n' \
    dkrsa "$(cat "$T/dkrsa.dns")" dked "$(cat "$T/dked.dns")" >"$T/dk.txt"

stop_dns() {
	nsd_stop "$T"
}
at_exit stop_dns
nsd_add_dnstxt "$T" "$K/dns.txt" "$T/dk.txt"
if ! nsd_start "$T" 2>"$T/nsd.err"; then
	fail "nsd" "$(brief "$T/nsd.err")"
	t_done
	exit
fi

# one line of verdicts, top signature first
verify() {
	case $1 in
	dkimpy) "$PEERS/dkimpy-verify" --dns "$NSD_ADDR" <"$2" ;;
	maildkim) "$PEERS/maildkim-verify" --dns "$NSD_ADDR" <"$2" ;;
	opendkim) "$PEERS/opendkim-peer" verify --dns "$NSD_ADDR" <"$2" ;;
	mailauth) "$PEERS/mailauth-verify" --dns "$NSD_ADDR" <"$2" ;;
	esac | tr '\n' ' ' | sed 's/ $//'
}

# What each peer says of message $2 signed with c=$3 (RSA first, then
# Ed25519).
expected() {
	case $1:$2:$3 in
	# dkimpy 1.1.4 cannot parse "Subject  : x" (MessageFormatError),
	# which RFC 5322 4.5 (obs-optional) allows and RFC 6376 3.4.2
	# canonicalizes ("Delete any WSP characters remaining before and
	# after the colon"); the driver maps that to permerror
	dkimpy:obs-header-space:*) echo "permerror permerror" ;;
	# dkimpy keeps the WSP at the end of an unterminated last line;
	# RFC 6376 3.4.4: "Ignore all whitespace at the end of lines"
	dkimpy:no-final-newline-wsp:relaxed/relaxed) echo "fail fail" ;;
	# Mail::DKIM (simple body) does not add the missing final CRLF;
	# RFC 6376 3.4.3: "If there is no body or no trailing CRLF on the
	# message body, a CRLF is added"
	maildkim:no-final-newline*:simple/simple) echo "fail permerror" ;;
	# libopendkim's simple body takes a line holding only a bare CR for
	# an empty line and drops it at the end of the body; RFC 6376 3.4.3
	# drops only empty lines, and a CR is data here (RFC 5322 2.3 forbids
	# a bare CR; see testdata/canon/README)
	opendkim:bare-cr-edge:*) echo "fail fail" ;;
	# libopendkim hashes an extra CRLF after the last field of a message
	# with no empty line; RFC 5322 3.5 makes the body (and the empty line
	# before it) optional, and RFC 6376 3.4.1 simple changes nothing
	opendkim:no-body:simple/simple) echo "fail fail" ;;
	# libopendkim's relaxed canonicalization drops a bare CR inside a
	# line; RFC 6376 3.4.2 and 3.4.4 change only WSP, and WSP is SP and
	# HTAB (RFC 5234 B.1)
	opendkim:bare-cr:relaxed/relaxed) echo "fail fail" ;;
	# libopendkim's relaxed body does not add the CRLF an unterminated
	# last line lacks (with trailing WSP: fail; without: dkim_eom
	# refuses, permerror); RFC 6376 3.4.4: "If the body is non-empty
	# but does not end with a CRLF, a CRLF is added"
	opendkim:no-final-newline-wsp:relaxed/relaxed) echo "fail fail" ;;
	opendkim:no-final-newline:relaxed/relaxed) echo "permerror permerror" ;;
	# mailauth ends a simple or relaxed body at the last byte that is
	# neither CR nor LF, so a line holding only a bare CR goes with the
	# empty lines; RFC 6376 3.4.3 and 3.4.4 drop only empty lines, and a
	# CR is data here (testdata/canon/README).  It says "neutral" for a
	# body hash mismatch, where RFC 6376 6.1.3 says PERMFAIL and RFC 8601
	# 2.7.1 "fail".
	mailauth:bare-cr-edge:*) echo "neutral neutral" ;;
	# mailauth's relaxed body lets WSP runs on both sides of a bare CR
	# run together (": <CR><TAB> here" -> ": <CR>here"); RFC 6376 3.4.4
	# reduces WSP only, and WSP is SP and HTAB (RFC 5234 B.1)
	mailauth:bare-cr:relaxed/relaxed) echo "neutral neutral" ;;
	# mailauth never reaches the end of a header with no empty line after
	# it: "none (message not signed)".  RFC 5322 3.5: the body, and the
	# empty line before it, are optional.
	mailauth:no-body:*) echo "none none" ;;
	# Mail::DKIM in Debian 12 (1.20230212) has no Ed25519 (RFC 8463)
	maildkim:*) echo "pass permerror" ;;
	*) echo "pass pass" ;;
	esac
}

# Each message is signed twice over, simple/simple and then, on top,
# relaxed/relaxed (the first two signatures are not in the second pair's
# h=), so that dkimpy and Mail::DKIM check all four in one run: relaxed
# RSA, relaxed Ed25519, simple RSA, simple Ed25519.  libopendkim gets each
# pair alone: when dkim_eom() refuses a relaxed body (no-final-newline),
# it reports permerror for every signature of the message.
for f in "$M"/*.eml; do
	m=$(basename "$f" .eml)
	dkim-sign -d example.com -t $T0 -c simple/simple -s rsa -k "$T/rsa.pem" \
	    -s ed25519 -k "$T/ed25519.key" "$f" >"$T/simple" 2>"$T/err" &&
	run dkim-sign -d example.com -t $T0 -s rsa -k "$T/rsa.pem" \
	    -s ed25519 -k "$T/ed25519.key" "$T/simple"
	if [ "$rc" != 0 ]; then
		fail "$m" "dkim-sign exit $rc: $(brief "$T/err")"
		continue
	fi
	cp "$T/out" "$T/signed"
	for p in dkimpy maildkim mailauth; do
		eq "$(verify $p "$T/signed")" "$(expected $p $m relaxed/relaxed) \
$(expected $p $m simple/simple)" "$m relaxed, simple: $p"
	done
	dkim-sign -d example.com -t $T0 -s rsa -k "$T/rsa.pem" \
	    -s ed25519 -k "$T/ed25519.key" "$f" >"$T/relaxed" 2>/dev/null
	for c in relaxed simple; do
		eq "$(verify opendkim "$T/$c")" \
		    "$(expected opendkim $m $c/$c)" "$m $c: opendkim"
	done
done

# dkimpy also strips a bare CR at the end of a header value (Python's
# bytes.strip()); RFC 6376 3.4.2 deletes only WSP there
run dkim-sign -d example.com -t $T0 -h from:x-bare-cr-end -s rsa \
    -k "$T/rsa.pem" -s ed25519 -k "$T/ed25519.key" "$M/bare-cr-edge.eml"
cp "$T/out" "$T/signed"
eq "$(verify dkimpy "$T/signed")" "fail fail" \
    "bare CR ending a signed field: dkimpy strips it"
eq "$(verify maildkim "$T/signed")" "pass permerror" \
    "bare CR ending a signed field: Mail::DKIM"

# Mail::DKIM on LF line ends as they are (the driver turns them into
# CRLF first): the signature fails.  A message's lines end in CRLF (RFC
# 5322 2.1) and DKIM hashes that form (RFC 6376 3.4, 5.3); our signature
# of lf-basic.eml covers it, and verifies once the line ends are CRLF.
maildkim_raw() {
	perl -MMail::DKIM::Verifier -MNet::DNS -e '
	my ($h, $p) = $ARGV[0] =~ /^(.*):(\d+)$/;
	Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(
	    nameservers => [$h], port => $p, recurse => 1, retry => 1,
	    udp_timeout => 2));
	binmode STDIN;
	my $m = do { local $/; <STDIN> };
	my $v = Mail::DKIM::Verifier->new;
	$v->PRINT($m);
	$v->CLOSE;
	print join(" ", map { $_->result } $v->signatures), "\n"' \
	    "$NSD_ADDR" <"$1"
}
dkim-sign -d example.com -t $T0 -s rsa -k "$T/rsa.pem" "$M/lf-basic.eml" \
    >"$T/lf" 2>"$T/err"
eq "$(maildkim_raw "$T/lf")" fail "Mail::DKIM, LF as it is: fail"
awk '{ printf "%s\r\n", $0 }' "$T/lf" >"$T/crlf"
eq "$(maildkim_raw "$T/crlf")" pass "Mail::DKIM, the same with CRLF: pass"
eq "$(verify maildkim "$T/lf") $(verify dkimpy "$T/lf") $(verify opendkim \
    "$T/lf") $(verify mailauth "$T/lf")" "pass pass pass pass" \
    "LF signed message: all peers (drivers: CRLF)"

# the optional tags, the same way
dkim-sign -d example.com -t $T0 -x 3000000000 -l -z -i news@mail.example.com \
    -c simple/simple -s rsa -k "$T/rsa.pem" -s ed25519 -k "$T/ed25519.key" \
    "$M/utf8.eml" >"$T/simple" 2>/dev/null
run dkim-sign -d example.com -t $T0 -x 3000000000 -l -z \
    -i news@mail.example.com -s rsa -k "$T/rsa.pem" \
    -s ed25519 -k "$T/ed25519.key" "$T/simple"
cp "$T/out" "$T/signed"
for p in dkimpy maildkim opendkim mailauth; do
	eq "$(verify $p "$T/signed")" "$(expected $p utf8 relaxed/relaxed) \
$(expected $p utf8 simple/simple)" "-x -l -z -i: $p"
done

# keys as dkimpy's dknewkey makes them
chmod 600 "$T/dkrsa.key" "$T/dked.key"
run dkim-sign -d example.com -t $T0 -s dkrsa -k "$T/dkrsa.key" \
    -s dked -k "$T/dked.key" "$M/folded-headers.eml"
eq "$rc" 0 "dknewkey keys: signed"
cp "$T/out" "$T/signed"
for p in dkimpy maildkim opendkim mailauth; do
	eq "$(verify $p "$T/signed")" "$(expected $p folded-headers x)" \
	    "dknewkey keys: $p"
done
t_done

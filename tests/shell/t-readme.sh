#!/bin/sh
# The README's tour and its "publishing a record by hand" run as written
# (the record served by a private nsd), and every example in the README
# is found, line for line, in a test or an example file that runs it.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/shell/dns-lib.sh"

stop_nsd() { nsd_stop "$T"; }
at_exit stop_nsd
mkdir "$T/tour" && cd "$T/tour" || exit 1
cp "$TD/msg/crlf-basic.eml" message.eml

# --- the 30-second tour, in the README's words ---
dkim-keygen -o rsa.pem -d example.com -s rsa2026 >keys.zone
eq "$?:$(grep -c '^rsa2026._domainkey.example.com. .* IN TXT' keys.zone)" \
    0:1 "tour: RSA key and its record"
dkim-keygen -t ed25519 -o ed.pem -d example.com -s ed2026 >>keys.zone
eq "$?:$(grep -c '_domainkey.example.com. .* IN TXT' keys.zone)" 0:2 \
    "tour: Ed25519 key, two records"
eq "$(stat -c %a rsa.pem ed.pem | tr '\n' ' ')" "600 600 " \
    "tour: private keys are mode 0600"
dkim-record -F bind -d example.com -s ed2026 ed.pem >ed.bind
eq "$?:$(sed -n '2s/^	"\(v=DKIM1; k=ed25519; \)"$/\1/p' ed.bind)" "0:v=DKIM1; k=ed25519; " \
    "tour: the Ed25519 record, BIND style"
eq "$(tr -d '\n\t' <ed.bind | sed 's/" *"//g; s/.*(//; s/ )$//')" \
    "\"$(sed -n 's/^ed2026[^"]*"\(.*\)"$/\1/p' keys.zone | sed 's/" "//g')\"" \
    "tour: the BIND record holds what dkim-keygen printed"
dkim-sign -d example.com -s rsa2026 -k rsa.pem -s ed2026 -k ed.pem <message.eml >signed.eml
eq "$?:$(grep -c '^DKIM-Signature:' signed.eml)" 0:2 "tour: two signatures"
run dkim-verify -K keys.zone signed.eml
eq "$rc:$(grep -c 'dkim=pass' "$T/out")" 0:2 "tour: both signatures pass"
run dkim-canon -S 1 -b sha256 signed.eml
eq "$rc" 0 "tour: dkim-canon recomputes the body hash"
c=$(sed -n 's/^computed bh=//p' "$T/out")
eq "$(sed -n 's/^claimed  *bh=//p' "$T/out")" "$c" \
    "tour: the computed body hash is the claimed one"
sed 's/^Hello/Goodbye/' signed.eml >changed.eml
run dkim-verify -v -K keys.zone changed.eml
eq "$rc:$(grep -c 'body hash' "$T/out")" 1:2 "tour: a changed body fails both"

# --- publishing a record by hand ---
dkim-record -d example.com -s rsa2026 rsa.pem >rsa2026.zone
has '^rsa2026._domainkey.example.com. 86400 IN TXT "v=DKIM1; k=rsa; " "p=' \
    rsa2026.zone "publish: the zone-file line"
dkim-record -F bind -d example.com -s rsa2026 rsa.pem >rsa2026.bind
has '^	"p=' rsa2026.bind "publish: the BIND form, one string a line"
dkim-record -F nsupdate -d example.com -s rsa2026 rsa.pem >rsa2026.nsupdate
eq "$(sed -n '1s/ .*//p;$p' rsa2026.nsupdate | tr '\n' ' ')" "update send " \
    "publish: the nsupdate form"
nsd_add "$T" rsa2026.zone
if nsd_start "$T" 2>"$T/nsd.err"; then
	dkim-record -q -d example.com -s rsa2026 -k rsa.pem -r "$NSD_ADDR" >report
	eq "$?:$(grep -c '^result *usable' report)" 0:1 \
	    "publish: -q -k finds the published key"
	dkim-record -q -d example.com -s ed2026 -k ed.pem -r "$NSD_ADDR" >report 2>&1
	eq "$?" 1 "publish: -q -k: a selector not yet published exits 1"
	dkim-verify signed.eml -r "$NSD_ADDR" >result
	eq "$?:$(grep -c 'dkim=pass' result)" 0:1 \
	    "publish: once published, dkim-verify finds it in DNS"
	nsd_stop "$T"
else
	fail "nsd_start" "$(cat "$T/nsd.err")"
fi

# --- every README example comes from a test or an example file ---
cd "$TOP" || exit 1
set -- tests/shell/t-*.sh tests/demo.sh
[ -d examples ] && set -- "$@" examples/*
expect 0 "every README example is in a test" \
    /usr/bin/python3 tests/shell/readme-check.py README "$@"
printf 'Intro\n\n    dkim-verify -K keys.zone signed.eml\n    dkim-sign --no-such-example\n' \
    >"$T/README.bad"
expect 1 "the check fails on an example no test runs" \
    /usr/bin/python3 tests/shell/readme-check.py "$T/README.bad" "$@"
has 'no-such-example' "$T/out" "the check names the example"
t_done

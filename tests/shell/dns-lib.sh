# dns-lib.sh -- serve test DNS records from a private nsd on 127.0.0.1.
#
# Source it from a test ("set -eu" safe), then:
#
#	nsd_add DIR [FILE...]	append zone-file records (stdin without FILE)
#	nsd_add_dnstxt DIR FILE...
#				append a vectors table (testdata/vectors/*/dns.txt)
#	nsd_servfail DIR NAME	make NAME and every name below it SERVFAIL
#	nsd_start DIR		start nsd; sets NSD_PORT and NSD_ADDR
#	nsd_stop DIR		stop it and wait; idempotent, safe in a trap
#	nsd_dnstxt_to_zone [FILE...]
#				filter: vectors table -> zone records
#
# DIR is the test's temp directory; everything (config, zone, pid, log,
# xfrd dir) lives in DIR/nsd/ and nothing outside it is read or written.
# Several servers may run at once from different DIRs.
#
# All records go into one zone for the root ".", so any owner name works
# and every name not added is NXDOMAIN (a name that only has names below
# it is NODATA, as in real DNS).  Records are ordinary zone-file text,
# e.g. what dkim-record prints:
#
#	sel._domainkey.example.com. 86400 IN TXT "v=DKIM1; k=rsa; " "p=MIIB..."
#
# Each fragment is read with "$ORIGIN ." and "$TTL 300" in force, so
# names without a final dot are absolute too; a fragment may set its own
# $ORIGIN.  nsd_start checks the zone with nsd-checkzone first.
#
# Vectors tables ("<name> TXT "<joined value>"", "<name> NXDOMAIN",
# "<name> TIMEOUT", "<name> SERVFAIL"; # and ; comments):
#   TXT       one record; the value (the bytes between the first and the
#             last '"' of the line, taken as they are) is split into
#             character-strings of at most 255 bytes, with " \ and bytes
#             outside 32..126 escaped; odd owner-name characters such as
#             "(" are escaped too;
#   NXDOMAIN  nothing is added (absent names are NXDOMAIN anyway);
#   SERVFAIL  the name becomes its own zone with no zone file, which nsd
#             answers with SERVFAIL (see nsd_servfail);
#   TIMEOUT   treated as SERVFAIL: nsd cannot leave one name unanswered,
#             and both are a temporary failure (RFC 6376 TEMPFAIL).
#             nsd_dnstxt_to_zone alone prints "; TIMEOUT name" comments.
#
# On success nsd_start prints nothing, sets NSD_PORT (e.g. 34567) and
# NSD_ADDR ("127.0.0.1:34567"), and writes the port to DIR/nsd/port.  On
# failure it prints one line on stderr and returns non-zero; DIR/nsd/nsd.log
# has nsd's own messages.  After nsd_stop the port is closed: glibc's
# resolver (our C code, libopendkim) gets ECONNREFUSED at once, while
# dnspython and Net::DNS use unconnected UDP sockets and wait for their
# timeout (give the peers -T 1).
#
# Typical use (stop nsd before removing DIR):
#
#	. "$srcdir/tests/shell/dns-lib.sh"
#	trap 'nsd_stop "$tmp"; rm -rf "$tmp"' EXIT
#	dkim-record ... | nsd_add "$tmp"
#	nsd_add_dnstxt "$tmp" testdata/vectors/rfc8463/dns.txt
#	nsd_start "$tmp"
#	tests/peers/dkimpy-verify --dns "$NSD_ADDR" < msg

# shellcheck disable=SC2034 # set for the sourcing test
NSD_PORT=
# shellcheck disable=SC2034
NSD_ADDR=

_nsd_dir() {
	mkdir -p "$1/nsd" || return 1
	(cd "$1/nsd" && pwd)
}

_nsd_zone_init() {
	[ -f "$1/root.zone" ] && return 0
	cat > "$1/root.zone" <<'EOF'
$ORIGIN .
$TTL 300
@ IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60
@ IN NS ns.invalid.
EOF
}

nsd_add() {
	_nd=$(_nsd_dir "$1") || return 1
	shift
	_nsd_zone_init "$_nd" || return 1
	{
		# shellcheck disable=SC2016 # zone-file directives
		printf '$ORIGIN .\n$TTL 300\n'
		# awk drops CRs and adds a missing final newline
		awk '{ sub(/\r$/, ""); print }' "$@"
	} >> "$_nd/root.zone"
}

nsd_servfail() {
	_nd=$(_nsd_dir "$1") || return 1
	printf '%s\n' "${2%.}" >> "$_nd/servfail.list"
}

nsd_dnstxt_to_zone() {
	LC_ALL=C awk '
	BEGIN {
		for (i = 0; i < 256; i++)
			ord[sprintf("%c", i)] = i
	}
	function esc(s, name,   o, i, c, n) {
		o = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			n = ord[c]
			if (n < 32 || n > 126)
				o = o sprintf("\\%03d", n)
			else if (c == "\"" || c == "\\" || \
			    (name && c !~ /[A-Za-z0-9._*-]/))
				o = o "\\" c
			else
				o = o c
		}
		return o
	}
	/^[ \t]*([#;]|\r?$)/ { next }
	{
		name = esc($1, 1)
		if (name !~ /\.$/)
			name = name "."
		type = toupper($2)
		sub(/\r$/, "", type)
		if (type == "NXDOMAIN")
			next
		if (type == "TIMEOUT" || type == "SERVFAIL") {
			print "; " type " " $1
			next
		}
		if (type != "TXT" || index($0, "\"") == 0) {
			printf "%s:%d: cannot convert: %s\n", FILENAME, FNR, \
			    $0 > "/dev/stderr"
			err = 1
			next
		}
		v = $0
		sub(/^[^"]*"/, "", v)
		sub(/"[ \t\r]*$/, "", v)
		line = name " 300 IN TXT"
		while (length(v) > 255) {
			line = line " \"" esc(substr(v, 1, 255), 0) "\""
			v = substr(v, 256)
		}
		print line " \"" esc(v, 0) "\""
	}
	END { exit err }
	' "$@"
}

nsd_add_dnstxt() {
	_nd=$(_nsd_dir "$1") || return 1
	shift
	nsd_dnstxt_to_zone "$@" > "$_nd/dnstxt.tmp" || {
		echo "nsd_add_dnstxt: cannot convert $*" >&2
		return 1
	}
	sed -n 's/^; [A-Z]* //p' "$_nd/dnstxt.tmp" >> "$_nd/servfail.list"
	nsd_add "$_nd/.." "$_nd/dnstxt.tmp" && rm -f "$_nd/dnstxt.tmp"
}

# true if process $1 exists and is not a zombie
_nsd_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	case $(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) in
	Z|X|'') return 1 ;;
	esac
	return 0
}

_nsd_conf() {
	# $1 = nsd dir (absolute), $2 = port
	cat <<EOF
server:
	ip-address: 127.0.0.1@$2
	port: $2
	do-ip4: yes
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$1"
	database: ""
	zonelistfile: "$1/zone.list"
	xfrdfile: ""
	xfrdir: "$1"
	pidfile: "$1/nsd.pid"
	logfile: "$1/nsd.log"
	cookie-secret-file: "$1/cookiesecrets.txt"
	hide-version: yes
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: "."
	zonefile: "$1/root.zone"
EOF
	if [ -f "$1/servfail.list" ]; then
		sort -u "$1/servfail.list" | while IFS= read -r _n; do
			[ -n "$_n" ] || continue
			printf 'zone:\n\tname: "%s"\n' "$_n"
			printf '\tzonefile: "%s/servfail.nonexistent"\n' "$1"
		done
	fi
}

nsd_start() {
	NSD_PORT=
	NSD_ADDR=
	if ! command -v nsd >/dev/null 2>&1 &&
	    ! [ -x /usr/sbin/nsd ]; then
		echo "nsd_start: nsd not installed" >&2
		return 1
	fi
	_nsd_bin=$(command -v nsd 2>/dev/null || echo /usr/sbin/nsd)
	_nsd_chk=$(command -v nsd-checkzone 2>/dev/null ||
	    echo /usr/sbin/nsd-checkzone)
	_nd=$(_nsd_dir "$1") || { echo "nsd_start: bad dir $1" >&2; return 1; }
	if [ -f "$_nd/pid" ] && _nsd_alive "$(cat "$_nd/pid")"; then
		echo "nsd_start: already running in $_nd" >&2
		return 1
	fi
	_nsd_zone_init "$_nd" || return 1
	if ! "$_nsd_chk" . "$_nd/root.zone" > "$_nd/checkzone.log" 2>&1; then
		echo "nsd_start: bad zone: $(grep -v '^zone \.' \
		    "$_nd/checkzone.log" | head -n 1)" >&2
		return 1
	fi
	_nsd_try=0
	while [ "$_nsd_try" -lt 30 ]; do
		_nsd_try=$((_nsd_try + 1))
		_nsd_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' \n')
		_nsd_p=$((20000 + _nsd_r % 40000))
		_nsd_conf "$_nd" "$_nsd_p" > "$_nd/nsd.conf" || return 1
		rm -f "$_nd/nsd.log" "$_nd/nsd.pid" "$_nd/pid"
		if "$_nsd_bin" -c "$_nd/nsd.conf" >/dev/null 2>&1; then
			if _nsd_wait "$_nd"; then
				# shellcheck disable=SC2034
				NSD_PORT=$_nsd_p
				# shellcheck disable=SC2034
				NSD_ADDR=127.0.0.1:$_nsd_p
				echo "$_nsd_p" > "$_nd/port"
				return 0
			fi
			nsd_stop "$_nd/.."
			echo "nsd_start: nsd did not come up:" \
			    "$(tail -n 1 "$_nd/nsd.log" 2>/dev/null)" >&2
			return 1
		fi
		grep -q -e "can't bind" -e 'in use' "$_nd/nsd.log" 2>/dev/null &&
		    continue
		echo "nsd_start: nsd failed:" \
		    "$(grep error: "$_nd/nsd.log" 2>/dev/null | head -n 1)" >&2
		return 1
	done
	echo "nsd_start: no free port after $_nsd_try tries" >&2
	return 1
}

# wait (at most 10 s) until nsd has written its pid and loaded the zones
_nsd_wait() {
	_nsd_i=0
	while [ "$_nsd_i" -lt 200 ]; do
		if [ -s "$1/nsd.pid" ] &&
		    grep -q 'nsd started' "$1/nsd.log" 2>/dev/null; then
			cp "$1/nsd.pid" "$1/pid"
			_nsd_alive "$(cat "$1/pid")" && return 0
			return 1
		fi
		sleep 0.05
		_nsd_i=$((_nsd_i + 1))
	done
	[ -s "$1/nsd.pid" ] && cp "$1/nsd.pid" "$1/pid"
	return 1
}

nsd_stop() {
	# nsd writes nsd.pid itself: a test killed inside nsd_start, before
	# pid was copied, still stops its server
	if [ -f "$1/nsd/pid" ]; then
		_nsd_pid=$(cat "$1/nsd/pid")
	elif [ -s "$1/nsd/nsd.pid" ]; then
		_nsd_pid=$(cat "$1/nsd/nsd.pid")
	else
		return 0
	fi
	rm -f "$1/nsd/pid" "$1/nsd/nsd.pid"
	case $_nsd_pid in
	''|*[!0-9]*) return 0 ;;
	esac
	kill -TERM "$_nsd_pid" 2>/dev/null || return 0
	_nsd_i=0
	while _nsd_alive "$_nsd_pid"; do
		if [ "$_nsd_i" -ge 100 ]; then
			kill -KILL "$_nsd_pid" 2>/dev/null
			sleep 0.1
			break
		fi
		sleep 0.05
		_nsd_i=$((_nsd_i + 1))
	done
	return 0
}

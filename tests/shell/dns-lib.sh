# dns-lib.sh -- serve test DNS records from a private nsd on 127.0.0.1
# (and, at the end, a private knot that takes RFC 2136 updates).
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

# --- knot: an authoritative server that takes RFC 2136 updates ---
#
#	knot_add DIR [FILE...]	append zone-file records for the zone
#				(stdin without FILE), before knot_start
#	knot_start DIR ZONE [tsig]
#				start knotd, primary for ZONE, on 127.0.0.1;
#				sets KNOT_PORT and KNOT_ADDR
#	knot_stop DIR		stop it and wait; idempotent, safe in a trap
#
# Everything (config, zone file, journal and other databases, control
# socket, pid, log) lives in DIR/knot/.  The zone starts as an SOA and an
# NS record ("$ORIGIN ZONE.", "$TTL 300"), then what knot_add added.
# Dynamic updates are accepted from 127.0.0.1; with "tsig" only when
# signed with the key in DIR/knot/tsig.key (BIND's format, for
# nsupdate -k; its name is "update.ZONE.", hmac-sha256).  The updates go
# to the journal and the zone file at once (zonefile-sync: 0), so after
# knot_stop a new knot_start serves the zone as the updates left it, on
# the same port when it is still free (DIR/knot/port), like a real server
# that was restarted.  knotd runs as the invoking user (root or not).
# Failure: one line on stderr, non-zero; DIR/knot/knot.log has knot's.

# shellcheck disable=SC2034 # set for the sourcing test
KNOT_PORT=
# shellcheck disable=SC2034
KNOT_ADDR=

_knot_dir() {
	mkdir -p "$1/knot" || return 1
	(cd "$1/knot" && pwd)
}

knot_add() {
	_kd=$(_knot_dir "$1") || return 1
	shift
	awk '{ sub(/\r$/, ""); print }' "$@" >> "$_kd/add.zone"
}

_knot_conf() {
	# $1 = knot dir (absolute), $2 = port, $3 = zone, $4 = tsig or ""
	cat <<EOF2
server:
    rundir: "$1"
    pidfile: "$1/knot.pid"
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: "$1/knot.log"
    any: info
database:
    storage: "$1"
    journal-db-max-size: 64M
    kasp-db-max-size: 8M
    timer-db-max-size: 8M
    catalog-db-max-size: 8M
control:
    listen: "$1/knot.sock"
EOF2
	if [ -n "$4" ]; then
		cat <<EOF2
key:
  - id: update.$3.
    algorithm: hmac-sha256
    secret: $(cat "$1/tsig.secret")
acl:
  - id: update
    address: 127.0.0.1
    key: update.$3.
    action: update
EOF2
	else
		cat <<EOF2
acl:
  - id: update
    address: 127.0.0.1
    action: update
EOF2
	fi
	cat <<EOF2
zone:
  - domain: $3.
    storage: "$1"
    file: "zone"
    zonefile-sync: 0
    acl: update
EOF2
}

knot_start() {
	KNOT_PORT=
	KNOT_ADDR=
	_knot_bin=$(command -v knotd 2>/dev/null || echo /usr/sbin/knotd)
	_knotc=$(command -v knotc 2>/dev/null || echo /usr/sbin/knotc)
	if ! [ -x "$_knot_bin" ] || ! [ -x "$_knotc" ]; then
		echo "knot_start: knotd not installed (Debian: knot)" >&2
		return 1
	fi
	_kd=$(_knot_dir "$1") || { echo "knot_start: bad dir $1" >&2; return 1; }
	_kz=${2%.}
	_kt=${3:-}
	if [ -f "$_kd/pid" ] && _nsd_alive "$(cat "$_kd/pid")"; then
		echo "knot_start: already running in $_kd" >&2
		return 1
	fi
	if [ ! -f "$_kd/zone" ]; then
		{
			# shellcheck disable=SC2016 # zone-file directives
			printf '$ORIGIN %s.\n$TTL 300\n' "$_kz"
			printf '@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n' \
			    "$_kz" "$_kz"
			printf '@ IN NS ns.%s.\nns IN A 127.0.0.1\n' "$_kz"
			[ ! -f "$_kd/add.zone" ] || cat "$_kd/add.zone"
		} > "$_kd/zone" || return 1
	fi
	if [ "$_kt" = tsig ] && [ ! -s "$_kd/tsig.secret" ]; then
		head -c 32 /dev/urandom | base64 > "$_kd/tsig.secret" || return 1
		printf 'key "update.%s." {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
		    "$_kz" "$(cat "$_kd/tsig.secret")" > "$_kd/tsig.key" || return 1
		chmod 600 "$_kd/tsig.key" "$_kd/tsig.secret"
	fi
	_knot_try=0
	while [ "$_knot_try" -lt 30 ]; do
		_knot_try=$((_knot_try + 1))
		if [ "$_knot_try" -eq 1 ] && [ -s "$_kd/port" ]; then
			_knot_p=$(cat "$_kd/port")
		else
			_knot_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' \n')
			_knot_p=$((20000 + _knot_r % 40000))
		fi
		_knot_conf "$_kd" "$_knot_p" "$_kz" "$_kt" > "$_kd/knot.conf" ||
		    return 1
		rm -f "$_kd/knot.log" "$_kd/knot.pid" "$_kd/pid"
		"$_knot_bin" -c "$_kd/knot.conf" > "$_kd/knotd.out" 2>&1 \
		    < /dev/null &
		echo "$!" > "$_kd/pid"
		# up when the zone is loaded, or gone (a port in use)
		_knot_i=0
		while [ "$_knot_i" -lt 200 ]; do
			_nsd_alive "$(cat "$_kd/pid")" || break
			if "$_knotc" -c "$_kd/knot.conf" -t 2 zone-status "$_kz." \
			    2>/dev/null | grep -q 'serial: [0-9]'; then
				KNOT_PORT=$_knot_p
				KNOT_ADDR=127.0.0.1:$_knot_p
				echo "$_knot_p" > "$_kd/port"
				return 0
			fi
			sleep 0.05
			_knot_i=$((_knot_i + 1))
		done
		if _nsd_alive "$(cat "$_kd/pid")"; then
			knot_stop "$_kd/.."
			echo "knot_start: knotd did not load $_kz:" \
			    "$(grep -e error: -e critical: "$_kd/knot.log" |
			    tail -n 1)" >&2
			return 1
		fi
		wait "$(cat "$_kd/pid")" 2>/dev/null
		rm -f "$_kd/pid"
		grep -q 'in use' "$_kd/knot.log" 2>/dev/null && continue
		echo "knot_start: knotd failed:" \
		    "$(grep -e error: -e critical: "$_kd/knot.log" 2>/dev/null |
		    head -n 1)" >&2
		return 1
	done
	echo "knot_start: no free port after $_knot_try tries" >&2
	return 1
}

knot_stop() {
	[ -f "$1/knot/pid" ] || return 0
	_knot_pid=$(cat "$1/knot/pid")
	rm -f "$1/knot/pid"
	case $_knot_pid in
	''|*[!0-9]*) return 0 ;;
	esac
	kill -TERM "$_knot_pid" 2>/dev/null || return 0
	_knot_i=0
	while _nsd_alive "$_knot_pid"; do
		if [ "$_knot_i" -ge 100 ]; then
			kill -KILL "$_knot_pid" 2>/dev/null
			break
		fi
		sleep 0.05
		_knot_i=$((_knot_i + 1))
	done
	# reap it (it is the caller's child)
	wait "$_knot_pid" 2>/dev/null
	return 0
}

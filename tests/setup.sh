#!/bin/sh
# setup.sh: install the Debian packages the build and the tests need, when
# they are missing.  Run by "make check" (as root on CI, with no terminal).
# Nothing is installed when everything is there already.
set -e

# build: compiler, headers of the three run-time libraries
BUILD="gcc make pkg-config libc6-dev libssl-dev libbsd-dev openssl"
# tests: the peers we interoperate with, a real DNS server, the mail
# filters we run under, an RFC 2136 server (knot) with dig and nsupdate for
# key rotation, man page linting and man(1), valgrind, the fuzzers' compiler
TEST="python3 python3-dkim python3-dnspython libmail-dkim-perl \
libnet-dns-perl libopendkim-dev nsd knot bind9-dnsutils procmail maildrop \
mandoc man-db valgrind \
clang libclang-rt-14-dev time"

# mailauth, the Node.js peer (tests/peers/package.json), wants node >= 18
# and npm.  Debian's nodejs comes without npm; NodeSource's has it and
# conflicts with Debian's npm, so npm is asked for only where nodejs is
# there and npm is not (see the end).
command -v node >/dev/null 2>&1 || TEST="$TEST nodejs"

missing=""
for p in $BUILD $TEST; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $s in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1 &&
    missing="$missing npm"
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing Debian packages:$missing" >&2
	echo "setup: run 'make check' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null >/dev/null
# nsd's package starts a system nsd; tests run their own, so keep it off
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
if ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -qq --no-install-recommends npm </dev/null >/dev/null
fi
echo "setup: done"

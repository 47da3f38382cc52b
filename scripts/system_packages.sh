#!/usr/bin/env bash
# The one list of the system programs `make test` needs, and the Debian packages that bring them.
# Installs the missing ones with apt-get when run as root on Debian or Ubuntu; anywhere else it
# stops at once and prints the exact command to run. `make test` (and so .ci/run) calls it.
#
#   program        Debian package      used by
#   chromium       chromium            the browser sign-in test (headless)
#   chromedriver   chromium-driver     selenium's driver for it
#   initdb         postgresql          the replica's tests on a real PostgreSQL (server binaries only)
#   valgrind       valgrind            the end-to-end benchmark's callgrind slice
#   redis-server   redis-server        the security tests' shared denylist and throttle cache
#   memcached      memcached           the same on Memcached
#   npm            npm                 aws-jwt-verify, the Node peer of the benchmarks
set -euo pipefail

PACKAGES=(
    "chromium:chromium"
    "chromedriver:chromium-driver"
    "initdb:postgresql"
    "valgrind:valgrind"
    "redis-server:redis-server"
    "memcached:memcached"
    "npm:npm"
)

have() {
    # Debian keeps PostgreSQL's server programs off PATH, in /usr/lib/postgresql/<version>/bin.
    if [ "$1" = initdb ]; then
        command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
    else
        command -v "$1" >/dev/null 2>&1
    fi
}

missing=()
for entry in "${PACKAGES[@]}"; do
    program=${entry%%:*}
    package=${entry#*:}
    have "$program" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "make test needs these system packages: ${missing[*]}" >&2
    echo "install them, then run make test again:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing the system packages make test needs: ${missing[*]}"
# PostgreSQL: the server binaries only, no default cluster and no service of Debian's.
mkdir -p /etc/postgresql-common
[ -f /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
# Debian starts the services it installs; the tests start their own on free ports.
for service in redis-server memcached; do
    if command -v systemctl >/dev/null 2>&1; then systemctl stop "$service" >/dev/null 2>&1 || true; fi
    if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done

#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster for the tests, listening on loopback only, and makes the role and
# database `driftgate` (password `driftgate`) the tests connect to:
#   postgres://driftgate:driftgate@127.0.0.1:5432/driftgate   (DRIFTGATE_TEST_DATABASE_URL's default)
# Idempotent: a running cluster, an existing role or database is left as it is. Run as root (CI) or as a
# user who may `pg_ctlcluster` and `runuser -u postgres`.
#   usage: scripts/postgres-test-db.sh [version] [cluster]   (default: the newest installed, main)
set -euo pipefail
version="${1:-$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1)}"
cluster="${2:-main}"
[ -n "$version" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
conf="/etc/postgresql/$version/$cluster"
[ -d "$conf" ] || pg_createcluster "$version" "$cluster" >/dev/null
# Loopback only: the test database has a well-known password, so nothing beyond this machine may reach it.
mkdir -p "$conf/conf.d"
printf "listen_addresses = '127.0.0.1'\n" >"$conf/conf.d/driftgate-loopback.conf"
as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() { as_postgres psql --no-psqlrc -v ON_ERROR_STOP=1 -qtA --cluster "$version/$cluster" "$@"; }
if pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c && $4 == "online" { found = 1 } END { exit !found }'; then
  # listen_addresses takes effect on restart only: a cluster already running elsewhere is restarted.
  if [ "$(psql_admin -c 'SHOW listen_addresses')" != 127.0.0.1 ]; then pg_ctlcluster "$version" "$cluster" restart; fi
else
  pg_ctlcluster "$version" "$cluster" start
fi
for _ in $(seq 1 30); do psql_admin -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'driftgate'")" != 1 ]; then
  psql_admin -c "CREATE ROLE driftgate LOGIN PASSWORD 'driftgate'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'driftgate'")" != 1 ]; then
  as_postgres createdb --owner=driftgate driftgate
fi
echo "PostgreSQL $version/$cluster on 127.0.0.1:$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }'): database driftgate ready"

#!/usr/bin/env bash
# Makes sure PostgreSQL answers on 127.0.0.1:5432 and holds the test database: starts the
# cluster if it is installed, installs Debian's postgresql first if it is not, then creates the
# role and database the tests use when they are missing. Safe to run again: it changes nothing
# that is already there, and never touches the server's configuration (pg_hba.conf stays as it is:
# the tests log in with a password, which the default and a trust configuration both accept).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HOST=127.0.0.1
PORT=5432
DATABASE=grantflow_test
ROLE=grantflow
PASSWORD=grantflow   # a test-only role on a loopback server, as the tests' default URL says

answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$HOST" -p "$PORT" -t 2
  else
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
  fi
}

start() {
  if ! command -v pg_lsclusters >/dev/null; then
    echo "ensure-postgres: installing Debian's postgresql"
    apt_install postgresql
  fi
  # Debian's tooling: the first cluster, or a new one when the package made none
  local cluster
  cluster="$(pg_lsclusters -h | awk 'NR == 1 { print $1 " " $2 }')"
  if [[ -z "$cluster" ]]; then
    local version
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    echo "ensure-postgres: creating cluster $version main on port $PORT"
    as_root pg_createcluster "$version" main --port "$PORT" >/dev/null
    cluster="$version main"
  fi
  echo "ensure-postgres: starting cluster $cluster"
  # shellcheck disable=SC2086 # "<version> <name>": two arguments
  as_root pg_ctlcluster $cluster start || true
}

if ! answers; then
  start
  for _ in $(seq 1 50); do
    answers && break
    sleep 0.2
  done
  if ! answers; then
    echo "ensure-postgres: PostgreSQL did not answer on $HOST:$PORT within 10 s" >&2
    exit 1
  fi
fi
echo "ensure-postgres: PostgreSQL answers on $HOST:$PORT"

# An administrator's session: over TCP where the server trusts loopback, else as the postgres
# user over the local socket (Debian's default "peer" authentication).
admin() {
  if psql -h "$HOST" -p "$PORT" -U postgres -w -d postgres -qAtc 'SELECT 1' >/dev/null 2>&1; then
    psql -h "$HOST" -p "$PORT" -U postgres -w -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
  else
    as_root runuser -u postgres -- psql -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
  fi
}

if [[ "$(admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]]; then
  echo "ensure-postgres: creating role $ROLE"
  admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [[ "$(admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]]; then
  echo "ensure-postgres: creating database $DATABASE"
  admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi
echo "ensure-postgres: database $DATABASE is there (postgres://$ROLE:$PASSWORD@$HOST:$PORT/$DATABASE)"

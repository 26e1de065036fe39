#!/bin/sh
# Starts the local PostgreSQL that the platform's PostgreSQL tests use, makes their role, and prints the URL to
# give as SATCHEL_TEST_POSTGRES (the only line on stdout; progress goes to stderr). Safe to run again.
#   url=$(sh scripts/start-test-postgres.sh) && SATCHEL_TEST_POSTGRES="$url" swift test ...
# When SATCHEL_TEST_POSTGRES is already set, that server is used as it is and nothing is started.
# The role `satchel` (password `satchel`, allowed to create databases) logs in over TCP on 127.0.0.1, where
# Debian's pg_hba.conf already asks for a password (scram-sha-256); each test makes and drops its own database.
set -eu

if [ -n "${SATCHEL_TEST_POSTGRES:-}" ]; then
    echo "start-test-postgres: using SATCHEL_TEST_POSTGRES as given" >&2
    echo "$SATCHEL_TEST_POSTGRES"
    exit 0
fi

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "start-test-postgres: PostgreSQL is not installed; run scripts/install-deps.sh as root" >&2
    exit 1
fi

# The first cluster Debian knows of (15 main on Debian 12); one is made when there is none.
cluster=$(pg_lsclusters -h | awk 'NR == 1 { print $1, $2, $3, $4 }')
if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    echo "start-test-postgres: creating cluster $version main" >&2
    pg_createcluster "$version" main >&2
    cluster=$(pg_lsclusters -h | awk 'NR == 1 { print $1, $2, $3, $4 }')
fi
set -- $cluster
version=$1 name=$2 port=$3 status=$4

if [ "$status" != "online" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "start-test-postgres: cluster $version/$name is $status; start it as root: pg_ctlcluster $version $name start" >&2
        exit 1
    fi
    echo "start-test-postgres: starting cluster $version/$name on port $port" >&2
    pg_ctlcluster "$version" "$name" start >&2
fi

tries=0
until pg_isready -q -h 127.0.0.1 -p "$port"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "start-test-postgres: PostgreSQL on 127.0.0.1:$port did not become ready in 30 s" >&2
        exit 1
    fi
    sleep 0.5
done

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
as_postgres psql -q -p "$port" -d postgres -v ON_ERROR_STOP=1 >&2 <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'satchel') THEN
        CREATE ROLE satchel LOGIN CREATEDB PASSWORD 'satchel';
    ELSE
        ALTER ROLE satchel LOGIN CREATEDB PASSWORD 'satchel';
    END IF;
END
$$;
SQL

echo "start-test-postgres: ready on 127.0.0.1:$port (role satchel)" >&2
echo "postgres://satchel:satchel@127.0.0.1:$port/postgres"

#!/usr/bin/env bash
# Installs (when missing) and starts Debian's PostgreSQL, then creates the roles Parapet's
# tests use. Prints the two connection strings as `export` lines for eval.
#   eval "$(bash scripts/pg-setup.sh)"
set -euo pipefail
PW="${PARAPET_PG_PASSWORD:-parapet-ci}"
if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  echo "installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
VER="$(ls /usr/lib/postgresql | sort -n | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$VER main$"; then
  pg_createcluster "$VER" main >&2
fi
if ! pg_lsclusters -h | grep -q "^$VER main .* online"; then
  pg_ctlcluster "$VER" main start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {print $3}')"
for i in $(seq 1 30); do
  su postgres -c "psql -p $PORT -qAtc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -q" >&2 <<SQL
ALTER ROLE postgres PASSWORD '$PW';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parapet_owner') THEN CREATE ROLE parapet_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parapet_app') THEN CREATE ROLE parapet_app NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parapet') THEN
    CREATE ROLE parapet LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT PASSWORD '$PW';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE parapet OWNER parapet_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'parapet')
\gexec
SQL
echo "export DATABASE_ADMIN_URL=postgres://postgres:$PW@127.0.0.1:$PORT/parapet"
echo "export DATABASE_URL=postgres://parapet:$PW@127.0.0.1:$PORT/parapet"

#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests: own directory, own random port on 127.0.0.1, own socket dir.
#   pg-throwaway.sh            -> prints PGTEST_DIR=... and DATABASE_URL=postgres://app:app-pass@127.0.0.1:PORT/appdb
#   pg-throwaway.sh stop DIR   -> stops the server and deletes DIR
# The role `app` may create databases: the test harness gives each test its own database.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$BIN" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "${1:-}" = stop ]; then as_pg "$BIN/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$2"; exit 0; fi
DIR=$(mktemp -d /tmp/pgtest.XXXXXX)
chmod 755 "$DIR"
echo app-pass > "$DIR/pw"; chmod 600 "$DIR/pw"
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$DIR"; fi
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --pwfile="$DIR/pw" -A scram-sha-256 --auth-local=trust \
  -N -E UTF8 --locale=C.UTF-8 >/dev/null
for _ in 1 2 3 4 5; do
  PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  if as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 30 start -o "-c listen_addresses=127.0.0.1 -p $PORT \
    -k $DIR -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null; then
    break
  fi
done
as_pg "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE app LOGIN CREATEDB PASSWORD 'app-pass'" -c "CREATE DATABASE appdb OWNER app" >/dev/null
echo "PGTEST_DIR=$DIR"
echo "DATABASE_URL=postgres://app:app-pass@127.0.0.1:$PORT/appdb"

#!/bin/sh
# PostgreSQL 15 of the trevor-dev images (scripts/images.java), configured like the official
# image: POSTGRES_PASSWORD (required), POSTGRES_USER (default postgres), POSTGRES_DB (default
# POSTGRES_USER) and PGDATA. The first start initialises PGDATA; later starts only run the server.
# Runs as the image's user (uid 999, postgres) on a read-only root filesystem: it writes only to
# PGDATA, /run/postgresql (the socket) and /tmp.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "postgres-entrypoint: initialising $PGDATA for user $user, database $db"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --no-locale --pgdata="$PGDATA" >/dev/null
  rm -f "$pwfile"
  # other pods reach it over the network, with the password
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # single-user mode: no server, no socket, nothing listening while the database is made
    printf 'CREATE DATABASE "%s" OWNER "%s"\n' "$db" "$user" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql -c jit=off "$@"

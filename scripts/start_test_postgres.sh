#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (never for real data: trust auth, fsync off).
#
#   scripts/start_test_postgres.sh [DIR]     initdb into DIR (default: a new /tmp dir), start the server on a
#                                            free port on 127.0.0.1 (unix socket inside DIR) and print its URL:
#                                            postgresql://postgres@127.0.0.1:PORT/postgres
#   scripts/start_test_postgres.sh --stop DIR   stop that server and delete DIR
#
# Finds Debian's /usr/lib/postgresql/<newest>/bin, else initdb/pg_ctl on PATH. As root, the server runs as
# the `postgres` user (PostgreSQL refuses to run as root). Everything but the URL goes to stderr.
set -euo pipefail

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"; return 0
  fi
  return 1
}

BINDIR=$(find_bindir) || { echo "start_test_postgres: no PostgreSQL binaries (initdb, pg_ctl) found" >&2; exit 3; }

# As root, run the server as an unprivileged user.
as_user() { "$@"; }
RUN_USER=""
if [ "$(id -u)" = 0 ]; then
  for u in postgres nobody; do
    if id -u "$u" >/dev/null 2>&1; then RUN_USER=$u; break; fi
  done
  [ -n "$RUN_USER" ] || { echo "start_test_postgres: running as root and no 'postgres' user" >&2; exit 4; }
  if command -v runuser >/dev/null 2>&1; then
    as_user() { runuser -u "$RUN_USER" -- "$@"; }
  else
    as_user() { su -s /bin/sh "$RUN_USER" -c "$(printf '%q ' "$@")"; }
  fi
fi

if [ "${1:-}" = "--stop" ]; then
  DIR=${2:?usage: $0 --stop DIR}
  if [ -f "$DIR/data/postmaster.pid" ]; then
    as_user "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
  exit 0
fi

DIR=${1:-$(mktemp -d /tmp/test-postgres.XXXXXX)}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
mkdir -p "$DIR/socket"
if [ -n "$RUN_USER" ]; then
  chown -R "$RUN_USER" "$DIR"
  # the server user must be able to reach DIR
  if ! as_user test -w "$DIR"; then
    echo "start_test_postgres: user $RUN_USER cannot write to $DIR (a parent directory is private?)" >&2
    exit 5
  fi
fi

if [ ! -f "$DIR/data/PG_VERSION" ]; then
  as_user "$BINDIR/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || as_user "$BINDIR/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 6; }
fi

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

for attempt in 1 2 3 4 5; do
  PORT=$(free_port)
  if as_user "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >&2; then
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
    exit 0
  fi
  echo "start_test_postgres: start on port $PORT failed (attempt $attempt); server.log:" >&2
  tail -n 20 "$DIR/server.log" >&2 || true
done
exit 7

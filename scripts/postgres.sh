# Sourced by scripts/test.sh: installs PostgreSQL from Debian's packages if it
# is missing, starts a throw-away cluster on a free local port, exports
# ONSITE_TEST_PG_URL for the tests, and stops the cluster when the script exits.
# Tests run it with fsync=off (a throw-away cluster); the benchmarks set
# ONSITE_PG_FSYNC=on so HQ's figures are those of a durable database.

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; fi
}

start_postgres() {
  if [ -z "$(pg_bin_dir)" ]; then
    echo "installing PostgreSQL (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local bin; bin=$(pg_bin_dir)
  [ -n "$bin" ] || { echo "PostgreSQL could not be installed" >&2; return 1; }
  PG_TMP=$(mktemp -d /tmp/onsite-pg.XXXXXX)
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_TMP" postgres
    chown postgres "$PG_TMP"
    run=(runuser -u postgres --)
  fi
  PG_RUN=("${run[@]}")
  PG_BIN=$bin
  "${run[@]}" "$bin/initdb" -D "$PG_TMP/data" -A trust -U postgres >"$PG_TMP/initdb.log" 2>&1
  "${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w \
    -o "-p $PG_PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=${ONSITE_PG_FSYNC:-off} -c max_connections=300" start >/dev/null
  export ONSITE_TEST_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $PG_PORT"
}

stop_postgres() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
    "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}

#!/usr/bin/env bash
# Installs what `make run` / `make test` need on a fresh Debian/Ubuntu machine, and starts
# project-local PostgreSQL and Redis under .data/ when none is reachable.
#   provision.sh python         project virtualenv with the locked Python deps
#   provision.sh services       PostGIS for the reachable PostgreSQL (or a local cluster), Redis
#   provision.sh test-services  services + headless Chromium for the browser tests
#   provision.sh citus          the Citus extension for the machine's PostgreSQL (distributed test stage)
#   provision.sh all            all of the above
# Writes .data/env with DATABASE_URL / REDIS_URL when it had to start its own servers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA="$ROOT/.data"
VENV="${VENV:-$ROOT/.venv}"
LOCAL_PG_PORT=54329
LOCAL_REDIS_PORT=63799
mkdir -p "$DATA"

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: install the packages named above by hand"
  SUDO="sudo"
fi

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------- python
python_env() {
  local py="" candidate
  for candidate in python3 python3.13 python3.12 python3.11; do
    # A candidate must actually run (pyenv shims exist for inactive versions).
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      py=$(command -v "$candidate"); break
    fi
  done
  if [ -z "$py" ]; then
    apt_install python3 python3-venv python3-dev
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python >= 3.11 is needed"
    py=$(command -v python3)
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    "$py" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; rm -rf "$VENV"; "$py" -m venv "$VENV"; }
  fi
  say "installing Python dependencies (locked in requirements.lock)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
}

# ---------------------------------------------------------------- env files
load_env() {
  # A previous run that started local servers recorded where they are.
  if [ -f "$DATA/env" ] && [ -z "${DATABASE_URL:-}${REDIS_URL:-}" ]; then
    # shellcheck disable=SC1091
    . "$DATA/env"
  fi
}

record_env() {
  { [ -n "${LOCAL_DATABASE_URL:-}" ] && echo "export DATABASE_URL=$LOCAL_DATABASE_URL"
    [ -n "${LOCAL_REDIS_URL:-}" ] && echo "export REDIS_URL=$LOCAL_REDIS_URL"; } > "$DATA/env.new"
  if [ -s "$DATA/env.new" ]; then mv "$DATA/env.new" "$DATA/env"; else rm -f "$DATA/env.new"; fi
}

# ---------------------------------------------------------------- postgres
pg_major_installed() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

pg_server_major() {  # $1 = libpq URL
  psql "$1" -Atqc 'SHOW server_version_num' 2>/dev/null | cut -c1-2
}

url_host() { python3 -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).hostname or "localhost")' "$1"; }

server_url_of() { printf '%s/postgres' "${1%/*}"; }

ensure_postgis_for() {  # $1 = major version of a server on this machine
  if [ ! -f "/usr/share/postgresql/$1/extension/postgis.control" ]; then
    apt_install "postgresql-$1-postgis-3"
  fi
}

start_local_postgres() {
  local major bin owner
  major=$(pg_major_installed)
  if [ -z "$major" ]; then apt_install postgresql postgresql-contrib; major=$(pg_major_installed); fi
  command -v psql >/dev/null || apt_install postgresql-client
  ensure_postgis_for "$major"
  bin="/usr/lib/postgresql/$major/bin"
  owner=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then owner=postgres; fi
  as_owner() { if [ "$owner" = "$(id -un)" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }
  if [ ! -f "$DATA/pg/PG_VERSION" ]; then
    say "initialising a project-local PostgreSQL $major cluster in .data/pg"
    mkdir -p "$DATA/pg" && chown "$owner" "$DATA/pg" && chmod 700 "$DATA/pg"
    as_owner "$bin/initdb" -D "$DATA/pg" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DATA/pg" status >/dev/null 2>&1; then
    say "starting PostgreSQL on 127.0.0.1:$LOCAL_PG_PORT"
    as_owner "$bin/pg_ctl" -D "$DATA/pg" -l "$DATA/pg/server.log" -w \
      -o "-p $LOCAL_PG_PORT -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  LOCAL_DATABASE_URL="postgresql://postgres@127.0.0.1:$LOCAL_PG_PORT/happenings"
  export DATABASE_URL="$LOCAL_DATABASE_URL"
}

postgres_ready() {
  local url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/happenings}"
  command -v psql >/dev/null || apt_install postgresql-client
  local server major host
  server=$(server_url_of "$url")
  if major=$(pg_server_major "$server") && [ -n "$major" ]; then
    host=$(url_host "$url")
    case "$host" in
      localhost|127.*|::1|/*) ensure_postgis_for "$major" ;;
      *) say "PostgreSQL at $host is not on this machine: PostGIS must be available there" ;;
    esac
    return 0
  fi
  if [ -n "${DATABASE_URL:-}" ] && [ -z "${LOCAL_DATABASE_URL:-}" ] && [ ! -f "$DATA/env" ]; then
    die "DATABASE_URL is set but PostgreSQL there does not answer: start it or fix DATABASE_URL"
  fi
  start_local_postgres
}

# The suite runs migrations (each DDL statement over 64-partition tables holds a lock per partition
# and index until its transaction ends) beside hundreds of concurrent requests: the shared lock table
# (max_locks_per_transaction x max_connections slots) must hold both. 64 per connection, the default,
# runs out ("out of shared memory"); a server on this machine is raised to LOCK_SLOTS and restarted.
LOCK_SLOTS=256
lock_slots_ready() {
  local url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/happenings}" server slots port cluster
  server=$(server_url_of "$url")
  slots=$(psql "$server" -Atqc 'SHOW max_locks_per_transaction' 2>/dev/null) || return 0
  [ -n "$slots" ] && [ "$slots" -ge "$LOCK_SLOTS" ] && return 0
  case "$(url_host "$url")" in
    localhost|127.*|::1|/*) ;;
    *) say "PostgreSQL at $(url_host "$url") has max_locks_per_transaction=$slots: the suite needs $LOCK_SLOTS"; return 0 ;;
  esac
  port=$(psql "$server" -Atqc 'SHOW port')
  say "raising max_locks_per_transaction from $slots to $LOCK_SLOTS on the PostgreSQL at port $port (restart)"
  psql "$server" -qc "ALTER SYSTEM SET max_locks_per_transaction = $LOCK_SLOTS" >/dev/null
  if [ -f "$DATA/pg/PG_VERSION" ] && [ "$port" = "$LOCAL_PG_PORT" ]; then
    local bin; bin="/usr/lib/postgresql/$(pg_major_installed)/bin"
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$DATA/pg" -w restart -m fast >/dev/null
    else "$bin/pg_ctl" -D "$DATA/pg" -w restart -m fast >/dev/null; fi
  elif command -v pg_lsclusters >/dev/null; then
    cluster=$(pg_lsclusters -h | awk -v p="$port" '$3 == p {print $1 " " $2; exit}')
    [ -n "$cluster" ] || die "no cluster of this machine listens on port $port: raise max_locks_per_transaction by hand"
    # shellcheck disable=SC2086
    $SUDO pg_ctlcluster $cluster restart
  else
    die "restart PostgreSQL by hand: max_locks_per_transaction = $LOCK_SLOTS takes effect at start"
  fi
  for _ in $(seq 50); do psql "$server" -Atqc 'SELECT 1' >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "PostgreSQL did not come back after the restart"
}

# ---------------------------------------------------------------- redis
redis_answers() { python3 - "$1" <<'PY'
import socket, sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
try:
    with socket.create_connection((p.hostname or "127.0.0.1", p.port or 6379), timeout=1) as s:
        s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith((b"+PONG", b"-NOAUTH")) else 1)
except OSError:
    sys.exit(1)
PY
}

redis_ready() {
  local url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  redis_answers "$url" && return 0
  if [ -n "${REDIS_URL:-}" ] && [ ! -f "$DATA/env" ]; then
    die "REDIS_URL is set but Redis there does not answer: start it or fix REDIS_URL"
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$DATA/redis"
  say "starting Redis on 127.0.0.1:$LOCAL_REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$LOCAL_REDIS_PORT" --dir "$DATA/redis" \
    --save "" --appendonly no --logfile "$DATA/redis/redis.log" --pidfile "$DATA/redis/redis.pid"
  for _ in $(seq 50); do redis_answers "redis://127.0.0.1:$LOCAL_REDIS_PORT" && break; sleep 0.1; done
  LOCAL_REDIS_URL="redis://127.0.0.1:$LOCAL_REDIS_PORT/0"
  export REDIS_URL="$LOCAL_REDIS_URL"
}

# ---------------------------------------------------------------- browser, node
browser_ready() {
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
}

node_ready() {
  command -v npm >/dev/null || apt_install nodejs npm
}

# The deploy-file test checks docker-compose.yml with Compose (no engine needed). Debian ships
# Compose v1 as a package; the v2 plugin comes from Docker's own repository.
compose_ready() {
  if command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1; then return; fi
  apt_install docker-compose || say "docker-compose could not be installed: the compose-file test will be skipped"
}

# The reverse-proxy test runs config/deploy/nginx in front of the app (on 127.0.0.1 ports of its own).
nginx_ready() {
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] && return
  apt_install nginx || say "nginx could not be installed: the reverse-proxy test will be skipped"
}

# The distributed test stage runs a private coordinator and two workers from the machine's own
# PostgreSQL binaries; scripts/citus/build.sh builds the vendored Citus into them once.
citus_ready() {
  local major
  major=$(pg_major_installed)
  [ -n "$major" ] || die "no PostgreSQL server under /usr/lib/postgresql to build Citus for"
  $SUDO bash scripts/citus/build.sh "$major"
}

services() {
  load_env
  postgres_ready
  redis_ready
  record_env
}

case "${1:-all}" in
  python) python_env ;;
  services) services ;;
  test-services) services; lock_slots_ready; browser_ready; node_ready; compose_ready; nginx_ready ;;
  node) node_ready ;;
  citus) citus_ready ;;
  all) python_env; services; browser_ready; node_ready ;;
  *) die "unknown step ${1}" ;;
esac

#!/usr/bin/env bash
# `make run`: provision what is missing, migrate, seed demo data once, build the map, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PORT="${PORT:-8000}"
DEMO_EVENTS="${DEMO_EVENTS:-50000}"

bash scripts/provision.sh python
bash scripts/provision.sh services
# shellcheck disable=SC1091
[ -z "${DATABASE_URL:-}${REDIS_URL:-}" ] && [ -f .data/env ] && . .data/env

# A development key for signing access tokens, made once (refused outside development: named dev-*).
if [ -z "${HAPPENINGS_AUTH__JWT_PRIVATE_KEY:-}${HAPPENINGS_AUTH__JWT_PRIVATE_KEY_FILE:-}" ]; then
  if [ ! -f .data/dev-jwt-ed25519.pem ]; then
    (umask 077 && "$VENV/bin/python" - > .data/dev-jwt-ed25519.pem <<'PY'
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from app.accounts.tokens import private_key_pem
sys.stdout.buffer.write(private_key_pem(Ed25519PrivateKey.generate()))
PY
    )
  fi
  export HAPPENINGS_AUTH__JWT_PRIVATE_KEY_FILE=.data/dev-jwt-ed25519.pem
fi

# Development VAPID keys for Web Push, made once (base64url DER private key, base64url public point).
if [ -z "${HAPPENINGS_NOTIFICATIONS__VAPID_PRIVATE_KEY:-}" ]; then
  if [ ! -f .data/dev-vapid.keys ]; then
    (umask 077 && "$VENV/bin/python" -m app.notifications.vapid > .data/dev-vapid.keys)
  fi
  HAPPENINGS_NOTIFICATIONS__VAPID_PRIVATE_KEY="$(sed -n 1p .data/dev-vapid.keys)"
  HAPPENINGS_NOTIFICATIONS__VAPID_PUBLIC_KEY="$(sed -n 2p .data/dev-vapid.keys)"
  export HAPPENINGS_NOTIFICATIONS__VAPID_PRIVATE_KEY HAPPENINGS_NOTIFICATIONS__VAPID_PUBLIC_KEY
fi

# Links in mails (verification, reset, invitations) point at this server.
export HAPPENINGS_MAIL__PUBLIC_URL="${HAPPENINGS_MAIL__PUBLIC_URL:-http://127.0.0.1:$PORT}"

"$VENV/bin/python" -m app migrate
"$VENV/bin/python" -m app.seed --events "$DEMO_EVENTS" --seed 1 --if-empty
if [ -f frontend/build.sh ]; then
  bash scripts/provision.sh node
  bash frontend/build.sh
fi

cat >&2 <<MSG

  Happenings is starting on http://127.0.0.1:$PORT
    map          http://127.0.0.1:$PORT/
    API docs     http://127.0.0.1:$PORT/docs
    readiness    http://127.0.0.1:$PORT/readyz
    metrics      http://127.0.0.1:$PORT/metrics
    mail outbox  http://127.0.0.1:$PORT/api/v1/dev/outbox?to=you@example.com
  Stop with Ctrl-C. Settings: config/.env.example.

MSG
# The job worker runs beside the API (each domain's drains and sweeps) and stops with it.
"$VENV/bin/python" -m app worker &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null' EXIT
trap 'exit 130' INT TERM
"$VENV/bin/python" -m app serve --port "$PORT"

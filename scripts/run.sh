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

# A development key for signing tickets' QR codes, made once like the JWT key.
if [ -z "${HAPPENINGS_TICKETING__SIGNING_KEY:-}${HAPPENINGS_TICKETING__SIGNING_KEY_FILE:-}" ]; then
  if [ ! -f .data/dev-tickets-ed25519.pem ]; then
    (umask 077 && "$VENV/bin/python" - > .data/dev-tickets-ed25519.pem <<'PY'
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from app.accounts.tokens import private_key_pem
sys.stdout.buffer.write(private_key_pem(Ed25519PrivateKey.generate()))
PY
    )
  fi
  export HAPPENINGS_TICKETING__SIGNING_KEY_FILE=.data/dev-tickets-ed25519.pem
fi

# Links in mails (verification, reset, invitations) point at this server.
export HAPPENINGS_MAIL__PUBLIC_URL="${HAPPENINGS_MAIL__PUBLIC_URL:-http://127.0.0.1:$PORT}"

# Payments: with no Stripe keys, localstripe (an offline fake of Stripe, a development dependency) runs on a
# loopback port with its objects kept in .data/, our webhook registered with it (signed with a development
# secret) and the SDK pointed at it. It stops with the server.
LOCALSTRIPE_PID=""
if [ -z "${HAPPENINGS_PAYMENTS__SECRET_KEY:-}" ]; then
  "$VENV/bin/python" -m app.payments.localstripe_server --port "${LOCALSTRIPE_PORT:-0}" \
    --state-file .data/localstripe.pickle > .data/localstripe.log 2>&1 &
  LOCALSTRIPE_PID=$!
  trap 'kill $LOCALSTRIPE_PID 2>/dev/null' EXIT
  LOCALSTRIPE_URL=""
  for _ in $(seq 1 100); do
    LOCALSTRIPE_URL=$(sed -n 's/^listening on //p' .data/localstripe.log | head -1)
    [ -n "$LOCALSTRIPE_URL" ] && break
    kill -0 "$LOCALSTRIPE_PID" 2>/dev/null || { cat .data/localstripe.log >&2; echo "error: localstripe did not start" >&2; exit 2; }
    sleep 0.1
  done
  [ -n "$LOCALSTRIPE_URL" ] || { echo "error: localstripe did not start (see .data/localstripe.log)" >&2; exit 2; }
  export HAPPENINGS_PAYMENTS__SECRET_KEY=sk_test_localstripe
  export HAPPENINGS_PAYMENTS__PUBLISHABLE_KEY=pk_test_localstripe
  export HAPPENINGS_PAYMENTS__WEBHOOK_SECRET=whsec_dev_localstripe
  export HAPPENINGS_PAYMENTS__API_BASE="$LOCALSTRIPE_URL"
  "$VENV/bin/python" - "$LOCALSTRIPE_URL" "http://127.0.0.1:$PORT/api/v1/payments/stripe/webhook" <<'PY'
import sys, httpx
base, webhook = sys.argv[1], sys.argv[2]
httpx.post(f"{base}/_config/webhooks/happenings", data={"url": webhook, "secret": "whsec_dev_localstripe"},
           timeout=5).raise_for_status()
PY
fi

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
    payments     ${HAPPENINGS_PAYMENTS__API_BASE:-Stripe} (localstripe when no Stripe key is set)
  Stop with Ctrl-C. Settings: config/.env.example.

MSG
# The job worker runs beside the API (each domain's drains and sweeps) and stops with it.
"$VENV/bin/python" -m app worker &
WORKER_PID=$!
trap 'kill $WORKER_PID $LOCALSTRIPE_PID 2>/dev/null; wait $WORKER_PID $LOCALSTRIPE_PID 2>/dev/null' EXIT
trap 'exit 130' INT TERM
"$VENV/bin/python" -m app serve --port "$PORT"

#!/usr/bin/env bash
# Build the front end into frontend/dist — only when something it is built from has changed.
# `make run` and `make test` call this; a second run with nothing changed takes well under a second.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  echo "frontend: npm is not installed; install Node.js 20+ (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi

stamp=dist/.build-stamp
sources=(package.json package-lock.json index.html vite.config.ts tsconfig.json src public scripts)

if [[ -f $stamp && -z $(find "${sources[@]}" -newer "$stamp" -print -quit) ]]; then
  echo "frontend: up to date"
  exit 0
fi

# Install exactly the locked dependencies when they are missing or the lock changed.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

npm run --silent build
touch "$stamp"
echo "frontend: built into $(pwd)/dist"

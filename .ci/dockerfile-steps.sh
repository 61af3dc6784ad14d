#!/usr/bin/env bash
# The Dockerfile's install and build steps, run in a scratch copy since no
# Docker engine runs here: the build stage's `npm ci && npm prune --omit=dev`
# on exactly the files it COPYs, then the final stage's layout started as the
# image would start it (NODE_ENV=production, the CMD's flags) and asked /healthz.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$scratch"' EXIT

mkdir -p "$scratch/build" "$scratch/app/data"
cp package.json package-lock.json tsconfig.json tsconfig.build.json "$scratch/build/"
cp -r src migrations "$scratch/build/"
(cd "$scratch/build" && npm ci --no-audit --no-fund >/dev/null && npm prune --omit=dev --no-audit --no-fund >/dev/null)

cp -r "$scratch/build/node_modules" "$scratch/build/dist" "$scratch/app/"
cp package.json "$scratch/app/"
mkdir -p "$scratch/app/migrations"
cp -r migrations/seeds "$scratch/app/migrations/seeds"
cp -r views public "$scratch/app/"

cmd=$(grep '^CMD ' Dockerfile | sed -E 's/^CMD \[(.*)\]$/\1/; s/"//g; s/, / /g')
port=$((20000 + RANDOM % 20000))
secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
(cd "$scratch/app" && exec env NODE_ENV=production HOST=127.0.0.1 PORT=$port MALLOC_ARENA_MAX=1 \
  JWT_SECRET="$secret" $cmd >"$scratch/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 100); do
  if node -e "fetch('http://127.0.0.1:$port/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    echo "dockerfile steps: npm ci, npm prune --omit=dev and the pruned server answer /healthz"
    exit 0
  fi
  sleep 0.2
done
echo "dockerfile steps: the pruned server did not answer /healthz" >&2
cat "$scratch/server.log" >&2
exit 1

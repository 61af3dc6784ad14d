# syntax=docker/dockerfile:1
# Gatehouse: build the TypeScript and the native modules (argon2, better-sqlite3)
# in one stage, run as an unprivileged user in a slim second stage.
# node:22-slim rather than 20: Node 20 is past end-of-life.

FROM node:22-slim AS build
WORKDIR /app
# node-gyp toolchain: argon2 and better-sqlite3 compile from source when no
# prebuilt binary matches.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# `npm ci` runs the install scripts (native builds) and `prepare` (tsc build).
RUN npm ci && npm prune --omit=dev

FROM node:22-slim
# MALLOC_ARENA_MAX=1: argon2 takes 19 MiB per hash from malloc on whichever
# libuv thread runs it, and glibc keeps a separate arena per thread, so after a
# few logins each of the 4 threads held its own 19 MiB (peak RSS 174 MiB after
# a login flood). One arena reuses the same block: 103-121 MiB in the same run.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MALLOC_ARENA_MAX=1
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations/seeds ./migrations/seeds
COPY views ./views
COPY public ./public
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# The SQLite database (data/gatehouse.db); mount a volume to keep it.
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Migrations run at start (MIGRATE_ON_START defaults to true). JWT_SECRET must be given.
# Small V8 heaps (flags here, not NODE_OPTIONS, so the CLIs keep the defaults):
# by default the young generation grows to 3 x 16 MiB and the old space far past
# its ~30 MiB live set before V8 collects, which took the server to ~180 MiB under
# load; with these it stays near 100-120 MiB at the same throughput (the young
# generation fits in cache). 96 MiB of old space is about 3x the live set: raise
# it if your load ever brings the live heap near it, as past it the process aborts.
CMD ["node", "--max-semi-space-size=1", "--max-old-space-size=96", "dist/src/server.js"]

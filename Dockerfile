# syntax=docker/dockerfile:1
# Build: compile TypeScript and the native SQLite binding, then keep production dependencies only.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts skips `prepare` (no sources yet); better-sqlite3's own build runs explicitly.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The dashboard: bundled by scripts/build-web.mjs into dist/web, served at / by the API process.
COPY scripts ./scripts
COPY web ./web
RUN npm run build && npm prune --omit=dev

# Run: slim LTS Node, non-root, tini as init so signals reach node and children are reaped.
FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DB_PATH=/app/data/db/darkpool.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Shipped reference data (sector table) and the bundled FINRA weeks for `darkpool-radar demo`.
COPY data/sectors ./data/sectors
COPY fixtures/finra ./fixtures/finra
# `darkpool-radar` on PATH, for `docker exec ... darkpool-radar status` and friends.
RUN mkdir -p /app/data/db && chown node:node /app/data/db \
 && chmod +x /app/dist/cli.js && ln -s /app/dist/cli.js /usr/local/bin/darkpool-radar
USER node
# The SQLite store (and its WAL files) live on a volume; the image's own files stay read-only data.
VOLUME ["/app/data/db"]
EXPOSE 3000
# Healthy means serving data (/readyz): a container whose first ingest never loaded a week is
# unhealthy once the start period (room for that first ingest) is over.
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/server.js"]

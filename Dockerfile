# syntax=docker/dockerfile:1
# The crowdfund exporter: built in one stage, run as the unprivileged `node` user in another.
ARG NODE_IMAGE=node:20.18.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Toolchain for better-sqlite3 in case no prebuilt binary matches this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY exporter ./exporter
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=9861 \
    DATABASE_PATH=/var/lib/crowdfund/crowdfund.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Shipped data (Angor demo projects, ...). The database lives elsewhere, on its own volume, so a
# volume never hides these files.
COPY data ./data
RUN mkdir -p /var/lib/crowdfund && chown node:node /var/lib/crowdfund
USER node
VOLUME ["/var/lib/crowdfund"]
EXPOSE 9861
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9861) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself, not `npm start`: npm would add a second process of ~54 MB RSS for nothing.
# A bounded V8 heap (issue 17, bench/memory.ts): left alone, V8 lets the heap grow to ~150 MB of
# uncollected garbage during a first sync (the live data stays under 45 MB), which on a Raspberry
# Pi shares memory with bitcoind and Lightning. The memory targets (peak < 180 MB during a first
# sync of 100,000 invoices, < 100 MB idle) NEED these two flags; the benchmarks read them from
# this line, so change them here only. --max-old-space-size=96 leaves twice the largest live heap
# measured (first sync, webhook bursts, scrapes at 1,000,000 invoices); small semi-spaces keep the
# young generation, which every page of invoices passes through, from holding 3 × 16 MB.
CMD ["node", "--max-old-space-size=96", "--max-semi-space-size=4", "dist/exporter/src/cli.js", "serve"]

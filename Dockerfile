# The Shanshui platform image: Node 24 runs the TypeScript sources directly (type stripping), so
# the image carries the sources and production dependencies; the only build step is the web
# app's bundle (esbuild).
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    SHANSHUI_DATA_DIR=/data \
    SHANSHUI_INFLUX_INSTALL=false
WORKDIR /app

# Dependencies first, so a source change does not reinstall them. The root devDependency
# "node" (Node 24 for npm scripts on older hosts) is omitted: the base image is Node 24.
COPY package.json package-lock.json ./
COPY models/package.json models/
COPY broker/package.json broker/
COPY ingest/package.json ingest/
COPY edge-agent/package.json edge-agent/
COPY dashboards/package.json dashboards/
COPY web/package.json web/
COPY test/package.json test/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY models/ models/
COPY broker/ broker/
COPY ingest/ ingest/
COPY web/ web/
# The 一张图 bundle (esbuild, from the installed packages): built now, so the platform serves it as is.
RUN node web/build/main.ts
COPY edge-agent/ edge-agent/
COPY scripts/ scripts/

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# MQTT, MQTT over TLS, HTTP (/healthz, /metrics; the API too unless TLS is configured), HTTPS API.
EXPOSE 1883 8883 8080 8443
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8's helper threads (parallel GC, compiler) sized to the cores the container gets, not Node's fixed 4: on two cores,
# four of them preempt the main thread under load (docs/benchmarks.md, #16 notes).
CMD ["node", "--v8-pool-size=0", "ingest/src/main.ts"]

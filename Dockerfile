# One image for every crosstrace service: SERVICE selects which main.ts runs.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY schemas ./schemas
COPY services ./services
COPY deploy/providers.json deploy/providers.json
COPY deploy/scenarios deploy/scenarios
COPY deploy/security/acls.json deploy/security/acls.json
# where acl-init writes each service's Kafka client properties (a named volume takes this
# folder's owner, so the services, running as node, read them)
RUN mkdir -p /kafka-clients /keys /trust && chown node:node /kafka-clients /keys /trust
USER node
# memory settings as deploy/local/node-memory.sh (issue 14; deploy/compose.test.ts checks they agree)
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 NODE_OPTIONS=--max-semi-space-size=16 CROSSTRACE_HEAP_GROWING_PERCENT=100
ENV SERVICE=ingest
CMD ["sh", "-c", "exec node services/${SERVICE}/main.ts"]

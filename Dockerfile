# One image: the `brook` CLI with the runtime, the operator and the examples.
# JobManager, TaskManager and operator pods all run it with a different command.
#   docker build -t brook:dev .
#   docker run --rm brook:dev --help

FROM node:20-bookworm-slim AS dependencies
WORKDIR /opt/brook
COPY package.json package-lock.json ./
# Production dependencies only; tsx stays because jobs are TypeScript modules loaded at run time.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/brook
COPY --from=dependencies /opt/brook/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY cli ./cli
COPY runtime ./runtime
COPY operator ./operator
COPY crds ./crds
# Example jobs live at /opt/brook/examples (for example /opt/brook/examples/recommendation/job.ts).
COPY examples ./examples
USER node
ENTRYPOINT ["node", "/opt/brook/bin/brook.js"]
CMD ["--help"]

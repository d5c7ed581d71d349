# Production image for the API and the worker (same image, different command).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The whole tree but what .dockerignore leaves out (tests, benchmarks, local tools and data): a new source
# folder cannot be forgotten here (test/image-build.test.ts replays these steps).
COPY . .
RUN npx tsc -p tsconfig.build.json && npx vite build console && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production API_HOST=0.0.0.0 API_PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The web console, served by the API under /console/.
COPY --from=build /app/console/dist console/dist
COPY package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/api/server.js"]

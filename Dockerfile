# One image for both processes on Node 24 (an LTS line; the code also runs on Node 20.18+ and 22): the gateway by
# default, the worker with
#   command: ["node", "dist/apps/worker/main.js"]

# ---- build: every dependency, compile both apps ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build

# ---- runtime: production dependencies and the compiled apps only ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000 3001
CMD ["node", "dist/apps/gateway/main.js"]

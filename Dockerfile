# The driftgate service image (docs/service.md, docs/kubernetes.md). Its entry point is the CLI, so it runs
# the service by default and any other command when told:
#   docker build -t driftgate .
#   docker run … driftgate                                   # driftgate serve (the CMD below)
#   docker run --rm -v "$PWD:/work:ro" -w /work driftgate gate --policy … --findings … --image-archive …
#
# NODE_IMAGE: any Debian-based Node 20+ image with npm and Node's headers (the official images have both).
# Where Docker Hub cannot be reached, build one locally (scripts/node-base-image.sh, DEVELOPERS.md) and pass
# --build-arg NODE_IMAGE=driftgate-test/node:20-bookworm.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: dev dependencies, a C++ toolchain for better-sqlite3, tsc. Nothing of it ships but its output.
FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when it can, and compiles SQLite with node-gyp when it cannot
# (no route to GitHub, a Node without a prebuild): the toolchain for the second case.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
# node-gyp compiles against the headers of the Node in this image (the official images ship them under
# /usr/local/include/node), not ones it would download: the same ABI, and no download.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
# Dependencies first, so a source change reuses this layer. --ignore-scripts: the package's own `prepare`
# (a tsc of everything, tests included) has nothing to compile yet; the native module is built next.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()'
# Everything else the context holds (.dockerignore lets in the sources and what the image ships, no more),
# in one layer: on copy-on-write-less storage (vfs) every layer is a full copy.
COPY . .
# The shipped code only (tsconfig.image.json: no tests, no benchmarks, no source maps); then the dev
# dependencies go, and what the compile of SQLite left beside its binary; /out is the image's /app.
RUN node node_modules/typescript/bin/tsc -p tsconfig.image.json \
 && npm prune --omit=dev --no-audit --no-fund --no-update-notifier \
 && rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/build/Release/.deps \
      node_modules/better-sqlite3/build/Release/test_extension.node node_modules/better-sqlite3/deps \
      node_modules/better-sqlite3/src \
 && mkdir -p /out/testdata/images /out/scripts \
 && mv package.json openapi.yaml bin dist node_modules /out/ \
 && mv testdata/demo /out/testdata/ \
 && mv testdata/images/merged-usr.docker-save.tar /out/testdata/images/ \
 && mv scripts/container-healthcheck.js /out/scripts/

# ---- the image: Node, the compiled CLI and its production dependencies; no compiler, no dev dependency.
FROM ${NODE_IMAGE}
# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it (deploy/kubernetes/30-deployment.yaml runs
# as the same 10001). The store and the layer cache go to /var/lib/driftgate, the only path it writes: with
# a read-only root filesystem, mount a volume there (and a writable /tmp).
RUN groupadd --system --gid 10001 driftgate \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/driftgate --no-create-home \
      --shell /usr/sbin/nologin driftgate \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/driftgate \
 && install -d -m 0755 /etc/driftgate /etc/driftgate/policies /etc/driftgate/tokens
WORKDIR /app
# bin/, dist/, the production node_modules, package.json, openapi.yaml (the service's contract), what
# `driftgate demo` runs on (the package ships it too) and the HEALTHCHECK's probe; owned by root, read-only
# to the user.
COPY --from=build /out /app
USER 10001:10001
EXPOSE 8080
# Asks the serve process of this container on the port, address and scheme its arguments give (see the
# script), so a `docker run … driftgate serve --port 9000 --tls-cert …` is checked where it listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "/app/scripts/container-healthcheck.js"]
ENTRYPOINT ["node", "/app/bin/driftgate.js"]
# Policies and the tokens file are mounted at /etc/driftgate, as the Kubernetes Deployment does.
CMD ["serve", "--host=0.0.0.0", "--port=8080", "--policy=/etc/driftgate/policies", \
     "--tokens=/etc/driftgate/tokens/tokens.yaml", "--data-dir=/var/lib/driftgate"]

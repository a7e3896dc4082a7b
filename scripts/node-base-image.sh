#!/usr/bin/env bash
# Builds a local stand-in for the official Node image (node:<major>-bookworm-slim) in the local Docker
# engine, because this machine cannot pull from Docker Hub: the debootstrapped Debian base
# (scripts/debian-base-image.sh) plus this machine's Node, laid out as the official image lays it out
# (/usr/local/bin/node, npm and npx under /usr/local/lib/node_modules, headers under /usr/local/include/node).
# The service image's test builds the repository's Dockerfile on it (--build-arg NODE_IMAGE=…).
# Idempotent: does nothing when the image exists for this Node and this Debian base, rebuilds otherwise.
#   usage: scripts/node-base-image.sh [image-name]   (default driftgate-test/node:<major>-bookworm)
set -euo pipefail
debian="${DRIFTGATE_DEBIAN_IMAGE:-driftgate-test/debian:bookworm}"
node_bin=$(readlink -f "$(command -v node)")
version=$(node -p process.version)
image="${1:-driftgate-test/node:$(node -p 'process.versions.node.split(".")[0]')-bookworm}"
docker image inspect "$debian" >/dev/null 2>&1 \
  || { echo "$debian is not in the engine: run scripts/debian-base-image.sh first" >&2; exit 1; }
debian_id=$(docker image inspect --format '{{.Id}}' "$debian")
if docker image inspect "$image" >/dev/null 2>&1; then
  have=$(docker image inspect --format \
    '{{index .Config.Labels "dev.driftgate.node-version"}} {{index .Config.Labels "dev.driftgate.debian-image"}}' "$image")
  if [ "$have" = "$version $debian_id" ]; then echo "$image already present"; exit 0; fi
  echo "$image was built for ${have:-unknown}, not $version $debian_id: rebuilding it" >&2
fi

# Where this Node is installed: <prefix>/bin/node, <prefix>/lib/node_modules/npm, <prefix>/include/node.
prefix=$(dirname "$(dirname "$node_bin")")
for need in "$prefix/lib/node_modules/npm/bin/npm-cli.js" "$prefix/include/node/node.h"; do
  [ -e "$need" ] || { echo "$need not found: this Node's install is not laid out as <prefix>/{bin,lib,include}" >&2; exit 1; }
done

ctx=$(mktemp -d /tmp/driftgate-node-base.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/usr/local/bin" "$ctx/usr/local/lib/node_modules" "$ctx/usr/local/include" "$ctx/usr/local/etc"
cp -a "$node_bin" "$ctx/usr/local/bin/node"
cp -a "$prefix/lib/node_modules/npm" "$ctx/usr/local/lib/node_modules/"
cp -a "$prefix/include/node" "$ctx/usr/local/include/"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/usr/local/bin/npx"
# The CA bundle this machine's npm trusts (its `cafile`: where egress goes through a TLS-inspecting proxy,
# the proxy's CA is in it), so `npm ci` in a build reaches the registry as npm on this machine does. Only
# that setting is carried over: nothing else of the machine's npm configuration (tokens) enters an image.
cafile=$(npm config get cafile 2>/dev/null || true)
: > "$ctx/usr/local/etc/npmrc"
if [ -n "$cafile" ] && [ -f "$cafile" ]; then
  cp "$cafile" "$ctx/usr/local/etc/npm-ca.crt"
  echo "cafile=/usr/local/etc/npm-ca.crt" > "$ctx/usr/local/etc/npmrc"
fi

cat > "$ctx/Dockerfile" <<EOF
FROM $debian
COPY usr/local/ /usr/local/
ENV NODE_VERSION=${version#v}
LABEL dev.driftgate.node-version="$version" dev.driftgate.debian-image="$debian_id"
CMD ["node"]
EOF
DOCKER_BUILDKIT=0 docker build --network none -t "$image" "$ctx" >/tmp/driftgate-node-base.log 2>&1 \
  || { tail -n 20 /tmp/driftgate-node-base.log >&2; exit 1; }
docker run --rm --network none "$image" sh -c 'node --version && npm --version' >/dev/null \
  || { echo "$image was built but node or npm does not run in it" >&2; exit 1; }
echo "built $image (node $version)"

#!/usr/bin/env bash
# Makes testdata/dependencies/: what `apt-get install curl` at runtime leaves in a Debian container, read
# by the real tools, for the tests of issue #13 (a bake rule for curl covers the files of what curl brings).
#
#   usage: scripts/make-dependency-data.sh [--force]
#
# In a container of driftgate-test/debian:bookworm with --network host (apt reaches deb.debian.org), plain
# `apt-get install -y curl` (WITH recommends, as someone at a shell types it: ca-certificates, openssl,
# libsasl2-modules … come along), then:
#   status                 the container's /var/lib/dpkg/status (dpkg itself wrote it)
#   installed.tsv          `dpkg-query -W`: package, version of every installed package
#   rdepends.txt           apt's own answer for a few packages: `apt-cache rdepends --installed --recurse`
#                          with every relation but Depends/Pre-Depends turned off, one `package<TAB>dependent`
#                          line per pair — the ground truth for engine/packages/dependencies.ts
#   findings.ndjson        `driftgate findings --docker-container` of that container (docker diff → findings,
#                          with each file's package and the packages that depend on it)
# The mirror moves on, so versions change when this is re-run: commit the four files together.
# Needs: the Docker engine, driftgate-test/debian:bookworm (scripts/debian-base-image.sh), network, dist/ built.
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/dependencies
image=driftgate-test/debian:bookworm
[[ "${1:-}" == "--force" ]] || { [[ -e $out/findings.ndjson ]] && { echo "$out is up to date (use --force)"; exit 0; }; }
mkdir -p "$out"
name=dependencies-make-data-$$
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$name" --network host "$image" sleep infinity >/dev/null
docker exec "$name" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null'
docker exec "$name" cat /var/lib/dpkg/status >"$out/status"
# shellcheck disable=SC2016 # dpkg-query's own ${Field} format
docker exec "$name" dpkg-query -W -f '${Package}\t${Version}\n' >"$out/installed.tsv"
: >"$out/rdepends.txt"
for p in curl libcurl4 libssl3 libsasl2-2 libsasl2-modules openssl ca-certificates libgssapi-krb5-2 zlib1g; do
  docker exec "$name" apt-cache rdepends --installed --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "$p" |
    awk -v p="$p" '/^Reverse Depends:/ {next} /^ / {gsub(/^ +\|?/, ""); if ($0 != p) print p "\t" $0; next}' |
    sort -u >>"$out/rdepends.txt"
done
node bin/driftgate.js findings --docker-container "$name" --output "$out/findings.ndjson"
echo "wrote $out"

#!/usr/bin/env bash
# Builds a real Debian 12 base image in the local Docker engine with debootstrap (minbase) + `docker import`,
# because this machine cannot pull from Docker Hub. Idempotent: does nothing when the image exists.
# Used by the closed-loop tests (issue 4) and the manifest benchmark (issue 3). About three minutes.
#   usage: scripts/debian-base-image.sh [image-name]   (default driftgate-test/debian:bookworm)
set -euo pipefail
image="${1:-driftgate-test/debian:bookworm}"
# An image built by an older version of this script has `/` at mode 0700 (see below): rebuilt, not kept.
if docker image inspect "$image" >/dev/null 2>&1; then
  mode=$(docker run --rm --network none --entrypoint stat "$image" -c %a / 2>/dev/null || true)
  if [ "$mode" = "755" ]; then echo "$image already present"; exit 0; fi
  echo "$image has / at mode ${mode:-unknown}, not 755: rebuilding it" >&2
fi
# The Debian mirror apt already uses on this machine: a stanza (deb822) or line (classic) for `bookworm`
# with component `main`, so third-party repositories (nodesource …) and security updates are not picked.
mirror=$(awk '
  /^URIs:/ { uri = $2 } /^Suites:/ { suites = $0 } /^Components:/ { comps = $0 }
  /^$/ { if (suites ~ / bookworm( |$)/ && comps ~ / main/ && uri != "") { print uri; exit } uri = ""; suites = ""; comps = "" }
  /^deb / && $3 == "bookworm" && / main/ { print $2; exit }
  END { if (suites ~ / bookworm( |$)/ && comps ~ / main/ && uri != "") print uri }
' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 || true)
mirror="${mirror:-http://deb.debian.org/debian}"
root=$(mktemp -d /tmp/driftgate-debootstrap.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror" >/tmp/driftgate-debootstrap.log 2>&1 \
  || { tail -n 20 /tmp/driftgate-debootstrap.log >&2; exit 1; }
# Point apt inside the image at the same mirror, so `apt-get install` in builds (--network host) works here.
echo "deb $mirror bookworm main" > "$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
# mktemp -d made the root 0700, and `tar -C "$root" -c .` records that mode for `.`, which becomes the image's
# `/`: every container whose USER is not root would then fail to start (it cannot even resolve its workdir).
chmod 0755 "$root"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "built $image"

#!/usr/bin/env bash
# Builds the image archives in testdata/images/ with the REAL tools, and records next to each what those
# tools say the image contains, so test/image/ can check the archive reader without a Docker daemon.
#
#   usage: scripts/make-test-images.sh [--force]
#
# Idempotent: does nothing when every output exists (use --force to rebuild; the archives then change
# because Docker stamps build times into them, so commit the archives and ground truth together).
# Needs: a Docker engine (legacy builder: DOCKER_BUILDKIT=0, `--network none`, FROM scratch, since this
# machine cannot pull base images), skopeo, GNU tar, coreutils, and Debian's busybox-static (installed
# with apt-get when /bin/busybox is missing). Takes under a minute.
#
# The image `driftgate-test/merged-usr:1` covers, layer by layer:
#   0 rootfs/: merged /usr (/bin -> usr/bin, /sbin -> usr/sbin, /lib -> usr/lib), /usr/bin/busybox
#     (a ~2 MB static ELF: large enough for partial hashes), /usr/bin/sh -> busybox, /usr/bin/dpkg ->
#     busybox (so the package manager reads as apt), /etc/os-release -> ../usr/lib/os-release (the host's)
#   1 COPY: /opt/app (replaced later), /usr/local/bin/removeme (deleted later), /srv/data (made opaque later)
#   2 COPY --chown=1000:1000: /usr/local/share/notexec.sh, a `#!` script WITHOUT x bits, owned by 1000
#   3 RUN: rm removeme (a whiteout), rm -rf /opt/app + mkdir again (a dir removed and recreated), and a
#     script with a hardlink to it (/usr/local/bin/tool-link)
#   4 ADD opaque.tar: /srv/data/.wh..wh..opq + c.txt. The legacy builder extracts the marker as a plain
#     file and Docker's layer differ (vfs here) writes it into the layer as-is; Docker's own layer
#     applier then treats it as an opaque directory when the archive is `docker load`ed, which is how
#     the ground truth below is taken. (Docker's vfs differ never emits opaque markers by itself.)
#   + WORKDIR, ENV, LABEL, USER, CMD (config and empty-layer history)
#
# Outputs, for NAME=merged-usr:
#   NAME.docker-save.tar   `docker save` (legacy layout: manifest.json, <id>/layer.tar, <id>.json, repositories)
#   NAME.oci-gzip.tar      `skopeo copy docker-daemon:… oci-archive:…` with gzip layers
#   NAME.oci-zstd.tar      the same with zstd layers
#   NAME.export.list       `docker export` of a container of the image after `docker load` of NAME.docker-save.tar,
#                          as `tar -tv --numeric-owner`, sorted (Docker's own view of the squashed filesystem)
#   NAME.files.sha256      `sha256sum` of every regular file of that export, extracted in a temp dir
#   NAME.executables       paths of the export's executables: any x bit, or content starting with \x7fELF or #!
#   NAME.prefix1m.sha256   sha256 of the first 1 MiB of every regular file larger than 1 MiB
#   NAME.inspect.json      `docker image inspect` after the load (Id, RepoTags, Config)
#   NAME.oci-gzip.digest, NAME.oci-zstd.digest   the manifest digest skopeo reports for each OCI archive
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/images
name=merged-usr
image=driftgate-test/merged-usr:1
force=0
[[ "${1:-}" == "--force" ]] && force=1

outputs=("$name.docker-save.tar" "$name.oci-gzip.tar" "$name.oci-zstd.tar" "$name.export.list" "$name.files.sha256"
  "$name.executables" "$name.prefix1m.sha256" "$name.inspect.json" "$name.oci-gzip.digest" "$name.oci-zstd.digest")
missing=0
for f in "${outputs[@]}"; do [[ -e "$out/$f" ]] || missing=1; done
if [[ $missing == 0 && $force == 0 ]]; then
  echo "testdata/images is up to date (use --force to rebuild)"; exit 0
fi

if [[ ! -x /bin/busybox ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >/dev/null
fi

work=$(mktemp -d /tmp/driftgate-images.XXXXXX)
cid=""
cleanup() {
  [[ -n "$cid" ]] && docker rm -f "$cid" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

# ---- build context -------------------------------------------------------------------------------
ctx="$work/context"
mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/usr/sbin" "$ctx/rootfs/usr/lib" "$ctx/rootfs/etc" "$ctx/rootfs/tmp"
cp /bin/busybox "$ctx/rootfs/usr/bin/busybox"
chmod 0755 "$ctx/rootfs/usr/bin/busybox"
ln -s busybox "$ctx/rootfs/usr/bin/sh"
ln -s busybox "$ctx/rootfs/usr/bin/dpkg"
ln -s usr/bin "$ctx/rootfs/bin"
ln -s usr/sbin "$ctx/rootfs/sbin"
ln -s usr/lib "$ctx/rootfs/lib"
cp /usr/lib/os-release "$ctx/rootfs/usr/lib/os-release"
chmod 0644 "$ctx/rootfs/usr/lib/os-release"
ln -s ../usr/lib/os-release "$ctx/rootfs/etc/os-release"
chmod 1777 "$ctx/rootfs/tmp"

mkdir -p "$ctx/layer1/opt/app" "$ctx/layer1/usr/local/bin" "$ctx/layer1/srv/data/sub"
printf 'old\n' > "$ctx/layer1/opt/app/old.txt"
printf '#!/bin/sh\necho run\n' > "$ctx/layer1/opt/app/run.sh"
printf '#!/bin/sh\necho remove me\n' > "$ctx/layer1/usr/local/bin/removeme"
printf 'a\n' > "$ctx/layer1/srv/data/a.txt"
printf 'b\n' > "$ctx/layer1/srv/data/sub/b.txt"
chmod 0755 "$ctx/layer1/opt/app/run.sh" "$ctx/layer1/usr/local/bin/removeme"
chmod 0644 "$ctx/layer1/opt/app/old.txt" "$ctx/layer1/srv/data/a.txt" "$ctx/layer1/srv/data/sub/b.txt"

mkdir -p "$ctx/layer2"
printf '#!/bin/sh\necho not executable by mode\n' > "$ctx/layer2/notexec.sh"
chmod 0644 "$ctx/layer2/notexec.sh"

mkdir -p "$work/opaque/srv/data"
: > "$work/opaque/srv/data/.wh..wh..opq"
printf 'c\n' > "$work/opaque/srv/data/c.txt"
chmod 0644 "$work/opaque/srv/data/.wh..wh..opq" "$work/opaque/srv/data/c.txt"
tar --numeric-owner --owner=0 --group=0 -C "$work/opaque" -cf "$ctx/opaque.tar" srv

cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
COPY layer1/ /
COPY --chown=1000:1000 layer2/notexec.sh /usr/local/share/notexec.sh
RUN ["/usr/bin/busybox", "sh", "-c", "rm /usr/local/bin/removeme && rm -rf /opt/app && mkdir /opt/app && printf 'new\\n' > /opt/app/new.txt && printf '#!/bin/sh\\necho tool\\n' > /usr/local/bin/tool && chmod 0755 /usr/local/bin/tool && ln /usr/local/bin/tool /usr/local/bin/tool-link"]
ADD opaque.tar /
WORKDIR /srv
ENV GREETING=hello PATH=/usr/local/bin:/usr/bin
LABEL org.opencontainers.image.source=https://example.com/driftgate/test-images org.opencontainers.image.revision=0123456789abcdef
USER 1000:1000
CMD ["/bin/sh"]
DOCKERFILE

# ---- build and write the archives ----------------------------------------------------------------
docker rmi -f "$image" >/dev/null 2>&1 || true
DOCKER_BUILDKIT=0 docker build --network none -q -t "$image" "$ctx" >/dev/null
docker save -o "$out/$name.docker-save.tar" "$image"
rm -f "$out/$name.oci-gzip.tar" "$out/$name.oci-zstd.tar"
skopeo copy -q --dest-compress-format gzip "docker-daemon:$image" "oci-archive:$out/$name.oci-gzip.tar:$image"
skopeo copy -q --dest-compress-format zstd "docker-daemon:$image" "oci-archive:$out/$name.oci-zstd.tar:$image"
skopeo inspect --format '{{.Digest}}' "oci-archive:$out/$name.oci-gzip.tar" > "$out/$name.oci-gzip.digest"
skopeo inspect --format '{{.Digest}}' "oci-archive:$out/$name.oci-zstd.tar" > "$out/$name.oci-zstd.digest"

# ---- ground truth: Docker's own view after loading the saved archive ---------------------------
# Loading (rather than exporting the freshly built image) makes Docker apply the saved layers itself,
# whiteouts and opaque markers included.
docker rmi -f "$image" >/dev/null
docker load -q -i "$out/$name.docker-save.tar" >/dev/null
docker image inspect "$image" > "$out/$name.inspect.json"
cid=$(docker create "$image")
docker export "$cid" > "$work/export.tar"
docker rm "$cid" >/dev/null
cid=""
tar -tv --numeric-owner -f "$work/export.tar" | LC_ALL=C sort -k6 > "$out/$name.export.list"

mkdir "$work/rootfs"
tar -x --no-same-owner -C "$work/rootfs" -f "$work/export.tar" --exclude=./dev --exclude=dev
(
  cd "$work/rootfs"
  find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum > "$work/files.sha256"
  : > "$work/executables"
  : > "$work/prefix"
  while IFS= read -r -d '' f; do
    magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
    if [[ -n $(find "$f" -perm /111) || $magic == 7f454c46 || $magic == 2321* ]]; then
      printf '%s\n' "$f" >> "$work/executables"
    fi
    if (( $(stat -c %s "$f") > 1048576 )); then
      printf '%s  %s\n' "$(head -c 1048576 "$f" | sha256sum | cut -d' ' -f1)" "$f" >> "$work/prefix"
    fi
  done < <(find . -type f -print0 | LC_ALL=C sort -z)
)
cp "$work/files.sha256" "$out/$name.files.sha256"
cp "$work/executables" "$out/$name.executables"
cp "$work/prefix" "$out/$name.prefix1m.sha256"
docker rmi "$image" >/dev/null
ls -l "$out"

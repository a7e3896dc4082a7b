# syntax=docker/dockerfile:1.7
FROM ubuntu:24.04
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends ca-certificates curl
rm -rf /var/lib/apt/lists/*
EOF
RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*
COPY --chmod=0755 entrypoint.sh /entrypoint.sh
USER ubuntu
ENTRYPOINT ["/entrypoint.sh"]

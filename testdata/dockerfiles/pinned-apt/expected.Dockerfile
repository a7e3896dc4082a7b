FROM debian:12.6-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates=20230311 \
        curl=7.88.1-10+deb12u6 \
        jq=1.6-2.1 \
        procps \
        tini=0.19.0-1 \
    && rm -rf /var/lib/apt/lists/*
USER 65532
ENTRYPOINT ["/usr/bin/tini", "--"]

FROM debian:bookworm-slim
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends ca-certificates gosu wget; \
	rm -rf /var/lib/apt/lists/*
RUN groupadd -r redis && useradd -r -g redis redis
USER redis
CMD ["redis-server"]

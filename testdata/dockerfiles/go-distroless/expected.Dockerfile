# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.22

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      git \
      jq \
      make \
 && rm -rf /var/lib/apt/lists/*
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/checkout ./cmd/checkout

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/checkout /checkout
COPY --from=busybox:1.36-musl /bin/busybox /bin/busybox
USER nonroot:nonroot
ENTRYPOINT ["/checkout"]

ARG BASE_IMAGE=ubuntu:22.04
ARG TOOLS_IMAGE=docker.io/library/golang:1.22-alpine

FROM ${TOOLS_IMAGE} AS tools
RUN go install github.com/grpc-ecosystem/grpc-health-probe@v0.4.28

FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
ENV TZ=UTC
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
# application
COPY --from=tools /go/bin/grpc-health-probe /usr/local/bin/grpc-health-probe
COPY --from=fullstorydev/grpcurl:v1.9.1 /bin/grpcurl /bin/grpcurl
COPY app /usr/local/bin/app
CMD ["app"]

# contacthub: a static, cgo-free binary (SQLite is pure Go) on a small Alpine image,
# running as an unprivileged user.
#
#   docker build -t contacthub --build-arg VERSION=1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) .
#
# The final image is Alpine rather than distroless for busybox wget and sh, which the
# HEALTHCHECK (and docker-compose's) use to ask /readyz on the port of CONTACTHUB_ADDR.
# The CLI runs in the container as well: docker exec <container> contacthub keys list --tenant 1

# The Go version of go.mod (a test in the repository keeps the two equal).
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOOS=linux GOFLAGS=-trimpath
# Modules first, so a code change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# What `contacthub version` and contacthub_build_info report.
ARG VERSION=""
ARG COMMIT=""
RUN go build -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/contacthub . \
 && mkdir -p /out/data

FROM alpine:3.22
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 contacthub \
 && adduser -S -D -H -u 10001 -G contacthub contacthub
COPY --from=build /out/contacthub /usr/local/bin/contacthub
# /data holds the SQLite database (when no CONTACTHUB_DATABASE_URL points at
# PostgreSQL) and the bootstrap key file a first start writes (bootstrap-api-key).
COPY --from=build --chown=10001:10001 /out/data /data
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
ENV CONTACTHUB_ADDR=:8080 \
    CONTACTHUB_DATABASE_URL=/data/contacthub.db \
    CONTACTHUB_LOG_FORMAT=json
EXPOSE 8080
# The port is the one CONTACTHUB_ADDR listens on, also when it is changed at run time.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${CONTACTHUB_ADDR##*:}/readyz" || exit 1
ENTRYPOINT ["/usr/local/bin/contacthub"]
CMD ["serve"]

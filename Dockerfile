# contacthub: a static, cgo-free binary (SQLite is pure Go) on a small Alpine image,
# running as an unprivileged user. Build: docker build -t contacthub .
# The final image is Alpine rather than distroless for busybox wget, which the
# HEALTHCHECK (and docker-compose's) uses to ask /readyz.

FROM golang:1.26-alpine AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOOS=linux GOFLAGS=-trimpath
# Modules first, so a code change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -ldflags="-s -w" -o /out/contacthub . \
 && mkdir -p /out/data

FROM alpine:3.22
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 contacthub \
 && adduser -S -D -H -u 10001 -G contacthub contacthub
COPY --from=build /out/contacthub /usr/local/bin/contacthub
# SQLite lives in /data when no CONTACTHUB_DATABASE_URL points at PostgreSQL.
COPY --from=build --chown=10001:10001 /out/data /data
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
ENV CONTACTHUB_ADDR=:8080 \
    CONTACTHUB_DATABASE_URL=/data/contacthub.db \
    CONTACTHUB_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/contacthub"]
CMD ["serve"]

#!/usr/bin/env bash
# Runs every limits measurement (go run ./bench/limits) REPEAT times, printing `uptime`
# next to each. Run from the repository root:
#
#   bench/limits/run.sh                 # limiter, e2e, spam (PostgreSQL and SQLite), twice
#   PARTS="limiter e2e" REPEAT=1 bench/limits/run.sh
#
# Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (user postgres, trust).
# Uses ports 18098 (server with Redis) and 18099 (server without); every Redis key it
# writes starts with benchL: and is deleted, every scratch database is dropped.
set -euo pipefail

PARTS=${PARTS:-"limiter e2e spam"}
REPEAT=${REPEAT:-2}
N=${N:-20000}
LINES=${LINES:-1000000}
PG=${PG:-"postgres://postgres@127.0.0.1:5432"}
REDIS=${REDIS:-"redis://127.0.0.1:6379/0"}
WORK=${WORK:-/tmp/chb-limits-bench}
tag="$$"
BIN="$WORK/contacthub-$tag"
TOOL="$WORK/limits-$tag"
mkdir -p "$WORK"

go build -o "$BIN" .
go build -o "$TOOL" ./bench/limits
echo "# git: $(git rev-parse --short HEAD) $(git status --short | wc -l) changed files"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	redis-cli -u "$REDIS" --scan --pattern '*benchL:*' | xargs -r redis-cli -u "$REDIS" del >/dev/null
	psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS chbench_spam_$tag" >/dev/null 2>&1 || true
	rm -f "$WORK/$tag"-*.db* "$BIN" "$TOOL"
}
trap cleanup EXIT

serve() { # port, extra env...
	local port=$1; shift
	env CONTACTHUB_DATABASE_URL="$WORK/$tag-$port.db" CONTACTHUB_BOOTSTRAP_API_KEY=benchbenchbench0001 \
		CONTACTHUB_ADDR=127.0.0.1:$port CONTACTHUB_RATE_LIMIT=1000000/m CONTACTHUB_LOG_LEVEL=warn "$@" \
		"$BIN" >/dev/null 2>"$WORK/server-$tag-$port.log" &
	pids+=($!)
	for _ in $(seq 50); do
		curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return
		sleep 0.2
	done
	echo "server on $port did not start" >&2; exit 1
}

for part in $PARTS; do
	case $part in
	limiter)
		for r in $(seq "$REPEAT"); do
			echo "# limiter run $r; $(uptime)"
			"$TOOL" limiter -redis "$REDIS" -prefix benchL: -n "$N" -c 1,16
		done ;;
	e2e)
		serve 18098 CONTACTHUB_REDIS_URL="$REDIS" CONTACTHUB_REDIS_PREFIX=benchL:
		serve 18099
		for r in $(seq "$REPEAT"); do
			for target in "18098 redis" "18099 memory"; do
				set -- $target
				echo "# e2e run $r $2; $(uptime)"
				"$TOOL" e2e -url "http://127.0.0.1:$1" -key benchbenchbench0001 -label "$2" -n "$N" -c 1,16
			done
		done ;;
	spam)
		list="$WORK/blocklist-$LINES.txt"
		[[ -f "$list" ]] || "$TOOL" genlist -o "$list" -lines "$LINES"
		psql "$PG/postgres" -qc "CREATE DATABASE chbench_spam_$tag"
		for db in "$PG/chbench_spam_$tag?sslmode=disable" "$WORK/$tag-spam.db"; do
			CONTACTHUB_DATABASE_URL="$db" CONTACTHUB_LOG_LEVEL=warn "$BIN" migrate
			for r in $(seq "$REPEAT"); do
				echo "# spamlist load run $r into ${db%%\?*} (run 1 loads, later runs find every entry listed); $(uptime)"
				start=$(date +%s.%N)
				CONTACTHUB_DATABASE_URL="$db" CONTACTHUB_LOG_LEVEL=warn "$BIN" spamlist load "$list"
				echo "wall time of the command (process start, migrations check, parse, load): $(echo "$(date +%s.%N) - $start" | bc) s"
			done
			for r in $(seq "$REPEAT"); do
				echo "# spam lookups run $r on ${db%%\?*}; $(uptime)"
				"$TOOL" spam -db "$db" -file "$list" -n 200000 -c 1,16
			done
		done ;;
	*) echo "unknown part $part" >&2; exit 2 ;;
	esac
done
echo "# done; $(uptime)"

#!/usr/bin/env bash
# Runs the accuracy benchmark (go run ./bench/dedupe) on SQLite and PostgreSQL for every
# data set, REPEAT times each, one fresh tenant per run (created with the CLI on the
# server's own database). Prints `uptime` before each run. Run from the repository root:
#
#   bench/dedupe/run.sh                      # both databases, all four data sets, twice
#   DBS=sqlite DATASETS=febrl1 REPEAT=1 bench/dedupe/run.sh
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) for DBS=postgres. Uses
# ports 18095 (SQLite) and 18096 (PostgreSQL); scratch databases are removed at the end.
set -euo pipefail

DBS=${DBS:-"sqlite postgres"}
DATASETS=${DATASETS:-"febrl1 febrl2 fake1000 hard"}
# The directory with febrl/ and splink/; empty: ../shared/data next to the repository.
DATA_DIR=${DATA_DIR:-}
REPEAT=${REPEAT:-2}
PG=${PG:-"postgres://postgres@127.0.0.1:5432"}
WORK=${WORK:-/tmp/chb-dedupe-bench}
tag="$$"
BIN="$WORK/contacthub-$tag"
TOOL="$WORK/dedupe-$tag"
RESULTS=${RESULTS:-"$WORK/results-$tag.jsonl"}
mkdir -p "$WORK"

go build -o "$BIN" .
go build -o "$TOOL" ./bench/dedupe
echo "# git: $(git rev-parse --short HEAD) $(git status --short | tr '\n' ' ')"
echo "# dedupe/ fingerprint: $(cat dedupe/*.go | md5sum | cut -c1-12)"

pid=""
cleanup() {
	if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -f "$WORK/$tag.db" "$WORK/$tag.db-wal" "$WORK/$tag.db-shm" "$BIN" "$TOOL"
	if [[ " $DBS " == *" postgres "* ]]; then
		psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS chbench_dedupe_$tag" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

for db in $DBS; do
	case $db in
	sqlite) url="$WORK/$tag.db"; port=18095 ;;
	postgres)
		psql "$PG/postgres" -qc "CREATE DATABASE chbench_dedupe_$tag"
		url="$PG/chbench_dedupe_$tag?sslmode=disable"; port=18096 ;;
	*) echo "unknown db $db" >&2; exit 2 ;;
	esac
	CONTACTHUB_DATABASE_URL="$url" CONTACTHUB_BOOTSTRAP_API_KEY=benchbenchbench0001 \
		CONTACTHUB_ADDR=127.0.0.1:$port CONTACTHUB_RATE_LIMIT=1000000/m CONTACTHUB_LOG_LEVEL=warn \
		"$BIN" >/dev/null 2>"$WORK/server-$tag-$db.log" &
	pid=$!
	for _ in $(seq 50); do
		curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
		sleep 0.2
	done
	for data in $DATASETS; do
		for r in $(seq "$REPEAT"); do
			tenant=$(CONTACTHUB_DATABASE_URL="$url" CONTACTHUB_LOG_LEVEL=warn "$BIN" tenants create "bench-$data-$db-$r")
			key=$(CONTACTHUB_DATABASE_URL="$url" CONTACTHUB_LOG_LEVEL=warn "$BIN" keys create --tenant "$tenant" --rate 1000000/m)
			echo "# $db $data run $r tenant $tenant; $(uptime)"
			"$TOOL" -url "http://127.0.0.1:$port" -key "$key" -data "$data" ${DATA_DIR:+-data-dir "$DATA_DIR"} -label "$db" -json \
				2>"$WORK/mistakes-$tag-$db-$data-$r.txt" | tee -a "$RESULTS"
			echo "# after: $(uptime)"
		done
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
echo
echo "# results in $RESULTS; mistakes (false merges, misses) in $WORK/mistakes-$tag-*.txt"
"$TOOL" -summarize "$RESULTS"

#!/usr/bin/env bash
# Round trips per second of a prepared single-row SELECT (SELECT $1::int8, binary in and
# out) through GatehousePostgres versus a plain C loop over libpq, on the same unix socket
# of a throwaway cluster, in one run. Runs alternate (C, Swift, C, Swift, ...) so that
# machine noise hits both; the medians and their ratio are printed.
#
#   deploy/bench/postgres-roundtrip.sh [SECONDS_PER_RUN] [REPETITIONS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-5}"
repetitions="${2:-3}"

../prerequisites.sh
echo "building (release) ..." >&2
swift build -c release --product postgres-roundtrip >&2
swift_bin="$(swift build -c release --show-bin-path)/postgres-roundtrip"
gcc -O2 -o .build/pq_loop pq_loop.c $(pkg-config --cflags --libs libpq)

export GATEHOUSE_PG_DIR="/tmp/gatehouse-bench-$$"
export GATEHOUSE_PG_FSYNC=off
trap '../postgres.sh stop >/dev/null 2>&1 || true; rm -rf "$GATEHOUSE_PG_DIR"' EXIT
url="$(../postgres.sh start | tail -n 1)"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
c1=(); s1=(); c4=(); s4=()
for _ in $(seq "$repetitions"); do
  c1+=("$(.build/pq_loop "$url" "$seconds")")
  s1+=("$("$swift_bin" "$url" "$seconds" 1 1)")
  s4+=("$("$swift_bin" "$url" "$seconds" 4 16)")
done
C1=$(printf '%s\n' "${c1[@]}" | median)
S1=$(printf '%s\n' "${s1[@]}" | median)
S4=$(printf '%s\n' "${s4[@]}" | median)

echo
echo "prepared single-row SELECT, $repetitions x ${seconds}s each, medians (all runs):"
printf '  %-44s %8s/s   (%s)\n' "C loop over libpq, 1 connection" "$C1" "${c1[*]}"
printf '  %-44s %8s/s   (%s)\n' "GatehousePostgres, 1 connection, 1 task" "$S1" "${s1[*]}"
printf '  %-44s %8s/s   (%s)\n' "GatehousePostgres, 4 connections, 16 tasks" "$S4" "${s4[*]}"
awk -v s="$S1" -v c="$C1" 'BEGIN { printf "  ratio Swift/C with one connection: %.2f (goal >= 0.80)\n", s / c }'
awk -v s="$S4" -v c="$C1" 'BEGIN { printf "  4 connections vs one C connection: %.2fx\n", s / c }'

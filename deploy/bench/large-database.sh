#!/usr/bin/env bash
# Cost as the work grows: verify, me, refresh and login on a small database (one tenant,
# 1,000 users), then on a large one (BENCH_TENANTS tenants with two environments each,
# BENCH_USERS users and BENCH_ROWS refresh-token rows, made in bulk by bench-population),
# against the same realm, in one run; then the memory of one instance holding
# BENCH_CACHED_USERS users of BENCH_TENANTS realms in its caches; then the purge of every
# one of the BENCH_ROWS rows (all expired) by the server's own scheduler while requests run,
# with the latency before it and during it.
#
#   deploy/bench/large-database.sh       knobs: BENCH_REPS (3), BENCH_DURATION (5s),
#                                        BENCH_CONNECTIONS (32), BENCH_TENANTS (10000),
#                                        BENCH_USERS (1000000), BENCH_ROWS (10000000),
#                                        BENCH_CACHED_USERS (100000)
#
# Until the purge, the script holds the scheduler's advisory lock itself, so no instance
# purges while the two databases are compared.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
reps="${BENCH_REPS:-3}"
duration="${BENCH_DURATION:-5s}"
connections="${BENCH_CONNECTIONS:-32}"
tenants="${BENCH_TENANTS:-10000}"
users="${BENCH_USERS:-1000000}"
rows="${BENCH_ROWS:-10000000}"
cached="${BENCH_CACHED_USERS:-100000}"
pool_slice="${BENCH_POOL_SLICE:-20000}"
export BENCH_WRK_DIR="$here/wrk"
port=18085
source ./common.sh
bench_setup "/tmp/gatehouse-bench-large-$$"
state="$bench_state"
bench_build_realm
swift build -c release --product bench-population >&2
population="$(swift build -c release --show-bin-path)/bench-population"
bench_on_exit '[ -n "${server:-}" ] && kill "$server" && wait "$server"'

# The scheduler's lock (Scheduler.lockKey), held by a session of this script until the purge.
# The session then idles outside any statement: a running pg_sleep would hold a snapshot,
# and with it every dead row the rotations leave, which no vacuum or pruning could remove.
{ printf "SET application_name = 'bench-lock';\nSELECT pg_advisory_lock(%d);\n" $((0x67617465686f7573)); exec sleep 86400; } \
  > >(psql "$url" -q >/dev/null 2>&1) &
bench_on_exit "kill $!"
until psql "$url" -Atc "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" | grep -q '^1$'; do sleep 0.2; done

echo "== the small database: tenant bench, 1,000 users, $(((2 * reps + 1) * pool_slice)) refresh tokens per realm" >&2
export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$port"
"$bench_realm" "$url" "$(((2 * reps + 1) * pool_slice))" "$state"
# Rows made in bulk leave autovacuum work that would run during the measurements: done now.
psql "$url" -qc "VACUUM ANALYZE"

start_server() {
  "$gatehouse" serve --port "$port" --pool-size 32 >> "$state/serve.log" 2>&1 &
  server=$!
  bench_wait_ready "$port"
}
stop_server() {
  kill "$server" && wait "$server" || true
  server=""
}

results="$state/results.txt"
: > "$results"
gh="http://127.0.0.1:$port"
# run NAME SCRIPT CONNECTIONS DURATION [VAR=VALUE...]
run() {
  local name="$1" script="$2" c="$3" d="$4"; shift 4
  local line
  line="$(env "$@" wrk -t1 -c"$c" -d"$d" --timeout 10s -s "wrk/$script.lua" "$gh" | grep '^RESULT')"
  echo "$name $line" >> "$results"
  echo "   $name: $line" >&2
}
# An access token of user0 in bench/es256, fresh (the one bench-realm made may have expired).
access_token() {
  curl -sf -X POST "$gh/t/bench/es256/api/token/" -H 'Content-Type: application/json' \
    -d '{"username": "user0", "password": "pw"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}
# measure PHASE FIRST_SLICE: verify, me, refresh and login of realm bench/es256, BENCH_REPS times.
measure() {
  local phase="$1" slice="$2" token
  token="$(access_token)"
  for rep in $(seq 0 $((reps - 1))); do
    run "$phase-verify" verify "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKEN="$token"
    run "$phase-me" me "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKEN="$token"
    run "$phase-refresh" refresh "$connections" "$duration" BENCH_BASE=/t/bench/es256 \
      BENCH_TOKENS="$state/es256-refresh.txt" BENCH_OFFSET="$(((slice + rep) * pool_slice))"
    run "$phase-login" login 4 "$duration" BENCH_BASE=/t/bench/es256
  done
}

start_server
measure small 0
stop_server

echo "== the large database: $tenants tenants x 2 environments, $users users, $rows expired refresh-token rows" >&2
"$population" populate "$url" "$tenants" "$users" "$rows"
psql "$url" -qc "VACUUM ANALYZE"
psql "$url" -Atc "SELECT 'database size ' || pg_size_pretty(pg_database_size(current_database())) || ', refresh_tokens '
  || (SELECT count(*) FROM refresh_tokens) || ' rows, users ' || (SELECT count(*) FROM users)" | tee "$state/size.txt" >&2
start_server
measure large "$reps"

echo "== memory: $cached users of $tenants realms in the caches" >&2
"$population" mint "$url" "$cached" "$tenants" "$state/spread.txt"
rss_before="$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")"
# At least once round every token: each user and realm read from the database once (a first
# read of a realm unseals its key), then served from the caches. A run that ends before the
# round is done is followed by another from where it stopped, so the memory is read with
# every user and realm cached.
served=0
while [ "$served" -lt "$cached" ]; do
  run spread-me me-spread "$connections" "$((cached / 1000 + 20))s" BENCH_TOKENS="$state/spread.txt" BENCH_OFFSET="$served"
  served=$((served + $(tail -n 1 "$results" | sed 's/.*requests=\([0-9]*\).*/\1/')))
done
rss_after="$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")"
rss_peak="$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")"
echo "RSS: $((rss_before / 1024)) MiB before, $((rss_after / 1024)) MiB after $served me requests round $cached users of $tenants realms (peak $((rss_peak / 1024)) MiB)" \
  > "$state/memory.txt"

echo "== purge: the scheduler deletes the expired rows while requests run" >&2
expired() { psql "$url" -Atc "SELECT count(*) FROM refresh_tokens WHERE expires_at < now()"; }
before="$(expired)"
purge_start="$(date +%s.%N)"
psql "$url" -qAtc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench-lock'" >/dev/null
# The scheduler looks every 5 s; its first DELETE batch is the sign it began.
for _ in $(seq 100); do
  [ "$(psql "$url" -Atc "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DELETE FROM refresh_tokens%' AND state = 'active'")" != 0 ] && break
  sleep 0.1
done
token="$(access_token)"
run purge-refresh refresh "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKENS="$state/es256-refresh.txt" \
  BENCH_OFFSET="$((2 * reps * pool_slice))"
run purge-me me "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKEN="$token"
run purge-verify verify "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKEN="$token"
run purge-login login 4 "$duration" BENCH_BASE=/t/bench/es256
during="$(expired)"
until [ "$(expired)" = 0 ]; do sleep 2; done
purge_end="$(date +%s.%N)"
echo "purge: $before expired rows; $during still there when the last window ended; all gone after $(awk "BEGIN {printf \"%.0f\", $purge_end - $purge_start}") s" \
  > "$state/purge.txt"

python3 - "$results" "$state/size.txt" "$state/memory.txt" "$state/purge.txt" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rest = line.split(" ", 1)
    fields = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", rest)}
    if fields["non2xx"] or fields["socket_errors"]:
        sys.exit(f"large-database.sh: failed requests: {line.strip()}")
    rows.setdefault(name, []).append(fields)

def median(name):
    runs = sorted(rows[name], key=lambda r: r["rps"])
    return runs[len(runs) // 2]

print(f"\n{'endpoint':<10}{'small req/s':>13}{'large req/s':>13}{'large/small':>13}{'p99 small':>11}{'p99 large':>11}{'p99 purge':>11}")
for endpoint in ["verify", "me", "refresh", "login"]:
    s, l = median("small-" + endpoint), median("large-" + endpoint)
    p = rows["purge-" + endpoint][0]
    print(f"{endpoint:<10}{s['rps']:>13.0f}{l['rps']:>13.0f}{l['rps'] / s['rps']:>13.2f}"
          f"{s['p99_ms']:>9.2f}ms{l['p99_ms']:>9.2f}ms{p['p99_ms']:>9.2f}ms")
print("(goal: large within 20 % of small, so large/small >= 0.80)")
print(f"during the purge (one window each): " + ", ".join(
    f"{e} {rows['purge-' + e][0]['rps']:.0f} req/s" for e in ["verify", "me", "refresh", "login"]))
spread = rows["spread-me"][0]
print(f"me across the users and realms, first run (each read from the database once): "
      f"{spread['rps']:.0f} req/s, p99 {spread['p99_ms']:.2f} ms")
for path in sys.argv[2:]:
    print(open(path).read().strip())
PY

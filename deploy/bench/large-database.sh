#!/usr/bin/env bash
# Cost as the work grows: verify, me, refresh and login on a small database (one tenant,
# 1,000 users) and on a large one (BENCH_TENANTS tenants with two environments each,
# BENCH_USERS users and BENCH_ROWS refresh-token rows, made in bulk by bench-population),
# each served by an instance of its own, against a realm made the same way in both, in one
# run: each run on one database right after the same run on the other (in turns, which
# first), and each ratio taken between those two neighbours, since this machine's rates
# move by half within a minute; then the memory of one instance holding
# BENCH_CACHED_USERS users of BENCH_TENANTS realms in its caches; then the purge of every
# one of the BENCH_ROWS rows (all expired) by the server's own scheduler while requests run,
# with the latency before it and during it.
#
#   deploy/bench/large-database.sh       knobs: BENCH_REPS (3), BENCH_DURATION (5s),
#                                        BENCH_CONNECTIONS (32), BENCH_TENANTS (10000),
#                                        BENCH_USERS (1000000), BENCH_ROWS (10000000),
#                                        BENCH_CACHED_USERS (100000)
#
# Until the purge, the script holds the scheduler's advisory lock itself in both databases,
# so no instance purges while the two are compared.
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
bench_on_exit '[ -n "${small_server:-}" ] && kill "$small_server" && wait "$small_server"'

# The small database, beside the large one ($url) in the same cluster.
small_url="$(printf '%s' "$url" | sed 's|^postgresql:///gatehouse?|postgresql:///gatehouse_small?|')"
[ "$small_url" != "$url" ] || { echo "large-database.sh: cannot name a second database in $url" >&2; exit 1; }
psql "$url" -qc "CREATE DATABASE gatehouse_small"
GATEHOUSE_DATABASE_URL="$small_url" "$gatehouse" migrate >/dev/null

# The scheduler's lock (Scheduler.lockKey), held by a session of this script in each
# database until the purge. Each session then idles outside any statement: a running
# pg_sleep would hold a snapshot, and with it every dead row the rotations leave, which no
# vacuum or pruning could remove.
for database in "$url" "$small_url"; do
  { printf "SET application_name = 'bench-lock';\nSELECT pg_advisory_lock(%d);\n" $((0x67617465686f7573)); exec sleep 86400; } \
    > >(psql "$database" -q >/dev/null 2>&1) &
  bench_on_exit "kill $!"
done
until psql "$url" -Atc "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" | grep -q '^2$'; do sleep 0.2; done

echo "== both databases: tenant bench, 1,000 users; refresh tokens per realm: $((reps * pool_slice)) in the small one, $(((reps + 1) * pool_slice)) in the large one" >&2
export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$port"
mkdir -p "$state/small"
"$bench_realm" "$small_url" "$((reps * pool_slice))" "$state/small"
"$bench_realm" "$url" "$(((reps + 1) * pool_slice))" "$state"
# Rows made in bulk leave autovacuum work that would run during the measurements: done now.
psql "$small_url" -qc "VACUUM ANALYZE"

results="$state/results.txt"
: > "$results"
gh="http://127.0.0.1:$port"
small_gh="http://127.0.0.1:$((port + 1))"
# An access token of user0 in bench/es256 from the instance at URL, fresh (the one
# bench-realm made may have expired).
access_token() {
  curl -sf -X POST "$1/t/bench/es256/api/token/" -H 'Content-Type: application/json' \
    -d '{"username": "user0", "password": "pw"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}

echo "== the large database: $tenants tenants x 2 environments, $users users, $rows expired refresh-token rows" >&2
"$population" populate "$url" "$tenants" "$users" "$rows"
psql "$url" -qc "VACUUM ANALYZE"
psql "$url" -Atc "SELECT 'database size ' || pg_size_pretty(pg_database_size(current_database())) || ', refresh_tokens '
  || (SELECT count(*) FROM refresh_tokens) || ' rows, users ' || (SELECT count(*) FROM users)" | tee "$state/size.txt" >&2

"$gatehouse" serve --port "$port" --pool-size 32 > "$state/serve.log" 2>&1 &
server=$!
GATEHOUSE_DATABASE_URL="$small_url" "$gatehouse" serve --port "$((port + 1))" --pool-size 32 > "$state/serve-small.log" 2>&1 &
small_server=$!
bench_wait_ready "$port"
bench_wait_ready "$((port + 1))"

# Verify, me, refresh and login of realm bench/es256, BENCH_REPS times, each run on one
# database right after the same run on the other.
large_token="$(access_token "$gh")"
small_token="$(access_token "$small_gh")"
for rep in $(seq 0 $((reps - 1))); do
  for endpoint in verify me refresh login; do
    order="small large"
    [ $((rep % 2)) = 1 ] && order="large small"
    for phase in $order; do
      if [ "$phase" = small ]; then
        target="$small_gh" token="$small_token" tokens="$state/small/es256-refresh.txt"
      else
        target="$gh" token="$large_token" tokens="$state/es256-refresh.txt"
      fi
      case "$endpoint" in
        verify | me) bench_run "$phase-$endpoint" "$target" "$endpoint" "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKEN="$token" ;;
        refresh) bench_run "$phase-refresh" "$target" refresh "$connections" "$duration" BENCH_BASE=/t/bench/es256 \
          BENCH_TOKENS="$tokens" BENCH_OFFSET="$((rep * pool_slice))" ;;
        login) bench_run "$phase-login" "$target" login 4 "$duration" BENCH_BASE=/t/bench/es256 ;;
      esac
    done
  done
done
kill "$small_server" && wait "$small_server" || true
small_server=""

echo "== memory: $cached users of $tenants realms in the caches" >&2
"$population" mint "$url" "$cached" "$tenants" "$state/spread.txt"
rss_before="$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")"
# At least once round every token: each user and realm read from the database once (a first
# read of a realm unseals its key), then served from the caches. A run that ends before the
# round is done is followed by another from where it stopped, so the memory is read with
# every user and realm cached.
served=0
while [ "$served" -lt "$cached" ]; do
  bench_run spread-me "$gh" me-spread "$connections" "$((cached / 1000 + 20))s" BENCH_TOKENS="$state/spread.txt" BENCH_OFFSET="$served"
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
token="$(access_token "$gh")"
bench_run purge-refresh "$gh" refresh "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKENS="$state/es256-refresh.txt" \
  BENCH_OFFSET="$((reps * pool_slice))"
bench_run purge-me "$gh" me "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKEN="$token"
bench_run purge-verify "$gh" verify "$connections" "$duration" BENCH_BASE=/t/bench/es256 BENCH_TOKEN="$token"
bench_run purge-login "$gh" login 4 "$duration" BENCH_BASE=/t/bench/es256
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

print(f"\n{'endpoint':<10}{'small req/s':>13}{'large req/s':>13}{'large/small':>13}{'p99 small':>11}{'p99 large':>11}{'p99 purge':>11}   large/small of each pair")
for endpoint in ["verify", "me", "refresh", "login"]:
    s, l = median("small-" + endpoint), median("large-" + endpoint)
    p = rows["purge-" + endpoint][0]
    pairs = [large["rps"] / small["rps"] for small, large in zip(rows["small-" + endpoint], rows["large-" + endpoint])]
    print(f"{endpoint:<10}{s['rps']:>13.0f}{l['rps']:>13.0f}{statistics.median(pairs):>13.2f}"
          f"{s['p99_ms']:>9.2f}ms{l['p99_ms']:>9.2f}ms{p['p99_ms']:>9.2f}ms   {', '.join(f'{r:.2f}' for r in pairs)}")
print("(req/s and p99: medians of the runs; large/small: the median of each pair's ratio, runs just after one another;"
      " goal: large within 20 % of small, so large/small >= 0.80)")
print(f"during the purge (one window each): " + ", ".join(
    f"{e} {rows['purge-' + e][0]['rps']:.0f} req/s" for e in ["verify", "me", "refresh", "login"]))
spread = rows["spread-me"][0]
print(f"me across the users and realms, first run (each read from the database once): "
      f"{spread['rps']:.0f} req/s, p99 {spread['p99_ms']:.2f} ms")
for path in sys.argv[2:]:
    print(open(path).read().strip())
PY

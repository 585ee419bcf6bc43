#!/usr/bin/env bash
# The token API benchmark: verify, me, refresh with rotation (each refresh token used
# once, also in cookie mode) and login, against Gatehouse (an ES256 and an HS256 realm, and
# an ES256 one in cookie mode) and against the peer
# (../shared/peer: Django + SimpleJWT, `./run.sh sync` with PEER_CONN_MAX_AGE=60 and
# PEER_THROTTLE=0, its best configuration) in the same run, with the same wrk scripts.
# Prints req/s (median of the repetitions), p50/p99, status >= 400 counts and the ratios.
#
#   deploy/bench/token-api.sh            knobs: BENCH_REPS (3), BENCH_DURATION (10s),
#                                        BENCH_CONNECTIONS (32), PEER_DIR, BENCH_BASELINE,
#                                        BENCH_SLICES (4), BENCH_SLICE_DURATION (2s)
#
# verify and me are measured in BENCH_SLICES short slices per repetition, each right after
# a slice of /healthz (healthz, verify, healthz, me, then me first, ...): on a shared
# machine /healthz alone moves by half within a minute, and a ratio of neighbouring
# seconds moves least. For the same reason each refresh run comes right after its own
# pgbench run, and each login run between two runs of the hash rate; every ratio is taken
# within a repetition, and the median of the repetitions' ratios printed with each one.
# pgbench signs nothing, so ES256 refresh is also set against 1/(1/pgbench + 1/signing):
# signing is the rate of an ES256 refresh's signature work (two signatures with jwt-kit's
# signer, as the server makes them; the presented token is matched by its digest) on every
# core, measured just before that pgbench run.
#
# BENCH_BASELINE=PATH names another gatehouse binary (an earlier commit's release build):
# it serves the same database on the next port, and verify, me and login are measured
# against it too in every repetition, so "not slower than before" is a ratio of one run
# (verify and me in slices of the same length, medians against medians); refresh too, on
# refresh tokens of its own (the pools are twice as large then).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
reps="${BENCH_REPS:-3}"
duration="${BENCH_DURATION:-10s}"
slices_per_rep="${BENCH_SLICES:-4}"
slice="${BENCH_SLICE_DURATION:-2s}"
connections="${BENCH_CONNECTIONS:-32}"
refresh_duration="${BENCH_REFRESH_DURATION:-5s}"
pool_slice="${BENCH_POOL_SLICE:-25000}"
peer="${PEER_DIR:-$(cd ../../.. && pwd)/shared/peer}"
export PEER_STATE_DIR="${PEER_STATE_DIR:-/tmp/gatehouse-peer}"
export BENCH_WRK_DIR="$here/wrk"
port=18080
source ./common.sh
bench_setup "/tmp/gatehouse-bench-api-$$"
state="$bench_state"
bench_build_realm
bench_on_exit '[ -n "${server:-}" ] && kill "$server" && wait "$server"'
bench_on_exit '(cd "$peer" && ./stop.sh server)'

baseline="${BENCH_BASELINE:-}"
slices="$reps"
[ -n "$baseline" ] && slices=$((2 * reps))
echo "== Gatehouse: realm, $((slices * pool_slice)) refresh tokens per realm" >&2
export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$port"
"$bench_realm" "$url" "$((slices * pool_slice))" "$state"
# A pool of 32: commits wait for the WAL flush, and more of them in flight share each flush.
"$gatehouse" serve --port "$port" --pool-size 32 > "$state/serve.log" 2>&1 &
server=$!
bench_wait_ready "$port"
rss_idle="$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")"
if [ -n "$baseline" ]; then
  "$baseline" serve --port "$((port + 1))" --pool-size 32 > "$state/baseline.log" 2>&1 &
  baseline_server=$!
  bench_on_exit '[ -n "${baseline_server:-}" ] && kill "$baseline_server" && wait "$baseline_server"'
  bench_wait_ready "$((port + 1))"
fi
for realm in es256 hs256; do
  check="$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/t/bench/$realm/api/token/verify/" \
    -H 'Content-Type: application/json' -d "{\"token\": \"$(cat "$state/$realm-access.txt")\"}")"
  [ "$check" = 200 ] || { echo "token-api.sh: the minted $realm token does not verify ($check)" >&2; exit 1; }
done

echo "== peer: setup, gunicorn sync (PEER_CONN_MAX_AGE=60 PEER_THROTTLE=0), tokens" >&2
(cd "$peer" && ./setup.sh >/dev/null && ./stop.sh server >/dev/null 2>&1 || true)
(cd "$peer" && PEER_CONN_MAX_AGE=60 PEER_THROTTLE=0 PEER_FAST_HASH=1 ./run.sh sync >/dev/null)
(cd "$peer" && source ./env.sh && manage mint_tokens --access-out "$state/peer-access.txt" --access-user user0 \
  --refresh-out "$state/peer-refresh.txt" --refresh-count "$((reps * 2000))" >/dev/null)

results="$state/results.txt"
: > "$results"

# The database's own ceiling for refresh: pgbench sending the one-statement rotation
# (pgbench/rotate.sql), one rotation per statement and commit, from as many clients as wrk
# has connections, on the same cluster with the same durability, recorded as NAME; each
# client spends a chain of rows made here in the set numbered SET.
#   rotate_ceiling NAME SET
read -r ceiling_tenant ceiling_environment ceiling_user ceiling_kid <<< "$(psql "$url" -AtF' ' -c "
  SELECT t.id, e.id, u.id, k.kid FROM tenants t JOIN environments e ON e.tenant_id = t.id AND e.slug = 'es256'
  JOIN users u ON u.tenant_id = t.id AND u.username = 'user0'
  JOIN signing_keys k ON k.environment_id = e.id AND k.state = 'active' WHERE t.slug = 'bench'")"
rotate_ceiling() {
  local name="$1" base=$((($2 + 1) * 100000000)) line
  psql "$url" -q -c "
    INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at, token_digest)
    SELECT '$ceiling_tenant', j, '$ceiling_environment', '$ceiling_user', j, '$ceiling_kid', now() - interval '1 minute',
           now() + interval '1 day', sha256(convert_to(j::text, 'UTF8'))
    FROM (SELECT ('00000000-0000-4000-8000-' || lpad(to_hex($base + c * 1000000), 12, '0'))::uuid AS j
          FROM generate_series(0, $connections - 1) c) chains"
  line="$(pgbench -n -M prepared -c "$connections" -j 1 -T "${refresh_duration%s}" -f pgbench/rotate.sql \
    -D tenant="$ceiling_tenant" -D environment="$ceiling_environment" -D user="$ceiling_user" -D kid="$ceiling_kid" \
    -D base="$base" -D step=0 "$url" 2>&1 | python3 -c '
import re, sys
text = sys.stdin.read()
tps = re.search(r"^tps = ([\d.]+)", text, re.M)
latency = re.search(r"^latency average = ([\d.]+) ms", text, re.M)
failed = re.search(r"^number of failed transactions: (\d+)", text, re.M)
if not tps:
    sys.exit("pgbench: " + text)
print(f"RESULT requests=0 rps={tps.group(1)} p50_ms={latency.group(1)} p99_ms=0 non2xx={failed.group(1) if failed else 0} socket_errors=0")
')"
  echo "$name $line" >> "$results"
  echo "   $name (pgbench, p50 is the mean): $line" >&2
}

gh="http://127.0.0.1:$port"
peer_url="http://127.0.0.1:18000"
for rep in $(seq 0 $((reps - 1))); do
  echo "== repetition $((rep + 1)) of $reps" >&2
  for realm in hs256 es256; do
    # The ceiling of verify and me, each slice measured just before them.
    token="$(cat "$state/$realm-access.txt")"
    # Verify first in odd slices, me first in even ones: neither always follows the busier
    # minute (the database settling after the refresh run before it).
    for s in $(seq "$slices_per_rep"); do
      order="verify me"
      [ $((s % 2)) -eq 0 ] && order="me verify"
      for endpoint in $order; do
        bench_run "healthz-$endpoint-$realm" "$gh" healthz "$connections" "$slice"
        bench_run "$endpoint-$realm" "$gh" "$endpoint" "$connections" "$slice" BENCH_BASE="/t/bench/$realm" BENCH_TOKEN="$token"
      done
    done
    # The ceiling of refresh, measured just before it, as /healthz is before verify and me;
    # for ES256 also the rate of its signature work alone (two signatures).
    chains=$((2 * rep))
    if [ "$realm" = es256 ]; then
      chains=$((chains + 1))
      "$bench_realm" --es256-refresh-rate 3 >> "$state/es256-refresh-rate.txt"
    fi
    rotate_ceiling "refresh-db-$realm" "$chains"
    bench_run "refresh-$realm" "$gh" refresh "$connections" "$refresh_duration" BENCH_BASE="/t/bench/$realm" \
      BENCH_TOKENS="$state/$realm-refresh.txt" BENCH_OFFSET="$((rep * pool_slice))"
  done
  bench_run "refresh-cookie" "$gh" refresh-cookie "$connections" "$refresh_duration" BENCH_BASE="/t/bench/cookie" \
    BENCH_TOKENS="$state/cookie-refresh.txt" BENCH_OFFSET="$((rep * pool_slice))"
  # The ceiling of login: the hash rate with both cores hashing, measured just before and
  # just after it (their mean), and one hash's time before it.
  "$bench_realm" --hash-time >> "$state/hash.txt"
  "$bench_realm" --hash-rate 3 >> "$state/hash-rate.txt"
  bench_run "login-es256" "$gh" login 4 "$duration" BENCH_BASE="/t/bench/es256"
  "$bench_realm" --hash-rate 3 >> "$state/hash-rate.txt"
  if [ -n "$baseline" ]; then
    bl="http://127.0.0.1:$((port + 1))"
    for realm in hs256 es256; do
      token="$(cat "$state/$realm-access.txt")"
      # In slices as long as the current binary's, so that the two compare like for like.
      for _ in $(seq "$slices_per_rep"); do
        bench_run "verify-$realm-before" "$bl" verify "$connections" "$slice" BENCH_BASE="/t/bench/$realm" BENCH_TOKEN="$token"
        bench_run "me-$realm-before" "$bl" me "$connections" "$slice" BENCH_BASE="/t/bench/$realm" BENCH_TOKEN="$token"
      done
      bench_run "refresh-$realm-before" "$bl" refresh "$connections" "$refresh_duration" BENCH_BASE="/t/bench/$realm" \
        BENCH_TOKENS="$state/$realm-refresh.txt" BENCH_OFFSET="$(((reps + rep) * pool_slice))"
    done
    bench_run "login-es256-before" "$bl" login 4 "$duration" BENCH_BASE="/t/bench/es256"
  fi
  token="$(cat "$state/peer-access.txt")"
  bench_run verify-peer "$peer_url" verify "$connections" "$duration" BENCH_TOKEN="$token"
  bench_run me-peer "$peer_url" me "$connections" "$duration" BENCH_TOKEN="$token"
  bench_run refresh-peer "$peer_url" refresh "$connections" "$refresh_duration" BENCH_TOKENS="$state/peer-refresh.txt" \
    BENCH_OFFSET="$((rep * 2000))"
done

# Resident memory of the instance under test: idle after start, and its peak (VmHWM) after the runs.
rss_peak="$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")"
echo "gatehouse RSS: idle $((rss_idle / 1024)) MiB, peak under load $((rss_peak / 1024)) MiB" >> "$state/memory.txt"

python3 - "$results" "$state/hash.txt" "$state/memory.txt" "$state/hash-rate.txt" "$slices_per_rep" \
  "$state/es256-refresh-rate.txt" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rest = line.split(" ", 1)
    fields = dict(re.findall(r"(\w+)=([\d.]+)", rest))
    rows.setdefault(name, []).append({k: float(v) for k, v in fields.items()})
    if name.startswith("healthz-"):
        # Each slice's own ceiling, and all of them together in the table.
        rows.setdefault("healthz", []).append(rows[name][-1])
hash_ms = statistics.median(float(line.split()[-1]) for line in open(sys.argv[2]))

def median(name):
    runs = sorted(rows[name], key=lambda r: r["rps"])
    middle = runs[len(runs) // 2]
    return middle, sum(r["non2xx"] + r["socket_errors"] for r in runs), [r["rps"] for r in rows[name]]

print(f"\n{'endpoint':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'>=400':>7}   all runs")
for name in (name for name in rows if not name.startswith("healthz-")):
    m, bad, all_rps = median(name)
    print(f"{name:<16}{m['rps']:>10.0f}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}{bad:>7.0f}   {', '.join(f'{r:.0f}' for r in all_rps)}")
print()
def ratio(a, b):
    return median(a)[0]["rps"] / median(b)[0]["rps"]
for endpoint, goal_hs, goal_es in [("verify", 30, 15), ("me", 30, 15)]:
    print(f"{endpoint}: HS256 {ratio(endpoint + '-hs256', endpoint + '-peer'):.1f}x the peer (goal >= {goal_hs}), "
          f"ES256 {ratio(endpoint + '-es256', endpoint + '-peer'):.1f}x (goal >= {goal_es})")
print(f"refresh: HS256 {ratio('refresh-hs256', 'refresh-peer'):.1f}x, ES256 {ratio('refresh-es256', 'refresh-peer'):.1f}x the peer (goal >= 15); "
      f"in cookie mode (ES256, the token in gh_refresh, CSRF checked) {ratio('refresh-cookie', 'refresh-peer'):.1f}x, "
      f"{ratio('refresh-cookie', 'refresh-es256'):.2f} of the body's")
def paired(name, ceilings):
    """The median over the repetitions of each run of `name` over its own ceiling, with every repetition's."""
    ratios = [run["rps"] / ceiling for run, ceiling in zip(rows[name], ceilings)]
    return statistics.median(ratios), ", ".join(f"{r:.2f}" for r in ratios)
parts = []
for realm in ["es256", "hs256"]:
    middle, each = paired(f"refresh-{realm}", [run["rps"] for run in rows[f"refresh-db-{realm}"]])
    parts.append(f"{realm.upper()} {middle:.2f} ({each}) of the pgbench run just before it "
                 f"(median {median(f'refresh-db-{realm}')[0]['rps']:.0f}/s)")
print(f"refresh against the database's own one-statement rotation (pgbench, same clients and durability): "
      f"{'; '.join(parts)} (goal >= 0.8)")
signing = [float(line.split()[-1]) for line in open(sys.argv[6])]
both = [1 / (1 / run["rps"] + 1 / rate) for run, rate in zip(rows["refresh-db-es256"], signing)]
middle, each = paired("refresh-es256", both)
print(f"refresh ES256 against pgbench plus its signature work, 1/(1/pgbench + 1/signing), both measured just before "
      f"it: {middle:.2f} ({each}); signing: two ES256 signatures with jwt-kit's signer on every core, "
      f"median {statistics.median(signing):.0f}/s (pgbench signs nothing; on these two cores an ES256 refresh "
      f"does both)")
capacity = 2 / (hash_ms / 1000)
login = median("login-es256")[0]["rps"]
print(f"login: {login:.1f}/s = {login / capacity:.2f} of cores / hash time (2 / {hash_ms:.1f} ms = {capacity:.1f}/s, "
      f"the median one-thread hash time measured before each login run; goal >= 0.90)")
hash_rates = [float(line.split()[-1]) for line in open(sys.argv[4])]
around = [(hash_rates[2 * r] + hash_rates[2 * r + 1]) / 2 for r in range(len(hash_rates) // 2)]
middle, each = paired("login-es256", around)
print(f"login: {middle:.2f} ({each}) of the hash rate with both cores hashing at once, measured just before and "
      f"just after each login run (mean of the two; median {statistics.median(around):.1f}/s; goal >= 0.90)")
def of_healthz(endpoint, realm):
    """Each repetition's slices of `endpoint` over the /healthz slices just before them
    (summed), for the median and every repetition's."""
    k = int(sys.argv[5])
    ratios = []
    for rep in range(len(rows[f"{endpoint}-{realm}"]) // k):
        served = sum(r["rps"] for r in rows[f"{endpoint}-{realm}"][rep * k:(rep + 1) * k])
        ceiling = sum(r["rps"] for r in rows[f"healthz-{endpoint}-{realm}"][rep * k:(rep + 1) * k])
        ratios.append(served / ceiling)
    return statistics.median(ratios), ratios
for endpoint in ["verify", "me"]:
    parts = []
    for realm in ["es256", "hs256"]:
        middle, ratios = of_healthz(endpoint, realm)
        parts.append(f"{realm.upper()} {middle:.2f} ({', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"{endpoint} of the /healthz slices just before its own, median of the repetitions: {'; '.join(parts)} (goal >= 0.8)")
print(open(sys.argv[3]).read().strip())
if "login-es256-before" in rows:
    print("\nagainst the baseline binary, same run (ratio to the peer: now / before):")
    for name in ["verify-hs256", "verify-es256", "me-hs256", "me-es256", "refresh-hs256", "refresh-es256"]:
        peer = name.split("-")[0] + "-peer"
        print(f"  {name}: {ratio(name, peer):.1f}x / {ratio(name + '-before', peer):.1f}x the peer = {ratio(name, name + '-before'):.2f} of before")
    print(f"  login-es256 (per-username throttle on now): {ratio('login-es256', 'login-es256-before'):.2f} of before")
PY

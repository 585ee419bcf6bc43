#!/usr/bin/env bash
# Cold verify: ES256 access tokens the server has never seen, so every request checks a
# signature (no verified-token cache can help), beside jwt-kit's own ES256 verify rate on
# the same cores with nothing else running: the ceiling of a cold verify.
# The tokens (BENCH_TOKENS_COUNT, 40,000) are made by refresh chains through the API, as
# clients make them, not by logins.
#
#   deploy/bench/cold-verify.sh          knobs: BENCH_REPS (3), BENCH_DURATION (2s),
#                                        BENCH_CONNECTIONS (32), BENCH_TOKENS_COUNT
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
reps="${BENCH_REPS:-3}"
duration="${BENCH_DURATION:-2s}"
connections="${BENCH_CONNECTIONS:-32}"
count="${BENCH_TOKENS_COUNT:-40000}"
export BENCH_WRK_DIR="$here/wrk"
port=18090
source ./common.sh
bench_setup "/tmp/gatehouse-bench-cold-$$"
state="$bench_state"
bench_build_realm
bench_on_exit '[ -n "${server:-}" ] && kill "$server" && wait "$server"'

export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$port"
"$bench_realm" "$url" 8 "$state"
"$gatehouse" serve --port "$port" --pool-size 32 > "$state/serve.log" 2>&1 &
server=$!
bench_wait_ready "$port"

results="$state/results.txt"
: > "$results"
for rep in $(seq "$reps"); do
  echo "== repetition $rep of $reps" >&2
  # A fresh chain of tokens each time: the server keeps the signatures it has checked.
  python3 mint_access_chain.py "http://127.0.0.1:$port" /t/bench/es256 "$state/es256-refresh.txt" "$count" "$state/cold.txt"
  line="$(BENCH_BASE=/t/bench/es256 BENCH_TOKENS="$state/cold.txt" wrk -t1 -c"$connections" -d"$duration" --timeout 10s \
    -s wrk/verify-each.lua "http://127.0.0.1:$port" | grep '^RESULT')"
  echo "cold $line" >> "$results"
  echo "   cold verify: $line" >&2
  "$bench_realm" --es256-rate 3 >> "$results"
  tail -n 1 "$results" | sed 's/^/   /' >&2
  # The chains spent their refresh tokens: new ones for the next repetition.
  "$bench_realm" "$url" 8 "$state"
done

python3 - "$results" "$count" <<'PY'
import re, statistics, sys
cold, raw = [], []
for line in open(sys.argv[1]):
    if line.startswith("cold "):
        fields = dict(re.findall(r"(\w+)=([\d.]+)", line))
        if float(fields["non2xx"]) or float(fields["socket_errors"]):
            sys.exit(f"cold-verify.sh: failed requests: {line.strip()}")
        if float(fields["requests"]) >= int(sys.argv[2]):
            sys.exit("cold-verify.sh: the run used up its tokens; raise BENCH_TOKENS_COUNT")
        cold.append(float(fields["rps"]))
    elif line.startswith("es256_verify_per_second"):
        raw.append(float(line.split()[1]))
c, r = statistics.median(cold), statistics.median(raw)
print(f"cold verify (ES256, every token new): {c:.0f} req/s (runs: {', '.join(f'{x:.0f}' for x in cold)})")
print(f"jwt-kit ES256 verify on every core, nothing else running: {r:.0f}/s (runs: {', '.join(f'{x:.0f}' for x in raw)})")
print(f"cold verify is {c / r:.2f} of jwt-kit's raw rate (goal >= 0.80)")
PY

# Shared by the benchmark scripts (sourced from deploy/bench): prerequisites, the release
# build of gatehouse, a throwaway cluster with a fresh master key, and cleaning up.
#
#   bench_setup STATE_DIR    prerequisites (and wrk), release build ($gatehouse), a cluster
#                            under STATE_DIR/pg, migrated; exports GATEHOUSE_DATABASE_URL,
#                            GATEHOUSE_SQL_DIR, GATEHOUSE_MASTER_KEY, GATEHOUSE_PG_DIR; sets $url
#   bench_build_realm        release build of deploy/bench's bench-realm ($bench_realm)
#   bench_on_exit COMMAND    run COMMAND too when the script ends (before the cluster goes)
#   bench_wait_ready PORT    until /readyz on 127.0.0.1:PORT answers 200
#   bench_run NAME URL SCRIPT CONNECTIONS DURATION [VAR=VALUE...]
#                            wrk with wrk/SCRIPT.lua (VARs in its environment); its RESULT
#                            line goes to $results as "NAME RESULT ..." and to stderr

bench_setup() {
  bench_state="$1"
  mkdir -p "$bench_state"
  ../prerequisites.sh
  command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  echo "== building (release)" >&2
  (cd ../.. && swift build -c release --product gatehouse >&2)
  gatehouse="$(cd ../.. && swift build -c release --show-bin-path)/gatehouse"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  export GATEHOUSE_PG_DIR="$bench_state/pg"
  url="$(../postgres.sh start | tail -n 1)"
  export GATEHOUSE_DATABASE_URL="$url" GATEHOUSE_SQL_DIR="$(cd ../.. && pwd)/sql"
  GATEHOUSE_MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
  export GATEHOUSE_MASTER_KEY
  "$gatehouse" migrate >/dev/null
}

bench_build_realm() {
  swift build -c release --product bench-realm >&2
  bench_realm="$(swift build -c release --show-bin-path)/bench-realm"
}

bench_exit_commands=()
bench_on_exit() {
  bench_exit_commands+=("$1")
}

bench_cleanup() {
  for command in "${bench_exit_commands[@]}"; do eval "$command" >/dev/null 2>&1 || true; done
  ../postgres.sh stop >/dev/null 2>&1 || true
  rm -rf "$bench_state"
}

bench_wait_ready() {
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.1; done
  echo "$(basename "$0"): gatehouse on port $1 did not become ready" >&2
  exit 1
}

bench_run() {
  local name="$1" target="$2" script="$3" c="$4" d="$5"; shift 5
  local line
  line="$(env "$@" wrk -t1 -c"$c" -d"$d" --timeout 10s -s "wrk/$script.lua" "$target" | grep '^RESULT')"
  echo "$name $line" >> "$results"
  echo "   $name: $line" >&2
}

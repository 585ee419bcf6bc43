#!/usr/bin/env bash
# The fuzzers, each against a live `gatehouse serve` on a fresh database of its own:
#
#   jwt           Tests/Fuzz/jwt_mutations.py: >= 100,000 mutants of real tokens of every
#                 algorithm (bit flips, truncations, re-encodings, header and claim swaps,
#                 other realms' tokens, key-holder claim checks) sent to verify, me, refresh
#                 and blacklist; none may be accepted, none may be a 5xx, and unmodified
#                 control tokens must be accepted before, during and after.
#   schemathesis  Tests/Fuzz/api_schemathesis.py: schemathesis over every operation of
#                 /openapi.json with a global, a tenant-scoped and an invalid admin key; no
#                 5xx and no answer that breaks the document.
#
#   deploy/fuzz.sh [jwt] [schemathesis]     (default: both)
#
# deploy/test.sh runs it after `swift test` on its cluster (GATEHOUSE_TEST_DATABASE_URL);
# without that variable it starts a throwaway cluster of its own. The binary is the debug
# build's (`swift build --show-bin-path`; built here when missing) unless GATEHOUSE_BIN
# names one. Installs what is missing (python3 cryptography, schemathesis). Prints a line
# per fuzzer and a closing `fuzz: N passed, M failed`; exits 1 when anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(jwt schemathesis)
for name in "${fuzzers[@]}"; do
  case "$name" in
    jwt|schemathesis) ;;
    *) echo "usage: deploy/fuzz.sh [jwt] [schemathesis]" >&2; exit 2 ;;
  esac
done

./deploy/prerequisites.sh
export PYTHONDONTWRITEBYTECODE=1

pip_install() {
  python3 -m pip install -q --disable-pip-version-check "$@" >/dev/null 2>&1 \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "$@" >/dev/null
}
as_root_apt() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if ! python3 -c 'import cryptography' 2>/dev/null; then
  echo "fuzz: installing python3 cryptography" >&2
  { [ "$(command -v python3)" = /usr/bin/python3 ] && as_root_apt python3-cryptography; } || pip_install cryptography
fi
if ! python3 -c 'import schemathesis, sys; sys.exit(0 if schemathesis.__version__.startswith("4.") else 1)' 2>/dev/null; then
  echo "fuzz: installing schemathesis" >&2
  python3 -m pip --version >/dev/null 2>&1 || as_root_apt python3-pip \
    || { echo "fuzz: pip is missing; install python3-pip" >&2; exit 1; }
  pip_install 'schemathesis==4.32.5'
fi

gatehouse="${GATEHOUSE_BIN:-}"
if [ -z "$gatehouse" ]; then
  gatehouse="$(swift build --show-bin-path)/gatehouse"
  if [ ! -x "$gatehouse" ]; then
    echo "fuzz: building gatehouse (debug)" >&2
    swift build --product gatehouse >&2
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-fuzz.XXXXXX")"
export GATEHOUSE_FUZZ_PIDS="$work/server.pids" GATEHOUSE_FUZZ_LOGS="$work"
own_cluster=""
child=""
cleanup() {
  local status=$?
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  # Servers a killed fuzzer could not stop itself, by id, only if still ours.
  if [ -s "$GATEHOUSE_FUZZ_PIDS" ]; then
    while read -r pid; do
      if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$gatehouse serve"; then
        kill -TERM "$pid" 2>/dev/null || true
      fi
    done <"$GATEHOUSE_FUZZ_PIDS"
  fi
  [ "$status" != 0 ] || rm -rf "$work"
  if [ -n "$own_cluster" ]; then
    GATEHOUSE_PG_DIR="$own_cluster" ./deploy/postgres.sh stop >/dev/null 2>&1 || true
    rm -rf "$own_cluster"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'echo "fuzz: interrupted" >&2; exit 143' TERM INT HUP

if [ -z "${GATEHOUSE_TEST_DATABASE_URL:-}" ]; then
  own_cluster="/tmp/gatehouse-fuzz-pg-$$-$RANDOM"
  GATEHOUSE_TEST_DATABASE_URL="$(GATEHOUSE_PG_DIR="$own_cluster" GATEHOUSE_PG_FSYNC=off ./deploy/postgres.sh start | tail -n 1)"
fi
export GATEHOUSE_TEST_DATABASE_URL

passed=0
failed=0
# run NAME LIMIT COMMAND...: runs one fuzzer in the background (so a signal reaches the
# trap at once), bounded by LIMIT seconds, and counts it.
run() {
  local name="$1" limit="$2"
  shift 2
  local started=$SECONDS status=0
  timeout --signal=TERM --kill-after=30 "$limit" "$@" &
  child=$!
  wait "$child" || status=$?
  child=""
  if [ "$status" = 0 ]; then
    passed=$((passed + 1))
    echo "fuzz: $name passed in $((SECONDS - started)) s"
  else
    failed=$((failed + 1))
    [ "$status" = 124 ] && echo "fuzz: $name did not finish within $limit s"
    echo "fuzz: $name FAILED (exit $status) in $((SECONDS - started)) s"
  fi
}

for name in "${fuzzers[@]}"; do
  case "$name" in
    jwt)
      run jwt 600 python3 Tests/Fuzz/jwt_mutations.py --gatehouse "$gatehouse" \
        --cluster-url "$GATEHOUSE_TEST_DATABASE_URL" --report "$work/jwt-failures.jsonl" ;;
    schemathesis)
      run schemathesis 900 python3 Tests/Fuzz/api_schemathesis.py --gatehouse "$gatehouse" \
        --cluster-url "$GATEHOUSE_TEST_DATABASE_URL" --output "$work/schemathesis" ;;
  esac
done

[ "$failed" = 0 ] || echo "fuzz: reports in $work"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]

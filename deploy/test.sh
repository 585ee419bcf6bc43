#!/usr/bin/env bash
# Runs the whole test suite against a throwaway PostgreSQL cluster, started here with
# deploy/postgres.sh and removed afterwards. Arguments go to `swift test`; without any, the
# fuzzers (deploy/fuzz.sh) run afterwards on the same cluster, then the validators of the
# deployment artifacts (deploy/validate.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./deploy/prerequisites.sh
# A third-party JWT library (the test that verifies our tokens through JWKS discovery) and
# selenium (the browser test): Debian's python3-jwt and python3-selenium, under the first
# Python that imports them (the one on PATH may be another build, without Debian's packages).
GATEHOUSE_TEST_PYTHON=""
for python in python3 /usr/bin/python3; do
  if "$python" -c 'import jwt, cryptography, selenium' 2>/dev/null; then GATEHOUSE_TEST_PYTHON="$python"; break; fi
done
if [ -z "$GATEHOUSE_TEST_PYTHON" ]; then
  echo "test.sh: no Python imports jwt and selenium; install python3-jwt python3-selenium (deploy/prerequisites.sh does)" >&2
  exit 1
fi
export GATEHOUSE_TEST_PYTHON

export GATEHOUSE_PG_DIR="/tmp/gatehouse-test-$$-$RANDOM"
export GATEHOUSE_PG_FSYNC=off
cleanup() {
  ./deploy/postgres.sh stop >/dev/null 2>&1 || true
  rm -rf "$GATEHOUSE_PG_DIR"
}
trap cleanup EXIT
GATEHOUSE_TEST_DATABASE_URL="$(./deploy/postgres.sh start | tail -n 1)"
export GATEHOUSE_TEST_DATABASE_URL

# Bounded, so a hang fails the run with the tests that were running instead of running on.
timeout --kill-after=30 2700 swift test "$@"

# The fuzzers (deploy/fuzz.sh) on the same cluster, and the deployment artifacts'
# validators (deploy/validate.sh), when the whole suite ran (no filter).
if [ $# -eq 0 ]; then
  ./deploy/fuzz.sh
  ./deploy/validate.sh
fi

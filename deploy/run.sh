#!/usr/bin/env bash
# Runs Gatehouse on its self-managed PostgreSQL cluster (.local/postgres, git-ignored):
# installs what is missing, builds, starts the cluster, migrates, and serves.
# Arguments go to `gatehouse serve` (e.g. --port 8081).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./deploy/prerequisites.sh

echo "run: building (release; the first build takes several minutes)" >&2
swift build -c release --product gatehouse >&2
gatehouse="$(swift build -c release --show-bin-path)/gatehouse"

GATEHOUSE_DATABASE_URL="$(./deploy/postgres.sh start | tail -n 1)"
export GATEHOUSE_DATABASE_URL
export GATEHOUSE_SQL_DIR="$PWD/sql"
echo "run: database $GATEHOUSE_DATABASE_URL (stop it with: deploy/postgres.sh stop)" >&2

"$gatehouse" migrate
exec "$gatehouse" serve "$@"

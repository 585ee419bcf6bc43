#!/usr/bin/env bash
# Runs Gatehouse on its self-managed PostgreSQL cluster (.local/postgres, git-ignored):
# installs what is missing, builds, starts the cluster, migrates, creates on first run a
# demo realm (tenant "demo", environment "prod", user "alice") and an admin key, prints
# them once with curl lines to try, and serves.
#
#   deploy/run.sh [--host H] [--port P]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

host=127.0.0.1
port=8080
while [ $# -gt 0 ]; do
  case "$1" in
    --host) host="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "usage: deploy/run.sh [--host H] [--port P]" >&2; exit 2 ;;
  esac
done

./deploy/prerequisites.sh

echo "run: building (release; the first build takes several minutes)" >&2
swift build -c release --product gatehouse >&2
gatehouse="$(swift build -c release --show-bin-path)/gatehouse"

GATEHOUSE_DATABASE_URL="$(./deploy/postgres.sh start | tail -n 1)"
export GATEHOUSE_DATABASE_URL
export GATEHOUSE_SQL_DIR="$PWD/sql"
# The master key seals signing keys at rest; this one is for this checkout only.
if [ ! -s .local/master.key ]; then
  (umask 077 && head -c 32 /dev/urandom | base64 > .local/master.key)
fi
GATEHOUSE_MASTER_KEY="$(cat .local/master.key)"
export GATEHOUSE_MASTER_KEY

"$gatehouse" migrate >&2

base="http://$host:$port/t/demo/prod"
if [ "$(./deploy/postgres.sh psql -tAc "SELECT 1 FROM tenants WHERE slug = 'demo'")" != 1 ]; then
  "$gatehouse" tenant create demo --name "Demo" >/dev/null
  password="$("$gatehouse" user create --tenant demo alice | python3 -c 'import json, sys; print(json.load(sys.stdin)["password"])')"
  admin_key="$("$gatehouse" admin-key create --name demo-operator | tail -n 1)"
  cat <<EOT

Demo realm created: tenant "demo", environment "prod". Shown this once only:
  user      alice / $password
  admin key $admin_key

Try it (the seed's flow):
  BASE=$base
  TOKENS=\$(curl -s -X POST \$BASE/api/token/ -H 'Content-Type: application/json' -d '{"username": "alice", "password": "$password"}')
  ACCESS=\$(echo "\$TOKENS" | jq -r .access); REFRESH=\$(echo "\$TOKENS" | jq -r .refresh)
  curl -s \$BASE/api/me/ -H "Authorization: Bearer \$ACCESS"
  REFRESH=\$(curl -s -X POST \$BASE/api/token/refresh/ -H 'Content-Type: application/json' -d "{\"refresh\": \"\$REFRESH\"}" | jq -r .refresh)
  curl -s -i -X POST \$BASE/api/logout/ -H "Authorization: Bearer \$ACCESS" -H 'Content-Type: application/json' -d "{\"refresh\": \"\$REFRESH\"}"

The admin API (OpenAPI document at http://$host:$port/openapi.json):
  ADMIN="http://$host:$port/admin/v1"; KEY=$admin_key
  curl -s \$ADMIN/tenants/demo/environments/prod/keys -H "Authorization: Bearer \$KEY"
  curl -s -X POST \$ADMIN/tenants/demo/environments/prod/keys/rotate -H "Authorization: Bearer \$KEY" -H 'Content-Type: application/json' -d '{"mode": "staged"}'
  curl -s -X POST \$ADMIN/tenants/demo/revocations -H "Authorization: Bearer \$KEY" -H 'Content-Type: application/json' -d '{"usernames": ["alice"]}'

EOT
else
  echo "run: demo realm exists (its password and admin key were printed on the first run)" >&2
fi
echo "run: database $GATEHOUSE_DATABASE_URL (stop it with: deploy/postgres.sh stop)" >&2
exec "$gatehouse" serve --host "$host" --port "$port"

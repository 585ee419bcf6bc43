#!/usr/bin/env bash
# Rotating signing keys and revoking users from a script: Gatehouse's admin API with curl
# and jq, or (MODE=cli) the same steps with the `gatehouse` command line, which runs the
# same code and prints the same JSON, so everything after each call is shared.
#
#   ADMIN_URL=https://auth.example.com ADMIN_KEY=gh_... TENANT=demo ENV=prod \
#     ./docs/guides/rotate_and_revoke.sh
#
# What it does, in order:
#   1. lists the environment's keys;
#   2. a staged rotation: the new key is published in the JWKS as `next` at once and the
#      scheduler activates it at `activate_at` (ACTIVATE_IN seconds from now, default 30);
#      it waits for that, polling the key list;
#   3. an immediate rotation (a new key signs at once, the old one is `retiring`);
#   4. revokes the tokens of the users named in USERS (e.g. USERS="alice bob"), if set;
#   5. revokes the tokens of every user of the tenant, only with REVOKE_ALL=yes.
# Retiring keys keep verifying until every token they signed has expired, so no user notices
# steps 2 and 3; steps 4 and 5 log the users out everywhere at once.
#
# Environment:
#   ADMIN_URL   the server, e.g. http://127.0.0.1:8080 (admin API at $ADMIN_URL/admin/v1)
#   ADMIN_KEY   an admin key reaching TENANT (`gatehouse admin-key create --name ops --tenant T`)
#   TENANT ENV  the realm
#   ACTIVATE_IN seconds until the staged key signs (default 30). Make it at least the JWKS
#               `Cache-Control: max-age` (checked below), so that every resource server that
#               honours caching holds the new key before its first token; in production an hour
#               or more is usual.
#   USERS       usernames to revoke (space-separated); REVOKE_ALL=yes to revoke every user
#   MODE        api (default) or cli: then GATEHOUSE (default `gatehouse`) runs with
#               GATEHOUSE_DATABASE_URL, and GATEHOUSE_MASTER_KEY for the rotations
#
# The `gatehouse` equivalents, one per step:
#   gatehouse keys list --tenant "$TENANT" --env "$ENV"
#   gatehouse keys rotate --tenant "$TENANT" --env "$ENV" --staged --activate-at 2030-01-01T12:00:00Z
#   gatehouse keys activate --tenant "$TENANT" --env "$ENV" KID     # activate a staged key now
#   gatehouse keys rotate --tenant "$TENANT" --env "$ENV"           # immediate
#   gatehouse keys revoke --tenant "$TENANT" --env "$ENV" KID       # a leaked key: its tokens die now
#   gatehouse revoke --tenant "$TENANT" --user alice --user bob [--env "$ENV"]
#   gatehouse revoke --tenant "$TENANT" --users-file leaked.txt     # one username a line, - for stdin
#   gatehouse revoke --tenant "$TENANT" --all
set -euo pipefail

: "${TENANT:?set TENANT}" "${ENV:?set ENV}"
MODE=${MODE:-api}
ACTIVATE_IN=${ACTIVATE_IN:-30}
GATEHOUSE=${GATEHOUSE:-gatehouse}
if [[ $MODE == api ]]; then
  : "${ADMIN_URL:?set ADMIN_URL}" "${ADMIN_KEY:?set ADMIN_KEY}"
  ADMIN_URL=${ADMIN_URL%/}
elif [[ $MODE != cli ]]; then
  echo "MODE must be api or cli" >&2; exit 2
fi
ENV_PATH="/tenants/$TENANT/environments/$ENV"

# admin METHOD PATH [JSON]: calls the admin API and prints the answer; any status but 2xx
# stops the script with the status and Gatehouse's {"detail", "code"}. The key goes to curl
# through a file descriptor, not its command line (which `ps` shows).
admin() {
  local method=$1 path=$2 body=${3-} answer status
  local args=(-sS --max-time 30 -X "$method")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  answer=$(mktemp)
  status=$(curl "${args[@]}" -H @<(printf 'Authorization: Bearer %s\n' "$ADMIN_KEY") \
    -o "$answer" -w '%{http_code}' "$ADMIN_URL/admin/v1$path") || status=000
  if [[ $status != 2?? ]]; then
    echo "$method $path: HTTP $status $(cat "$answer")" >&2
    rm -f "$answer"
    exit 1
  fi
  cat "$answer"
  rm -f "$answer"
}

cli() { [[ $MODE == cli ]]; }
gh() { "$GATEHOUSE" "$@" --tenant "$TENANT"; }

list_keys() {
  if cli; then gh keys list --env "$ENV"; else admin GET "$ENV_PATH/keys"; fi
}
rotate_staged() { # $1: activate_at (RFC 3339)
  if cli; then gh keys rotate --env "$ENV" --staged --activate-at "$1"
  else admin POST "$ENV_PATH/keys/rotate" "$(jq -n --arg at "$1" '{mode: "staged", activate_at: $at}')"; fi
}
rotate_now() {
  if cli; then gh keys rotate --env "$ENV"; else admin POST "$ENV_PATH/keys/rotate" '{"mode": "immediate"}'; fi
}
revoke_users() { # usernames...
  if cli; then gh revoke "${@/#/--user=}"
  else admin POST "/tenants/$TENANT/revocations" "$(jq -n '{usernames: $ARGS.positional}' --args "$@")"; fi
}
revoke_all() {
  if cli; then gh revoke --all; else admin POST "/tenants/$TENANT/revocations" '{"all_users": true}'; fi
}

show_keys() {
  list_keys | jq -r '.items[] | "\(.state)\t\(.alg)\t\(.kid)\tactivate_at \(.activate_at // "-")"' |
    while IFS=$'\t' read -r state alg kid at; do printf '  %-8s %-5s %s  %s\n' "$state" "$alg" "$kid" "$at"; done
}

in_seconds() { # an RFC 3339 instant N seconds from now (GNU date, then BSD date)
  date -u -d "+$1 seconds" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v "+$1S" +%Y-%m-%dT%H:%M:%SZ
}

echo "== 1. keys of $TENANT/$ENV"
show_keys

echo "== 2. staged rotation, activating in $ACTIVATE_IN s"
if [[ $MODE == api ]]; then # how long resource servers may cache the JWKS
  max_age=$(curl -sS --max-time 10 -D - -o /dev/null "$ADMIN_URL/t/$TENANT/$ENV/.well-known/jwks.json" |
    tr -d '\r' | sed -n 's/^[Cc]ache-[Cc]ontrol:.*max-age=\([0-9]*\).*/\1/p')
  if [[ -n $max_age && $ACTIVATE_IN -lt $max_age ]]; then
    echo "ACTIVATE_IN=$ACTIVATE_IN is shorter than the JWKS max-age ($max_age s): caches could miss the new key" >&2
    exit 1
  fi
fi
staged=$(rotate_staged "$(in_seconds "$ACTIVATE_IN")")
kid=$(jq -r '.next.kid' <<<"$staged")
echo "published $kid as next; the scheduler activates it at $(jq -r '.next.activate_at' <<<"$staged")"
deadline=$((SECONDS + ACTIVATE_IN + 60))
until [[ $(list_keys | jq -r --arg kid "$kid" '.items[] | select(.kid == $kid) | .state') == active ]]; do
  if ((SECONDS > deadline)); then
    echo "key $kid is still not active $((ACTIVATE_IN + 60)) s later: is a 'gatehouse serve' (its scheduler) running?" >&2
    exit 1
  fi
  sleep 2
done
echo "$kid is active; the key it replaced is retiring"
show_keys

echo "== 3. immediate rotation"
kid=$(rotate_now | jq -r '.active.kid')
echo "$kid signs from now on"
show_keys

echo "== 4. revoke users"
if [[ -n ${USERS:-} ]]; then
  read -r -a names <<<"$USERS"
  revoke_users "${names[@]}" |
    jq -r '"\(.users) users, \(.refresh_tokens_revoked) refresh tokens revoked; unknown: \(.unknown_usernames | join(", ") | if . == "" then "none" else . end)"'
else
  echo "(skipped: set USERS=\"alice bob\")"
fi

echo "== 5. revoke every user of $TENANT"
if [[ ${REVOKE_ALL:-} == yes ]]; then
  revoke_all | jq -r '"\(.users) users, \(.refresh_tokens_revoked) refresh tokens revoked"'
else
  echo "(skipped: set REVOKE_ALL=yes)"
fi
echo "done"

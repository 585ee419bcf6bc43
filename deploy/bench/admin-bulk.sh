#!/usr/bin/env bash
# The admin API at scale, against a real `gatehouse serve` (release build) on its own
# throwaway cluster, over HTTP with curl:
#   1. import BENCH_USERS (100,000) users with pre-hashed (Django pbkdf2_sha256) passwords
#      in one call                                                          goal <= 30 s
#   2. give them BENCH_TOKENS_PER_USER (10) outstanding refresh tokens each (SQL, untimed)
#   3. verify req/s (wrk, median of BENCH_REPS) with no user revoked
#   4. revoke all of them by username in one call (1,000,000 refresh tokens)  goal <= 2 s
#   5. verify req/s again, with 100,000 revoked users                 goal: within 10 %
# Prints the figures and checks the answers' counts.
#
#   deploy/bench/admin-bulk.sh        knobs: BENCH_USERS, BENCH_TOKENS_PER_USER, BENCH_REPS (3),
#                                            BENCH_DURATION (10s), BENCH_CONNECTIONS (32)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
users="${BENCH_USERS:-100000}"
per_user="${BENCH_TOKENS_PER_USER:-10}"
reps="${BENCH_REPS:-3}"
duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-32}"
port=18081
source ./common.sh
bench_setup "/tmp/gatehouse-bench-admin-$$"
state="$bench_state"
bench_on_exit '[ -n "${server:-}" ] && kill "$server" && wait "$server"'
export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$port"
"$gatehouse" tenant create bench >/dev/null
echo "probe-password" | "$gatehouse" user create --tenant bench probe --password-stdin >/dev/null
key="$("$gatehouse" admin-key create --name bench | tail -n 1)"
../postgres.sh psql -q -c "UPDATE environments SET settings = '{\"throttle_anon\": null, \"throttle_user\": null}'" >/dev/null
"$gatehouse" serve --port "$port" > "$state/serve.log" 2>&1 &
server=$!
bench_wait_ready "$port"
api="http://127.0.0.1:$port/admin/v1/tenants/bench"

echo "== $users users as JSON lines, one Django pbkdf2_sha256 hash each" >&2
python3 - "$users" "$state" <<'PY'
import base64, hashlib, json, os, sys
count, state = int(sys.argv[1]), sys.argv[2]
with open(f"{state}/users.jsonl", "w") as lines, open(f"{state}/revoke.json", "w") as revoke:
    for i in range(count):
        salt = base64.b64encode(os.urandom(9)).decode().replace("+", "a").replace("/", "b")
        digest = base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"pw", salt.encode(), 1)).decode()
        lines.write(json.dumps({"username": f"user{i}", "password_hash": f"pbkdf2_sha256$1${salt}${digest}", "role": "user",
                                "claims": {"plan": "free"}}) + "\n")
    json.dump({"usernames": [f"user{i}" for i in range(count)]}, revoke)
PY

echo "== import" >&2
import_s="$(curl -s -o "$state/import.json" -w '%{time_total}' -X POST -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/x-ndjson' --data-binary @"$state/users.jsonl" "$api/users/import")"
created="$(jq -r .created "$state/import.json")"
[ "$created" = "$users" ] || { echo "admin-bulk.sh: import created $created of $users: $(head -c 300 "$state/import.json")" >&2; exit 1; }

echo "== $((users * per_user)) refresh tokens" >&2
../postgres.sh psql -q <<SQL >/dev/null
INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at)
SELECT u.tenant_id, j.jti, e.id, u.id, j.jti, k.kid, now() - interval '1 minute', now() + interval '1 day'
FROM users u
JOIN environments e ON e.tenant_id = u.tenant_id
JOIN signing_keys k ON k.tenant_id = e.tenant_id AND k.environment_id = e.id AND k.state = 'active'
CROSS JOIN LATERAL (SELECT gen_random_uuid() AS jti FROM generate_series(1, $per_user) WHERE u.id IS NOT NULL) j
WHERE u.username LIKE 'user%';
VACUUM ANALYZE refresh_tokens;
VACUUM ANALYZE users;
CHECKPOINT;
SQL

token="$(curl -s -X POST -H 'Content-Type: application/json' -d '{"username": "probe", "password": "probe-password"}' \
  "http://127.0.0.1:$port/t/bench/prod/api/token/" | jq -r .access)"
verify() {
  for _ in $(seq "$reps"); do
    BENCH_WRK_DIR="$here/wrk" BENCH_BASE=/t/bench/prod BENCH_TOKEN="$token" \
      wrk -t1 -c"$connections" -d"$duration" -s wrk/verify.lua "http://127.0.0.1:$port" | grep '^RESULT'
  done
}
echo "== verify, nobody revoked" >&2
verify | tee "$state/before.txt" >&2

echo "== revoke $users users by username" >&2
revoke_s="$(curl -s -o "$state/revoke-answer.json" -w '%{time_total}' -X POST -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' --data-binary @"$state/revoke.json" "$api/revocations")"
revoked_users="$(jq -r .users "$state/revoke-answer.json")"
revoked_tokens="$(jq -r .refresh_tokens_revoked "$state/revoke-answer.json")"

# The revocation left dead row versions behind; let PostgreSQL's cleanup run now rather
# than during the measurement (on 2 cores autovacuum would compete with verify for CPU).
../postgres.sh psql -q -c 'VACUUM ANALYZE users' -c 'CHECKPOINT' >/dev/null
echo "== verify, $users users revoked" >&2
verify | tee "$state/after.txt" >&2

python3 - "$state" "$users" "$per_user" "$import_s" "$revoke_s" "$revoked_users" "$revoked_tokens" <<'PY'
import re, statistics, sys
state, users, per_user = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
import_s, revoke_s, revoked_users, revoked_tokens = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def rps(name):
    return statistics.median(float(re.search(r"rps=([\d.]+)", l).group(1)) for l in open(f"{state}/{name}.txt"))
def non2xx(name):
    return sum(int(re.search(r"non2xx=(\d+)", l).group(1)) for l in open(f"{state}/{name}.txt"))
before, after = rps("before"), rps("after")
print(f"\nimport {users} users (pre-hashed), one HTTP call: {import_s:.2f} s  (goal <= 30 s)")
print(f"revoke {revoked_users} users / {revoked_tokens} refresh tokens, one HTTP call: {revoke_s:.2f} s  (goal <= 2 s; "
      f"counts {'exact' if (revoked_users, revoked_tokens) == (users, users * per_user) else 'WRONG'})")
print(f"verify: {before:.0f} req/s before, {after:.0f} after = {after / before:.2f} (goal >= 0.90); non-2xx {non2xx('before')} / {non2xx('after')}")
PY

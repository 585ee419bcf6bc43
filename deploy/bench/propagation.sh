#!/usr/bin/env bash
# How fast a change made through one instance takes effect on another, two release
# `gatehouse serve` processes on one throwaway cluster:
#   rotation:   POST keys/rotate (immediate) on A, then poll B's JWKS until the new kid is
#               there (B's realm snapshot, which signs, has it);
#   revocation: POST revocations {"usernames": ["alice"]} on A, then poll B's /api/me/
#               with alice's access token until it is refused.
# BENCH_TRIALS (50) of each; prints median and max, measured from the moment A's answer
# arrived (the change is committed) and from the moment the request was sent.
# Goal: median <= 100 ms.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
trials="${BENCH_TRIALS:-50}"
source ./common.sh
bench_setup "/tmp/gatehouse-bench-propagation-$$"
state="$bench_state"
bench_on_exit 'for pid in ${servers:-}; do kill "$pid"; wait "$pid"; done'
"$gatehouse" tenant create demo >/dev/null
echo "pw" | "$gatehouse" user create --tenant demo alice --password-stdin >/dev/null
key="$("$gatehouse" admin-key create --name bench | tail -n 1)"
../postgres.sh psql -q -c "UPDATE environments SET settings = '{\"throttle_anon\": null, \"throttle_user\": null}'" >/dev/null
servers=""
for port in 18091 18092; do
  GATEHOUSE_PUBLIC_URL="http://127.0.0.1:18091" "$gatehouse" serve --port "$port" > "$state/serve-$port.log" 2>&1 &
  servers="$servers $!"
done
bench_wait_ready 18091
bench_wait_ready 18092

python3 - "$trials" "$key" <<'PY'
import http.client, json, statistics, sys, time
trials, key = int(sys.argv[1]), sys.argv[2]
a = http.client.HTTPConnection("127.0.0.1", 18091)
b = http.client.HTTPConnection("127.0.0.1", 18092)
admin = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

def call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()

def wait_until(condition, limit=5.0):
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if condition():
            return time.perf_counter()
    raise SystemExit("propagation.sh: no propagation within 5 s")

results = {"rotation": ([], []), "revocation": ([], [])}
for _ in range(trials):
    sent = time.perf_counter()
    status, body = call(a, "POST", "/admin/v1/tenants/demo/environments/prod/keys/rotate", {"mode": "immediate"}, admin)
    answered = time.perf_counter()
    kid = json.loads(body)["active"]["kid"]
    seen = wait_until(lambda: kid.encode() in call(b, "GET", "/t/demo/prod/.well-known/jwks.json")[1])
    results["rotation"][0].append(seen - answered); results["rotation"][1].append(seen - sent)

    status, body = call(b, "POST", "/t/demo/prod/api/token/", {"username": "alice", "password": "pw"}, {"Content-Type": "application/json"})
    access = json.loads(body)["access"]
    me = {"Authorization": f"Bearer {access}"}
    assert call(b, "GET", "/t/demo/prod/api/me/", headers=me)[0] == 200
    time.sleep(0.005)
    sent = time.perf_counter()
    status, body = call(a, "POST", "/admin/v1/tenants/demo/revocations", {"usernames": ["alice"]}, admin)
    answered = time.perf_counter()
    assert json.loads(body)["users"] == 1, body
    seen = wait_until(lambda: call(b, "GET", "/t/demo/prod/api/me/", headers=me)[0] == 401)
    results["revocation"][0].append(seen - answered); results["revocation"][1].append(seen - sent)

print(f"\n{'change':<12}{'trials':>7}{'median ms':>11}{'max ms':>9}   from the request sent: median / max ms")
for name, (from_answer, from_sent) in results.items():
    print(f"{name:<12}{len(from_answer):>7}{statistics.median(from_answer) * 1000:>11.1f}{max(from_answer) * 1000:>9.1f}"
          f"   {statistics.median(from_sent) * 1000:.1f} / {max(from_sent) * 1000:.1f}")
print("goal: median <= 100 ms")
PY

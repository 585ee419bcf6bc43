"""A steady refresh, verify and me load on a live Gatehouse while its PostgreSQL primary
is stopped and its synchronous standby promoted; prints one JSON report.

    failover_load.py URL BASE USERNAME PASSWORD STOP_COMMAND PROMOTE_COMMAND

Refresh chains present each new refresh token once. A 503 leaves the outcome unknown
(the rotation may have committed before the connection broke), so the same token is
tried again: that retry may be refused as reused, which is the only refusal allowed.
After the run every token answered 200 is presented once more and must be refused:
the new primary knows it was spent.
"""

import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse

url, base, username, password, stop_command, promote_command = sys.argv[1:7]
target = urllib.parse.urlsplit(url)
CHAINS, READERS = 4, 2
# The primary is stopped once every chain has refreshed and reads have been answered, or
# after WARMUP_LIMIT: logins hash with Argon2id and take seconds on a busy machine.
WARMUP_LIMIT, PROMOTE_AFTER, SETTLE, LIMIT = 30.0, 1.0, 3.0, 60.0

lock = threading.Lock()
report = {"failures": [], "refreshes": 0, "reads": 0, "unavailable": [], "retried_then_refused": 0}
spent = []  # every refresh token answered 200
refreshed = set()  # the chains that have refreshed at least once
done = threading.Event()


def fail(message):
    with lock:
        if len(report["failures"]) < 20:
            report["failures"].append(message)


class Client:
    def __init__(self):
        self.connection = None

    def call(self, method, path, body=None, bearer=None):
        headers = {"Content-Type": "application/json"}
        if bearer:
            headers["Authorization"] = "Bearer " + bearer
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            try:
                self.connection.request(method, base + path, json.dumps(body) if body is not None else None, headers)
                answer = self.connection.getresponse()
                data = answer.read()
                return answer.status, (json.loads(data) if data else {})
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


def login(client):
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        status, body = client.call("POST", "/api/token/", {"username": username, "password": password})
        if status == 200:
            return body
        if status != 503:
            fail(f"login answered {status}: {body}")
            return None
        time.sleep(0.05)
    return None


def chain(number):
    client = Client()
    pair = login(client)
    if pair is None:
        return
    token, uncertain = pair["refresh"], False
    while not done.is_set():
        status, body = client.call("POST", "/api/token/refresh/", {"refresh": token})
        now = time.monotonic()
        if status == 200:
            with lock:
                report["refreshes"] += 1
                refreshed.add(number)
                spent.append(token)
            token, uncertain = body["refresh"], False
        elif status == 503:
            with lock:
                report["unavailable"].append(now)
            uncertain = True
            time.sleep(0.02)
        elif status == 401 and uncertain:
            # The 503'd attempt had committed: the token was spent, and its child lost with the answer.
            with lock:
                report["retried_then_refused"] += 1
            pair = login(client)
            if pair is None:
                return
            token, uncertain = pair["refresh"], False
        else:
            fail(f"refresh of a token never answered before: {status} {body}")
            return


def reader(path, method, access):
    client = Client()
    while not done.is_set():
        body = {"token": access} if method == "POST" else None
        status, answer = client.call(method, path, body, bearer=access if method == "GET" else None)
        if status != 200:
            fail(f"{method} {path} answered {status}: {answer}")
        with lock:
            report["reads"] += 1


access = login(Client())["access"]
threads = [threading.Thread(target=chain, args=(number,)) for number in range(CHAINS)]
threads += [threading.Thread(target=reader, args=("/api/token/verify/", "POST", access)) for _ in range(READERS)]
threads += [threading.Thread(target=reader, args=("/api/me/", "GET", access)) for _ in range(READERS)]
for thread in threads:
    thread.start()
warmup_started = time.monotonic()
while time.monotonic() - warmup_started < WARMUP_LIMIT:
    with lock:
        # Every chain past its login: a login still hashing when the primary stops would
        # retry through the outage, each attempt counted by throttle_login_user.
        if len(refreshed) == CHAINS and report["reads"] > 0:
            break
    time.sleep(0.05)
warmup_took = time.monotonic() - warmup_started
started = time.monotonic()
before = report["refreshes"]
stopped_at = time.monotonic()
subprocess.run(stop_command, shell=True, check=True)
time.sleep(PROMOTE_AFTER)
promoting_at = time.monotonic()
subprocess.run(promote_command, shell=True, check=True)
promoted_at = time.monotonic()
# Run on until refreshes have succeeded for a while after the last 503.
while time.monotonic() - started < LIMIT:
    time.sleep(0.2)
    with lock:
        last = report["unavailable"][-1] if report["unavailable"] else stopped_at
        after = report["refreshes"] - before
    if after > 0 and time.monotonic() - max(last, promoted_at) > SETTLE:
        break
done.set()
for thread in threads:
    thread.join(timeout=15)

# Every spent token is refused on the new primary: none can be spent twice.
client = Client()
for token in spent[-200:]:
    status, body = client.call("POST", "/api/token/refresh/", {"refresh": token})
    if status != 401:
        fail(f"a spent refresh token answered {status} on the new primary")
        break

unavailable = report.pop("unavailable")
report.update(
    refreshes_before_stop=before,
    warmup_took=round(warmup_took, 3),
    unavailable_answers=len(unavailable),
    first_503_after_stop=round(unavailable[0] - stopped_at, 3) if unavailable else None,
    last_503_after_promote=round(unavailable[-1] - promoted_at, 3) if unavailable else None,
    outage_window=round(unavailable[-1] - unavailable[0], 3) if unavailable else 0.0,
    promote_took=round(promoted_at - promoting_at, 3),
    spent_checked=min(len(spent), 200),
)
print(json.dumps(report))

#!/usr/bin/env python3
"""Run the resource-server verification guides against a live Gatehouse.

Each verifier is a long-running program that takes `--jwks-url URL --issuer ISS --audience AUD`,
reads one access token per line on stdin and answers one line per token on stdout:
`ok <sub>` or `invalid <reason>`. This driver (Python 3, standard library only):

1. sets the environment's `audience` and `key_publish_ahead` through the admin API (so the
   JWKS answers `Cache-Control: max-age=N` with N = key_publish_ahead / 4, a few seconds) and
   mints, besides a fresh access token, tokens the verifiers must refuse: one for another
   audience, one with no audience, one that expires at once, a refresh token;
2. serves each verifier the realm's JWKS through a small counting proxy, so it can tell
   whether the verifier caches the JWKS for max-age (no fetch per token, no fetch storm on
   unknown kids) and refetches once max-age has passed;
3. checks a fresh token (ok), forgeries (tampered claims or signature, `alg: none`, HS256
   keyed with the public key, `typ` swapped, unknown kids), a refresh token and the
   wrong-audience tokens (invalid);
4. for each `--rotate-alg`: a staged rotation (the new key is published as `next`), a wait
   past max-age, one token so that every verifier refetches (and so holds the `next` key),
   activation, a login: the new key's token and the old key's token must both verify;
5. checks that the expired token is refused, then restores the settings it changed.

Every wait and every read has a timeout. On failure it names the verifier and the token and
exits 1; on success its last line is `guides: N verifiers passed`.

    python3 docs/guides/run_guides.py --server http://127.0.0.1:8080 --tenant demo --env prod \\
        --username alice --password PW --admin-key gh_... --issuer http://127.0.0.1:8080/t/demo/prod \\
        --verifier "/usr/bin/python3 docs/guides/verify_pyjwt.py" \\
        --verifier "node docs/guides/verify_node.mjs" \\
        --verifier "go run docs/guides/verify_go.go"

The realm must be in body mode (`refresh_cookie` off); throttles should be off or loose (the
driver logs in 4 + one per rotation times). Each run leaves its rotations' old keys
`retiring` (a ring holds at most 16 keys): run it on a throwaway environment.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid


class Failure(Exception):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token):
    header, claims, signature = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(claims)), signature


def compact(header: dict, claims: dict, signature: str) -> str:
    enc = lambda value: b64url(json.dumps(value, separators=(",", ":")).encode())
    return f"{enc(header)}.{enc(claims)}.{signature}"


def max_age(cache_control):
    match = re.search(r"max-age\s*=\s*(\d+)", cache_control or "", re.IGNORECASE)
    return int(match.group(1)) if match else None


# --- HTTP -------------------------------------------------------------------------------


def call(method, url, body=None, token=None, expect=(200,), timeout=15):
    """(status, headers, decoded JSON or None); raises Failure unless status is expected."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    except OSError as error:
        raise Failure(f"{method} {url}: {error}") from error
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = raw[:200]
    if status not in expect:
        hint = " (throttled: switch the realm's throttles off, e.g. throttle_anon: null)" if status == 429 else ""
        raise Failure(f"{method} {url} answered {status}, expected {'/'.join(map(str, expect))}: {answer}{hint}")
    return status, headers, answer


# --- the counting JWKS proxy --------------------------------------------------------------


class JWKSProxy:
    """Serves `/{i}/jwks.json` from the real JWKS (with its Cache-Control) and records, per
    verifier i, each fetch and the kids it answered."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.fetches = {}  # i -> [(monotonic time, [kids])]
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                match = re.fullmatch(r"/(\d+)/jwks\.json", self.path)
                if not match:
                    self.send_error(404)
                    return
                try:
                    with urllib.request.urlopen(proxy.upstream, timeout=10) as response:
                        body, cache_control = response.read(), response.headers.get("Cache-Control")
                    kids = [key.get("kid") for key in json.loads(body)["keys"]]
                except Exception as error:  # noqa: BLE001 - answer the verifier a 502
                    self.send_error(502, str(error))
                    return
                with proxy.lock:
                    proxy.fetches.setdefault(int(match.group(1)), []).append((time.monotonic(), kids))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if cache_control:
                    self.send_header("Cache-Control", cache_control)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, index):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{index}/jwks.json"

    def count(self, index):
        with self.lock:
            return len(self.fetches.get(index, []))

    def last_kids(self, index):
        with self.lock:
            return (self.fetches.get(index) or [(0, [])])[-1][1]

    def close(self):
        self.server.shutdown()


# --- the verifiers ----------------------------------------------------------------------


class Verifier:
    def __init__(self, index, command, args):
        self.index, self.name = index, command
        self.stderr = tempfile.TemporaryFile()
        self.failures = []
        self.stopped = False
        self.answered = False
        try:
            self.process = subprocess.Popen(
                shlex.split(command) + args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                text=True,
                bufsize=1,
                start_new_session=True,  # so a timeout can stop `go run` and what it started
            )
        except OSError as error:
            raise Failure(f"verifier {command!r} does not start: {error}") from error
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    @property
    def alive(self):
        return not self.stopped

    def send(self, token):
        try:
            self.process.stdin.write(token + "\n")
            self.process.stdin.flush()
        except OSError as error:
            self.stop(f"stdin closed ({error})")

    def answer(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop(f"no answer within {timeout:g} s")
            return None
        if line is None:
            self.stop(f"exited with status {self.process.wait()}")
            return None
        self.answered = True
        return line

    def stderr_tail(self):
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace").strip()
        return "\n".join(text.splitlines()[-15:])

    def stop(self, why):
        self.failures.append(f"stopped: {why}")
        self.stopped = True
        self.kill()

    def kill(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass

    def close(self, timeout=10):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.stop(f"still running {timeout} s after stdin closed")


class Run:
    def __init__(self, args):
        self.args = args
        self.base = f"{args.server.rstrip('/')}/t/{args.tenant}/{args.env}"
        self.admin = f"{args.server.rstrip('/')}/admin/v1/tenants/{args.tenant}/environments/{args.env}"
        self.verifiers = []

    # --- Gatehouse ---

    def settings(self, **changes):
        _, _, answer = call("PATCH", self.admin, {"settings": changes}, token=self.args.admin_key)
        return answer["settings"]

    def login(self):
        _, _, pair = call("POST", f"{self.base}/api/token/", {"username": self.args.username, "password": self.args.password})
        if "refresh" not in pair:
            raise Failure(f"{self.base} answers no refresh token: the driver needs a realm in body mode (refresh_cookie off)")
        return pair

    def jwks(self):
        _, headers, answer = call("GET", f"{self.base}/.well-known/jwks.json")
        return headers, [key["kid"] for key in answer["keys"]]

    # --- the verifiers ---

    def live(self):
        return [v for v in self.verifiers if v.alive]

    def check(self, label, token, expect, sub=None):
        """Sends token to every live verifier; `expect` is "ok" (then `ok <sub>`) or "invalid"."""
        live = self.live()
        for verifier in live:
            verifier.send(token)
        for verifier in live:
            if not verifier.alive:
                continue
            timeout = self.args.timeout if verifier.answered else self.args.start_timeout
            answer = verifier.answer(timeout)
            if answer is None:
                verifier.failures[-1] += f" (at token {label!r})"
                continue
            good = answer == f"ok {sub}" if expect == "ok" else answer.startswith("invalid")
            if not good:
                wanted = f"ok {sub}" if expect == "ok" else "invalid <reason>"
                verifier.failures.append(f"token {label!r}: expected {wanted!r}, got {answer!r}")

    def require(self, verifier, condition, message):
        if not condition:
            verifier.failures.append(message)

    # --- the run ---

    def main(self):
        args = self.args
        started = time.monotonic()
        _, _, environment = call("GET", self.admin, token=args.admin_key)
        original = {name: environment["settings"][name] for name in ("audience", "key_publish_ahead", "access_token_lifetime")}
        proxy = None
        try:
            # 1. Settings, and tokens minted under each.
            self.settings(audience=f"{args.audience}-elsewhere", key_publish_ahead=args.publish_ahead)
            other_audience = self.login()["access"]
            self.settings(audience=None)
            no_audience = self.login()["access"]
            self.settings(audience=args.audience, access_token_lifetime=1)
            short_lived = self.login()["access"]
            self.settings(access_token_lifetime=original["access_token_lifetime"])
            pair = self.login()
            fresh, refresh = pair["access"], pair["refresh"]
            _, _, me = call("GET", f"{self.base}/api/me/", token=fresh)
            sub = me["id"]

            _, _, discovery = call("GET", f"{self.base}/.well-known/openid-configuration")
            if discovery["issuer"] != args.issuer:
                raise Failure(f"discovery says issuer {discovery['issuer']!r}, --issuer is {args.issuer!r}")
            if discovery["jwks_uri"] != f"{args.issuer}/.well-known/jwks.json":
                raise Failure(f"discovery's jwks_uri is {discovery['jwks_uri']!r}")
            headers, _ = self.jwks()
            age = max_age(headers.get("Cache-Control"))
            if age is None or age > args.publish_ahead / 2:
                message = (f"the JWKS answers Cache-Control {headers.get('Cache-Control')!r}: a verifier honouring it "
                           f"could miss a key published {args.publish_ahead} s ahead (want max-age <= {args.publish_ahead / 2:g})")
                if not args.allow_missing_cache_control:
                    raise Failure(message)
                print(f"guides: warning: {message}; going on (--allow-missing-cache-control)", flush=True)
                age = None
            print(f"guides: realm {self.base}, JWKS max-age {age}, user {sub}", flush=True)

            # 2. The verifiers, each on its own counting proxy path.
            proxy = JWKSProxy(f"{self.base}/.well-known/jwks.json")
            for index, command in enumerate(args.verifier):
                extra = ["--jwks-url", proxy.url(index), "--issuer", args.issuer, "--audience", args.audience]
                self.verifiers.append(Verifier(index, command, extra))

            # 3. Fresh, cached, forged and wrong tokens.
            self.check("fresh access token", fresh, "ok", sub)
            counts = {v.index: proxy.count(v.index) for v in self.verifiers}
            for n in range(5):
                self.check(f"fresh access token, again ({n + 1}/5)", fresh, "ok", sub)
            for verifier in self.live():
                fetched = proxy.count(verifier.index) - counts[verifier.index]
                self.require(verifier, fetched <= 1, f"fetched the JWKS {fetched} times for 5 tokens within its max-age: it does not cache")

            header, claims, signature = parts(fresh)
            self.check("tampered claims (sub changed)", compact(header, {**claims, "sub": str(uuid.uuid4())}, signature), "invalid")
            flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
            self.check("tampered signature", f"{fresh.rsplit('.', 1)[0]}.{flipped}", "invalid")
            self.check("alg none", compact({**header, "alg": "none"}, claims, ""), "invalid")
            public_jwk = json.dumps(next(k for k in call("GET", f"{self.base}/.well-known/jwks.json")[2]["keys"] if k["kid"] == header["kid"]))
            unsigned = compact({**header, "alg": "HS256"}, claims, "").rstrip(".")
            forged = b64url(hmac.new(public_jwk.encode(), unsigned.encode(), hashlib.sha256).digest())
            self.check("HS256 keyed with the public JWK", f"{unsigned}.{forged}", "invalid")
            self.check("typ swapped to JWT", compact({**header, "typ": "JWT"}, claims, signature), "invalid")
            self.check("refresh token", refresh, "invalid")
            self.check("token for another audience", other_audience, "invalid")
            self.check("token without an audience", no_audience, "invalid")
            self.check("not a token", "not-a-token", "invalid")
            self.check("empty line", "", "invalid")
            counts = {v.index: proxy.count(v.index) for v in self.verifiers}
            for n in range(10):
                kid = str(uuid.uuid4())
                self.check(f"unknown kid {kid}", compact({**header, "kid": kid}, claims, signature), "invalid")
            for verifier in self.live():
                fetched = proxy.count(verifier.index) - counts[verifier.index]
                self.require(verifier, fetched <= 2, f"fetched the JWKS {fetched} times for 10 unknown kids: no refetch cooldown")

            # 4. Staged rotations: publish, wait past max-age, activate, verify both keys.
            tokens = [(f"access token of the first key {header['kid']}", fresh)]
            for alg in args.rotate_alg:
                status, _, rotation = call("POST", f"{self.admin}/keys/rotate", {"mode": "staged", "alg": alg},
                                           token=args.admin_key, expect=(200, 409))
                if status == 409:  # a key is staged already (an earlier run stopped half-way): use it
                    _, _, keys = call("GET", f"{self.admin}/keys", token=args.admin_key)
                    staged = next(k for k in keys["items"] if k["state"] == "next")
                else:
                    staged = rotation["next"]
                kid = staged["kid"]
                if kid not in self.jwks()[1]:
                    raise Failure(f"staged key {kid} is not in the JWKS")
                wait = (age if age is not None else 0) + 1
                print(f"guides: staged {staged['alg']} key {kid}; waiting {wait} s (max-age + 1)", flush=True)
                time.sleep(wait)
                counts = {v.index: proxy.count(v.index) for v in self.verifiers}
                self.check(f"{tokens[-1][0]}, after the staged rotation of {alg}", tokens[-1][1], "ok", sub)
                for verifier in self.live():
                    if age is not None:
                        self.require(verifier, proxy.count(verifier.index) > counts[verifier.index],
                                     f"did not refetch the JWKS after its max-age ({age} s) had passed")
                    self.require(verifier, kid in proxy.last_kids(verifier.index) or age is None,
                                 f"its last JWKS fetch did not hold the staged key {kid}")
                call("POST", f"{self.admin}/keys/{kid}/activate", token=args.admin_key)
                new = self.login()["access"]
                if parts(new)[0]["kid"] != kid:
                    raise Failure(f"after activating {kid}, login signed with {parts(new)[0]['kid']}")
                counts = {v.index: proxy.count(v.index) for v in self.verifiers}
                self.check(f"access token of the new {staged['alg']} key {kid}", new, "ok", sub)
                for label, token in tokens:
                    self.check(f"{label} (retiring now)", token, "ok", sub)
                tokens.append((f"access token of {staged['alg']} key {kid}", new))
                from_cache = [v.name for v in self.live() if not v.failures and proxy.count(v.index) == counts[v.index]]
                print(f"guides: {alg} rotation verified; from cache, with no fetch: {from_cache or 'none'}", flush=True)

            # 5. The token that expired at once.
            expires = parts(short_lived)[1]["exp"] + args.verifier_leeway + 1
            time.sleep(max(0.0, expires - time.time()))
            self.check("expired access token", short_lived, "invalid")
        finally:
            for verifier in self.verifiers:
                verifier.close()
            if proxy:
                proxy.close()
            try:
                self.settings(**original)
            except Failure as error:
                print(f"guides: could not restore the settings: {error}", file=sys.stderr)

        return self.report(started)

    def report(self, started, error=None):
        """Prints what failed; answers the exit status."""
        failed = [v for v in self.verifiers if v.failures]
        for verifier in failed:
            print(f"guides: FAILED {verifier.name}:", file=sys.stderr)
            for failure in verifier.failures:
                print(f"  - {failure}", file=sys.stderr)
            tail = verifier.stderr_tail()
            if tail:
                print("  its stderr:\n    " + tail.replace("\n", "\n    "), file=sys.stderr)
        print(f"guides: {time.monotonic() - started:.1f} s", flush=True)
        if error:
            print(f"guides: FAILED: {error}", file=sys.stderr)
            return 1
        if failed:
            print(f"guides: {len(failed)} of {len(self.verifiers)} verifiers failed", file=sys.stderr)
            return 1
        print(f"guides: {len(self.verifiers)} verifiers passed", flush=True)
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="e.g. http://127.0.0.1:8080")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--admin-key", required=True, help="an admin key that reaches the tenant")
    parser.add_argument("--issuer", required=True, help="the realm's issuer, {GATEHOUSE_PUBLIC_URL}/t/{tenant}/{env}")
    parser.add_argument("--verifier", action="append", required=True, help="a verifier's command line (repeatable)")
    parser.add_argument("--audience", default="guides", help="the audience setting to use (default guides)")
    parser.add_argument("--publish-ahead", type=int, default=8, help="key_publish_ahead to set, seconds (default 8)")
    parser.add_argument("--rotate-alg", action="append", help="the alg of each staged rotation, in order (default EdDSA, RS256)")
    parser.add_argument("--timeout", type=float, default=20, help="seconds to wait for an answer (default 20)")
    parser.add_argument("--start-timeout", type=float, default=300,
                        help="seconds to wait for a verifier's first answer, compile time included (default 300)")
    parser.add_argument("--verifier-leeway", type=float, default=10, help="the largest leeway a verifier may allow (default 10)")
    parser.add_argument("--allow-missing-cache-control", action="store_true",
                        help="go on when the JWKS has no usable max-age (the rotation then rests on unknown-kid refetches)")
    args = parser.parse_args()
    args.rotate_alg = args.rotate_alg or ["EdDSA", "RS256"]
    run, started = Run(args), time.monotonic()
    try:
        return run.main()
    except Failure as error:
        return run.report(started, error)


if __name__ == "__main__":
    sys.exit(main())

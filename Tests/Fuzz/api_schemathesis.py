#!/usr/bin/env python3
"""Schemathesis against Gatehouse's own OpenAPI document, on a live server.

Starts `gatehouse serve` on a fresh database (live_server.py), creates tenants,
environments, users and admin keys, and runs `schemathesis run {base}/openapi.json` over
every operation three times: with a global admin key, with a tenant-scoped one, and with
an invalid one. Path parameters are drawn most of the time from what exists (tenants,
environments, user ids, kids), bodies sometimes carry a real username, password or token,
so that operations get past 404 and 401 to their real answers; destructive operations
(DELETE tenant, environment, user) get victims of their own so that the other operations
keep something to work on. No operation can revoke an admin key, so the runs keep theirs.

Checks: no server error, and every answer conforms to the document (status code, content
type, headers, body schema), and authentication the document declares is enforced.

    python3 Tests/Fuzz/api_schemathesis.py --gatehouse PATH --cluster-url URL [--examples N]

Exit status 0 when every run passed, 1 otherwise.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "st-password-42"

# What must hold for every answer. Left out on purpose: positive_data_acceptance (opaque
# cursors and cross-field rules, e.g. key_publish_ahead < key_rotation_period, cannot be
# written as JSON Schema, so some schema-valid requests are rightly 400) and
# unsupported_method (an undeclared method answers 404, which the contract allows);
# use_after_free and ensure_resource_availability need the stateful phase, which is off:
# schemathesis would chain operations by inferred links and, with shared state, make the
# outcome depend on the order of the runs.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
]


ALL_CHECKS = CHECKS + ["positive_data_acceptance", "unsupported_method", "missing_required_header", "allow_header_conformance",
                      "object_level_authorization", "use_after_free", "ensure_resource_availability"]


def toml_string(value):
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def toml_list(values):
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def setup(server):
    """Tenants, environments, users, admin keys and real tokens; what the config needs."""
    server.create_tenant("st-a", ["prod", "staging"])
    server.create_tenant("st-b", ["prod"])
    server.create_tenant("st-envs", ["prod", "staging", "doomed"])
    server.create_tenant("st-doomed", ["prod"])
    global_key = server.create_admin_key("schemathesis-global")
    scoped_key = server.create_admin_key("schemathesis-scoped", tenant="st-a")
    users, doomed_users = [], []
    for tenant in ("st-a", "st-b"):
        for name in ("alice", "bob"):
            users.append(server.create_user(tenant, name, PASSWORD)["id"])
        doomed_users.append(server.create_user(tenant, "doomed", PASSWORD)["id"])
    # prod without throttles (so answers are not all 429); staging keeps the defaults, so
    # 429 answers are exercised too.
    for tenant in ("st-a", "st-b"):
        server.configure_environment(global_key, tenant, "prod")
    server.admin("POST", "/tenants/st-a/environments/prod/keys/rotate", global_key, {"mode": "staged", "alg": "EdDSA"})
    kids = []
    for tenant, env in [("st-a", "prod"), ("st-a", "staging"), ("st-b", "prod")]:
        kids += [k["kid"] for k in server.admin("GET", f"/tenants/{tenant}/environments/{env}/keys", global_key)["items"]]
    tokens = []
    for tenant, logins in (("st-a", 8), ("st-b", 2)):
        for _ in range(logins):
            status, _, body = server.request("POST", f"/t/{tenant}/prod/api/token/", {"username": "alice", "password": PASSWORD})
            if status != 200:
                raise RuntimeError(f"login at {tenant}/prod: {status} {body[:200]!r}")
            pair = json.loads(body)
            tokens.append(dict(pair, tenant=tenant))
    return {
        "global_key": global_key,
        "scoped_key": scoped_key,
        "users": users,
        "doomed_users": doomed_users,
        "kids": kids,
        "tokens": tokens,
    }


def write_config(path, ctx, admin_key, access_token, examples, seed):
    """schemathesis.toml for one run."""
    checks = "\n".join(f"{name}.enabled = {'true' if name in CHECKS else 'false'}" for name in ALL_CHECKS)
    refresh = [t["refresh"] for t in ctx["tokens"]]
    access = [t["access"] for t in ctx["tokens"]]
    own = [t["refresh"] for t in ctx["tokens"] if t["tenant"] == "st-a"]
    config = f"""
seed = {seed}
headers = {{ Authorization = {toml_string("Bearer " + admin_key)} }}
request-timeout = 30
warnings = false
# A slow CI machine must not turn into a failure of hypothesis' own health checks.
suppress-health-check = ["all"]

[checks]
{checks}

[generation]
max-examples = {examples}
database = "none"

[phases.stateful]
enabled = false

[dictionaries.tenants]
values = {toml_list(["st-a", "st-b"])}
[dictionaries.doomed-tenants]
values = {toml_list(["st-doomed"])}
[dictionaries.environments]
values = {toml_list(["prod", "staging"])}
[dictionaries.doomed-environment-tenants]
values = {toml_list(["st-envs"])}
[dictionaries.doomed-environments]
values = {toml_list(["doomed"])}
[dictionaries.users]
values = {toml_list(ctx["users"])}
[dictionaries.doomed-users]
values = {toml_list(ctx["doomed_users"])}
[dictionaries.kids]
values = {toml_list(ctx["kids"])}
[dictionaries.usernames]
values = {toml_list(["alice", "bob"])}
[dictionaries.passwords]
values = {toml_list([PASSWORD])}
[dictionaries.refresh-tokens]
values = {toml_list(refresh)}
[dictionaries.realm-tenant]
values = {toml_list(["st-a"])}
[dictionaries.realm-environment]
values = {toml_list(["prod"])}
[dictionaries.own-refresh-tokens]
values = {toml_list(own)}
[dictionaries.tokens]
values = {toml_list(refresh + access)}

[parameters]
"path.tenant" = {{ dictionary = "tenants", probability = 0.8 }}
"path.environment" = {{ dictionary = "environments", probability = 0.8 }}
"path.user" = {{ dictionary = "users", probability = 0.7 }}
"path.kid" = {{ dictionary = "kids", probability = 0.6 }}
"body.username" = {{ dictionary = "usernames", probability = 0.5 }}
"body.password" = {{ dictionary = "passwords", probability = 0.5 }}
"body.refresh" = {{ dictionary = "refresh-tokens", probability = 0.4 }}
"body.token" = {{ dictionary = "tokens", probability = 0.5 }}

[[operations]]
include-operation-id = "deleteTenant"
parameters = {{ "path.tenant" = {{ dictionary = "doomed-tenants", probability = 0.8 }} }}

# Environments are deleted only in a tenant of their own: the generated slug may well be
# "prod", and st-a/prod must live on for the realm operations.
[[operations]]
include-operation-id = "deleteEnvironment"
parameters = {{ "path.tenant" = {{ dictionary = "doomed-environment-tenants", probability = 1.0 }}, "path.environment" = {{ dictionary = "doomed-environments", probability = 0.8 }} }}

[[operations]]
include-operation-id = "deleteUser"
parameters = {{ "path.user" = {{ dictionary = "doomed-users", probability = 0.7 }} }}

# The realm's token endpoints mostly in st-a/prod, where the tokens were issued, so that
# refresh, verify, blacklist and logout get past 404 and answer 200 now and then.
[[operations]]
include-operation-id = ["obtainTokenPair", "refreshTokenPair", "verifyToken", "blacklistToken", "logout", "getMe"]
parameters = {{ "path.tenant" = {{ dictionary = "realm-tenant", probability = 0.9 }}, "path.environment" = {{ dictionary = "realm-environment", probability = 0.9 }}, "body.refresh" = {{ dictionary = "own-refresh-tokens", probability = 0.6 }} }}

# The import body is opaque JSON-lines text: a "schema-violating" body is still lines.
[[operations]]
include-operation-id = "importUsers"
checks = {{ negative_data_rejection = {{ enabled = false }} }}

[[operations]]
include-operation-id = ["getMe", "logout"]
headers = {{ Authorization = {toml_string("Bearer " + access_token)} }}
"""
    with open(path, "w") as f:
        f.write(config)


SUMMARY = re.compile(r"(\d+) generated(?:, (\d+) found (\d+) unique failures)?(?:, (\d+) errored)?(?:, (\d+) skipped)?")


def run_schemathesis(base, schema, config, label, report_dir, workers, timeout):
    """One `schemathesis run`; (exit code, seconds, summary line, output)."""
    env = dict(os.environ, SCHEMATHESIS_HOOKS=os.path.join(HERE, "schemathesis_hooks.py"), NO_COLOR="1")
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", config, "run", schema or f"{base}/openapi.json", "--url", base,
        "--phases", "examples,coverage,fuzzing",
        "--workers", str(workers),
        "--continue-on-failure",
        "--max-failures", "500",
        "--report", "junit,har" if os.environ.get("GATEHOUSE_FUZZ_HAR") else "junit",
        "--report-har-path", os.path.join(report_dir, f"{label}.har"),
        "--report-junit-path", os.path.join(report_dir, f"{label}.xml"),
        "--no-color",
    ]
    started = time.monotonic()
    try:
        result = subprocess.run(command, env=env, cwd=report_dir, capture_output=True, text=True, timeout=timeout)
        code, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired as error:
        code, output = -1, f"schemathesis did not finish within {timeout} s\n" + (error.stdout or b"").decode("utf-8", "replace")
    elapsed = time.monotonic() - started
    match = None
    for line in output.splitlines():
        if "generated" in line and "Test cases" not in line:
            match = line.strip()
    return code, elapsed, match or "(no summary)", output


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gatehouse", required=True, help="the gatehouse executable")
    parser.add_argument("--cluster-url", default=os.environ.get("GATEHOUSE_TEST_DATABASE_URL"))
    parser.add_argument("--examples", type=int, default=25, help="most generated cases per operation and phase (global key; fewer for the others)")
    parser.add_argument("--report-har", action="store_true", help="also write HAR files of every exchange (large)")
    parser.add_argument("--seed", type=int, default=20240601)
    # One worker: with two, hypothesis can trip over CPython 3.11's thread-unsafe AST
    # recursion counter ("AST constructor recursion depth mismatch") and report an error.
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--schema", help="test this OpenAPI file instead of the served /openapi.json (while editing it)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one schemathesis run may take")
    parser.add_argument("--output", help="keep the runs' output and JUnit reports in this folder")
    args = parser.parse_args()
    if not args.cluster_url:
        parser.error("--cluster-url or GATEHOUSE_TEST_DATABASE_URL is required")
    if args.report_har:
        os.environ["GATEHOUSE_FUZZ_HAR"] = "1"
    if shutil.which("psql") is None:
        parser.error("psql is required")

    report_dir = args.output or tempfile.mkdtemp(prefix="gatehouse-schemathesis-")
    os.makedirs(report_dir, exist_ok=True)
    started = time.monotonic()
    server = LiveServer(args.gatehouse, args.cluster_url, label="st")
    try:
        return run(args, report_dir, started, server)
    except Exception:
        print(f"schemathesis: ERROR: the run broke off; the server's log ({server.log_file.name}) ends:\n{server.log_tail()}")
        raise


def run(args, report_dir, started, server):
    results = []
    with server:
        ctx = setup(server)
        access = ctx["tokens"][0]["access"]
        invalid = "gh_00000000000000000000000000000000_" + "A" * 43
        # The global key reaches everything and gets the most cases; a scoped key mostly
        # meets 403 outside its tenant, an invalid one 401 on every admin operation.
        runs = [
            ("global-key", ctx["global_key"], access, args.examples),
            ("scoped-key", ctx["scoped_key"], access, max(1, args.examples * 3 // 5)),
            ("invalid-key", invalid, "not-a-token", max(1, args.examples * 2 // 5)),
        ]
        for label, key, token, examples in runs:
            log(f"schemathesis: {label} run, at most {examples} cases per operation and phase")
            config = os.path.join(report_dir, f"{label}.toml")
            write_config(config, ctx, key, token, examples, args.seed)
            code, elapsed, summary, output = run_schemathesis(server.base, args.schema, config, label, report_dir, args.workers, args.timeout)
            with open(os.path.join(report_dir, f"{label}.log"), "w") as f:
                f.write(output)
            alive = server.alive()
            results.append((label, code, elapsed, summary, output, alive))
            if not alive:
                break
        status, _, _ = server.request("GET", "/readyz") if server.alive() else (None, None, None)
        log_tail = server.log_tail()

    failed = 0
    for label, code, elapsed, summary, output, alive in results:
        ok = code == 0 and alive
        failed += not ok
        print(f"schemathesis {label}: {'passed' if ok else 'FAILED'} in {elapsed:.0f} s: {summary}")
        if not ok:
            # The failures section, as schemathesis wrote it.
            marks = [i for i in (output.find("=== ERRORS ==="), output.find("=== FAILURES ===")) if i >= 0]
            start = output.rfind("\n", 0, min(marks)) + 1 if marks else 0
            print(output[start:][:20000])
        if not alive:
            print("  the server died; its log ends:\n" + log_tail)
    if status != 200:
        print(f"schemathesis: /readyz answered {status} after the runs")
        failed += 1
    total = time.monotonic() - started
    print(f"schemathesis: {'passed' if not failed else 'FAILED'}: {len(results) - failed}/{len(results)} runs passed in {total:.0f} s"
          f" (reports in {report_dir})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""A live Gatehouse for the fuzzers: a fresh database on an existing PostgreSQL cluster,
`gatehouse migrate`, `gatehouse serve` on a free port of 127.0.0.1, and the CLI and the
admin API to set realms up. Standard library only.

    with LiveServer(binary, cluster_url, label="jwt") as server:
        tenant = server.cli("tenant", "create", "acme", "--env", "prod")
        key = server.cli("admin-key", "create", "--name", "fuzz").splitlines()[-1]
        status, headers, body = server.request("GET", "/readyz")

Every wait has a timeout; the server is stopped and the database dropped on exit, also
when the body raises.
"""

import base64
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def database_url(cluster_url, name):
    """`cluster_url` (a libpq URI) with its database replaced by `name`."""
    parts = urllib.parse.urlsplit(cluster_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"live_server: expected a postgresql:// URI, got {cluster_url!r}")
    # urlunsplit would drop the empty authority of postgresql:///db?host=/socket
    return f"{parts.scheme}://{parts.netloc}/{name}" + (f"?{parts.query}" if parts.query else "")


def run_checked(argv, stdin=None, timeout=60, env=None, what=None):
    """Runs `argv`; returns its stdout, raises with its stderr when it fails."""
    result = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{what or argv[0]} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def psql(url, sql, timeout=60):
    """Runs one statement with psql on `url`; returns stdout (tuples only, unaligned)."""
    return run_checked(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-tA", "-d", url, "-f", "-"], stdin=sql, timeout=timeout)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """One `gatehouse serve` on a database of its own (see the module's docstring)."""

    def __init__(self, binary, cluster_url, label="fuzz", startup_timeout=90):
        self.binary = binary
        self.cluster_url = cluster_url
        self.database = f"fuzz_{label}_{os.getpid()}_{secrets.token_hex(4)}"
        self.url = database_url(cluster_url, self.database)
        self.startup_timeout = startup_timeout
        self.process = None
        self.port = None
        self.master_key = base64.b64encode(secrets.token_bytes(32)).decode()
        # The server's log: in $GATEHOUSE_FUZZ_LOGS when set (deploy/fuzz.sh keeps it when a
        # fuzzer fails), else in the temporary folder.
        self.log_file = tempfile.NamedTemporaryFile(
            prefix=f"gatehouse-{label}-", suffix=".log", delete=False, dir=os.environ.get("GATEHOUSE_FUZZ_LOGS") or None
        )
        self.environ = dict(
            os.environ,
            GATEHOUSE_DATABASE_URL=self.url,
            GATEHOUSE_MASTER_KEY=self.master_key,
            GATEHOUSE_SQL_DIR=os.path.join(REPO, "sql"),
        )
        self.environ.pop("GATEHOUSE_PUBLIC_URL", None)
        self.environ.pop("GATEHOUSE_TRUSTED_PROXIES", None)

    # -- life --------------------------------------------------------------------------

    def __enter__(self):
        # SIGTERM (a CI timeout, the script's trap) unwinds like an exception, so the server
        # is stopped and the database dropped.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            psql(self.cluster_url, f'CREATE DATABASE "{self.database}"')
            self.cli("migrate")
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        """Starts `gatehouse serve` on a free port and waits (bounded) for /readyz."""
        for attempt in range(5):
            self.port = free_port()
            self.process = subprocess.Popen(
                [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.environ,
                stdin=subprocess.DEVNULL,
                stdout=self.log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            pids = os.environ.get("GATEHOUSE_FUZZ_PIDS")
            if pids:  # deploy/fuzz.sh stops what a killed fuzzer could not
                with open(pids, "a") as f:
                    f.write(f"{self.process.pid}\n")
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    status, _, _ = self.request("GET", "/readyz", timeout=2)
                    if status == 200:
                        return
                except OSError:
                    pass
                time.sleep(0.1)
            if self.process.poll() is None:
                self.stop()
                raise RuntimeError(f"gatehouse serve not ready within {self.startup_timeout}s; log: {self.log_file.name}")
            # Exited: most likely the port was taken between free_port() and bind; try another.
            log(f"live_server: serve exited with {self.process.returncode} (attempt {attempt + 1}); log: {self.log_file.name}")
        raise RuntimeError(f"gatehouse serve would not start; log: {self.log_file.name}")

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=15)
        self.process = None

    def close(self):
        self.stop()
        try:
            psql(self.cluster_url, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except Exception as error:  # the cluster goes away with the run anyway
            log(f"live_server: could not drop {self.database}: {error}")

    def cpu_seconds(self):
        """User + system CPU time the server used so far (Linux), or None."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, AttributeError, IndexError, ValueError):
            return None

    def log_tail(self, lines=40):
        try:
            with open(self.log_file.name, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    # -- command line -----------------------------------------------------------------

    def cli(self, *args, stdin=None, timeout=120):
        """Runs `gatehouse ARGS...` on this database; returns stdout, raises on failure."""
        return run_checked([self.binary, *args], stdin=stdin, timeout=timeout, env=self.environ, what=f"gatehouse {' '.join(args)}")

    def sql(self, statement):
        return psql(self.url, statement)

    # -- HTTP --------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One request on a new connection; JSON-encodes dict bodies. (status, headers, bytes)."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def admin(self, method, path, key, body=None, expect=(200, 201, 204)):
        """An admin API call that must succeed; returns the decoded JSON answer (or None)."""
        status, _, data = self.request(method, "/admin/v1" + path, body, {"Authorization": f"Bearer {key}"})
        if status not in expect:
            raise RuntimeError(f"{method} /admin/v1{path} answered {status}: {data[:500]!r}")
        return json.loads(data) if data else None

    # -- realms ------------------------------------------------------------------------

    def create_tenant(self, slug, environments):
        self.cli("tenant", "create", slug, *[arg for env in environments for arg in ("--env", env)])

    def create_admin_key(self, name, tenant=None):
        args = ["admin-key", "create", "--name", name] + (["--tenant", tenant] if tenant else [])
        return self.cli(*args).strip().splitlines()[-1].strip()

    def create_user(self, tenant, username, password, role=None):
        args = ["user", "create", "--tenant", tenant, username, "--password-stdin"] + (["--role", role] if role else [])
        return json.loads(self.cli(*args, stdin=password + "\n").strip().splitlines()[-1])

    def configure_environment(self, key, tenant, environment, algorithm=None, **settings):
        """PATCHes `settings` (throttles off unless given) and, for `algorithm`, rotates
        immediately to a key of that algorithm and retires nothing (the old key stays
        `retiring`)."""
        settings.setdefault("throttle_anon", None)
        settings.setdefault("throttle_user", None)
        if algorithm:
            settings["algorithm"] = algorithm
        self.admin("PATCH", f"/tenants/{tenant}/environments/{environment}", key, {"settings": settings})
        if algorithm:
            self.admin(
                "POST",
                f"/tenants/{tenant}/environments/{environment}/keys/rotate",
                key,
                {"mode": "immediate", "alg": algorithm},
            )

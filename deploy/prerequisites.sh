#!/usr/bin/env bash
# Installs what building, testing and running Gatehouse needs (as root, with apt), or
# says exactly what to install. Idempotent: does nothing when everything is there.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists libpq 2>/dev/null; then missing+=(libpq-dev); fi
if ! pkg-config --exists libargon2 2>/dev/null; then missing+=(libargon2-dev); fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The resource-server guides and the JavaScript client's tests (docs/guides, clients/js):
# Node (its built-in test runner, crypto and fetch) and Go (standard library only).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
# PyJWT, for the test that verifies our tokens as a third-party library would, and
# headless Chromium with its driver and selenium, for the browser test: Debian's.
for package in python3-jwt python3-cryptography python3-selenium chromium chromium-driver; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "prerequisites: installing ${missing[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "prerequisites: missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "prerequisites: the Swift toolchain (6.2 or newer) is not on PATH" >&2
  exit 1
fi

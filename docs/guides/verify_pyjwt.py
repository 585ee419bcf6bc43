#!/usr/bin/python3
"""Verify Gatehouse access tokens in a Python resource server, with PyJWT.

What a resource server must check before it trusts `Authorization: Bearer <token>`:

* the signature, with the realm's public key named by the header's `kid`, fetched from
  `{issuer}/.well-known/jwks.json`; the algorithm is the key's own (`alg` in the JWK),
  never whatever the token's header asks for (`none`, `HS256` keyed with a public key...);
* header `typ` is `at+jwt` (RFC 9068): refresh tokens (`typ: JWT`) are not access tokens;
* `iss` is the realm's issuer, `aud` the environment's `audience` setting;
* `exp` (and `nbf` if present) with a small leeway for clock skew;
* claim `token_type` is `"access"`.

Keys: the JWKS is kept in memory for as long as its `Cache-Control: max-age=N` says
(Gatehouse sends N well under the environment's `key_publish_ahead`, so a new key is in
every honest cache before it signs anything). A `kid` that is not in the cached set
triggers at most one refetch per REFETCH_COOLDOWN seconds, so made-up kids cannot turn
the verifier into a JWKS flood.

Needs PyJWT >= 2.6 with `cryptography` (Debian: `apt-get install python3-jwt`).

As a program (what docs/guides/run_guides.py drives): reads one token per line on stdin,
prints `ok <sub>` or `invalid <reason>` per line:

    /usr/bin/python3 verify_pyjwt.py --jwks-url URL --issuer ISS --audience AUD

In an app: build one `AccessTokenVerifier` at start-up and call `verify(token)` per request.
"""

import argparse
import json
import re
import sys
import threading
import time
import urllib.request

import jwt
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientError

LEEWAY = 10  # seconds of clock skew accepted on exp/nbf/iat
DEFAULT_MAX_AGE = 300  # when the JWKS answer carries no Cache-Control max-age
REFETCH_COOLDOWN = 10  # seconds between refetches caused by an unknown kid
ALGORITHMS = {"ES256", "EdDSA", "RS256"}  # asymmetric only: HS256 secrets are never published


class CachingJWKClient(PyJWKClient):
    """PyJWKClient that keeps the JWKS for the answer's `max-age` instead of a fixed
    lifespan, and rate-limits the refetch that an unknown `kid` causes."""

    def __init__(self, uri: str, timeout: float = 5.0):
        super().__init__(uri, cache_keys=False, cache_jwk_set=True, lifespan=DEFAULT_MAX_AGE)
        self.timeout = timeout
        self.last_fetch = float("-inf")  # time.monotonic() of the last fetch
        self.last_good = None  # the last JWKS fetched, served while the endpoint fails
        self.lock = threading.Lock()  # one fetch at a time when used from many threads

    def fetch_data(self):
        self.last_fetch = time.monotonic()
        request = urllib.request.Request(self.uri, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = json.load(response)
                max_age = parse_max_age(response.headers.get("Cache-Control"))
        except Exception as error:  # network, HTTP status, JSON
            if self.last_good is None:
                raise PyJWKClientError(f"cannot fetch JWKS: {error}") from error
            data, max_age = self.last_good, REFETCH_COOLDOWN  # keep the old keys, retry later
        self.last_good = data
        self.jwk_set_cache.lifespan = max_age
        self.jwk_set_cache.put(data)
        return data

    def get_signing_key(self, kid: str):
        with self.lock:
            key = self.match_kid(self.get_signing_keys(), kid)  # refetches once max-age has passed
            if key is None and time.monotonic() - self.last_fetch >= REFETCH_COOLDOWN:
                key = self.match_kid(self.get_signing_keys(refresh=True), kid)
        if key is None:
            raise PyJWKClientError("unknown kid")
        return key


def parse_max_age(cache_control):
    """Seconds from `Cache-Control: ..., max-age=N`; no-store/no-cache mean 0; absent: default."""
    if not cache_control:
        return DEFAULT_MAX_AGE
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", cache_control, re.IGNORECASE)
    if match:
        return int(match.group(1))
    if re.search(r"no-store|no-cache", cache_control, re.IGNORECASE):
        return 0
    return DEFAULT_MAX_AGE


class InvalidToken(Exception):
    pass


class AccessTokenVerifier:
    def __init__(self, jwks_url: str, issuer: str, audience: "str | None"):
        self.jwks = CachingJWKClient(jwks_url)
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> dict:
        """The token's claims if it is a valid access token, else raises InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"malformed: {error}") from error
        if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise InvalidToken("typ is not at+jwt")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("no kid")
        try:
            key = self.jwks.get_signing_key(kid)
        except jwt.PyJWTError as error:  # unknown kid, JWKS unreachable or unusable
            raise InvalidToken(str(error)) from error
        alg = key._jwk_data.get("alg")  # the key's own algorithm, never the header's choice
        if alg not in ALGORITHMS or header.get("alg") != alg:
            raise InvalidToken("alg does not match the key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                issuer=self.issuer,
                audience=self.audience,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "sub", "token_type"] + (["aud"] if self.audience else [])},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error) or type(error).__name__) from error
        if claims.get("token_type") != "access":
            raise InvalidToken("token_type is not access")
        return claims


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jwks-url", required=True, help="{issuer}/.well-known/jwks.json")
    parser.add_argument("--issuer", required=True, help="{public url}/t/{tenant}/{env}")
    parser.add_argument("--audience", help="the environment's audience setting (omit if it has none)")
    args = parser.parse_args()
    verifier = AccessTokenVerifier(args.jwks_url, args.issuer, args.audience)
    for line in sys.stdin:
        token = line.strip()
        try:
            claims = verifier.verify(token)
            answer = f"ok {claims['sub']}"
        except InvalidToken as error:
            answer = "invalid " + " ".join(str(error).split())[:200]
        print(answer, flush=True)


if __name__ == "__main__":
    main()

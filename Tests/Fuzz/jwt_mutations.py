#!/usr/bin/env python3
"""JWT mutation fuzzer for Gatehouse's realm API.

Starts `gatehouse serve` on a fresh database of an existing cluster (live_server.py), builds
realms of every algorithm (ES256, EdDSA, RS256, HS256) in two tenants and several
environments, logs real users in, and sends mutants of their real tokens to verify, me,
refresh and blacklist:

  forgery     no key: bit flips of the decoded header, payload and signature; character
              substitutions; truncations; re-encodings; header swaps (alg incl. none and
              HS256 keyed with the public key, typ, kid, crit, jwk/jku/x5u); claim swaps
              (exp, iat, nbf, token_type, iss, sub/user_id, aud, jti) kept with the old
              signature, unsigned, or signed by an attacker's own key; splices of tokens
  realm       unmodified real tokens of every other realm (other tenant, other environment)
  state       real tokens of a revoked user and of a deactivated user
  keyholder   tokens signed with the realm's real private key (opened from the database with
              the master key this run chose) whose claims or header the contract refuses:
              exp past, iat/nbf in the future, typ/token_type disagreeing, foreign iss, aud,
              sub != user_id, unknown users, crit, alg spelled otherwise, keys in state
              next/retired/revoked, keys of other realms. Refresh-type ones carry a jti of
              their own recorded as outstanding, so that only the mutation can refuse them.

Every mutant must be refused (400 or 401, never a 2xx or 5xx). A mutant whose header,
payload and signature decode (leniently) to the original's bytes is not a forgery and is
never sent. Unmodified control tokens (real ones, and key-holder re-signings of real
claims) must be accepted, before, during and after the run, so the harness proves it can
see an acceptance.

    python3 Tests/Fuzz/jwt_mutations.py --gatehouse PATH --cluster-url URL [--seed N]

Exit status 0 when every mutant was refused and every control accepted, 1 otherwise.
"""

import argparse
import base64
import binascii
import collections
import hashlib
import hmac
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_server import LiveServer, log  # noqa: E402

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
LEEWAY = 30

# --------------------------------------------------------------------------------------
# JWS helpers


def b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text):
    """Lenient base64url: either alphabet, padding optional, junk characters skipped and
    unused low bits ignored (Python's non-strict decoder). None when it cannot decode."""
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError:
            return None
    text = text.replace(b"-", b"+").replace(b"_", b"/").rstrip(b"=")
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def parts_of(token):
    """(header, payload, signature) bytes, leniently decoded; None when not three parts
    that decode."""
    pieces = token.split(".")
    if len(pieces) != 3:
        return None
    decoded = tuple(b64d(p) for p in pieces)
    return None if None in decoded else decoded


def without(d, *names):
    return {k: v for k, v in d.items() if k not in names}


def jdump(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


class Key:
    """A private key the harness signs with: a realm's real one or an attacker's."""

    def __init__(self, alg, kid, material):
        self.alg = alg
        self.kid = kid
        self.material = material  # cryptography private key, or bytes for HS256

    def sign(self, signing_input):
        return sign(self.alg, self.material, signing_input)

    def public_jwk(self):
        if self.alg == "HS256":
            return None
        public = self.material.public_key()
        if self.alg == "ES256":
            numbers = public.public_numbers()
            return {"kty": "EC", "crv": "P-256", "x": b64e(numbers.x.to_bytes(32, "big")), "y": b64e(numbers.y.to_bytes(32, "big"))}
        if self.alg == "EdDSA":
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64e(raw)}
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": b64e(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")), "e": b64e(numbers.e.to_bytes(3, "big"))}


def sign(alg, material, signing_input):
    if alg in ("HS256", "HS384", "HS512"):
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        return hmac.new(material, signing_input, digest).digest()
    if alg == "ES256":
        r, s = utils.decode_dss_signature(material.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "EdDSA":
        return material.sign(signing_input)
    if alg == "RS256":
        return material.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    raise ValueError(alg)


def make_token(header, payload, key=None, signature=None, raw_header=None, raw_payload=None):
    """A compact JWS: header and payload (dicts, or raw bytes), signed with `key` or given
    `signature` bytes (b"" for an empty signature)."""
    h = b64e(raw_header if raw_header is not None else jdump(header))
    p = b64e(raw_payload if raw_payload is not None else jdump(payload))
    signing_input = f"{h}.{p}".encode()
    if key is not None:
        signature = key.sign(signing_input)
    return f"{h}.{p}.{b64e(signature or b'')}"


# --------------------------------------------------------------------------------------
# Pipelined HTTP/1.1 client: a few keep-alive connections, each with batches in flight.


HEADER_LINE = re.compile(rb"\r\n([A-Za-z0-9-]+):[ \t]*([^\r]*)")
ERROR_CODE = re.compile(rb'"code"\s*:\s*"([A-Za-z_]*)"')


class ConnectionLost(Exception):
    pass


class Pipe:
    def __init__(self, port, timeout=30):
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.buf = bytearray()
        self.reconnects = -1

    def connect(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.reconnects += 1

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionLost()
        self.buf += chunk

    def read_response(self):
        """(status, body bytes, close?) of the next response on the connection."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        head = bytes(self.buf[:end])
        del self.buf[: end + 4]
        status = int(head[9:12])
        headers = {}
        for match in HEADER_LINE.finditer(head):
            headers[match.group(1).lower()] = match.group(2)
        close = headers.get(b"connection", b"").lower() == b"close"
        if b"content-length" in headers:
            length = int(headers[b"content-length"])
            while len(self.buf) < length:
                self._fill()
            body = bytes(self.buf[:length])
            del self.buf[:length]
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = bytearray()
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                line_end = self.buf.find(b"\r\n")
                size = int(bytes(self.buf[:line_end]).split(b";")[0], 16)
                del self.buf[: line_end + 2]
                while len(self.buf) < size + 2:
                    self._fill()
                body += self.buf[:size]
                del self.buf[: size + 2]
                if size == 0:
                    break
            body = bytes(body)
        elif status in (204, 205, 304) or status < 200:
            body = b""
        else:  # until close
            try:
                while True:
                    self._fill()
            except ConnectionLost:
                pass
            body, self.buf, close = bytes(self.buf), bytearray(), True
        return status, body, close

    def exchange(self, requests):
        """Sends `requests` (bytes) pipelined; returns their (status, body) in order. A
        connection the server closes is reopened and the unanswered requests resent."""
        answers = []
        attempts = 0
        while len(answers) < len(requests):
            if self.sock is None:
                self.connect()
            try:
                self.sock.sendall(b"".join(requests[len(answers):]))
                while len(answers) < len(requests):
                    status, body, close = self.read_response()
                    answers.append((status, body))
                    if close:
                        self.sock.close()
                        self.sock = None
                        break
            except (ConnectionLost, ConnectionResetError, BrokenPipeError) as error:
                attempts += 1
                if attempts > 5:
                    raise RuntimeError(f"connection lost 5 times in one batch: {error!r}")
                self.sock = None
        return answers


# --------------------------------------------------------------------------------------
# Cases


VERIFY, ME, REFRESH, BLACKLIST = "verify", "me", "refresh", "blacklist"
REJECT, ACCEPT = "reject", "accept"


class Realm:
    def __init__(self, tenant, env, alg, audience=None):
        self.tenant, self.env, self.alg, self.audience = tenant, env, alg, audience
        self.name = f"{tenant}/{env}"
        self.base = f"/t/{tenant}/{env}"
        self.keys = {}  # state -> [Key]
        self.jwks = None
        self.environment_id = None
        self.tenant_id = None
        self.issuer = None

    def active(self):
        return self.keys["active"][0]


class Case:
    __slots__ = ("endpoint", "realm", "token", "expect", "category", "detail", "form", "allowed")

    def __init__(self, endpoint, realm, token, expect, category, detail, form=False, allowed=(400, 401)):
        self.endpoint, self.realm, self.token, self.expect = endpoint, realm, token, expect
        self.category, self.detail, self.form, self.allowed = category, detail, form, allowed


HEADER_SAFE = set(range(0x21, 0x7F))


def header_safe(token):
    try:
        return all(b in HEADER_SAFE for b in token.encode("ascii"))
    except UnicodeEncodeError:
        return False


def build_request(case, host):
    path = {VERIFY: "/api/token/verify/", ME: "/api/me/", REFRESH: "/api/token/refresh/", BLACKLIST: "/api/token/blacklist/"}[case.endpoint]
    target = case.realm.base + path
    if case.endpoint == ME:
        return f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {case.token}\r\n\r\n".encode("ascii")
    field = "token" if case.endpoint == VERIFY else "refresh"
    if case.form:
        body = f"{field}={urllib.parse.quote(case.token, safe='')}".encode("ascii")
        media = "application/x-www-form-urlencoded"
    else:
        body = json.dumps({field: case.token}).encode("ascii")
        media = "application/json"
    return (
        f"POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {media}\r\nContent-Length: {len(body)}\r\n\r\n".encode("ascii") + body
    )


def judge(case, status, body):
    """None when the answer is right for the case, else why not."""
    if case.expect == ACCEPT:
        if status != 200:
            return f"control refused: {status}"
        return None
    if 200 <= status < 300:
        return f"ACCEPTED ({status})"
    if status >= 500:
        return f"server error {status}"
    if status not in case.allowed:
        return f"unexpected status {status}"
    if status in (0, 413):
        return None
    match = ERROR_CODE.search(body)
    if match is None:
        return f"{status} without an error code"
    if match.group(1) not in ALLOWED_CODES[status]:
        return f"{status} with code {match.group(1).decode()!r}"
    return None


ALLOWED_CODES = {400: {b"invalid_request"}, 401: {b"token_not_valid", b"not_authenticated"}}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()  # (category, endpoint, expect) -> n
        self.statuses = collections.Counter()  # (expect, endpoint, status) -> n
        self.failures = []  # (case, status, body, why)
        self.reconnects = 0

    def add(self, case, status, body):
        why = judge(case, status, body)
        with self.lock:
            self.counts[(case.category, case.endpoint, case.expect)] += 1
            self.statuses[(case.expect, case.endpoint, status)] += 1
            if why:
                self.failures.append((case, status, body[:300], why))

    def merge(self, other):
        with self.lock:
            self.counts.update(other.counts)
            self.statuses.update(other.statuses)
            self.failures.extend(other.failures)


def run_cases(port, cases, tally, connections=4, batch=32):
    host = f"127.0.0.1:{port}"
    shards = [cases[i::connections] for i in range(connections)]
    errors = []

    def work(shard):
        pipe = Pipe(port)
        local = collections.Counter(), collections.Counter(), []
        try:
            for start in range(0, len(shard), batch):
                chunk = shard[start : start + batch]
                answers = pipe.exchange([build_request(c, host) for c in chunk])
                for case, (status, body) in zip(chunk, answers):
                    local[0][(case.category, case.endpoint, case.expect)] += 1
                    local[1][(case.expect, case.endpoint, status)] += 1
                    if status != 401 and case.expect == REJECT:
                        local[1][("non-401", case.detail.split(" ")[0], status)] += 1
                    why = judge(case, status, body)
                    if why:
                        local[2].append((case, status, body[:300], why))
        except Exception as error:  # reported; the run fails
            errors.append(repr(error))
        finally:
            with tally.lock:
                tally.counts.update(local[0])
                tally.statuses.update(local[1])
                tally.failures.extend(local[2])
            with tally.lock:
                tally.reconnects += max(0, pipe.reconnects)
            if pipe.sock is not None:
                pipe.sock.close()

    threads = [threading.Thread(target=work, args=(shard,), daemon=True) for shard in shards if shard]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
        if t.is_alive():
            errors.append("a worker did not finish within 900 s")
    return errors


# --------------------------------------------------------------------------------------
# Mutations of one token, without any key


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
SPECIALS = ["=", "+", "/", ".", " ", "%", "\\", "\"", "\u00e9", "\x00", "\t", "~", "*"]


class Source:
    """A real token to mutate, with what the harness knows about it."""

    def __init__(self, realm, kind, token, user_id):
        self.realm, self.kind, self.token, self.user_id = realm, kind, token, user_id
        pieces = token.split(".")
        self.h64, self.p64, self.s64 = pieces
        self.header = json.loads(b64d(self.h64))
        self.payload = json.loads(b64d(self.p64))
        self.signature = b64d(self.s64)
        self.parts = parts_of(token)


def bitflips(src, rng, payload_fraction):
    """Every bit of the decoded header and signature, a share of the payload's bits."""
    for index, (name, data) in enumerate(zip(("header", "payload", "signature"), src.parts)):
        bits = range(len(data) * 8)
        if name == "payload" and payload_fraction < 1:
            bits = sorted(rng.sample(list(bits), int(len(bits) * payload_fraction)))
        for bit in bits:
            flipped = bytearray(data)
            flipped[bit // 8] ^= 1 << (bit % 8)
            segments = [src.h64, src.p64, src.s64]
            segments[index] = b64e(bytes(flipped))
            yield f"bitflip.{name}", ".".join(segments)


def substitutions(src, rng):
    """Each character of the token replaced by another base64url character, and a share of
    positions by a character outside the alphabet."""
    token = src.token
    for i, c in enumerate(token):
        if c == ".":
            yield "charsub.dot", token[:i] + rng.choice(ALPHABET) + token[i + 1 :]
            continue
        other = rng.choice(ALPHABET.replace(c, ""))
        yield "charsub.alphabet", token[:i] + other + token[i + 1 :]
        if i % 7 == 0:
            yield "charsub.special", token[:i] + rng.choice(SPECIALS) + token[i + 1 :]


def truncations(src, rng):
    token = src.token
    for n in range(len(token)):
        yield "truncate.prefix", token[:n]
    for n in range(1, len(token), 5):
        yield "truncate.suffix", token[n:]
    h, p, s = src.h64, src.p64, src.s64
    for label, t in [
        ("drop.signature", f"{h}.{p}."),
        ("drop.signature-dot", f"{h}.{p}"),
        ("drop.payload", f"{h}..{s}"),
        ("drop.header", f".{p}.{s}"),
        ("extra.part", f"{h}.{p}.{s}.{s}"),
        ("extra.dot", f"{h}.{p}.{s}."),
        ("extra.leading-dot", f".{h}.{p}.{s}"),
        ("swap.header-payload", f"{p}.{h}.{s}"),
        ("repeat.header", f"{h}.{h}.{s}"),
        ("jwe-shape", f"{h}.{p}.{s}.{s}.{s}"),
        ("half.signature", f"{h}.{p}.{s[: len(s) // 2]}"),
        ("double.signature", f"{h}.{p}.{s}{s}"),
        ("signature-of-zeros", f"{h}.{p}.{b64e(bytes(len(src.signature)))}"),
        ("signature-of-ones", f"{h}.{p}.{b64e(bytes([255]) * len(src.signature))}"),
        ("signature-one-byte", f"{h}.{p}.AA"),
    ]:
        yield f"truncate.{label}", t


def reencodings(src):
    """The same header and payload written differently (the signature no longer matches the
    bytes it signs), and other encodings of the parts."""
    h, p, s = src.h64, src.p64, src.s64
    header, payload = src.header, src.payload
    variants = {
        "json.spaced": (json.dumps(header).encode(), json.dumps(payload).encode()),
        "json.indented": (json.dumps(header, indent=1).encode(), json.dumps(payload, indent=1).encode()),
        "json.sorted": (jdump(dict(sorted(header.items()))), jdump(dict(sorted(payload.items())))),
        "json.reversed": (jdump(dict(reversed(list(header.items())))), jdump(dict(reversed(list(payload.items()))))),
        "json.escaped": (json.dumps(header, ensure_ascii=True).replace("a", "\\u0061").encode(), b64d(p)),
        "json.trailing-space": (b64d(h) + b" ", b64d(p) + b"\n"),
        "json.bom": (b"\xef\xbb\xbf" + b64d(h), b64d(p)),
        "json.duplicate-alg": (b64d(h)[:-1] + b',"alg":"none"}', b64d(p)),
        "json.duplicate-kid": (b64d(h)[:-1] + b',"kid":"x"}', b64d(p)),
        "json.duplicate-exp": (b64d(h), b64d(p)[:-1] + b',"exp":9999999999}'),
        "json.duplicate-sub": (b64d(h), b64d(p)[:-1] + b',"sub":"00000000-0000-0000-0000-000000000000"}'),
        "json.array": (b"[" + b64d(h) + b"]", b64d(p)),
        "json.nul": (b64d(h)[:-1] + b',"x":"\\u0000"}', b64d(p)),
        "json.utf16": (b64d(h).decode().encode("utf-16"), b64d(p)),
    }
    for label, (hb, pb) in variants.items():
        for sig in (s, ""):
            yield f"reencode.{label}", f"{b64e(hb)}.{b64e(pb)}.{sig}" if sig else f"{b64e(hb)}.{b64e(pb)}."
    # Alphabet and padding: lenient decoding makes most of these no-ops, which are skipped.
    yield "reencode.standard-alphabet", src.token.replace("-", "+").replace("_", "/")
    yield "reencode.padded", ".".join(x + "=" * (-len(x) % 4) for x in (h, p, s))
    yield "reencode.upper", src.token.upper()
    yield "reencode.lower", src.token.lower()
    yield "reencode.swapcase", src.token.swapcase()
    yield "reencode.reversed", src.token[::-1]
    yield "reencode.whitespace-inside", f"{h}. {p}.{s}"
    yield "reencode.percent", urllib.parse.quote(src.token, safe="")
    yield "reencode.double-b64", f"{b64e(h.encode())}.{b64e(p.encode())}.{s}"
    yield "reencode.bearer-prefix", "Bearer " + src.token
    yield "reencode.json-quoted", json.dumps(src.token)
    if src.header.get("alg") == "ES256":
        r, s_int = int.from_bytes(src.signature[:32], "big"), int.from_bytes(src.signature[32:], "big")
        yield "reencode.es256-der", f"{h}.{p}.{b64e(utils.encode_dss_signature(r, s_int))}"
        yield "reencode.es256-r-only", f"{h}.{p}.{b64e(src.signature[:32])}"
        yield "reencode.es256-s-r", f"{h}.{p}.{b64e(src.signature[32:] + src.signature[:32])}"
        yield "reencode.es256-zero-r", f"{h}.{p}.{b64e(bytes(32) + src.signature[32:])}"
        yield "reencode.es256-r-plus-n", f"{h}.{p}.{b64e((r + P256_ORDER).to_bytes(33, 'big') + src.signature[32:])}"


class Swapper:
    """Header and claim swaps without the realm's key: kept with the old signature, with no
    signature, unsigned (alg none), HMAC-keyed with the realm's public key, or signed by an
    attacker's own key under the realm's kid."""

    def __init__(self, realms, attackers, rng):
        self.realms = realms
        self.attackers = attackers
        self.rng = rng

    def hmac_secrets(self, realm):
        """What a confused verifier might use as an HMAC secret: the public key in every
        usual encoding, the JWK text, and guessable strings."""
        secrets_ = [b"", b"secret", realm.tenant.encode(), realm.active().kid.encode(), realm.issuer.encode()]
        key = realm.active()
        if key.alg != "HS256":
            public = key.material.public_key()
            pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            secrets_ += [pem, pem.rstrip(b"\n"), der]
            if key.alg == "ES256":
                secrets_.append(public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
            elif key.alg == "EdDSA":
                secrets_.append(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
            else:
                secrets_.append(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))
            for jwk in realm.jwks:
                if jwk.get("kid") == key.kid:
                    secrets_ += [jdump(jwk), json.dumps(jwk).encode(), (jwk.get("x") or jwk.get("n")).encode()]
        return secrets_

    def signings(self, realm, header, payload, original_signature):
        """(label, token) for one swapped header/payload in every signature variant."""
        out = [("old-signature", make_token(header, payload, signature=original_signature))]
        out.append(("empty-signature", make_token(header, payload, signature=b"")))
        none = dict(header, alg="none")
        out.append(("alg-none", make_token(none, payload, signature=b"")))
        out.append(("alg-none+old-signature", make_token(none, payload, signature=original_signature)))
        attacker = self.attackers[realm.alg]
        forged = dict(header, alg=attacker.alg)
        out.append(("attacker-key", make_token(forged, payload, key=attacker)))
        if realm.alg != "HS256":
            secret = self.rng.choice(self.hmac_secrets(realm)[5:])
            out.append(("hs256-public-key", make_token(dict(header, alg="HS256"), payload, key=Key("HS256", "", secret))))
        return out

    def header_swaps(self, src):
        realm, h = src.realm, src.header
        other_typ = "JWT" if h.get("typ") == "at+jwt" else "at+jwt"
        other_kids = [r.active().kid for r in self.realms if r is not realm]
        swaps = []
        for alg in ["none", "None", "NONE", "nOnE", "", None, 0, ["ES256"], {"alg": "ES256"}, "HS256", "HS384", "HS512",
                    "RS256", "RS512", "PS256", "ES256", "ES384", "ES512", "ES256K", "EdDSA", "Ed25519", "es256", "ES256 "]:
            if alg != h.get("alg"):
                swaps.append((f"alg={alg!r}", dict(h, alg=alg)))
        swaps.append(("alg-missing", {k: v for k, v in h.items() if k != "alg"}))
        for typ in [other_typ, None, "", "jwt", "JWS", "at+JWT", "application/jwt", "refresh", "access"]:
            swaps.append((f"typ={typ!r}", dict(h, typ=typ)))
        swaps.append(("typ-missing", {k: v for k, v in h.items() if k != "typ"}))
        for kid in other_kids[:3] + ["", None, 0, [h["kid"]], {"kid": h["kid"]}, h["kid"] + "x", h["kid"][:-1], h["kid"].upper(),
                                    "../../../../etc/passwd", "' OR '1'='1", "%00", h["kid"] + "\u0000", "k" * 4096]:
            swaps.append((f"kid={str(kid)[:24]!r}", dict(h, kid=kid)))
        swaps.append(("kid-missing", {k: v for k, v in h.items() if k != "kid"}))
        for crit in [["exp"], ["x-gh"], [], "x-gh", ["b64"]]:
            swaps.append((f"crit={crit!r}", dict(h, crit=crit, **({"x-gh": 1} if crit in (["x-gh"], "x-gh") else {}),
                                                **({"b64": False} if crit == ["b64"] else {}))))
        swaps.append(("jku", dict(h, jku="http://127.0.0.1:1/jwks.json")))
        swaps.append(("x5u", dict(h, x5u="http://127.0.0.1:1/cert.pem")))
        swaps.append(("jwk-embedded", dict(h, jwk=self.attackers[realm.alg].public_jwk() or {"kty": "oct", "k": "AA"})))
        swaps.append(("zip", dict(h, zip="DEF")))
        swaps.append(("enc", dict(h, enc="A256GCM")))
        for label, header in swaps:
            # the header alone changed: the old signature, and none at all
            yield f"header.{label}", make_token(header, src.payload, signature=src.signature)
            yield f"header.{label}+empty-sig", make_token(header, src.payload, signature=b"")
        # the attacker's own key behind the realm's kid, and an embedded key
        attacker = self.attackers[realm.alg]
        yield "header.attacker-key", make_token(dict(h, alg=attacker.alg), src.payload, key=attacker)
        if attacker.public_jwk():
            yield "header.attacker-jwk", make_token(dict(h, jwk=attacker.public_jwk()), src.payload, key=attacker)
            yield "header.attacker-jwk-kid", make_token(dict(h, kid="attacker", jwk=dict(attacker.public_jwk(), kid="attacker")), src.payload, key=attacker)
            yield "header.attacker-jku", make_token(dict(h, jku="http://127.0.0.1:1/jwks.json"), src.payload, key=attacker)
        for other in self.attackers.values():
            if other.alg != attacker.alg:
                yield f"header.attacker-{other.alg}", make_token(dict(h, alg=other.alg), src.payload, key=other)
        # HS256 keyed with the realm's public key (the classic algorithm confusion)
        for i, secret in enumerate(self.hmac_secrets(realm)):
            for alg in ("HS256", "HS384", "HS512"):
                if alg != "HS256" and i % 3:
                    continue
                yield f"header.{alg}-with-secret{i}", make_token(dict(h, alg=alg), src.payload, key=Key(alg, "", secret))

    def claim_swaps(self, src, facts):
        """(label, payload) claim swaps an attacker would want."""
        p, realm = src.payload, src.realm
        now = int(time.time())
        other_type = "refresh" if p.get("token_type") == "access" else "access"
        swaps = [
            ("exp+10y", dict(p, exp=p["exp"] + 315360000)),
            ("exp-past", dict(p, exp=now - 3600)),
            ("exp-missing", {k: v for k, v in p.items() if k != "exp"}),
            ("exp-string", dict(p, exp=str(p["exp"] + 1000))),
            ("exp-huge", dict(p, exp=1e300)),
            ("iat-future", dict(p, iat=now + 86400)),
            ("nbf-future", dict(p, nbf=now + 86400)),
            ("token_type-swapped", dict(p, token_type=other_type)),
            ("token_type-sliding", dict(p, token_type="sliding")),
            ("token_type-missing", {k: v for k, v in p.items() if k != "token_type"}),
            ("iss-other", dict(p, iss=facts["other_issuer"](realm))),
            ("iss-missing", {k: v for k, v in p.items() if k != "iss"}),
            ("sub+user_id-other-user", dict(p, sub=facts["bob"], user_id=facts["bob"])),
            ("sub+user_id-other-tenant", dict(p, sub=facts["foreign"][realm.tenant], user_id=facts["foreign"][realm.tenant])),
            ("sub-only", dict(p, sub=facts["bob"])),
            ("user_id-only", dict(p, user_id=facts["bob"])),
            ("sub+user_id-zero", dict(p, sub=str(uuid.UUID(int=0)), user_id=str(uuid.UUID(int=0)))),
            ("sub+user_id-int", dict(p, sub=1, user_id=1)),
            ("aud-other", dict(p, aud="someone-else")),
            ("aud-missing", {k: v for k, v in p.items() if k != "aud"}),
            ("aud-list", dict(p, aud=[p.get("aud", "x"), "other"])),
            ("jti-other", dict(p, jti=str(uuid.uuid4()))),
            ("role-admin", dict(p, role="admin", is_superuser=True)),
            ("username-other", dict(p, username="bob")),
        ]
        for label, payload in swaps:
            for sig_label, token in self.signings(realm, src.header, payload, src.signature):
                yield f"claim.{label}+{sig_label}", token


def splices(sources):
    """Header, payload and signature of different real tokens put together; sent to the
    realm of the header's token."""
    for a in sources:
        for b in sources:
            if a is b:
                continue
            yield "splice.payload", f"{a.h64}.{b.p64}.{a.s64}", a.realm
            yield "splice.signature", f"{a.h64}.{a.p64}.{b.s64}", a.realm
            if a.realm is not b.realm:
                yield "splice.header", f"{b.h64}.{a.p64}.{a.s64}", a.realm


# --------------------------------------------------------------------------------------
# Key-holder cases: signed with the realm's real key, refused by the contract.


class KeyHolder:
    def __init__(self, realms, facts, server):
        self.realms = realms
        self.facts = facts
        self.server = server
        self.rows = []  # refresh_tokens rows to record: (realm, jti, user_id, kid, iat, exp)

    def recorded_jti(self, realm, payload, kid):
        """A new jti recorded as an outstanding refresh token of the payload's user, so that
        refresh, verify and blacklist can only refuse the token for its mutation."""
        jti = str(uuid.uuid4())
        user = payload.get("user_id") if isinstance(payload.get("user_id"), str) else None
        if user in self.facts["users_by_tenant"][realm.tenant]:
            now = time.time()
            self.rows.append((realm, jti, user, realm.active().kid, now - 60, now + 86400))
        return jti

    def record_rows(self):
        if not self.rows:
            return
        values = ",".join(
            f"('{r.tenant_id}','{jti}','{r.environment_id}','{user}','{jti}','{kid}',to_timestamp({iat}),to_timestamp({exp}))"
            for r, jti, user, kid, iat, exp in self.rows
        )
        self.server.sql(
            "INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at) VALUES " + values
        )

    def cases(self, realm, access_payload, refresh_payload):
        """(expect, label, kind, header, payload, key) for one realm."""
        key = realm.active()
        now = time.time()
        fresh = lambda p: dict(p, iat=round(now - 5, 3), exp=int(now) + 600)  # noqa: E731
        a, r = fresh(access_payload), fresh(refresh_payload)
        ha = {"alg": key.alg, "typ": "at+jwt", "kid": key.kid}
        hr = {"alg": key.alg, "typ": "JWT", "kid": key.kid}
        out = []

        def add(expect, label, kinds, header, payload, k=key):
            """header: None (the kind's own), a dict, or a function of the kind's own."""
            for kind in kinds:
                own = {"alg": k.alg, "typ": "at+jwt" if kind == "access" else "JWT", "kid": k.kid}
                h = own if header is None else header(own) if callable(header) else dict(header)
                out.append((expect, label, kind, h, payload(a if kind == "access" else r), k))

        both = ("access", "refresh")
        # Controls: the real claims re-signed by the harness; they must be accepted.
        add(ACCEPT, "control.resigned", both, None, lambda p: p)
        for retiring in realm.keys.get("retiring", [])[:1]:
            add(ACCEPT, "control.retiring-key", both, None, lambda p: p, retiring)

        # Must be refused.
        strip = without
        add(REJECT, "exp-past", both, None, lambda p: dict(p, exp=int(now) - LEEWAY - 300))
        add(REJECT, "exp-missing", both, None, lambda p: strip(p, "exp"))
        add(REJECT, "exp-null", both, None, lambda p: dict(p, exp=None))
        add(REJECT, "exp-word", both, None, lambda p: dict(p, exp="never"))
        add(REJECT, "iat-future", both, None, lambda p: dict(p, iat=int(now) + 3600))
        add(REJECT, "iat-missing", both, None, lambda p: strip(p, "iat"))
        add(REJECT, "nbf-future", both, None, lambda p: dict(p, nbf=int(now) + 3600))
        add(REJECT, "jti-missing", both, None, lambda p: strip(p, "jti"))
        add(REJECT, "jti-not-uuid", both, None, lambda p: dict(p, jti="not-a-uuid"))
        add(REJECT, "token_type-missing", both, None, lambda p: strip(p, "token_type"))
        add(REJECT, "token_type-Access", ("access",), None, lambda p: dict(p, token_type="Access"))
        add(REJECT, "token_type-id", both, None, lambda p: dict(p, token_type="id"))
        add(REJECT, "token_type-null", both, None, lambda p: dict(p, token_type=None))
        add(REJECT, "token_type-refresh+typ-at+jwt", ("access",), ha, lambda p: dict(p, token_type="refresh"))
        add(REJECT, "token_type-access+typ-JWT", ("refresh",), hr, lambda p: dict(p, token_type="access"))
        add(REJECT, "typ-JWT-on-access", ("access",), dict(ha, typ="JWT"), lambda p: p)
        add(REJECT, "typ-at+jwt-on-refresh", ("refresh",), dict(hr, typ="at+jwt"), lambda p: p)
        add(REJECT, "typ-missing", both, lambda h: without(h, "typ"), lambda p: p)
        add(REJECT, "access-claims-as-refresh", ("access",), hr, lambda p: dict(p, token_type="refresh", jti=str(uuid.uuid4())))
        add(REJECT, "iss-other-realm", both, None, lambda p: dict(p, iss=self.facts["other_issuer"](realm)))
        add(REJECT, "iss-trailing-slash", both, None, lambda p: dict(p, iss=realm.issuer + "/"))
        add(REJECT, "iss-missing", both, None, lambda p: strip(p, "iss"))
        add(REJECT, "iss-list", both, None, lambda p: dict(p, iss=[realm.issuer]))
        add(REJECT, "sub-differs", both, None, lambda p: dict(p, sub=self.facts["bob"]))
        add(REJECT, "user_id-differs", both, None, lambda p: dict(p, user_id=self.facts["bob"]))
        add(REJECT, "user_id-missing", both, None, lambda p: strip(p, "user_id"))
        foreign = self.facts["foreign"][realm.tenant]
        add(REJECT, "user-of-other-tenant", both, None, lambda p: dict(p, sub=foreign, user_id=foreign))
        add(REJECT, "user-unknown", both, None, lambda p: dict(p, sub=str(uuid.UUID(int=7)), user_id=str(uuid.UUID(int=7))))
        add(REJECT, "user-not-uuid", both, None, lambda p: dict(p, sub="alice", user_id="alice"))
        if realm.tenant == "fza":  # carol and dave are fza's
            add(REJECT, "user-revoked", both, None, lambda p: dict(p, sub=self.facts["carol"], user_id=self.facts["carol"],
                                                                  iat=self.facts["carol_iat"]))
            add(REJECT, "user-inactive", both, None, lambda p: dict(p, sub=self.facts["dave"], user_id=self.facts["dave"]))
        if realm.audience:
            add(REJECT, "aud-missing", both, None, lambda p: strip(p, "aud"))
            add(REJECT, "aud-other", both, None, lambda p: dict(p, aud="someone-else"))
            add(REJECT, "aud-other-list", both, None, lambda p: dict(p, aud=["someone-else"]))
            add(REJECT, "aud-empty", both, None, lambda p: dict(p, aud=""))
            add(REJECT, "aud-null", both, None, lambda p: dict(p, aud=None))
        else:
            # RFC 7519 4.1.3: a recipient that does not identify with the aud present MUST
            # reject the token (PyJWT, hence SimpleJWT, does).
            add(REJECT, "aud-unexpected", both, None, lambda p: dict(p, aud="someone-else"))
        for label, extra in [("crit-unknown", {"crit": ["x-gh"], "x-gh": True}), ("crit-b64", {"crit": ["b64"], "b64": False}),
                             ("crit-not-list", {"crit": "x-gh", "x-gh": True})]:
            add(REJECT, label, both, lambda h, extra=extra: dict(h, **extra), lambda p: p)
        for alg in {key.alg.lower(), key.alg.upper(), "none", key.alg + " "} - {key.alg}:
            add(REJECT, f"alg-{alg!r}", both, lambda h, alg=alg: dict(h, alg=alg), lambda p: p)
        for label, cut in [("alg-missing", "alg"), ("kid-missing", "kid")]:
            add(REJECT, label, both, lambda h, cut=cut: without(h, cut), lambda p: p)
        # keys the ring must not verify with
        for state in ("next", "retired", "revoked"):
            for k in realm.keys.get(state, [])[:1]:
                add(REJECT, f"key-{state}", both, None, lambda p: p, k)
        # other realms' real keys, under their own kid and under this realm's kid
        for other in self.realms:
            if other is realm:
                continue
            ok = other.active()
            add(REJECT, f"foreign-key.{other.name}", both, None, lambda p: p, ok)
            if ok.alg == key.alg:
                add(REJECT, f"foreign-key-own-kid.{other.name}", both, lambda h: dict(h, kid=key.kid), lambda p: p, ok)
        return out

    def materialize(self, realm, access_payload, refresh_payload):
        """Cases (with recorded jtis for refresh-type tokens, one per endpoint)."""
        cases = []
        for expect, label, kind, header, payload, key in self.cases(realm, access_payload, refresh_payload):
            if expect == ACCEPT:
                endpoints = (VERIFY, ME) if kind == "access" else (VERIFY, REFRESH, BLACKLIST)
            else:
                endpoints = (VERIFY, ME, REFRESH, BLACKLIST)
            for endpoint in endpoints:
                p = dict(payload)
                if p.get("token_type") == "refresh" and "jti" in p and label not in ("jti-not-uuid", "access-claims-as-refresh"):
                    p["jti"] = self.recorded_jti(realm, p, key.kid)
                elif "jti" in p and label != "jti-not-uuid":
                    p["jti"] = str(uuid.uuid4())
                token = make_token(header, p, key=key)
                cases.append(Case(endpoint, realm, token, expect, "control.keyholder" if expect == ACCEPT else "keyholder",
                                  f"{label} ({kind})"))
        return cases


# --------------------------------------------------------------------------------------
# Setup


REALMS = [
    # tenant, environment, algorithm, audience
    ("fza", "prod", "ES256", "fuzz-aud"),
    ("fza", "staging", "ES256", "fuzz-aud"),
    ("fza", "eddsa", "EdDSA", "fuzz-aud"),
    ("fza", "rs256", "RS256", None),
    ("fza", "hs256", "HS256", "fuzz-aud"),
    ("fzb", "prod", "ES256", None),
    ("fzb", "hs256", "HS256", None),
]
PASSWORD = "correct horse battery staple 42"


def open_keys(server, realms):
    """The realms' private keys, opened with the master key (AES-256-GCM, kid as associated
    data: nonce || ciphertext || tag), by state."""
    rows = server.sql(
        "SELECT t.slug, e.slug, e.id, t.id, k.kid, k.alg, k.state, encode(k.private_key, 'hex') "
        "FROM signing_keys k JOIN environments e ON e.tenant_id = k.tenant_id AND e.id = k.environment_id "
        "JOIN tenants t ON t.id = k.tenant_id ORDER BY k.created_at"
    )
    aes = AESGCM(base64.b64decode(server.master_key))
    by_name = {r.name: r for r in realms}
    for line in rows.strip().splitlines():
        tenant, env, env_id, tenant_id, kid, alg, state, sealed = line.split("|")
        realm = by_name.get(f"{tenant}/{env}")
        if realm is None:
            continue
        realm.environment_id, realm.tenant_id = env_id, tenant_id
        sealed = bytes.fromhex(sealed)
        secret = aes.decrypt(sealed[:12], sealed[12:], kid.encode())
        material = secret if alg == "HS256" else serialization.load_pem_private_key(secret, password=None)
        realm.keys.setdefault(state, []).append(Key(alg, kid, material))


def setup(server):
    log("jwt: setting up realms")
    server.create_tenant("fza", ["prod", "staging", "eddsa", "rs256", "hs256"])
    server.create_tenant("fzb", ["prod", "hs256"])
    admin = server.create_admin_key("jwt-fuzz")
    users = {}
    for tenant, name in [("fza", "alice"), ("fza", "bob"), ("fza", "carol"), ("fza", "dave"), ("fzb", "alice")]:
        users[(tenant, name)] = server.create_user(tenant, name, PASSWORD)["id"]
    realms = [Realm(*r) for r in REALMS]
    for realm in realms:
        settings = {"audience": realm.audience} if realm.audience else {}
        server.configure_environment(admin, realm.tenant, realm.env, algorithm=realm.alg, **settings)
        realm.issuer = server.admin("GET", f"/tenants/{realm.tenant}/environments/{realm.env}", admin)["issuer"]
    # keys in every state: fza/prod has a retiring ES256 key (from the rotation) and a
    # staged one; fza/eddsa a revoked one; fza/rs256 a retired one.
    keys_path = lambda r: f"/tenants/{r.tenant}/environments/{r.env}/keys"  # noqa: E731
    server.admin("POST", keys_path(realms[0]) + "/rotate", admin, {"mode": "staged", "alg": "ES256"})
    for realm, action in [(realms[2], "revoke"), (realms[3], "retire")]:
        items = server.admin("GET", keys_path(realm), admin)["items"]
        retiring = [k for k in items if k["state"] == "retiring"]
        server.admin("POST", keys_path(realm) + f"/{retiring[0]['kid']}/{action}", admin)
    open_keys(server, realms)
    for realm in realms:
        status, _, body = server.request("GET", realm.base + "/.well-known/jwks.json")
        realm.jwks = json.loads(body)["keys"] if status == 200 else []
        assert len(realm.keys.get("active", [])) == 1, f"{realm.name}: {realm.keys}"
        assert realm.active().alg == realm.alg, f"{realm.name}: active key is {realm.active().alg}"
    return admin, users, realms


def login(server, realm, username):
    status, _, body = server.request("POST", realm.base + "/api/token/", {"username": username, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login {username} at {realm.name}: {status} {body[:300]!r}")
    pair = json.loads(body)
    return pair["access"], pair["refresh"]


def attacker_keys():
    """The attacker's own keys, the same every run."""
    es = ec.derive_private_key(0x5EED_0001_F022, ec.SECP256R1())
    ed = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"gatehouse-fuzz-ed25519").digest())
    rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "ES256": Key("ES256", "attacker", es),
        "EdDSA": Key("EdDSA", "attacker", ed),
        "RS256": Key("RS256", "attacker", rs),
        "HS256": Key("HS256", "attacker", hashlib.sha256(b"gatehouse-fuzz-hs256").digest()),
    }


# --------------------------------------------------------------------------------------
# The run


def sequential(server, case):
    """Sends one case on its own connection; (status, body)."""
    path = {VERIFY: "/api/token/verify/", ME: "/api/me/", REFRESH: "/api/token/refresh/", BLACKLIST: "/api/token/blacklist/"}[case.endpoint]
    try:
        if case.endpoint == ME:
            status, _, body = server.request("GET", case.realm.base + path, headers={"Authorization": f"Bearer {case.token}"})
        else:
            field = "token" if case.endpoint == VERIFY else "refresh"
            status, _, body = server.request("POST", case.realm.base + path, {field: case.token})
    except (BrokenPipeError, ConnectionResetError):
        return 0, b"(the server closed the connection before answering)"
    return status, body


def controls_with_fresh_tokens(server, realms, tally, phase):
    """Refresh and blacklist of fresh real refresh tokens must succeed; the blacklisted one
    must then be refused by refresh."""
    for realm in realms:
        _, refresh = login(server, realm, "alice")
        case = Case(REFRESH, realm, refresh, ACCEPT, f"control.{phase}", "fresh refresh token")
        status, body = sequential(server, case)
        tally.add(case, status, body)
        if status == 200:
            rotated = json.loads(body).get("refresh")
            if rotated:
                case = Case(BLACKLIST, realm, rotated, ACCEPT, f"control.{phase}", "rotated refresh token")
                status, body = sequential(server, case)
                tally.add(case, status, body)
                if status == 200:
                    case = Case(REFRESH, realm, rotated, REJECT, "state", "blacklisted refresh token")
                    tally.add(case, *sequential(server, case))
            case = Case(REFRESH, realm, refresh, REJECT, "state", "refresh token already rotated (reuse)")
            tally.add(case, *sequential(server, case))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gatehouse", required=True, help="the gatehouse executable")
    parser.add_argument("--cluster-url", default=os.environ.get("GATEHOUSE_TEST_DATABASE_URL"), help="a PostgreSQL URI to create the database on")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--payload-bits", type=float, default=0.65, help="share of the payload's bits to flip")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32, help="requests in flight per connection")
    parser.add_argument("--report", help="write the failures as JSON lines to this file")
    args = parser.parse_args()
    if not args.cluster_url:
        parser.error("--cluster-url or GATEHOUSE_TEST_DATABASE_URL is required")
    rng = random.Random(args.seed)
    started = time.monotonic()

    server = LiveServer(args.gatehouse, args.cluster_url, label="jwt")
    try:
        return run(args, rng, started, server)
    except Exception:
        print(f"jwt: ERROR: the run broke off; the server's log ({server.log_file.name}) ends:\n{server.log_tail()}")
        raise


def run(args, rng, started, server):
    with server:
        admin, users, realms = setup(server)
        tally = Tally()

        # Real tokens: alice everywhere; carol and dave in fza, before their revocation and
        # deactivation.
        real = {}
        for realm in realms:
            real[realm.name] = login(server, realm, "alice")
        doomed = {}
        for realm in realms[:5]:
            doomed[realm.name] = (login(server, realm, "carol"), login(server, realm, "dave"))
        carol_iat = json.loads(b64d(doomed[realms[0].name][0][0].split(".")[1]))["iat"]
        time.sleep(0.05)
        server.admin("POST", "/tenants/fza/revocations", admin, {"usernames": ["carol"]})
        server.admin("PATCH", f"/tenants/fza/users/{users[('fza', 'dave')]}", admin, {"is_active": False})

        facts = {
            "bob": users[("fza", "bob")],
            "carol": users[("fza", "carol")],
            "carol_iat": carol_iat,
            "dave": users[("fza", "dave")],
            "foreign": {"fza": users[("fzb", "alice")], "fzb": users[("fza", "alice")]},
            "users_by_tenant": {t: {i for (tt, _), i in users.items() if tt == t} for t in ("fza", "fzb")},
            "other_issuer": lambda r: next(o.issuer for o in realms if o is not r and o.tenant == r.tenant) if r.tenant else None,
        }

        # Controls sent before anything else.
        controls = []
        for realm in realms:
            access, refresh = real[realm.name]
            controls += [Case(VERIFY, realm, access, ACCEPT, "control.real", "access"),
                         Case(VERIFY, realm, refresh, ACCEPT, "control.real", "refresh"),
                         Case(ME, realm, access, ACCEPT, "control.real", "access"),
                         Case(VERIFY, realm, access, ACCEPT, "control.real", "access (form)", form=True)]
        for case in controls:
            tally.add(case, *sequential(server, case))
        controls_with_fresh_tokens(server, realms, tally, "before")

        # Key-holder cases.
        keyholder = KeyHolder(realms, facts, server)
        cases = []
        for realm in realms:
            access, refresh = real[realm.name]
            cases += keyholder.materialize(realm, json.loads(b64d(access.split(".")[1])), json.loads(b64d(refresh.split(".")[1])))
        keyholder.record_rows()
        keyholder_count = len(cases)

        # Real tokens the realm must refuse: other realms', revoked and inactive users'.
        for target in realms:
            for source in realms:
                if source is target:
                    continue
                access, refresh = real[source.name]
                for endpoint in (VERIFY, ME):
                    cases.append(Case(endpoint, target, access, REJECT, "realm", f"access of {source.name}"))
                for endpoint in (VERIFY, REFRESH, BLACKLIST):
                    cases.append(Case(endpoint, target, refresh, REJECT, "realm", f"refresh of {source.name}"))
        for name, ((ca, cr), (da, dr)) in doomed.items():
            realm = next(r for r in realms if r.name == name)
            for token, who, kind in [(ca, "revoked", "access"), (cr, "revoked", "refresh"), (da, "inactive", "access"), (dr, "inactive", "refresh")]:
                for endpoint in ((VERIFY, ME) if kind == "access" else (VERIFY, REFRESH, BLACKLIST)):
                    cases.append(Case(endpoint, realm, token, REJECT, "state", f"{kind} of a {who} user"))

        # Forgeries.
        sources = []
        for realm in realms:
            access, refresh = real[realm.name]
            sources.append(Source(realm, "access", access, users[(realm.tenant, "alice")]))
            sources.append(Source(realm, "refresh", refresh, users[(realm.tenant, "alice")]))
        swapper = Swapper(realms, attacker_keys(), rng)
        seen = set()
        skipped = collections.Counter()
        mutants = 0
        for src in sources:
            generators = [bitflips(src, rng, args.payload_bits), substitutions(src, rng), truncations(src, rng),
                          reencodings(src), swapper.header_swaps(src), swapper.claim_swaps(src, facts)]
            for generator in generators:
                for label, token in generator:
                    family = label.split(".")[0]
                    if token == src.token or (src.realm.name, token) in seen:
                        skipped["duplicate"] += 1
                        continue
                    if parts_of(token) == src.parts:
                        skipped[f"same bytes ({family})"] += 1  # not a forgery: never sent
                        continue
                    seen.add((src.realm.name, token))
                    mutants += 1
                    form = rng.random() < 0.2
                    if src.kind == "access":
                        endpoints = [VERIFY] + ([ME] if header_safe(token) else [])
                    else:
                        # refresh and blacklist get a third of the refresh mutants each
                        endpoints = [VERIFY, rng.choice([REFRESH, BLACKLIST, None])]
                    for endpoint in endpoints:
                        if endpoint:
                            cases.append(Case(endpoint, src.realm, token, REJECT, "forgery", f"{label} of {src.kind}", form=form))
        for label, token, target in splices(sources):
            if (target.name, token) not in seen:
                seen.add((target.name, token))
                mutants += 1
                cases.append(Case(VERIFY, target, token, REJECT, "forgery", label))
                cases.append(Case(ME, target, token, REJECT, "forgery", label))

        alone = []
        # Oversized: past the verifier's 8 KiB limit (refused), past the 64 KiB body limit (413).
        for src in sources[::2]:
            big = f"{src.h64}.{src.p64}{'A' * 9000}.{src.s64}"
            cases.append(Case(VERIFY, src.realm, big, REJECT, "forgery", "size.9k"))
            cases.append(Case(ME, src.realm, big, REJECT, "forgery", "size.9k"))
            huge = f"{src.h64}.{src.p64}.{src.s64}{'A' * 70000}"
            # sent on a connection of its own: the server may close it after the 413
            alone.append(Case(VERIFY, src.realm, huge, REJECT, "forgery", "size.70k", allowed=(0, 400, 401, 413)))
            mutants += 2

        # ES256 signatures are malleable: (r, n - s) verifies too. Same header and payload,
        # so not a forgery; sent and reported, never counted.
        info = []
        for src in sources:
            if src.realm.alg == "ES256":
                r, s = int.from_bytes(src.signature[:32], "big"), int.from_bytes(src.signature[32:], "big")
                token = f"{src.h64}.{src.p64}.{b64e(r.to_bytes(32, 'big') + (P256_ORDER - s).to_bytes(32, 'big'))}"
                info.append(Case(VERIFY, src.realm, token, "info", "info", f"ES256 (r, n-s) of {src.kind}"))

        rng.shuffle(cases)
        # Controls spread through the run: real tokens that must keep being accepted.
        spread = []
        for i, case in enumerate(cases):
            spread.append(case)
            if i % 500 == 0:
                realm = realms[(i // 500) % len(realms)]
                access, refresh = real[realm.name]
                spread.append(Case(VERIFY, realm, access, ACCEPT, "control.during", "access"))
                spread.append(Case(ME, realm, access, ACCEPT, "control.during", "access"))
                spread.append(Case(VERIFY, realm, refresh, ACCEPT, "control.during", "refresh"))
        cases = spread
        log(f"jwt: {len(cases)} requests ({mutants} distinct mutants, {keyholder_count} key-holder cases); "
            f"skipped {sum(skipped.values())} mutants ({dict(skipped)})")

        t0, cpu0, own0 = time.monotonic(), server.cpu_seconds(), time.process_time()
        errors = run_cases(server.port, cases, tally, connections=args.connections, batch=args.batch)
        elapsed = time.monotonic() - t0
        cpu1, own1 = server.cpu_seconds(), time.process_time()
        cpu_note = f"server CPU {cpu1 - cpu0:.0f} s, harness CPU {own1 - own0:.0f} s" if cpu0 is not None and cpu1 is not None else ""
        info_answers = [(case, *sequential(server, case)) for case in info]
        for case in alone:
            tally.add(case, *sequential(server, case))

        # After the run: the real tokens still work, the refresh tokens were never spent
        # by a mutant (a refresh of each rotates it now), fresh ones refresh and blacklist.
        for realm in realms:
            access, refresh = real[realm.name]
            for case in [Case(VERIFY, realm, access, ACCEPT, "control.after", "access"),
                         Case(ME, realm, access, ACCEPT, "control.after", "access"),
                         Case(VERIFY, realm, refresh, ACCEPT, "control.after", "refresh never spent by a mutant"),
                         Case(REFRESH, realm, refresh, ACCEPT, "control.after", "refresh never spent by a mutant")]:
                tally.add(case, *sequential(server, case))
        controls_with_fresh_tokens(server, realms, tally, "after")
        server_alive = server.alive()
        log_tail = server.log_tail()

    # Report.
    total = time.monotonic() - started
    rejected_total = sum(n for (cat, ep, exp), n in tally.counts.items() if exp == REJECT)
    accepted_controls = sum(n for (exp, ep, st), n in tally.statuses.items() if exp == ACCEPT and st == 200)
    control_total = sum(n for (cat, ep, exp), n in tally.counts.items() if exp == ACCEPT)
    print(f"jwt: {rejected_total} must-refuse cases in {elapsed:.1f} s ({rejected_total / max(elapsed, 1e-9):.0f}/s), "
          f"{control_total} controls; whole run {total:.1f} s; {tally.reconnects} reconnects; {cpu_note}")
    by_category = collections.Counter()
    for (cat, ep, exp), n in tally.counts.items():
        by_category[(cat, ep)] += n
    for (cat, ep), n in sorted(by_category.items()):
        print(f"  {cat:<20} {ep:<10} {n:>7}")
    statuses = collections.Counter()
    odd = collections.Counter()
    for (exp, ep, st), n in tally.statuses.items():
        if exp == "non-401":
            odd[(ep, st)] += n
        else:
            statuses[(exp, st)] += n
    print("  answers: " + ", ".join(f"{exp} {st}: {n}" for (exp, st), n in sorted(statuses.items())))
    print("  refusals other than 401: " + ", ".join(f"{label} {st}: {n}" for (label, st), n in sorted(odd.items())))
    for case, status, body in info_answers:
        print(f"  info: {case.detail} at {case.realm.name} {case.endpoint}: {status} (not a forgery, not counted)")
    failures = tally.failures
    # One line per kind of failure: what, which endpoints and realms, how often, an example.
    groups = collections.OrderedDict()
    for case, status, body, why in sorted(failures, key=lambda f: (f[0].category, f[0].detail)):
        label = case.detail.split(" (")[0].split(" of ")[0]
        key = ("ACCEPTED" if why.startswith("ACCEPTED") else why, case.category, label)
        group = groups.setdefault(key, {"n": 0, "endpoints": set(), "realms": set(), "example": (case, status, body)})
        group["n"] += 1
        group["endpoints"].add(case.endpoint)
        group["realms"].add(case.realm.name)
    for (why, category, label), group in groups.items():
        case, status, body = group["example"]
        print(f"  FAIL x{group['n']}: {why}: {category} {label!r} at {','.join(sorted(group['endpoints']))}"
              f" in {len(group['realms'])} realm(s) ({','.join(sorted(group['realms']))})")
        print(f"       e.g. {case.endpoint} {case.realm.name}: {status} {body[:120]!r} token={case.token[:300]!r}")
    if args.report:
        with open(args.report, "w") as f:
            for case, status, body, why in failures:
                f.write(json.dumps({"why": why, "category": case.category, "detail": case.detail, "endpoint": case.endpoint,
                                    "realm": case.realm.name, "status": status, "body": body.decode("utf-8", "replace"),
                                    "token": case.token, "form": case.form}) + "\n")
    for error in errors:
        print(f"  ERROR: {error}")
    if not server_alive:
        print("  ERROR: the server died during the run; its log ends:\n" + log_tail)
    ok = not failures and not errors and server_alive and rejected_total >= 100000 and accepted_controls == control_total
    if rejected_total < 100000:
        print(f"  ERROR: only {rejected_total} cases (at least 100000 wanted)")
    print(f"jwt: {'passed' if ok else 'FAILED'}: {rejected_total} cases, {len(failures)} failures, "
          f"{accepted_controls}/{control_total} controls accepted, {elapsed:.0f} s of requests, {total:.0f} s in all")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

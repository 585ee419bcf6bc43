#!/usr/bin/env node
// Verify Gatehouse access tokens in a Node.js (>= 20) resource server with nothing but
// the built-in `crypto` and `fetch`: no packages.
//
// What a resource server must check before it trusts `Authorization: Bearer <token>`:
// - the signature, with the realm's public key named by the header's `kid`, fetched from
//   `{issuer}/.well-known/jwks.json`; the algorithm is the key's own (`alg` in the JWK),
//   never whatever the token's header asks for (`none`, `HS256` keyed with a public key...);
// - header `typ` is `at+jwt` (RFC 9068): refresh tokens (`typ: JWT`) are not access tokens;
// - `iss` is the realm's issuer, `aud` the environment's `audience` setting;
// - `exp` (and `nbf` if present) with a small leeway for clock skew;
// - claim `token_type` is "access".
//
// Keys: the JWKS is kept in memory for as long as its `Cache-Control: max-age=N` says
// (Gatehouse sends N well under `key_publish_ahead`, so a new key is in every honest cache
// before it signs anything). A `kid` missing from the cached set triggers at most one
// refetch per REFETCH_COOLDOWN seconds, so made-up kids cannot flood the JWKS endpoint.
//
// As a program (what docs/guides/run_guides.py drives): one token per line on stdin,
// `ok <sub>` or `invalid <reason>` per line on stdout:
//   node verify_node.mjs --jwks-url URL --issuer ISS --audience AUD
// In an app: `const verifier = new AccessTokenVerifier({jwksUrl, issuer, audience})` once,
// then `const claims = await verifier.verify(token)` per request (it throws InvalidToken).

import crypto from 'node:crypto';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const LEEWAY = 10; // seconds of clock skew accepted on exp/nbf/iat
const DEFAULT_MAX_AGE = 300; // when the JWKS answer carries no Cache-Control max-age
const REFETCH_COOLDOWN = 10; // seconds between refetches caused by an unknown kid
// The JWK's alg -> how node:crypto verifies it. HS256 secrets are never published.
const ALGORITHMS = {
  ES256: { type: 'ec', hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } }, // JWS signatures are r||s
  RS256: { type: 'rsa', hash: 'sha256', options: {} }, // RSASSA-PKCS1-v1_5
  EdDSA: { type: 'ed25519', hash: null, options: {} },
};

export class InvalidToken extends Error {}

/** Caches a JWKS for its max-age; `key(kid)` answers a KeyObject and the JWK's alg. */
export class JWKSCache {
  #url; #keys = new Map(); #expires = 0; #lastFetch = -Infinity; #inflight = null;

  constructor(url) { this.#url = url; }

  async key(kid) {
    const now = performance.now() / 1000;
    if (now >= this.#expires) await this.#refetch(); // max-age has passed
    if (!this.#keys.has(kid) && performance.now() / 1000 - this.#lastFetch >= REFETCH_COOLDOWN) {
      await this.#refetch(); // maybe a key published since; at most once per cooldown
    }
    const key = this.#keys.get(kid);
    if (!key) throw new InvalidToken('unknown kid');
    return key;
  }

  // One fetch at a time, shared by every caller waiting for it.
  #refetch() {
    this.#inflight ??= this.#fetch().finally(() => { this.#inflight = null; });
    return this.#inflight;
  }

  async #fetch() {
    this.#lastFetch = performance.now() / 1000;
    try {
      const response = await fetch(this.#url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { keys } = await response.json();
      const parsed = new Map();
      for (const jwk of keys) {
        if (!ALGORITHMS[jwk.alg] || (jwk.use && jwk.use !== 'sig')) continue;
        try {
          const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
          const curve = key.asymmetricKeyDetails?.namedCurve;
          if (key.asymmetricKeyType !== ALGORITHMS[jwk.alg].type || (curve && curve !== 'prime256v1')) continue;
          parsed.set(jwk.kid, { alg: jwk.alg, key });
        } catch { /* a key this Node cannot read: skip it */ }
      }
      this.#keys = parsed;
      this.#expires = this.#lastFetch + maxAge(response.headers.get('cache-control'));
    } catch (error) {
      // Keep the keys we had, and try again after the cooldown.
      this.#expires = this.#lastFetch + REFETCH_COOLDOWN;
      if (this.#keys.size === 0) throw new InvalidToken(`cannot fetch JWKS: ${error.message}`);
    }
  }
}

/** Seconds from `Cache-Control: ..., max-age=N`; no-store/no-cache mean 0; absent: default. */
export function maxAge(cacheControl) {
  if (!cacheControl) return DEFAULT_MAX_AGE;
  const match = /(?:^|[,\s])max-age\s*=\s*"?(\d+)/i.exec(cacheControl);
  if (match) return Number(match[1]);
  return /no-store|no-cache/i.test(cacheControl) ? 0 : DEFAULT_MAX_AGE;
}

const json = (part, what) => {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch { /* below */ }
  throw new InvalidToken(`malformed ${what}`);
};

export class AccessTokenVerifier {
  constructor({ jwksUrl, issuer, audience = null }) {
    this.jwks = new JWKSCache(jwksUrl);
    this.issuer = issuer;
    this.audience = audience;
  }

  /** The token's claims if it is a valid access token; throws InvalidToken otherwise. */
  async verify(token) {
    const parts = token.split('.');
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw new InvalidToken('malformed token');
    const header = json(parts[0], 'header');
    if (!['at+jwt', 'application/at+jwt'].includes(String(header.typ).toLowerCase())) throw new InvalidToken('typ is not at+jwt');
    if (typeof header.kid !== 'string') throw new InvalidToken('no kid');
    const { alg, key } = await this.jwks.key(header.kid);
    if (header.alg !== alg) throw new InvalidToken('alg does not match the key'); // the key decides
    const { hash, options } = ALGORITHMS[alg];
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    let good = false;
    try {
      good = crypto.verify(hash, signed, { key, ...options }, Buffer.from(parts[2], 'base64url'));
    } catch { /* a signature of the wrong shape */ }
    if (!good) throw new InvalidToken('bad signature');
    const claims = json(parts[1], 'claims');
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || now >= claims.exp + LEEWAY) throw new InvalidToken('expired');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now < claims.nbf - LEEWAY)) throw new InvalidToken('not yet valid');
    if (typeof claims.iat !== 'number' || claims.iat > now + LEEWAY) throw new InvalidToken('iat in the future');
    if (claims.iss !== this.issuer) throw new InvalidToken('wrong issuer');
    const aud = claims.aud === undefined ? [] : [claims.aud].flat();
    if (this.audience ? !aud.includes(this.audience) : aud.length > 0) throw new InvalidToken('wrong audience');
    if (claims.token_type !== 'access') throw new InvalidToken('token_type is not access');
    if (typeof claims.sub !== 'string' || !claims.sub) throw new InvalidToken('no sub');
    return claims;
  }
}

async function main() {
  const { values } = (await import('node:util')).parseArgs({
    options: { 'jwks-url': { type: 'string' }, issuer: { type: 'string' }, audience: { type: 'string' } },
  });
  if (!values['jwks-url'] || !values.issuer) {
    console.error('usage: node verify_node.mjs --jwks-url URL --issuer ISS [--audience AUD]');
    process.exit(2);
  }
  const verifier = new AccessTokenVerifier({ jwksUrl: values['jwks-url'], issuer: values.issuer, audience: values.audience });
  // One line at a time, in order; writes to a pipe are synchronous in Node, so each answer is flushed.
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    try {
      const claims = await verifier.verify(line.trim());
      process.stdout.write(`ok ${claims.sub}\n`);
    } catch (error) {
      const reason = error instanceof InvalidToken ? error.message : `error: ${error}`;
      process.stdout.write(`invalid ${reason.replace(/\s+/g, ' ').slice(0, 200)}\n`);
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();

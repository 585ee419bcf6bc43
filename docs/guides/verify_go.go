// Verify Gatehouse access tokens in a Go resource server with the standard library only
// (Go >= 1.19).
//
// What a resource server must check before it trusts `Authorization: Bearer <token>`:
//   - the signature, with the realm's public key named by the header's `kid`, fetched from
//     `{issuer}/.well-known/jwks.json`; the algorithm is the key's own (`alg` in the JWK),
//     never whatever the token's header asks for (`none`, `HS256` keyed with a public key...);
//   - header `typ` is `at+jwt` (RFC 9068): refresh tokens (`typ: JWT`) are not access tokens;
//   - `iss` is the realm's issuer, `aud` the environment's `audience` setting;
//   - `exp` (and `nbf` if present) with a small leeway for clock skew;
//   - claim `token_type` is "access".
//
// Keys: the JWKS is kept in memory for as long as its `Cache-Control: max-age=N` says
// (Gatehouse sends N well under `key_publish_ahead`, so a new key is in every honest cache
// before it signs anything). A `kid` missing from the cached set triggers at most one
// refetch per refetchCooldown, so made-up kids cannot flood the JWKS endpoint.
//
// As a program (what docs/guides/run_guides.py drives): one token per line on stdin,
// `ok <sub>` or `invalid <reason>` per line on stdout:
//
//	go run verify_go.go --jwks-url URL --issuer ISS --audience AUD
//
// In an app: copy JWKSCache and Verifier, build one Verifier at start-up (it is safe for
// concurrent use) and call Verify(token) per request.
package main

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	leeway          = 10 * time.Second  // clock skew accepted on exp/nbf/iat
	defaultMaxAge   = 300 * time.Second // when the JWKS answer carries no Cache-Control max-age
	refetchCooldown = 10 * time.Second  // between refetches caused by an unknown kid
)

// A public key from the JWKS and the algorithm it signs with (the JWK's `alg`).
type publicKey struct {
	alg string
	key crypto.PublicKey
}

// JWKSCache holds a JWKS for its max-age.
type JWKSCache struct {
	URL       string
	Client    *http.Client
	mu        sync.Mutex
	keys      map[string]publicKey
	expires   time.Time
	lastFetch time.Time
}

// Key answers the key named kid, fetching the JWKS when max-age has passed, and once per
// cooldown when kid is unknown.
func (c *JWKSCache) Key(kid string) (publicKey, error) {
	c.mu.Lock() // one fetch at a time; requests wait for it
	defer c.mu.Unlock()
	var err error
	if time.Now().After(c.expires) {
		err = c.fetch()
	}
	if _, known := c.keys[kid]; !known && time.Since(c.lastFetch) >= refetchCooldown {
		err = c.fetch()
	}
	if key, known := c.keys[kid]; known {
		return key, nil
	}
	if err != nil && len(c.keys) == 0 {
		return publicKey{}, fmt.Errorf("cannot fetch JWKS: %v", err)
	}
	return publicKey{}, errors.New("unknown kid")
}

func (c *JWKSCache) fetch() error {
	c.lastFetch = time.Now()
	c.expires = c.lastFetch.Add(refetchCooldown) // on failure: keep the old keys, retry later
	response, err := c.Client.Get(c.URL)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", response.StatusCode)
	}
	var set struct {
		Keys []map[string]interface{} `json:"keys"`
	}
	if err := json.NewDecoder(response.Body).Decode(&set); err != nil {
		return err
	}
	keys := map[string]publicKey{}
	for _, member := range set.Keys {
		jwk := map[string]string{} // the string members: kty, kid, alg, use, crv, x, y, n, e
		for name, value := range member {
			if text, ok := value.(string); ok {
				jwk[name] = text
			}
		}
		if key, err := parseJWK(jwk); err == nil && (jwk["use"] == "" || jwk["use"] == "sig") {
			keys[jwk["kid"]] = publicKey{jwk["alg"], key}
		}
	}
	c.keys = keys
	c.expires = c.lastFetch.Add(maxAge(response.Header.Get("Cache-Control")))
	return nil
}

var maxAgePattern = regexp.MustCompile(`(?i)(?:^|[,\s])max-age\s*=\s*"?(\d+)`)

// maxAge reads `Cache-Control: ..., max-age=N`; no-store/no-cache mean 0; absent: default.
func maxAge(cacheControl string) time.Duration {
	if m := maxAgePattern.FindStringSubmatch(cacheControl); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	lower := strings.ToLower(cacheControl)
	if strings.Contains(lower, "no-store") || strings.Contains(lower, "no-cache") {
		return 0
	}
	return defaultMaxAge
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// parseJWK reads the public keys Gatehouse publishes: ES256 (EC P-256), RS256, EdDSA (Ed25519).
func parseJWK(jwk map[string]string) (crypto.PublicKey, error) {
	switch {
	case jwk["alg"] == "ES256" && jwk["kty"] == "EC" && jwk["crv"] == "P-256":
		x, err1 := b64(jwk["x"])
		y, err2 := b64(jwk["y"])
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC key")
		}
		key := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if !key.Curve.IsOnCurve(key.X, key.Y) {
			return nil, errors.New("EC point not on P-256")
		}
		return key, nil
	case jwk["alg"] == "RS256" && jwk["kty"] == "RSA":
		n, err1 := b64(jwk["n"])
		e, err2 := b64(jwk["e"])
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	case jwk["alg"] == "EdDSA" && jwk["kty"] == "OKP" && jwk["crv"] == "Ed25519":
		x, err := b64(jwk["x"])
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, errors.New("unsupported key") // HS256 secrets are never published
}

// verifySignature checks a JWS signature with the key's own algorithm.
func verifySignature(key publicKey, signed, signature []byte) bool {
	digest := sha256.Sum256(signed)
	switch k := key.key.(type) {
	case *ecdsa.PublicKey: // JWS ES256 signatures are r||s, 32 bytes each, not DER
		if key.alg != "ES256" || len(signature) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(signature[:32]), new(big.Int).SetBytes(signature[32:])
		return ecdsa.Verify(k, digest[:], r, s)
	case *rsa.PublicKey:
		return key.alg == "RS256" && rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], signature) == nil
	case ed25519.PublicKey:
		return key.alg == "EdDSA" && ed25519.Verify(k, signed, signature)
	}
	return false
}

// Verifier checks Gatehouse access tokens of one realm.
type Verifier struct {
	JWKS     *JWKSCache
	Issuer   string
	Audience string // "" when the environment has no audience setting
}

// Claims is what a handler gets from a valid access token.
type Claims struct {
	Sub       string          `json:"sub"`
	Username  string          `json:"username"`
	Role      string          `json:"role"`
	TokenType string          `json:"token_type"`
	Iss       string          `json:"iss"`
	Aud       json.RawMessage `json:"aud"` // a string or a list of strings
	Exp       *float64        `json:"exp"`
	Nbf       *float64        `json:"nbf"`
	Iat       *float64        `json:"iat"`
}

func decodePart(part string, into interface{}) error {
	raw, err := b64(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}

func unix(seconds float64) time.Time { return time.Unix(0, int64(seconds*1e9)) }

// Verify answers the claims of a valid access token, or an error saying why it is not one.
func (v *Verifier) Verify(token string) (*Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("malformed token")
	}
	var header struct{ Alg, Typ, Kid string }
	if err := decodePart(parts[0], &header); err != nil {
		return nil, errors.New("malformed header")
	}
	if typ := strings.ToLower(header.Typ); typ != "at+jwt" && typ != "application/at+jwt" {
		return nil, errors.New("typ is not at+jwt")
	}
	if header.Kid == "" {
		return nil, errors.New("no kid")
	}
	key, err := v.JWKS.Key(header.Kid)
	if err != nil {
		return nil, err
	}
	if header.Alg != key.alg { // the key decides the algorithm, never the header
		return nil, errors.New("alg does not match the key")
	}
	signature, err := b64(parts[2])
	if err != nil || !verifySignature(key, []byte(parts[0]+"."+parts[1]), signature) {
		return nil, errors.New("bad signature")
	}
	var claims Claims
	if err := decodePart(parts[1], &claims); err != nil {
		return nil, errors.New("malformed claims")
	}
	now := time.Now()
	switch {
	case claims.Exp == nil || !now.Before(unix(*claims.Exp).Add(leeway)):
		return nil, errors.New("expired")
	case claims.Nbf != nil && now.Before(unix(*claims.Nbf).Add(-leeway)):
		return nil, errors.New("not yet valid")
	case claims.Iat == nil || now.Before(unix(*claims.Iat).Add(-leeway)):
		return nil, errors.New("iat in the future")
	case claims.Iss != v.Issuer:
		return nil, errors.New("wrong issuer")
	case !audienceMatches(claims.Aud, v.Audience):
		return nil, errors.New("wrong audience")
	case claims.TokenType != "access":
		return nil, errors.New("token_type is not access")
	case claims.Sub == "":
		return nil, errors.New("no sub")
	}
	return &claims, nil
}

func audienceMatches(raw json.RawMessage, want string) bool {
	var list []string
	if len(raw) == 0 || string(raw) == "null" {
		list = nil
	} else if raw[0] == '"' {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return false
		}
		list = []string{one}
	} else if json.Unmarshal(raw, &list) != nil {
		return false
	}
	if want == "" {
		return len(list) == 0 // we expect none: refuse tokens meant for someone
	}
	for _, aud := range list {
		if aud == want {
			return true
		}
	}
	return false
}

func main() {
	jwksURL := flag.String("jwks-url", "", "{issuer}/.well-known/jwks.json")
	issuer := flag.String("issuer", "", "{public url}/t/{tenant}/{env}")
	audience := flag.String("audience", "", "the environment's audience setting (omit if it has none)")
	flag.Parse()
	if *jwksURL == "" || *issuer == "" {
		fmt.Fprintln(os.Stderr, "usage: go run verify_go.go --jwks-url URL --issuer ISS [--audience AUD]")
		os.Exit(2)
	}
	verifier := &Verifier{
		JWKS:     &JWKSCache{URL: *jwksURL, Client: &http.Client{Timeout: 5 * time.Second}},
		Issuer:   *issuer,
		Audience: *audience,
	}
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 64*1024), 1024*1024)
	for lines.Scan() { // os.Stdout is unbuffered: each answer goes out at once
		if claims, err := verifier.Verify(strings.TrimSpace(lines.Text())); err != nil {
			fmt.Printf("invalid %s\n", strings.Join(strings.Fields(err.Error()), " "))
		} else {
			fmt.Printf("ok %s\n", claims.Sub)
		}
	}
}

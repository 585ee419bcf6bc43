"""Verifies a Gatehouse access token with PyJWT, knowing nothing but the realm's base URL:
the JWKS is found through the OpenID discovery document.

    python3 verify_with_pyjwt.py BASE_URL ACCESS_TOKEN EXPECTED_USERNAME
"""
import json
import sys
import urllib.request

import jwt

base, token, username = sys.argv[1:4]
with urllib.request.urlopen(base + "/.well-known/openid-configuration") as response:
    discovery = json.load(response)
signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
claims = jwt.decode(
    token,
    signing_key.key,
    algorithms=[jwt.get_unverified_header(token)["alg"]],
    issuer=discovery["issuer"],
    options={"require": ["exp", "iat", "iss", "sub", "jti"]},
)
assert claims["username"] == username, claims
assert claims["token_type"] == "access", claims
print("verified", signing_key.key_id)

"""Schemathesis hooks for Gatehouse (loaded through SCHEMATHESIS_HOOKS by api_schemathesis.py).

The user import takes JSON lines (`application/x-ndjson`), which schemathesis cannot
serialize by itself: a generated string is sent as it is, anything else as one JSON line.
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, list):
        return "".join(json.dumps(item) + "\n" for item in value).encode()
    return (json.dumps(value) + "\n").encode()

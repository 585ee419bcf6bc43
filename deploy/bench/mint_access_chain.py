"""Makes distinct access tokens the way clients do: by refreshing, each of CHAINS refresh
tokens (one a line in REFRESH_FILE) refreshed over and over, every answer's access token
written to OUT, one a line, until COUNT are there.

    mint_access_chain.py URL BASE REFRESH_FILE COUNT OUT
"""

import http.client
import json
import sys
import threading
import urllib.parse

url, base, refresh_file, count, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
target = urllib.parse.urlsplit(url)
chains = [line.strip() for line in open(refresh_file) if line.strip()][:8]
per_chain = -(-count // len(chains))
tokens, failures = [], []
lock = threading.Lock()


def chain(refresh):
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    mine = []
    for _ in range(per_chain):
        connection.request("POST", base + "/api/token/refresh/", json.dumps({"refresh": refresh}), {"Content-Type": "application/json"})
        answer = connection.getresponse()
        body = json.loads(answer.read())
        if answer.status != 200:
            failures.append(f"{answer.status} {body}")
            return
        mine.append(body["access"])
        refresh = body["refresh"]
    with lock:
        tokens.extend(mine)


threads = [threading.Thread(target=chain, args=(refresh,)) for refresh in chains]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
if failures:
    sys.exit(f"mint_access_chain.py: a refresh failed: {failures[0]}")
assert len(set(tokens)) == len(tokens), "access tokens repeat"
with open(out, "w") as file:
    file.write("\n".join(tokens[:count]) + "\n")
print(f"minted {min(count, len(tokens))} access tokens through {len(chains)} refresh chains", file=sys.stderr)

"""Holds a request in flight: sends a request's head and half its body, then waits.
Before it waits, a whole request on a second connection has been answered, so the server
has read the first one's head (it reads connections in the order they came). Prints
"holding" then, and keeps the connection open for at most 120 s.

    python3 half_request.py PORT
"""

import socket
import sys
import time

PORT = int(sys.argv[1])
held = socket.create_connection(("127.0.0.1", PORT), timeout=20)
held.sendall(b"POST /t/demo/prod/api/token/verify/ HTTP/1.1\r\nHost: gatehouse\r\n"
             b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tok")
probe = socket.create_connection(("127.0.0.1", PORT), timeout=20)
probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: gatehouse\r\nConnection: close\r\n\r\n")
answer = b""
while chunk := probe.recv(65536):
    answer += chunk
if not answer.startswith(b"HTTP/1.1 200"):
    sys.exit(f"/healthz answered {answer[:40]!r}")
print("holding", flush=True)
time.sleep(120)

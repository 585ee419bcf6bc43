"""Checks `gatehouse serve`'s client limits over raw sockets, as abusive clients would meet
them. Two servers on one database: the first runs with --request-timeout 2 --idle-timeout
2, the second with --max-connections 4 and long timeouts.

    python3 client_limits.py TIMEOUTS_PORT CONNECTIONS_PORT

Each wait has a generous bound (20 s) that measures nothing: it only stops a broken server
from hanging the test. Prints one line per check; exits 1 on the first failure.
"""

import socket
import sys
import time

PORT = int(sys.argv[1])
CONNECTIONS_PORT = int(sys.argv[2])
BOUND = 20


def connect(port=None):
    sock = socket.create_connection(("127.0.0.1", port or PORT), timeout=BOUND)
    sock.settimeout(BOUND)
    return sock


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


def closed_by_server(sock):
    """Reads until the server closes; True when it did within the bound."""
    deadline = time.monotonic() + BOUND
    try:
        while time.monotonic() < deadline:
            if sock.recv(65536) == b"":
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def answer(sock, request):
    """Sends `request`, returns the status line's code (0 when the server closed first)."""
    try:
        sock.sendall(request)
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                return 0
            head += chunk
        return int(head.split(b" ", 2)[1])
    except (ConnectionResetError, BrokenPipeError):
        return 0


def healthz(port=None):
    with connect(port) as sock:
        return answer(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


# A byte at a time, slower than any real client: closed once the request deadline passes.
slow = connect()
closed = False
for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200:
    try:
        slow.send(bytes([byte]))
    except (ConnectionResetError, BrokenPipeError):
        closed = True
        break
    slow.settimeout(0.25)
    try:
        if slow.recv(1) == b"":
            closed = True
            break
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
        break
check(closed, "a client sending a byte at a time is cut off")
slow.close()

# Idle after a request: closed once the idle timeout passes.
idle = connect()
check(answer(idle, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == 200, "a kept-alive request is answered")
check(closed_by_server(idle), "an idle kept-alive connection is closed")
idle.close()

# Oversized header and request line: refused, never answered 2xx.
with connect() as sock:
    status = answer(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    check(not 200 <= status < 300, f"a 70 KB header is refused ({status})")
with connect() as sock:
    status = answer(sock, b"GET /healthz?" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(not 200 <= status < 300, f"a 70 KB request line is refused ({status})")
with connect() as sock:
    status = answer(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(200)) + b"\r\n")
    check(not 200 <= status < 300, f"200 header lines are refused ({status})")

# A body over a route's bound: 413 before it is all read.
with connect() as sock:
    status = answer(
        sock,
        b"POST /t/demo/prod/api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"
        + b"{" + b" " * 70000,
    )
    check(status == 413, f"a 1 MB login body is 413 ({status})")

# Connections past the maximum: a clear 503, and room again once one closes. Each held
# connection has been answered once, so the server has counted it.
check(healthz() == 200, "the server still answers")
held = [connect(CONNECTIONS_PORT) for _ in range(4)]
for sock in held:
    check(answer(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == 200, "a connection within the maximum is served")
with connect(CONNECTIONS_PORT) as extra:
    data = b""
    try:
        while True:
            chunk = extra.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    check(data.startswith(b"HTTP/1.1 503") and b'"code":"unavailable"' in data, f"a connection past the maximum is answered 503 ({data[:40]!r})")
for sock in held:
    sock.close()
deadline = time.monotonic() + BOUND
status = 0
while time.monotonic() < deadline and status != 200:
    status = healthz(CONNECTIONS_PORT)
check(status == 200, "connections are accepted again once others closed")
print("client limits: passed")

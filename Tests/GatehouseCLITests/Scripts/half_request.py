"""Holds a request in flight: sends a request's head and half its body, prints "holding",
then keeps the connection open for at most 120 s.

    python3 half_request.py PORT
"""

import socket
import sys
import time

held = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
held.sendall(b"POST /t/demo/prod/api/token/verify/ HTTP/1.1\r\nHost: gatehouse\r\n"
             b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tok")
print("holding", flush=True)
time.sleep(120)

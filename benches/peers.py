"""Misbehaving peers on 127.0.0.1 for benches/timeouts.sh: the same behaviours as the test
suite's hostile peers (tests/support/peers.rs). Listens on free ports, writes one line
"NAME PORT" per peer to the file named by the first argument once all listen, then serves
until killed (at most an hour).

  silent      accepts and never says anything (holds each connection for 30 s)
  flood       accepts and sends TLS handshake records full of 0xff until the client goes
  slowproxy   answers an HTTP CONNECT after 2.5 s, then stays silent (a tunnel to a silent broker)
  silenttls   completes a TLS handshake with the test server chain, then stays silent
"""

import os
import socket
import ssl
import sys
import threading
import time

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
HOLD = 30


def hold(conn):
    conn.settimeout(HOLD)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def silent(conn):
    hold(conn)


def flood(conn):
    record = bytes([0x16, 0x03, 0x03, 0x40, 0x00]) + b"\xff" * 0x4000
    try:
        while True:
            conn.sendall(record)
    except OSError:
        pass


def slowproxy(conn):
    conn.settimeout(HOLD)
    try:
        conn.recv(4096)
        time.sleep(2.5)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    except OSError:
        return
    hold(conn)


TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
TLS.load_cert_chain(
    os.path.join(FIXTURES, "server/rsa-chain.pem"), os.path.join(FIXTURES, "server/rsa-leaf.key")
)


def silenttls(conn):
    conn.settimeout(HOLD)
    try:
        conn = TLS.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError):
        return
    hold(conn)


def serve(listener, behaviour):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=lambda: (behaviour(conn), conn.close()), daemon=True).start()


def main():
    lines = []
    for name, behaviour in [("silent", silent), ("flood", flood), ("slowproxy", slowproxy),
                            ("silenttls", silenttls)]:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        lines.append(f"{name} {listener.getsockname()[1]}\n")
        threading.Thread(target=serve, args=(listener, behaviour), daemon=True).start()
    with open(sys.argv[1] + ".tmp", "w") as out:
        out.writelines(lines)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(3600)


main()

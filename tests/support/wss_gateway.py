"""AWS IoT's 443 front door, on loopback, in front of a plain mosquitto: for the tests of
`iotcheck endpoint --transport wss|custom-auth`.

Every listener is TLS with the test server chain. Each prints `READY <name> <port>` once it
listens; the process ends when its standard input closes (the test ends).

- sigv4: MQTT over WebSocket (path /mqtt, subprotocol mqtt). The presigned query is checked
  by botocore's SigV4 signer, the reference implementation, with the same fake credentials:
  the signature is recomputed for service `iotdevicegateway` with the session token left out
  of the canonical request and required, after it, as X-Amz-Security-Token (what AWS IoT
  does; the Device SDKs' omit_session_token). A refusal is AWS's: 403 Forbidden,
  content-type application/json, x-amzn-ErrorType ForbiddenException, and AWS's SigV4 words
  ("Signature expired: ... is now earlier than ...", "The request signature we calculated
  does not match ...", "The security token included in the request is invalid.").
- skewed: the same, with the server's clock an hour ahead: a device whose clock is an hour
  behind gets AWS's "Signature expired" 403.
- authorizer-ws: MQTT over WebSocket with a custom authorizer's headers
  (x-amz-customauthorizer-name, the token key, x-amz-customauthorizer-signature).
- authorizer-mqtt: MQTT on TLS with ALPN `mqtt` and the authorizer's parameters in the
  CONNECT's user name, as a query string read in any order (as AWS IoT reads it). A denied
  CONNECT gets the socket closed without CONNACK, as AWS IoT closes it.
- big: answers the upgrade with 50 MB of headers. drip: one byte of an answer a second.
- close-then-frames: switches protocols, sends a Close, then keeps sending binary frames.
- tls: MQTT on TLS relayed to the same mosquitto, the baseline that benches/wss.sh compares
  the WebSocket path with.
"""

import argparse
import asyncio
import datetime
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response
from websockets.utils import accept_key

def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--dir", required=True, help="where mosquitto's configuration goes")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--region", required=True)
    p.add_argument("--authorizer", required=True)
    p.add_argument("--token-name", required=True)
    p.add_argument("--auth-token", required=True)
    p.add_argument("--auth-signature", required=True)
    return p.parse_args()


def tls(cert, key, alpn=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def forbidden(message):
    body = json.dumps({"message": message, "traceId": "00000000-0000-0000-0000-000000000000"})
    headers = Headers()
    headers["content-type"] = "application/json"
    headers["x-amzn-ErrorType"] = "ForbiddenException:"
    headers["content-length"] = str(len(body))
    return Response(403, "Forbidden", headers, body.encode())


def reference_signature(args, host, path, query, when):
    """The signature botocore computes for this request, at the client's X-Amz-Date."""
    credentials = botocore.credentials.Credentials(args.access_key, args.secret)
    auth = botocore.auth.SigV4QueryAuth(
        credentials, "iotdevicegateway", args.region, expires=int(query["X-Amz-Expires"])
    )
    request = AWSRequest(method="GET", url=f"https://{host}{path}", headers={"host": host})
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: when
    try:
        auth.add_auth(request)
    finally:
        botocore.auth.get_current_datetime = original
    signed = parse_qs(urlsplit(request.url).query)
    return signed["X-Amz-Signature"][0]


def check_sigv4(args, skew, request):
    split = urlsplit(request.path)
    query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
    needed = ["X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature", "X-Amz-Credential"]
    if any(name not in query for name in needed):
        return forbidden("Missing Authentication Token")
    # Every signature received, for the test that no output ever shows one.
    with open(os.path.join(args.dir, "signatures.txt"), "a") as seen:
        seen.write(query["X-Amz-Signature"] + "\n")
    stamp = query["X-Amz-Date"]
    when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + skew
    fmt = "%Y%m%dT%H%M%SZ"
    if when + datetime.timedelta(seconds=int(query["X-Amz-Expires"])) < now:
        return forbidden(
            f"Signature expired: {stamp} is now earlier than "
            f"{(now - datetime.timedelta(minutes=5)).strftime(fmt)} "
            f"({now.strftime(fmt)} - 5 min.)"
        )
    if when > now + datetime.timedelta(minutes=5):
        return forbidden(
            f"Signature not yet current: {stamp} is still later than "
            f"{(now + datetime.timedelta(minutes=5)).strftime(fmt)}"
        )
    host = request.headers["Host"]
    expected = reference_signature(args, host, split.path, query, when)
    if query["X-Amz-Signature"] != expected:
        return forbidden(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details."
        )
    if query.get("X-Amz-Security-Token") != args.token:
        return forbidden("The security token included in the request is invalid.")
    return None


def check_authorizer(args, values):
    return (
        values.get("x-amz-customauthorizer-name") == args.authorizer
        and values.get(args.token_name) == args.auth_token
        and values.get("x-amz-customauthorizer-signature") == args.auth_signature
    )


async def relay_websocket(args, websocket):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.broker)

    async def up():
        async for message in websocket:
            writer.write(message if isinstance(message, bytes) else message.encode())
            await writer.drain()
        writer.close()

    async def down():
        while data := await reader.read(65536):
            await websocket.send(data)
        await websocket.close()

    await asyncio.gather(up(), down(), return_exceptions=True)


async def websocket_listener(args, name, context, check):
    def process_request(connection, request):
        if urlsplit(request.path).path != "/mqtt":
            return Response(404, "Not Found", Headers(), b"")
        return check(request)

    async def handler(websocket):
        await relay_websocket(args, websocket)

    server = await serve(
        handler,
        "127.0.0.1",
        0,
        ssl=context,
        subprotocols=["mqtt"],
        process_request=process_request,
        compression=None,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {name} {port}", flush=True)
    return server


async def read_packet(reader):
    """One MQTT packet: the fixed header, its remaining length (a variable byte integer)."""
    first = await reader.readexactly(1)
    length, shift, raw = 0, 0, b""
    while True:
        byte = await reader.readexactly(1)
        raw += byte
        length |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            break
    return first + raw + await reader.readexactly(length), len(first + raw)


def connect_username(packet, start):
    """The user name of an MQTT 3.1.1 CONNECT (section 3.1), or None."""

    def string(at):
        size = int.from_bytes(packet[at : at + 2], "big")
        return packet[at + 2 : at + 2 + size], at + 2 + size

    _, at = string(start)  # protocol name
    flags = packet[at + 1]
    at += 4  # level, flags, keep alive
    _, at = string(at)  # client id
    if flags & 0x04:
        _, at = string(at)
        _, at = string(at)
    if not flags & 0x80:
        return None
    username, _ = string(at)
    return username.decode()


async def authorizer_mqtt_listener(args, context):
    async def handle(reader, writer):
        try:
            packet, header = await read_packet(reader)
            username = connect_username(packet, header) or ""
            query = username.split("?", 1)[1] if "?" in username else ""
            values = {k: v[0] for k, v in parse_qs(query).items()}
            if not check_authorizer(args, values):
                writer.close()
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", args.broker)
            up_writer.write(packet)

            async def pipe(source, sink):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
                sink.close()

            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        except Exception:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    print(f"READY authorizer-mqtt {server.sockets[0].getsockname()[1]}", flush=True)
    return server


async def tls_relay_listener(args, context):
    """MQTT on TLS relayed to the same mosquitto: the baseline of benches/wss.sh."""

    async def handle(reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", args.broker)

        async def pipe(source, sink):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    print(f"READY tls {server.sockets[0].getsockname()[1]}", flush=True)
    return server


async def raw_listener(name, context, behave):
    async def handle(reader, writer):
        try:
            await behave(reader, writer)
        except Exception:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    print(f"READY {name} {server.sockets[0].getsockname()[1]}", flush=True)
    return server


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            return line.split(b":", 1)[1].strip()
    return b""


async def big(reader, writer):
    await read_request(reader)
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\nX-Filler: ")
    chunk = b"a" * 65536
    for _ in range(50 * 16):  # 50 MB
        if writer.transport.is_closing():
            return
        writer.write(chunk)
        await writer.drain()


async def drip(reader, writer):
    await read_request(reader)
    for byte in b"HTTP/1.1 101 Switching Protocols\r\n" * 100:
        if writer.transport.is_closing():
            return
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(1)


async def close_then_frames(reader, writer):
    key = await read_request(reader)
    accept = accept_key(key.decode()).encode()
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    writer.write(b"\x88\x00")  # Close, no payload
    for _ in range(10000):
        if writer.transport.is_closing():
            return
        writer.write(b"\x82\x02\x20\x02")  # a binary frame: a CONNACK's bytes
        await writer.drain()
        await asyncio.sleep(0.01)


def start_mosquitto(directory):
    """A plain mosquitto on a free loopback port, ended with this process."""
    for _ in range(5):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = os.path.join(directory, f"mosquitto-{port}.conf")
        with open(config, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
            if os.geteuid() == 0:
                f.write("user root\n")
        broker = subprocess.Popen(
            ["mosquitto", "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(200):
            if broker.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return broker, port
            except OSError:
                time.sleep(0.025)
        broker.kill()
    raise SystemExit("mosquitto did not start (is it installed? apt-get install mosquitto)")


async def main():
    # Peers that hang up mid-answer are the point of some listeners: no tracebacks for them.
    for name in ("websockets", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    args = parse()
    broker, args.broker = start_mosquitto(args.dir)
    # Killed rather than ended by its standard input (benches/wss.sh), it still ends its broker.
    import signal

    signal.signal(signal.SIGTERM, lambda *_: (broker.terminate(), os._exit(0)))
    context = tls(args.cert, args.key)
    servers = [
        await websocket_listener(
            args, "sigv4", context, lambda r: check_sigv4(args, datetime.timedelta(0), r)
        ),
        await websocket_listener(
            args, "skewed", context, lambda r: check_sigv4(args, datetime.timedelta(hours=1), r)
        ),
        await websocket_listener(
            args,
            "authorizer-ws",
            context,
            lambda r: None
            if check_authorizer(args, {k.lower(): v for k, v in r.headers.raw_items()})
            else forbidden("Forbidden"),
        ),
        await authorizer_mqtt_listener(args, tls(args.cert, args.key, ["mqtt"])),
        await tls_relay_listener(args, context),
        await raw_listener("big", context, big),
        await raw_listener("drip", context, drip),
        await raw_listener("close-then-frames", context, close_then_frames),
    ]
    print("READY all 0", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for server in servers:
        server.close()
    broker.terminate()
    broker.wait()


asyncio.run(main())

"""A loopback stand-in for AWS IoT's HTTPS doors with the device certificate: the credentials
provider (GET /role-aliases/<alias>/credentials) and HTTPS publish (POST /topics/<topic>).

No emulator of AWS IoT's data plane exists, so this peer answers as the service is documented
to answer. Each answer, and where it is documented:

- The request and the success body {"credentials": {accessKeyId, secretAccessKey, sessionToken,
  expiration}}: AWS IoT developer guide, "Authorizing direct calls to AWS services".
- The failures, checked in the service's order (thing, policy, alias, role, duration), with
  their status, x-amzn-ErrorType and JSON message: the table of the awslabs
  aws-iot-core-credential-provider-session-helper's development notes (docs/dev_notes.md,
  "Credential Provider responses"): 403 "Invalid thing name passed", 403 "Access Denied",
  404 "Role alias does not exist", 400 "Unable to assume the role, or the role to assume does
  not exist", 400 "The requested CredentialDurationSeconds exceeds the MaxSessionDuration set
  for the role"; and 403 "Certificate is invalid on this endpoint" (the same notes' curl
  transcript) for a certificate the account does not know or a name (SNI) that is not the
  credentials endpoint's.
- HTTPS publish: AWS IoT developer guide, "HTTPS" (POST /topics/<topic>?qos=1; 200
  {"message":"OK","traceId":...}), 403 {"message":"Forbidden","traceId":...} when the policy
  denies iot:Publish, 404 {"message":"Not Found","traceId":...} for another path.

The account it plays: the certificates with CN TestThing-ec are registered (others are not);
the thing attached to a certificate is its CN; the policy allows iot:AssumeRoleWithCertificate
on every alias except those starting with "denied"; the aliases that exist start with "ok",
"norole", "duration" or "denied"; the policy allows iot:Publish on topics under "allowed/".
Hostile answers for the aliases "huge", "drip", "badjson", "redirect", "http09", "close",
"reset", "chunked".

The client certificate must be issued by the CA given with --client-ca (the test device CA).
Prints "LISTENING <port>" once it accepts. Never contacts anything but its clients.
"""

import argparse
import datetime
import http.server
import json
import os
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time

# The fake credentials the tests scan every output for.
FAKE_SECRET = "FAKE-SECRET-wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
FAKE_TOKEN = "FAKE-SESSION-TOKEN-IQoJb3JpZ2luX2VjEXAMPLETOKEN=="
FAKE_KEY_ID = "ASIAFAKEEXAMPLE7Q2WX"
EXPIRATION = "2026-06-01T01:00:00Z"

REGISTERED = {"TestThing-ec"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("peer: " + (fmt % args) + "\n")

    def peer_cn(self):
        cert = self.request.getpeercert() or {}
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return None

    def answer(self, status, body, error_type=None, extra=()):
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.split("?")[0].split("/")
        if len(parts) != 4 or parts[1] != "role-aliases" or parts[3] != "credentials":
            return self.answer(404, {"message": "Not Found"})
        alias = parts[2]
        if self.hostile(alias):
            return
        cn = self.peer_cn()
        sni = getattr(self.request, "iotcheck_sni", None)
        if cn not in REGISTERED or not sni_matches(sni, self.server.expected_sni):
            return self.answer(
                403, {"message": "Certificate is invalid on this endpoint"}, "AccessDeniedException"
            )
        thing = self.headers.get("x-amzn-iot-thingname")
        if thing is not None and thing != cn:
            return self.answer(403, {"message": "Invalid thing name passed"}, "AccessDeniedException")
        if alias.startswith("denied"):
            return self.answer(403, {"message": "Access Denied"}, "AccessDeniedException")
        if not alias.startswith(("ok", "norole", "duration")):
            return self.answer(404, {"message": "Role alias does not exist"}, "ResourceNotFoundException")
        if alias.startswith("norole"):
            return self.answer(
                400,
                {"message": "Unable to assume the role, or the role to assume does not exist"},
                "InvalidRequestException",
            )
        if alias.startswith("duration"):
            return self.answer(
                400,
                {"message": "The requested CredentialDurationSeconds exceeds the MaxSessionDuration set for the role"},
                "InvalidRequestException",
            )
        return self.answer(
            200,
            {
                "credentials": {
                    "accessKeyId": FAKE_KEY_ID,
                    "secretAccessKey": FAKE_SECRET,
                    "sessionToken": FAKE_TOKEN,
                    "expiration": EXPIRATION,
                }
            },
        )

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 128 * 1024:
            return self.answer(413, {"message": "Payload Too Large", "traceId": "t"})
        self.rfile.read(length)
        path, _, query = self.path.partition("?")
        if not path.startswith("/topics/") or len(path) == len("/topics/"):
            return self.answer(404, {"message": "Not Found", "traceId": "trace-404"})
        if self.peer_cn() not in REGISTERED:
            return self.answer(403, {"message": "Forbidden", "traceId": "trace-403"})
        topic = path[len("/topics/"):]
        if not topic.startswith("allowed/"):
            return self.answer(403, {"message": "Forbidden", "traceId": "trace-403"})
        return self.answer(200, {"message": "OK", "traceId": "trace-200"})

    def hostile(self, alias):
        """The hostile answers; True when one was given."""
        out = self.wfile
        if alias == "huge":
            # 50 MB announced and sent until the client goes away.
            out.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n")
            piece = b"x" * 65536
            try:
                for _ in range(800):
                    out.write(piece)
            except OSError:
                pass
            return True
        if alias == "chunked":
            # A chunked body without end, larger than any bound.
            out.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            piece = b"4000\r\n" + b"y" * 0x4000 + b"\r\n"
            try:
                for _ in range(3200):
                    out.write(piece)
            except OSError:
                pass
            return True
        if alias == "drip":
            # One byte of the head every 200 ms, for at most 60 s.
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" * 10:
                    out.write(bytes([byte]))
                    out.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return True
        if alias == "badjson":
            data = b'{"credentials": {"accessKeyId": "' + FAKE_KEY_ID.encode() + b'", "secretAccessKey": "' + FAKE_SECRET.encode() + b'", '
            out.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(data))
            out.write(data)
            return True
        if alias == "redirect":
            out.write(b"HTTP/1.1 302 Found\r\nLocation: https://portal.example/login\r\nContent-Length: 0\r\n\r\n")
            return True
        if alias == "http09":
            # HTTP/0.9: a body with no status line, then the connection ends.
            out.write(b'{"credentials": {"secretAccessKey": "' + FAKE_SECRET.encode() + b'"}}')
            out.flush()
            self.close_connection = True
            self.request.unwrap().close()
            return True
        if alias == "close":
            # The TLS session ends with close_notify (an alert) and no answer.
            self.close_connection = True
            self.request.unwrap().close()
            return True
        if alias == "reset":
            self.close_connection = True
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.request.close()
            return True
        return False


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        sys.stderr.write("peer: connection ended: %s\n" % (sys.exc_info()[1],))


def sni_matches(sni, expected):
    """The name sent is the endpoint's: `expected` itself, or one label then its SUFFIX when it
    is `*.SUFFIX` (the account's prefix is not known in advance when DescribeEndpoint found it)."""
    if sni is None:
        return False
    if expected.startswith("*."):
        label, dot, rest = sni.partition(".")
        return bool(label) and dot == "." and rest == expected[2:]
    return sni == expected


def make_leaf(issuer_cert, issuer_key, scratch):
    """A P-256 leaf for the credentials and data endpoints' names of eu-west-1, valid
    2025-2034 (the tests verify at a fixed instant inside), issued by the given CA; returns the
    chain file (leaf, issuer) and the key file, written in `scratch`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    with open(issuer_cert, "rb") as f:
        issuer_pem = f.read()
    issuer = x509.load_pem_x509_certificate(issuer_pem)
    with open(issuer_key, "rb") as f:
        signer = serialization.load_pem_private_key(f.read(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    names = ["*.credentials.iot.eu-west-1.amazonaws.com", "*.iot.eu-west-1.amazonaws.com"]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2034, 12, 31, tzinfo=datetime.timezone.utc))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )
    chain_path = os.path.join(scratch, "chain.pem")
    key_path = os.path.join(scratch, "key.pem")
    with open(chain_path, "wb") as f:
        f.write(leaf.public_bytes(serialization.Encoding.PEM) + issuer_pem)
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return chain_path, key_path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--issuer-cert", required=True, help="the CA that issues the peer's leaf")
    parser.add_argument("--issuer-key", required=True)
    parser.add_argument("--client-ca", required=True)
    parser.add_argument(
        "--sni",
        help="the credentials endpoint's name; *.SUFFIX takes any one label before SUFFIX",
    )
    parser.add_argument(
        "--write-leaf",
        metavar="DIR",
        help="only write the leaf's chain.pem and key.pem in DIR (for openssl s_server), then exit",
    )
    args = parser.parse_args()
    if args.write_leaf:
        make_leaf(args.issuer_cert, args.issuer_key, args.write_leaf)
        return
    if not args.sni:
        parser.error("--sni is required to serve")

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as scratch:
        chain, key = make_leaf(args.issuer_cert, args.issuer_key, scratch)
        context.load_cert_chain(chain, key)
    context.load_verify_locations(args.client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    # ALPN as AWS IoT takes it on 443 for HTTPS with a client certificate; none is fine too.
    context.set_alpn_protocols(["x-amzn-http-ca", "http/1.1"])

    def remember_sni(sock, name, _context):
        sock.iotcheck_sni = name

    context.sni_callback = remember_sni

    server = Server(("127.0.0.1", 0), Handler)
    server.expected_sni = args.sni
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("LISTENING %d" % server.server_address[1], flush=True)
    # The test that started the peer kills it; this bounds a forgotten one.
    threading.Timer(300, lambda: (server.shutdown())).start()
    server.serve_forever()


if __name__ == "__main__":
    main()

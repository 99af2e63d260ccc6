#!/usr/bin/env python3
"""Records what real clients print when they fail the way devices fail, for the held-out set
of `iotcheck explain` (tests/data/explain-heldout.json, entries with "source": "client").

Each scenario starts a local peer on a free loopback port, configured to fail in one way, runs
each client against it, and records the client's output with its provenance: the client and
its version, the scenario, the date. The peers behave as AWS IoT does where it matters: every
TLS peer asks for a client certificate (the AWS CRT refuses a server that does not), and the
MQTT peers want one. Nothing leaves loopback: the DNS scenario runs its client in a network
namespace of its own (`unshare -n -m`, as root) whose resolver is a local responder that
answers NXDOMAIN.

Scenarios: the server chain not trusted by the client's CA file (a wrong CA file), a name
mismatch, an expired server certificate, a device certificate of an unknown CA rejected under
TLS 1.2 and after a TLS 1.3 handshake, an expired device certificate (TLS 1.2 and 1.3), no
client certificate, CONNACK refusals (not authorised, bad user name or password), the policy
hang-up (the server closes the connection after CONNECT, as AWS IoT does when the policy does
not allow iot:Connect), a refused port, a DNS failure, a silent server (TLS handshake timeout),
a port that drops the connection attempt (TCP connect timeout).

Clients: mosquitto_pub, openssl s_client, curl (always); Python's ssl module (the python3 that
runs this script); a JSSE client (javac and java, JDK 11 or later); Node's tls module (node);
paho-mqtt and the AWS IoT Device SDK v2 (awsiotsdk, on the AWS CRT) from a Python environment
given with --python; mqtt (MQTT.js) and aws-iot-device-sdk-v2 (on aws-crt) from a
node_modules directory given with --node-modules. A client that is missing is left out and
said so. Clients that do not speak MQTT are left out of the MQTT scenarios.

Usage (as root, for the DNS scenario's namespace):
  python3 -m venv VENV && VENV/bin/pip install awsiotsdk paho-mqtt
  (cd NODE && npm install mqtt aws-iot-device-sdk-v2)
  python3 tools/explain-heldout/client_matrix.py --out tests/data/explain-heldout.json \
      --python VENV/bin/python --node-modules NODE/node_modules [--iotcheck target/debug/iotcheck]

Records that hold a line the catalogue has as an example are kept with an "excluded" reason:
the test reports them and does not measure them. The live matrix does not run in CI (it needs
the Python, Node and Java clients installed, and takes minutes); the recorded file is what CI
measures.

The output replaces the "client" entries of --out and keeps its "thread" entries.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TIMEOUT = 15
# The endpoint a device would use; the DNS scenario asks for it and gets NXDOMAIN.
ENDPOINT = "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=5.0):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Pki:
    """A CA, a second CA the client does not trust, and the certificates the scenarios need."""

    def __init__(self, folder):
        self.folder = folder
        now = datetime.datetime.now(datetime.timezone.utc)
        self.ca = self.make("ca", "iotcheck test CA", None, now, 30, ca=True)
        self.other_ca = self.make("other-ca", "iotcheck other CA", None, now, 30, ca=True)
        self.make("server", "localhost", self.ca, now, 10, san="localhost")
        self.make("server-wrong-name", "other.example", self.ca, now, 10, san="other.example")
        self.make("server-expired", "localhost", self.ca, now - datetime.timedelta(days=40), 10, san="localhost")
        self.make("server-untrusted", "localhost", self.other_ca, now, 10, san="localhost")
        self.make("device", "device-1", self.ca, now, 10)
        self.make("device-unknown-ca", "device-1", self.other_ca, now, 10)
        self.make("device-expired", "device-1", self.ca, now - datetime.timedelta(days=40), 10)

    def path(self, name, kind):
        return os.path.join(self.folder, "%s.%s" % (name, kind))

    def make(self, name, cn, issuer, start, days, ca=False, san=None):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        issuer_name, issuer_key = (subject, key) if issuer is None else issuer
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        # The extensions real certificates carry: some stacks (s2n) refuse a chain without them.
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=not ca, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        if not ca:
            usage = x509.oid.ExtendedKeyUsageOID.SERVER_AUTH if san else x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        cert = builder.sign(issuer_key, hashes.SHA256())
        with open(self.path(name, "crt"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(self.path(name, "key"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return (subject, key)


class Peer:
    def __init__(self, argv, port):
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        if not wait_port(port):
            self.stop()
            raise RuntimeError("peer did not start: %s" % " ".join(argv))

    def stop(self):
        self.process.kill()
        self.process.wait()


class ThreadPeer:
    """A peer in this process: `serve(listener)` runs in a thread until stop()."""

    def __init__(self, port, serve, backlog=8):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(backlog)
        self.held = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=serve, args=(self,), daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped.set()
        for s in self.held:
            s.close()
        self.listener.close()
        self.thread.join(5)


def silent(peer):
    """Accepts the connection and says nothing: the client's TLS handshake times out."""
    peer.listener.settimeout(0.2)
    while not peer.stopped.is_set():
        try:
            conn, _ = peer.listener.accept()
            peer.held.append(conn)
        except OSError:
            pass


def full_backlog(port):
    """A listener whose accept queue is full and never drained: Linux drops further SYNs, so
    a client's TCP connect times out, as against a filtered port."""
    peer = ThreadPeer(port, lambda p: p.stopped.wait(), backlog=0)
    for _ in range(2):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        peer.held.append(filler)
    time.sleep(0.2)
    return peer


def tls_peer(pki, server="server", tls13=False):
    """A TLS server that, like AWS IoT, closes the connection as soon as the handshake fails,
    and otherwise reads the first packet (the CONNECT) and hangs up without an answer: the
    policy hang-up (what AWS IoT does when the policy denies iot:Connect). The AWS CRT waits
    for the peer to close after a failed handshake, and openssl s_server does not close."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.path(server, "crt"), pki.path(server, "key"))
    context.load_verify_locations(pki.path("ca", "crt"))
    context.verify_mode = ssl.CERT_REQUIRED
    version = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
    context.minimum_version = context.maximum_version = version

    def serve(peer):
        peer.listener.settimeout(0.2)
        while not peer.stopped.is_set():
            try:
                conn, _ = peer.listener.accept()
            except OSError:
                continue
            try:
                conn.settimeout(5)
                # wrap_socket takes the socket over: closing the TLS socket closes the TCP
                # connection, without a close_notify (as a server that hangs up does).
                conn = context.wrap_socket(conn, server_side=True)
                conn.recv(4096)
            except OSError:
                pass
            conn.close()
    return serve


def s_server(pki, port, server="server", verify_client=False, tls13=False):
    # Every peer asks for a client certificate, as AWS IoT does (-Verify requires it), and
    # under TLS 1.2 like AWS IoT names no CAs in its request: a client that picks its
    # certificate by the CA names (JSSE) would otherwise send none. (Under TLS 1.3,
    # s_server's -no_ca_names sends an empty certificate_authorities extension, which JSSE
    # refuses as malformed: the names are sent.)
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-quiet",
            "-cert", pki.path(server, "crt"), "-key", pki.path(server, "key"),
            "-Verify" if verify_client else "-verify", "1", "-CAfile", pki.path("ca", "crt")]
    argv += ["-tls1_3"] if tls13 else ["-tls1_2", "-no_ca_names"]
    if verify_client:
        argv += ["-verify_return_error"]
    return Peer(argv, port)


def mosquitto(folder, pki, port, users=False):
    config = os.path.join(folder, "mosquitto-%d.conf" % port)
    lines = ["listener %d 127.0.0.1" % port, "allow_anonymous false",
             "cafile %s" % pki.path("ca", "crt"), "certfile %s" % pki.path("server", "crt"),
             "keyfile %s" % pki.path("server", "key"), "require_certificate true"]
    passwords = os.path.join(folder, "passwords")
    if users:
        open(passwords, "w").write("")
        subprocess.run(["mosquitto_passwd", "-b", passwords, "device", "right"], check=True,
                       capture_output=True)
    else:
        open(passwords, "w").write("")
    lines.append("password_file %s" % passwords)
    if os.geteuid() == 0:
        lines.append("user root")
    open(config, "w").write("\n".join(lines) + "\n")
    return Peer(["mosquitto", "-c", config], port)


# The scenarios: (id, what it stands for, the peer, the device certificate the client
# presents, expected check, does it need an MQTT client)
SCENARIOS = [
    ("server-untrusted", "the server's chain is not trusted by the client's CA file (a wrong CA file)", "tls:server-untrusted", "device", "verify-chain", False),
    ("name-mismatch", "the server certificate names another host", "tls:server-wrong-name", "device", "endpoint", False),
    ("server-expired", "the server certificate has expired", "tls:server-expired", "device", "verify-chain", False),
    ("device-unknown-ca-tls12", "the server rejects the device certificate (unknown CA), TLS 1.2", "s_server-verify:server", "device-unknown-ca", "account", False),
    ("device-unknown-ca-tls13", "the server rejects the device certificate (unknown CA) after a TLS 1.3 handshake", "s_server-verify-13:server", "device-unknown-ca", "account", False),
    ("device-expired-tls12", "the server rejects an expired device certificate, TLS 1.2", "s_server-verify:server", "device-expired", "device", False),
    ("device-expired-tls13", "the server rejects an expired device certificate after a TLS 1.3 handshake", "s_server-verify-13:server", "device-expired", "device", False),
    ("no-client-certificate", "the client sends no certificate where one is required", "s_server-verify:server", None, "device", False),
    ("not-authorized", "the broker answers CONNECT with not authorised (CONNACK 5)", "mosquitto", "device", "account", True),
    ("bad-credentials", "the broker answers CONNECT with bad user name or password (CONNACK 4)", "mosquitto-users", "device", "account", True),
    ("policy-hangup", "the server closes the connection after CONNECT without a CONNACK (the policy denies iot:Connect)", "hangup", "device", "account", True),
    ("policy-hangup-tls13", "the server closes the connection after CONNECT without a CONNACK, TLS 1.3", "hangup-13", "device", "account", True),
    ("connection-refused", "nothing listens on the port", "closed", "device", "endpoint", False),
    ("dns-failure", "the endpoint's name does not resolve (NXDOMAIN)", "dns", "device", "endpoint", False),
    ("handshake-timeout", "the server accepts TCP and never answers the TLS handshake", "silent", "device", "endpoint", False),
    ("connect-timeout", "the port drops the connection attempt (filtered): TCP connect times out", "filtered", "device", "endpoint", False),
]

MQTT_CLIENTS = ("mosquitto_pub", "paho-mqtt (Python)", "mqtt (MQTT.js)",
                "awsiotsdk (Python, AWS CRT)", "aws-iot-device-sdk-v2 (Node, AWS CRT)")


def client_commands(pki, host, port, cert, args, scenario):
    """Each client: (name, version, argv) for one run against host:port."""
    ca = pki.path("ca", "crt")
    cert_file, key_file = (pki.path(cert, "crt"), pki.path(cert, "key")) if cert else ("", "")
    # The SDKs' mutual TLS builders need a certificate: without one they are left out.
    device = (cert_file or pki.path("device", "crt"), key_file or pki.path("device", "key"))
    runs = []
    mosq = ["mosquitto_pub", "-h", host, "-p", str(port), "--cafile", ca, "-t", "t", "-m", "m", "-i", "device-1"]
    if cert:
        mosq += ["--cert", cert_file, "--key", key_file]
    if scenario == "bad-credentials":
        mosq += ["-u", "device", "-P", "wrong"]
    runs.append(("mosquitto_pub", version(["mosquitto_pub", "--help"], 0), mosq))
    s_client = ["openssl", "s_client", "-connect", "%s:%d" % (host, port), "-servername", host,
                "-CAfile", ca, "-verify_return_error", "-verify_hostname", host]
    if cert:
        s_client += ["-cert", cert_file, "-key", key_file]
    runs.append(("openssl s_client", version(["openssl", "version"], 0), s_client))
    curl = ["curl", "-sS", "--max-time", "10", "--cacert", ca, "https://%s:%d/" % (host, port)]
    if cert:
        curl += ["--cert", cert_file, "--key", key_file]
    runs.append(("curl", version(["curl", "--version"], 0), curl))
    runs.append(("Python ssl", "Python %s, %s" % (sys.version.split()[0], ssl.OPENSSL_VERSION),
                 [sys.executable, "-c", PYTHON_SSL % (host, port, ca, cert_file, key_file)]))
    if args.java:
        runs.append(("Java JSSE", args.java_version,
                     ["java", "-cp", args.java, "TlsClient", host, str(port), ca, cert_file, key_file]))
    if shutil.which("node"):
        runs.append(("Node tls", "Node %s" % version(["node", "--version"], 0),
                     ["node", "-e", NODE_TLS % (host, port, ca, cert_file, key_file)]))
    if args.python:
        user = ("device", "wrong") if scenario == "bad-credentials" else ("", "")
        paho = PAHO % (host, port, ca, cert_file, key_file) + PAHO_RUN % user
        runs.append(("paho-mqtt (Python)", pip_version(args.python, "paho-mqtt"), [args.python, "-c", paho]))
        if cert:
            crt = AWSIOTSDK % (host, port, ca, device[0], device[1])
            runs.append(("awsiotsdk (Python, AWS CRT)", pip_version(args.python, "awsiotsdk"), [args.python, "-c", crt]))
    if args.node_modules:
        user = ("device", "wrong") if scenario == "bad-credentials" else ("", "")
        env_js = MQTTJS % (host, port, ca, cert_file, key_file, user[0], user[1])
        runs.append(("mqtt (MQTT.js)", npm_version(args.node_modules, "mqtt"), ["node", "-e", env_js]))
        if cert and os.path.isdir(os.path.join(args.node_modules, "aws-iot-device-sdk-v2")):
            v2 = NODE_V2 % (host, port, ca, device[0], device[1])
            runs.append(("aws-iot-device-sdk-v2 (Node, AWS CRT)", npm_version(args.node_modules, "aws-iot-device-sdk-v2"), ["node", "-e", v2]))
    return runs


PYTHON_SSL = """
import socket, ssl
host, port, ca, cert, key = %r, %d, %r, %r, %r
context = ssl.create_default_context(cafile=ca)
if cert:
    context.load_cert_chain(cert, key)
with socket.create_connection((host, port), timeout=10) as sock:
    with context.wrap_socket(sock, server_hostname=host) as tls:
        tls.sendall(b"\\x10\\x00")
        print("received", tls.recv(64))
"""

JAVA_CLIENT = r"""
import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.*;

public class TlsClient {
    static byte[] pem(String path) throws IOException {
        String text = new String(Files.readAllBytes(Paths.get(path)));
        return Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", ""));
    }
    public static void main(String[] a) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null);
        trust.setCertificateEntry("ca", cf.generateCertificate(new FileInputStream(a[2])));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManager[] keys = null;
        if (a.length > 4 && !a[3].isEmpty()) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null);
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pem(a[4])));
            ks.setKeyEntry("device", key, new char[0], new java.security.cert.Certificate[]{cf.generateCertificate(new FileInputStream(a[3]))});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            keys = kmf.getKeyManagers();
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys, tmf.getTrustManagers(), null);
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(a[0], Integer.parseInt(a[1])), 10000);
        plain.setSoTimeout(10000);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, a[0], Integer.parseInt(a[1]), true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        socket.getOutputStream().write(new byte[]{0x10, 0x00});
        System.out.println("received " + socket.getInputStream().read());
    }
}
"""

NODE_TLS = """
const tls = require('tls'); const fs = require('fs');
const [host, port, ca, cert, key] = [%r, %d, %r, %r, %r];
const options = {host, port, servername: host, ca: fs.readFileSync(ca)};
if (cert) { options.cert = fs.readFileSync(cert); options.key = fs.readFileSync(key); }
const socket = tls.connect(options, () => { socket.write(Buffer.from([0x10, 0x00])); });
socket.on('data', (d) => { console.log('received', d.length); });
socket.on('error', (e) => { console.error(e); process.exit(1); });
socket.on('end', () => { console.error('the server closed the connection'); process.exit(1); });
"""

PAHO = """
import paho.mqtt.client as mqtt
host, port, ca, cert, key = %r, %d, %r, %r, %r
"""

PAHO_RUN = """
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="device-1")
c.tls_set(ca_certs=ca, certfile=cert or None, keyfile=key or None)
user, password = %r, %r
if user:
    c.username_pw_set(user, password)
def on_connect(client, userdata, flags, reason_code, properties):
    if reason_code.is_failure:
        print("Failed to connect: %%s" %% reason_code)
    client.disconnect()
def on_disconnect(client, userdata, flags, reason_code, properties):
    print("Disconnected: %%s" %% reason_code)
    client.disconnect()
c.on_connect = on_connect
c.on_disconnect = on_disconnect
c.connect(host, port, 10)
c.loop_forever(timeout=5)
"""

AWSIOTSDK = """
from awscrt import io, mqtt
from awsiot import mqtt_connection_builder
host, port, ca, cert, key = %r, %d, %r, %r, %r
connection = mqtt_connection_builder.mtls_from_path(endpoint=host, port=port, cert_filepath=cert,
    pri_key_filepath=key, ca_filepath=ca, client_id="device-1", clean_session=True, keep_alive_secs=30)
print("Connecting to %%s with client ID 'device-1'..." %% host)
try:
    connection.connect().result(10)
    print("Connected!")
except Exception as e:
    print("Connection failed with exception %%s" %% e)
    raise
"""

MQTTJS = """
const mqtt = require('mqtt'); const fs = require('fs');
const [host, port, ca, cert, key, username, password] = [%r, %d, %r, %r, %r, %r, %r];
const options = {port, host, protocol: 'mqtts', clientId: 'device-1', ca: fs.readFileSync(ca), reconnectPeriod: 0, connectTimeout: 8000};
if (cert) { options.cert = fs.readFileSync(cert); options.key = fs.readFileSync(key); }
if (username) { options.username = username; options.password = password; }
const c = mqtt.connect(options);
c.on('connect', () => { console.log('connected'); c.end(); });
c.on('error', (e) => { console.error('Error:', e.message, e.code || ''); c.end(true); process.exitCode = 1; });
c.on('close', () => { console.error('connection closed'); process.exit(); });
"""

NODE_V2 = """
const {mqtt, iot} = require('aws-iot-device-sdk-v2');
const [host, port, ca, cert, key] = [%r, %d, %r, %r, %r];
const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(cert, key)
  .with_certificate_authority_from_path(undefined, ca).with_endpoint(host).with_port(port)
  .with_client_id('device-1').with_clean_session(true).build();
const connection = new mqtt.MqttClient().new_connection(config);
connection.connect().then(() => { console.log('connected'); return connection.disconnect(); })
  .catch((e) => { console.error(String(e)); process.exit(1); });
setTimeout(() => { console.error('timed out'); process.exit(1); }, 10000);
"""

# A DNS responder for the namespace of the DNS scenario: every question is answered NXDOMAIN
# (the header's flags and counts set, the question echoed). Stops after 60 s.
DNS_RESPONDER = r"""
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53)); s.settimeout(1)
end = time.time() + 60
while time.time() < end:
    try:
        query, peer = s.recvfrom(512)
    except OSError:
        continue
    ident, flags = struct.unpack(">HH", query[:4])
    answer = struct.pack(">HHHHHH", ident, 0x8183 | (flags & 0x0100), 1, 0, 0, 0) + query[12:]
    s.sendto(answer, peer)
"""


def in_namespace_with_nxdomain(argv, folder):
    """argv run in a new network and mount namespace: loopback only, and a resolv.conf that
    names a local responder answering NXDOMAIN."""
    resolv = os.path.join(folder, "resolv.conf")
    open(resolv, "w").write("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
    responder = os.path.join(folder, "dns.py")
    open(responder, "w").write(DNS_RESPONDER)
    script = ("ip link set lo up && mount --bind %s /etc/resolv.conf && "
              "(%s %s &) && sleep 0.5 && exec \"$@\"" % (resolv, sys.executable, responder))
    return ["unshare", "-n", "-m", "sh", "-c", script, "sh"] + argv


def version(argv, line):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=5)
        text = (out.stdout or out.stderr).strip().split("\n")
        return text[line].strip() if text else "?"
    except OSError:
        return None


def pip_version(python, package):
    out = subprocess.run([python, "-m", "pip", "show", package], capture_output=True, text=True)
    for line in out.stdout.split("\n"):
        if line.startswith("Version:"):
            return "%s %s" % (package, line.split(":", 1)[1].strip())
    return None


def npm_version(folder, package):
    try:
        return "%s %s" % (package, json.load(open(os.path.join(folder, package, "package.json")))["version"])
    except OSError:
        return None


def compile_java(folder):
    """The JSSE client compiled into folder; None (and said so) without a JDK."""
    if not (shutil.which("javac") and shutil.which("java")):
        print("client_matrix.py: no javac/java: the JSSE client is left out")
        return None, None
    source = os.path.join(folder, "TlsClient.java")
    open(source, "w").write(JAVA_CLIENT)
    subprocess.run(["javac", "-d", folder, source], check=True)
    out = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return folder, "Java %s" % out.stderr.split("\n")[0].split('"')[1]


def run_client(argv, node_modules):
    env = dict(os.environ)
    if node_modules:
        env["NODE_PATH"] = node_modules
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)
        text = out.stdout + out.stderr
    except subprocess.TimeoutExpired as e:
        text = ((e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or ""))
        text += "\n(no answer within %d s)" % TIMEOUT
    # What a user pastes: the client's output, without the certificate dumps of s_client,
    # stack frames and the source lines of a Node stack trace.
    lines = [l for l in text.split("\n")
             if l.strip() and not l.startswith(("-----", " ", "\t")) and not re.fullmatch(r"[A-Za-z0-9+/=]{40,}", l)
             and not re.fullmatch(r"\s*\^+\s*", l) and not l.startswith(("node:internal", "Node.js v"))]
    return "\n".join(lines[-40:])


def start_peer(kind, folder, pki, port):
    if kind.startswith("s_server"):
        prefix, server = kind.split(":")
        return s_server(pki, port, server, verify_client="verify" in prefix, tls13=prefix.endswith("-13"))
    if kind.startswith("mosquitto"):
        return mosquitto(folder, pki, port, users=kind.endswith("-users"))
    if kind.startswith("hangup"):
        return ThreadPeer(port, tls_peer(pki, tls13=kind.endswith("-13")))
    if kind.startswith("tls:"):
        return ThreadPeer(port, tls_peer(pki, server=kind.split(":")[1]))
    if kind == "silent":
        return ThreadPeer(port, silent)
    if kind == "filtered":
        return full_backlog(port)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--python")
    parser.add_argument("--node-modules")
    parser.add_argument("--only", action="append",
                        help="record only this scenario (may be given again); the other client records of --out are kept")
    parser.add_argument("--client", action="append",
                        help="record only this client (may be given again), with --only")
    parser.add_argument("--iotcheck", default="target/debug/iotcheck",
                        help="the binary whose catalogue examples a record must not hold")
    args = parser.parse_args()
    listing = json.loads(subprocess.run([args.iotcheck, "explain", "--list", "--json"],
                                        capture_output=True, text=True, check=True).stdout)
    examples = {e["example"].lower() for e in listing["entries"] if "example" in e}
    for tool in ["openssl", "mosquitto", "mosquitto_pub", "mosquitto_passwd", "curl", "unshare"]:
        if not shutil.which(tool):
            sys.exit("client_matrix.py: needs %s" % tool)
    if os.geteuid() != 0:
        sys.exit("client_matrix.py: run as root (the DNS scenario makes a network namespace)")
    if args.node_modules and not os.path.isdir(os.path.join(args.node_modules, "mqtt")):
        print("client_matrix.py: no mqtt in %s: the Node MQTT clients are left out" % args.node_modules)
        args.node_modules = None
    records = []
    today = datetime.date.today().isoformat()
    with tempfile.TemporaryDirectory() as folder:
        pki = Pki(folder)
        args.java, args.java_version = compile_java(folder)
        for scenario, meaning, peer_kind, cert, expected, needs_mqtt in SCENARIOS:
            if args.only and scenario not in args.only:
                continue
            host = ENDPOINT if peer_kind == "dns" else "localhost"
            for name, client_version, _ in client_commands(pki, host, 0, cert, args, scenario):
                if args.client and name not in args.client:
                    continue
                if needs_mqtt and name not in MQTT_CLIENTS:
                    continue  # it does not speak MQTT
                if client_version is None:
                    print("  %-40s not installed: left out" % name)
                    continue
                port = free_port()
                argv = [r for r in client_commands(pki, host, port, cert, args, scenario) if r[0] == name][0][2]
                if peer_kind == "dns":
                    argv = in_namespace_with_nxdomain(argv, folder)
                peer = start_peer(peer_kind, folder, pki, port)
                try:
                    text = run_client(argv, args.node_modules)
                finally:
                    if peer:
                        peer.stop()
                record = {
                    "source": "client",
                    "client": name,
                    "version": client_version,
                    "scenario": scenario,
                    "meaning": meaning,
                    "recorded": today,
                    "text": text,
                    "expected_check": expected,
                }
                known = [l.strip().lower() for l in text.split("\n")
                         if len(l.strip()) >= 12 and l.strip().lower() in examples]
                server_side = peer_kind.startswith("tls:")
                if name == "Java JSSE" and scenario == "device-unknown-ca-tls13":
                    # JSSE offers only a certificate of a CA the server names, and the local
                    # peer must name its CA under TLS 1.3 (see s_server): JSSE sends none.
                    record["excluded"] = "JSSE sends no certificate of a CA the peer does not name: the scenario is not reached"
                elif "AWS CRT" in name and server_side and "AWS_" not in text:
                    # The CRT finds the server certificate bad at once (its debug log says
                    # so) and then waits for the peer to close; it timed out first.
                    record["excluded"] = "the AWS CRT waited for the local peer to close after it refused the server certificate: the timeout is the peer's"
                elif not [l for l in text.split("\n") if not l.startswith("(no answer within")]:
                    record["excluded"] = "the client printed nothing within %d s" % TIMEOUT
                elif known:
                    record["excluded"] = "a line of it is an example of the catalogue: %s" % known[0]
                records.append(record)
                print("  %-40s %-26s %d lines" % (name, scenario, text.count("\n") + 1))
    kept = []
    if os.path.exists(args.out):
        kept = [r for r in json.load(open(args.out))
                if r.get("source") != "client" or (args.only and r.get("scenario") not in args.only)
                or (args.client and r.get("client") not in args.client)]
    with open(args.out, "w") as f:
        json.dump(kept + records, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("%d client records recorded, %d records kept in %s" % (len(records), len(kept), args.out))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Records what real clients print when they fail the way devices fail, for the held-out set
of `iotcheck explain` (tests/data/explain-heldout.json, entries with "source": "client").

Each scenario starts a local peer on a free loopback port, configured to fail in one way
(`openssl s_server` with a chain the client does not trust, a name it does not match, an
expired certificate, a device certificate it rejects under TLS 1.2 or 1.3, no client
certificate; mosquitto refusing the CONNECT; a closed port; a plain-text MQTT port), runs each
client against it, and records the client's output with its provenance: the client and its
version, the scenario, the date. Nothing leaves loopback.

Clients: mosquitto_pub, openssl s_client, curl (always); paho-mqtt and the AWS IoT Device SDK
v2 (awsiotsdk) from a Python environment given with --python; mqtt (MQTT.js) and
aws-iot-device-sdk-v2 from a node_modules directory given with --node-modules. A client that
is missing is left out and said so.

Usage:
  python3 tools/explain-heldout/client_matrix.py --out tests/data/explain-heldout.json \
      [--python VENV/bin/python] [--node-modules DIR] [--iotcheck target/debug/iotcheck]

Records that cannot stand for their scenario, or that hold a line the catalogue has as an
example, are kept with an "excluded" reason: the test reports them and does not measure them.
The live matrix does not run in CI (it needs the Python and Node clients installed, and
takes minutes); the recorded file is what CI measures.

The output replaces the "client" entries of --out and keeps its "thread" entries.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TIMEOUT = 15


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


def s_server(pki, port, server="server", verify_client=False, tls13=False):
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-quiet",
            "-cert", pki.path(server, "crt"), "-key", pki.path(server, "key")]
    argv += ["-tls1_3"] if tls13 else ["-tls1_2"]
    if verify_client:
        argv += ["-Verify", "1", "-verify_return_error", "-CAfile", pki.path("ca", "crt")]
    return Peer(argv, port)


def mosquitto(folder, pki, port, tls=True, anonymous=True):
    config = os.path.join(folder, "mosquitto-%d.conf" % port)
    lines = ["listener %d 127.0.0.1" % port, "allow_anonymous %s" % ("true" if anonymous else "false")]
    if not anonymous:
        passwords = os.path.join(folder, "passwords")
        open(passwords, "w").write("")
        lines.append("password_file %s" % passwords)
    if tls:
        lines += ["cafile %s" % pki.path("ca", "crt"), "certfile %s" % pki.path("server", "crt"),
                  "keyfile %s" % pki.path("server", "key")]
    if os.geteuid() == 0:
        lines.append("user root")
    open(config, "w").write("\n".join(lines) + "\n")
    return Peer(["mosquitto", "-c", config], port)


# The scenarios: (id, what it stands for, the peer, what the client presents, expected check)
SCENARIOS = [
    ("server-untrusted", "the server's chain is not trusted by the client's CA file", "s_server:server-untrusted", "device", "verify-chain"),
    ("name-mismatch", "the server certificate names another host", "s_server:server-wrong-name", "device", "endpoint"),
    ("server-expired", "the server certificate has expired", "s_server:server-expired", "device", "verify-chain"),
    ("device-unknown-ca-tls12", "the server rejects the device certificate (unknown CA), TLS 1.2", "s_server-verify:server", "device-unknown-ca", "account"),
    ("device-unknown-ca-tls13", "the server rejects the device certificate (unknown CA) after a TLS 1.3 handshake", "s_server-verify-13:server", "device-unknown-ca", "account"),
    ("device-expired-tls12", "the server rejects an expired device certificate, TLS 1.2", "s_server-verify:server", "device-expired", "device"),
    ("no-client-certificate", "the client sends no certificate where one is required", "s_server-verify:server", None, "device"),
    ("not-authorized", "the broker answers CONNECT with not authorized", "mosquitto-auth", "device", "account"),
    ("connection-refused", "nothing listens on the port", "closed", "device", "endpoint"),
]


def client_commands(pki, port, cert, args):
    """Each client: (name, version, argv, environment) for one run."""
    ca = pki.path("ca", "crt")
    cert_args = [] if cert is None else [pki.path(cert, "crt"), pki.path(cert, "key")]
    runs = []
    mosq = ["mosquitto_pub", "-h", "localhost", "-p", str(port), "--cafile", ca, "-t", "t", "-m", "m", "-i", "device-1"]
    if cert_args:
        mosq += ["--cert", cert_args[0], "--key", cert_args[1]]
    runs.append(("mosquitto_pub", version(["mosquitto_pub", "--help"], 0), mosq))
    s_client = ["openssl", "s_client", "-connect", "localhost:%d" % port, "-servername", "localhost",
                "-CAfile", ca, "-verify_return_error", "-verify_hostname", "localhost"]
    if cert_args:
        s_client += ["-cert", cert_args[0], "-key", cert_args[1]]
    runs.append(("openssl s_client", version(["openssl", "version"], 0), s_client))
    curl = ["curl", "-sS", "--max-time", "10", "--cacert", ca, "https://localhost:%d/" % port]
    if cert_args:
        curl += ["--cert", cert_args[0], "--key", cert_args[1]]
    runs.append(("curl", version(["curl", "--version"], 0), curl))
    if args.python:
        paho = PAHO % (port, ca, cert_args[0] if cert_args else "", cert_args[1] if cert_args else "")
        runs.append(("paho-mqtt (Python)", pip_version(args.python, "paho-mqtt"), [args.python, "-c", paho]))
        crt = AWSIOTSDK % (port, ca, cert_args[0] if cert_args else pki.path("device", "crt"),
                           cert_args[1] if cert_args else pki.path("device", "key"))
        runs.append(("awsiotsdk (Python, AWS CRT)", pip_version(args.python, "awsiotsdk"), [args.python, "-c", crt]))
    if args.node_modules:
        env_js = MQTTJS % (port, ca, cert_args[0] if cert_args else "", cert_args[1] if cert_args else "")
        runs.append(("mqtt (MQTT.js)", npm_version(args.node_modules, "mqtt"), ["node", "-e", env_js]))
        if os.path.isdir(os.path.join(args.node_modules, "aws-iot-device-sdk-v2")):
            v2 = NODE_V2 % (port, ca, cert_args[0] if cert_args else pki.path("device", "crt"),
                            cert_args[1] if cert_args else pki.path("device", "key"))
            runs.append(("aws-iot-device-sdk-v2 (Node, AWS CRT)", npm_version(args.node_modules, "aws-iot-device-sdk-v2"), ["node", "-e", v2]))
    return runs


PAHO = """
import paho.mqtt.client as mqtt
port, ca, cert, key = %d, %r, %r, %r
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="device-1")
c.tls_set(ca_certs=ca, certfile=cert or None, keyfile=key or None)
def on_connect(client, userdata, flags, reason_code, properties):
    if reason_code.is_failure:
        print("Failed to connect: %%s" %% reason_code)
    client.disconnect()
c.on_connect = on_connect
c.connect("localhost", port, 10)
c.loop_forever(timeout=5)
"""

AWSIOTSDK = """
from awscrt import io, mqtt
from awsiot import mqtt_connection_builder
port, ca, cert, key = %d, %r, %r, %r
connection = mqtt_connection_builder.mtls_from_path(endpoint="localhost", port=port, cert_filepath=cert,
    pri_key_filepath=key, ca_filepath=ca, client_id="device-1", clean_session=True, keep_alive_secs=30)
print("Connecting to localhost with client ID 'device-1'...")
try:
    connection.connect().result(10)
    print("Connected!")
except Exception as e:
    print("Connection failed with exception %%s" %% e)
    raise
"""

MQTTJS = """
const mqtt = require('mqtt'); const fs = require('fs');
const [port, ca, cert, key] = [%d, %r, %r, %r];
const options = {port, host: 'localhost', protocol: 'mqtts', clientId: 'device-1', ca: fs.readFileSync(ca), reconnectPeriod: 0, connectTimeout: 8000};
if (cert) { options.cert = fs.readFileSync(cert); options.key = fs.readFileSync(key); }
const c = mqtt.connect(options);
c.on('connect', () => { console.log('connected'); c.end(); });
c.on('error', (e) => { console.error('Error:', e.message, e.code || ''); c.end(true); process.exitCode = 1; });
c.on('close', () => process.exit());
"""

NODE_V2 = """
const {mqtt, iot} = require('aws-iot-device-sdk-v2');
const [port, ca, cert, key] = [%d, %r, %r, %r];
const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(cert, key)
  .with_certificate_authority_from_path(undefined, ca).with_endpoint('localhost').with_port(port)
  .with_client_id('device-1').with_clean_session(true).build();
const connection = new mqtt.MqttClient().new_connection(config);
connection.connect().then(() => { console.log('connected'); return connection.disconnect(); })
  .catch((e) => { console.error(String(e)); process.exit(1); });
setTimeout(() => { console.error('timed out'); process.exit(1); }, 10000);
"""


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
    # What a user pastes: the client's output, without the certificate dumps of s_client.
    lines = [l for l in text.split("\n")
             if l.strip() and not l.startswith(("-----", " ", "\t")) and not re.fullmatch(r"[A-Za-z0-9+/=]{40,}", l)]
    return "\n".join(lines[-40:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--python")
    parser.add_argument("--node-modules")
    parser.add_argument("--iotcheck", default="target/debug/iotcheck",
                        help="the binary whose catalogue examples a record must not hold")
    args = parser.parse_args()
    listing = json.loads(subprocess.run([args.iotcheck, "explain", "--list", "--json"],
                                        capture_output=True, text=True, check=True).stdout)
    examples = {e["example"].lower() for e in listing["entries"] if "example" in e}
    for tool in ["openssl", "mosquitto", "mosquitto_pub", "curl"]:
        if not shutil.which(tool):
            sys.exit("client_matrix.py: needs %s" % tool)
    if args.node_modules and not os.path.isdir(os.path.join(args.node_modules, "mqtt")):
        print("client_matrix.py: no mqtt in %s: the Node clients are left out" % args.node_modules)
        args.node_modules = None
    records = []
    today = datetime.date.today().isoformat()
    with tempfile.TemporaryDirectory() as folder:
        pki = Pki(folder)
        for scenario, meaning, peer_kind, cert, expected in SCENARIOS:
            for name, client_version, argv in client_commands(pki, 0, cert, args):
                if scenario == "not-authorized" and name in ("openssl s_client", "curl"):
                    continue  # they do not speak MQTT
                if cert is None and "AWS CRT" in name:
                    continue  # the SDK's mutual TLS builder cannot leave the certificate out
                if client_version is None:
                    print("  %-40s not installed: left out" % name)
                    continue
                port = free_port()
                _, _, argv = [r for r in client_commands(pki, port, cert, args) if r[0] == name][0]
                peer = None
                if peer_kind.startswith("s_server"):
                    kind, server = peer_kind.split(":")
                    peer = s_server(pki, port, server, verify_client="verify" in kind, tls13=kind.endswith("-13"))
                elif peer_kind == "mosquitto-auth":
                    peer = mosquitto(folder, pki, port, anonymous=False)
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
                if "AWS CRT" in name:
                    # The CRT (s2n) fails the TLS negotiation with these local peers even where
                    # the chain is valid (against mosquitto with the right CA file), so what it
                    # prints does not stand for the scenario: recorded, not measured.
                    record["excluded"] = "the AWS CRT fails TLS with the local peers even with a valid chain"
                known = [l.strip().lower() for l in text.split("\n")
                         if len(l.strip()) >= 12 and l.strip().lower() in examples]
                if known and "excluded" not in record:
                    record["excluded"] = "a line of it is an example of the catalogue: %s" % known[0]
                records.append(record)
                print("  %-40s %-26s %d lines" % (name, scenario, text.count("\n") + 1))
    kept = []
    if os.path.exists(args.out):
        kept = [r for r in json.load(open(args.out)) if r.get("source") != "client"]
    with open(args.out, "w") as f:
        json.dump(kept + records, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("%d client records, %d thread records in %s" % (len(records), len(kept), args.out))


if __name__ == "__main__":
    main()

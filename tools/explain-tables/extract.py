#!/usr/bin/env python3
"""Regenerates the error tables of `iotcheck explain` (src/explain/tables/*.tsv) from the
stacks' own sources at pinned versions.

Every row names the source it came from: the repository, the tag it was read at, the pinned
commit, the path, and the SHA-256 of the input read. The tables are committed; nobody edits
them by hand. The Rust tests hold each table to its digest line and every row to a pinned
source; this script, run on the same inputs, reproduces the committed files byte for byte
(`--check`).

Inputs:
  * git repositories at the commits pinned below (`PINS`): a directory holding one bare or
    ordinary clone per repository, named OWNER+NAME/repo (give it with --upstream; clone
    with `git clone --bare https://github.com/OWNER/NAME OWNER+NAME/repo`);
  * OpenSSL 3.0.19's headers (include/openssl/*.h, as libssl-dev installs them) and its
    libraries, whose own functions give the texts (X509_verify_cert_error_string,
    ERR_reason_error_string, SSL_alert_desc_string_long): the script refuses another
    version;
  * glibc 2.36's strerror, through Python's os.strerror: the script refuses another version.
  * the src.zip of Debian's openjdk-17-source 17.0.21.1+2-1~deb12u1 (--jdk-src): the script
    refuses another version;
  * the npm package mqtt 5.16.0, unpacked (--mqttjs: `npm pack mqtt@5.16.0 && tar xzf mqtt-5.16.0.tgz`,
    its package/ folder): the script refuses another version;
  * Node.js v20.20.2 on the PATH: its lib/ sources as built (process.binding('natives')) and
    libuv's error map (util.getSystemErrorMap()): the script refuses another version.

Usage:
  python3 tools/explain-tables/extract.py --upstream DIR --jdk-src SRC.ZIP --mqttjs PACKAGE            # writes the tables
  python3 tools/explain-tables/extract.py --upstream DIR --jdk-src SRC.ZIP --mqttjs PACKAGE --check    # compares, exit 1 on a difference
"""
import argparse
import ctypes
import errno as errno_module
import hashlib
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = os.path.join(HERE, "..", "..", "src", "explain", "tables")

# The pinned versions: repository -> (tag it was read at, commit).
PINS = {
    "awslabs/aws-c-common": ("v0.14.1", "b25a34af"),
    "awslabs/aws-c-io": ("v0.27.7", "78ad967e8eaa527893a34dc43253870974ddfde1"),
    "awslabs/aws-c-mqtt": ("v0.16.2", "d699fe4e"),
    "aws/s2n-tls": ("main", "8cbf81ad74968a1d03efbd9352a89abd292232d4"),
    "Mbed-TLS/mbedtls": ("v3.6.6", "0bebf8b8c7f07abe3571ded48a11aa907a1ffb20"),
    "eclipse-paho/paho.mqtt.python": ("master", "1d04072c479ded28559e5207cd96f19d4075ca44"),
    "awslabs/aws-c-http": ("v0.11.1", "bd6f0b0cf0814e87249cc621466800ab1ae2aa5d"),
    "awslabs/aws-c-auth": ("v0.10.5", "495329c2433034bd8fd53fc6ba9e0202d3fac876"),
    "FreeRTOS/coreMQTT": ("v5.0.2", "04845c6a8e5f9cf2d232f1c6e80baeb81302e690"),
    "curl/curl": ("master", "5c61e168698a72b87437d58ed728bcdea6d5db42"),
    "eclipse/mosquitto": ("v2.0.20", "fb9b1153924ae0e2dfb3bcb4266ee5bb49a5c515"),
    "espressif/esp-idf": ("master", "102122904ade11fd1ae373848f34ffd7dfb18aeb"),
    "aws/aws-iot-device-sdk-embedded-C": ("v3.1.5", "fea3abbb65e102dd03f1238b34eecf8da311daf0"),
    "eclipse-paho/paho.mqtt.c": ("v1.3.15", "62782406bcf511ee8e22bc34e826f8c6b8254c7c"),
    "eclipse-paho/paho.mqtt.java": ("v1.2.5", "570ed6eeaba81b0865821fed6de0d36142fedfde"),
    "awslabs/aws-iot-device-client": ("v1.10.1", "7f9547bca3e1a199f2824f4376e1782b082b226f"),
    "aws-greengrass/aws-greengrass-nucleus": ("v2.18.2", "c2277d585124ff8ea28964f5d6af66559472c0cc"),
    "espressif/esp-mqtt": ("master", "5a9ba05aa3ca18aaf9d133af03e7e41f5c336847"),
}

# ESP-IDF releases whose esp-tls error numbers are read (each tag resolved in the clone; the
# numbers moved between 4.2 and 4.3, and codes were added later).
ESP_IDF_RELEASES = ["v4.0", "v4.3", "v4.4", "v5.0", "v5.5.1"]
OPENSSL_VERSION = "3.0.19"
OPENSSL_INCLUDE = "/usr/include/openssl"
GLIBC_VERSION = "2.36"


class Table:
    def __init__(self, name, title):
        self.name, self.title = name, title
        self.sources, self.rows = [], []

    def source(self, repository, reference, commit, path, data):
        for s in self.sources:
            if s[1:5] == (repository, reference, commit, path):
                return s[0]
        sid = "S%d" % (len(self.sources) + 1)
        digest = hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()
        self.sources.append((sid, repository, reference, commit, path, digest))
        return sid

    def row(self, sid, stack, name, numbers, family, *texts):
        clean = [re.sub(r"\s+", " ", t).strip() for t in texts if t and t.strip()]
        for field in [stack, name, family] + clean:
            assert "\t" not in field and "\n" not in field
        self.rows.append((sid, stack, name, ",".join(numbers) if numbers else "-", family, clean))

    def text(self):
        body = []
        for s in self.sources:
            body.append("source\t" + "\t".join(s))
        seen = set()
        for sid, stack, name, numbers, family, texts in self.rows:
            if (stack, name) in seen:
                continue
            seen.add((stack, name))
            body.append("\t".join(["row", sid, stack, name, numbers, family] + texts))
        lines = "".join(l + "\n" for l in body)
        digest = hashlib.sha256(lines.encode()).hexdigest()
        head = (
            "# %s\n# Generated by tools/explain-tables/extract.py from the sources named below; do not edit.\n"
            "# rows-sha256: %s\n" % (self.title, digest)
        )
        return head + lines


class Upstream:
    def __init__(self, root):
        self.root = root

    def git_dir(self, repository):
        path = os.path.join(self.root, repository.replace("/", "+"), "repo")
        if not os.path.isdir(path):
            sys.exit("extract.py: no clone of %s at %s" % (repository, path))
        return path

    def commit(self, repository):
        reference, commit = PINS[repository]
        full = subprocess.run(
            ["git", "--git-dir", self.git_dir(repository), "rev-parse", commit + "^{commit}"],
            check=True, capture_output=True, text=True).stdout.strip()
        return reference, full

    def read(self, repository, path):
        reference, commit = self.commit(repository)
        data = subprocess.run(
            ["git", "--git-dir", self.git_dir(repository), "show", "%s:%s" % (commit, path)],
            check=True, capture_output=True).stdout
        return reference, commit, data.decode("utf-8", "replace")

    def read_at(self, repository, tag, path):
        """A file at a release tag of the pinned clone: (tag, commit, text)."""
        commit = subprocess.run(
            ["git", "--git-dir", self.git_dir(repository), "rev-parse", tag + "^{commit}"],
            check=True, capture_output=True, text=True).stdout.strip()
        found = subprocess.run(
            ["git", "--git-dir", self.git_dir(repository), "show", "%s:%s" % (commit, path)],
            capture_output=True)
        if found.returncode != 0:
            return tag, commit, None
        return tag, commit, found.stdout.decode("utf-8", "replace")

    def files(self, repository, pattern):
        _, commit = self.commit(repository)
        names = subprocess.run(
            ["git", "--git-dir", self.git_dir(repository), "ls-tree", "-r", "--name-only", commit],
            check=True, capture_output=True, text=True).stdout.split("\n")
        return sorted(n for n in names if re.fullmatch(pattern, n))


def first(rules, name, default):
    """The family of the first rule whose expression matches the name."""
    for expression, family in rules:
        if re.search(expression, name):
            return family
    return default


# ---------------------------------------------------------------- AWS CRT

CRT_FAMILIES = [
    (r"^AWS_AUTH_|^AWS_ERROR_AUTH_|SIGV4|SIGNING", "aws-credentials"),
    (r"^AWS_ERROR_HTTP_PROXY|HTTP_.*PROXY", "proxy"),
    (r"WEBSOCKET_UPGRADE", "aws-credentials"),
    (r"DNS|HOST_RESOLUTION|NO_ADDRESS", "dns"),
    (r"CONNECTION_REFUSED", "tcp-refused"),
    (r"TIMEOUT|TIMED_OUT|NO_ROUTE|NETWORK_DOWN|UNREACHABLE", "tcp-timeout"),
    (r"TLS_ERROR_READ_FAILURE|CONNECTION_RESET|CLOSED|UNEXPECTED_HANGUP|BROKEN_PIPE|SOCKET_NOT_CONNECTED|CONNECTION_ABORTED", "closed-after-handshake"),
    (r"TLS_ERROR_ALERT|ALERT_RECEIVED|TLS_ALERT", "device-cert-rejected"),
    (r"CERTIFICATE_EXPIRED", "cert-expired"),
    (r"NOT_YET_VALID", "cert-not-yet-valid"),
    (r"HOST_NAME_MISMATCH", "name-mismatch"),
    (r"UNKNOWN_ROOT|NO_ROOT|INVALID_CHAIN|UNTRUSTED|CERT_.*REVOKED|SELF_SIGNED|CHAIN|TRUST_STORE", "server-untrusted"),
    (r"FILE|PEM|PRIVATE_KEY|KEY_|PKCS|CERTIFICATE_PARSE|INVALID_CERT", "device-credentials"),
    (r"PROXY", "proxy"),
    (r"ALPN", "alpn-port"),
    (r"VERSION|CIPHER|SIGNATURE_ALGORITHM", "tls-version-cipher"),
    (r"OOM|MEMORY|ALLOC", "out-of-memory"),
    (r"NOT_AUTHORIZED|CONNACK|CONNECTION_REJECTED|BAD_CREDENTIALS", "policy-connect"),
    (r"SUBSCRIBE|PUBLISH|SUBACK|PUBACK", "policy-pubsub"),
    (r"THROTTL|QUOTA|LIMIT|FLOW_CONTROL", "throttling-limits"),
    (r"WEBSOCKET|SIGN|CREDENTIALS", "aws-credentials"),
    (r"PROTOCOL_ERROR|MALFORMED|INVALID_RESERVED|INVALID_PACKET|DECODE", "not-tls-or-mqtt"),
    (r"TLS|SSL|NEGOTIATION", "tls-failed"),
    (r"SOCKET|IO_|NETWORK", "network-dropped"),
]


def crt(up):
    table = Table("aws-crt", "AWS Common Runtime: error names and strings of aws-c-common, aws-c-io, aws-c-mqtt, aws-c-http, aws-c-auth and s2n-tls")
    for repository, path, macro in [
        ("awslabs/aws-c-common", "source/common.c", "AWS_DEFINE_ERROR_INFO_COMMON"),
        ("awslabs/aws-c-io", "source/io.c", "AWS_DEFINE_ERROR_INFO_IO"),
        ("awslabs/aws-c-mqtt", "source/mqtt.c", "AWS_DEFINE_ERROR_INFO_MQTT"),
        ("awslabs/aws-c-http", "source/http.c", "AWS_DEFINE_ERROR_INFO_HTTP"),
        ("awslabs/aws-c-auth", "source/auth.c", "AWS_DEFINE_ERROR_INFO_AUTH"),
    ]:
        reference, commit, text = up.read(repository, path)
        sid = table.source(repository, reference, commit, path, text)
        for name, string in re.findall(
                macro + r"\s*\(\s*([A-Z0-9_]+)\s*,\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+)\)", text):
            message = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", string))
            table.row(sid, "aws-crt", name, [], first(CRT_FAMILIES, name, "configuration"), message)
    reference, commit, text = up.read("aws/s2n-tls", "error/s2n_errno.c")
    sid = table.source("aws/s2n-tls", reference, commit, "error/s2n_errno.c", text)
    for name, string in re.findall(r"ERR_ENTRY\(\s*(S2N_ERR_[A-Z0-9_]+)\s*,\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+)\)", text):
        message = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", string))
        table.row(sid, "aws-crt", name, [], first(CRT_FAMILIES, name, "tls-failed"), message)
    return table


# ---------------------------------------------------------------- mbedTLS

MBEDTLS_FAMILIES = [
    (r"X509_CERT_VERIFY_FAILED", "verify-failed"),
    (r"SSL_UNRECOGNIZED_NAME", "sni"),
    (r"SSL_NO_APPLICATION_PROTOCOL", "alpn-port"),
    (r"NET_UNKNOWN_HOST", "dns"),
    (r"NET_CONNECT_FAILED|NET_SOCKET_FAILED", "tcp-timeout"),
    (r"NET_CONN_RESET|SSL_CONN_EOF|PEER_CLOSE_NOTIFY", "closed-after-handshake"),
    (r"NET_(RECV|SEND)_FAILED|NET_", "network-dropped"),
    (r"SSL_FATAL_ALERT_MESSAGE", "device-cert-rejected"),
    (r"ALLOC_FAILED", "out-of-memory"),
    (r"BUFFER_TOO_SMALL|INVALID_RECORD|RECORD_OVERFLOW", "record-buffer"),
    (r"SSL_TIMEOUT", "tcp-timeout"),
    (r"BAD_PROTOCOL_VERSION|HANDSHAKE_FAILURE|NO_CIPHER|NO_USABLE_CIPHERSUITE|UNKNOWN_SIG_ALG|FEATURE_UNAVAILABLE", "tls-version-cipher"),
    (r"NO_CLIENT_CERTIFICATE|CERTIFICATE_REQUIRED", "no-client-certificate"),
    (r"SSL_UNEXPECTED_MESSAGE|SSL_DECODE_ERROR", "not-tls-or-mqtt"),
    (r"SSL_BAD_CERTIFICATE|SSL_CA_CHAIN_REQUIRED", "server-untrusted"),
    (r"X509_|PK_|PEM_|ASN1_|PKCS", "device-credentials"),
]


# An error's define with its doc comment: before it (3.x), or after it (2.x: /**< */).
MBEDTLS_ERR_DEFINE = r"(?:/\*\*\s*((?:(?!\*/).)*?)\s*\*/\s*\n)?#define\s+(MBEDTLS_ERR_[A-Z0-9_]+)\s+(-0x[0-9A-Fa-f]+)\s*(?:/\*\*<\s*(.*?)\s*\*/)?"


def mbedtls(up):
    table = Table("mbedtls", "mbedTLS: every MBEDTLS_ERR_* of the public headers, with its code and text")
    repository = "Mbed-TLS/mbedtls"
    for path in up.files(repository, r"include/mbedtls/[a-z0-9_]+\.h"):
        reference, commit, text = up.read(repository, path)
        # The text is the doc comment before the define (3.x), or after it (2.x: /**< */).
        found = re.findall(MBEDTLS_ERR_DEFINE, text, re.S)
        if not found:
            continue
        sid = table.source(repository, reference, commit, path, text)
        for before, name, number, after in found:
            message = re.sub(r"\s*\n\s*\*?\s*", " ", before or after)
            # Codes under 0x10 (-1 ... -15) are too small to tell from any -1 a log prints.
            numbers = [number] if int(number, 16) <= -0x10 else []
            table.row(sid, "mbedtls", name, numbers, first(MBEDTLS_FAMILIES, name, "tls-failed"), message)
    return table


# ---------------------------------------------------------------- OpenSSL

X509_FAMILIES = [
    (r"CERT_NOT_YET_VALID", "cert-not-yet-valid"),
    (r"CERT_HAS_EXPIRED", "cert-expired"),
    (r"HOSTNAME_MISMATCH|IP_ADDRESS_MISMATCH", "name-mismatch"),
    (r"OUT_OF_MEM", "out-of-memory"),
    (r"KEY_TOO_SMALL|MD_TOO_WEAK|UNSUPPORTED_SIGNATURE_ALGORITHM", "tls-version-cipher"),
    (r"UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|SELF_SIGNED|UNTRUSTED|CHAIN_TOO_LONG|SIGNATURE_FAILURE|INVALID_CA|REVOKED|PATH_LENGTH|STORE_LOOKUP", "server-untrusted"),
]

SSL_FAMILIES = [
    (r"ALERT_CERTIFICATE_EXPIRED", "device-cert-expired"),
    (r"ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_REVOKED|ACCESS_DENIED|UNSUPPORTED_CERTIFICATE)", "device-cert-rejected"),
    (r"ALERT_HANDSHAKE_FAILURE|CERTIFICATE_REQUIRED|PEER_DID_NOT_RETURN_A_CERTIFICATE|NO_CERTIFICATE", "no-client-certificate"),
    (r"CERTIFICATE_VERIFY_FAILED", "verify-failed"),
    (r"UNEXPECTED_EOF", "closed-after-handshake"),
    (r"WRONG_VERSION_NUMBER|HTTP_REQUEST|HTTPS_PROXY_REQUEST|UNEXPECTED_MESSAGE|UNEXPECTED_RECORD", "not-tls-or-mqtt"),
    (r"PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|NO_SHARED_CIPHER|NO_CIPHERS|INSUFFICIENT_SECURITY|NO_SUITABLE_SIGNATURE|KEY_TOO_SMALL|MD_TOO_WEAK|VERSION_TOO", "tls-version-cipher"),
    (r"RECORD_OVERFLOW|LENGTH_MISMATCH|LENGTH_TOO_LONG|EXCESSIVE_MESSAGE_SIZE|DATA_LENGTH_TOO_LONG", "record-buffer"),
    (r"NO_APPLICATION_PROTOCOL", "alpn-port"),
    (r"UNRECOGNIZED_NAME", "sni"),
    (r"KEY_VALUES_MISMATCH|PRIVATE_KEY|PEM_LIB|NO_PRIVATE_KEY|CA_DN", "device-credentials"),
    (r"MALLOC|MEMORY", "out-of-memory"),
]

ALERT_FAMILIES = {
    "CERTIFICATE_EXPIRED": "device-cert-expired",
    "UNKNOWN_CA": "device-cert-rejected",
    "BAD_CERTIFICATE": "device-cert-rejected",
    "CERTIFICATE_UNKNOWN": "device-cert-rejected",
    "CERTIFICATE_REVOKED": "device-cert-rejected",
    "ACCESS_DENIED": "device-cert-rejected",
    "UNSUPPORTED_CERTIFICATE": "device-cert-rejected",
    "HANDSHAKE_FAILURE": "no-client-certificate",
    "CERTIFICATE_REQUIRED": "no-client-certificate",
    "PROTOCOL_VERSION": "tls-version-cipher",
    "INSUFFICIENT_SECURITY": "tls-version-cipher",
    "RECORD_OVERFLOW": "record-buffer",
    "NO_APPLICATION_PROTOCOL": "alpn-port",
    "UNRECOGNIZED_NAME": "sni",
    "CLOSE_NOTIFY": "closed-after-handshake",
}


def openssl():
    table = Table("openssl", "OpenSSL 3.0: X509_V_ERR_* verify errors, SSL reason strings (1.1/3.0 and 3.2+ wordings), TLS alerts")
    crypto = ctypes.CDLL("libcrypto.so.3")
    ssl = ctypes.CDLL("libssl.so.3")
    crypto.OpenSSL_version.restype = ctypes.c_char_p
    version = crypto.OpenSSL_version(0).decode()
    if not version.startswith("OpenSSL %s " % OPENSSL_VERSION):
        sys.exit("extract.py: needs OpenSSL %s, found %s" % (OPENSSL_VERSION, version))
    reference, commit = "openssl-" + OPENSSL_VERSION, "-"
    crypto.X509_verify_cert_error_string.restype = ctypes.c_char_p
    crypto.X509_verify_cert_error_string.argtypes = [ctypes.c_long]
    crypto.ERR_reason_error_string.restype = ctypes.c_char_p
    crypto.ERR_reason_error_string.argtypes = [ctypes.c_ulong]
    # OPENSSL_INIT_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_LOAD_SSL_STRINGS: the reason texts.
    ssl.OPENSSL_init_ssl(ctypes.c_uint64(0x00000002 | 0x00200000), None)
    ssl.SSL_alert_desc_string_long.restype = ctypes.c_char_p
    ssl.SSL_alert_desc_string_long.argtypes = [ctypes.c_int]

    header = open(os.path.join(OPENSSL_INCLUDE, "x509_vfy.h")).read()
    sid = table.source("openssl/openssl", reference, commit, "include/openssl/x509_vfy.h.in", header)
    # (the installed x509_vfy.h is generated from x509_vfy.h.in, with the same defines)
    for name, number in re.findall(r"#\s*define\s+(X509_V_ERR_[A-Z0-9_]+)\s+(\d+)\b", header):
        text = crypto.X509_verify_cert_error_string(int(number)).decode()
        family = first(X509_FAMILIES, name, "verify-failed")
        # Node and others print the name without its prefix (CERT_HAS_EXPIRED).
        table.row(sid, "openssl", name, [], family, text, name[len("X509_V_ERR_"):])

    header = open(os.path.join(OPENSSL_INCLUDE, "sslerr.h")).read()
    sid = table.source("openssl/openssl", reference, commit, "include/openssl/sslerr.h", header)
    for name, number in re.findall(r"#\s*define\s+SSL_R_([A-Z0-9_]+)\s+(\d+)\b", header):
        # ERR_PACK(ERR_LIB_SSL = 20, 0, reason) in 3.0.
        text = crypto.ERR_reason_error_string((20 << 23) | int(number))
        texts = [text.decode()] if text else []
        # OpenSSL 3.2 renamed the alert reasons "sslv3 alert X" / "tlsv1 alert X" to
        # "ssl/tls alert X" (crypto/err/openssl.txt): both wordings are in the field.
        for t in list(texts):
            m = re.fullmatch(r"(?:sslv3|tlsv1|tlsv13) alert (.*)", t)
            if m:
                texts.append("ssl/tls alert " + m.group(1))
        # Python prints the name without its prefix: [SSL: CERTIFICATE_VERIFY_FAILED].
        table.row(sid, "openssl", name, [], first(SSL_FAMILIES, name, "tls-failed"), *texts)

    alerts = {}
    for header_name in ["ssl3.h", "tls1.h"]:
        header = open(os.path.join(OPENSSL_INCLUDE, header_name)).read()
        sid = table.source("openssl/openssl", reference, commit, "include/openssl/" + header_name, header)
        for name, number in re.findall(r"#\s*define\s+((?:TLS1|SSL3)_AD_[A-Z0-9_]+)\s+(\d+)\b", header):
            alerts.setdefault(int(number), (sid, name))
    for number, (sid, name) in sorted(alerts.items()):
        description = ssl.SSL_alert_desc_string_long(number).decode()
        short = name.split("_AD_", 1)[1]
        family = ALERT_FAMILIES.get(short, "tls-failed")
        table.row(sid, "openssl", name, [], family,
                  "SSL alert number %d" % number, "alert %s" % description,
                  "%s alert" % description.replace(" ", "_") if " " in description else "")
    return table


# ---------------------------------------------------------------- MQTT

MQTT_FAMILIES = [
    (r"(?i)not authori[sz]ed|bad user name|banned|bad authentication", "policy-connect"),
    (r"(?i)identifier", "policy-connect"),
    (r"(?i)quota|rate|too large|limit", "throttling-limits"),
    (r"(?i)session taken over", "client-id-taken"),
    (r"(?i)unavailable|busy|shutting down|server moved|use another server", "service-disconnect"),
    (r"(?i)keep alive|timeout", "network-dropped"),
    (r"(?i)protocol|malformed|topic|packet|payload|qos|retain", "client-protocol"),
]


def mqtt(up):
    table = Table("mqtt", "MQTT 3.1.1 CONNACK return codes and MQTT 5 reason codes, in Eclipse Paho Python's words")
    repository = "eclipse-paho/paho.mqtt.python"
    reference, commit, text = up.read(repository, "src/paho/mqtt/client.py")
    sid = table.source(repository, reference, commit, "src/paho/mqtt/client.py", text)
    names = dict(re.findall(r"^(CONNACK_[A-Z_]+)\s*=\s*(\d+)", text, re.M))
    for name, message in re.findall(r"connack_code == (CONNACK_[A-Z_]+):\s*\n\s*return \"([^\"]+)\"", text):
        number = names.get(name)
        if number in (None, "0"):
            continue
        family = first(MQTT_FAMILIES, message, "policy-connect")
        table.row(sid, "mqtt-clients", name, [], family, message,
                  "Connection Refused: %s" % message.split(": ", 1)[-1].rstrip("."),
                  "return code %s" % number if number == "5" else "")
    reference, commit, text = up.read(repository, "src/paho/mqtt/reasoncodes.py")
    sid = table.source(repository, reference, commit, "src/paho/mqtt/reasoncodes.py", text)
    for number, body in re.findall(r"\n\s+(\d+): \{(.*?)\}", text, re.S):
        if int(number) < 128:
            continue
        for message in re.findall(r"\"([^\"]+)\":", body):
            name = "MQTT5_REASON_%s" % re.sub(r"[^A-Z0-9]+", "_", message.upper()).strip("_")
            table.row(sid, "mqtt-clients", name, ["0x%02X" % int(number)],
                      first(MQTT_FAMILIES, message, "policy-connect"), message)
    return table


# ---------------------------------------------------------------- errno

ERRNO_FAMILIES = {
    "ECONNREFUSED": "tcp-refused",
    "ETIMEDOUT": "tcp-timeout",
    "EHOSTUNREACH": "tcp-timeout",
    "ENETUNREACH": "tcp-timeout",
    "ENETDOWN": "tcp-timeout",
    "EHOSTDOWN": "tcp-timeout",
    "ECONNRESET": "closed-after-handshake",
    "ECONNABORTED": "closed-after-handshake",
    "EPIPE": "closed-after-handshake",
    "ENOTCONN": "closed-after-handshake",
    "EPROTO": "tls-failed",
    "ENOMEM": "out-of-memory",
    "ENOBUFS": "out-of-memory",
    "ENOENT": "device-credentials",
    "EACCES": "device-credentials",
    "EPERM": "device-credentials",
    "EADDRNOTAVAIL": "tcp-timeout",
    "EMSGSIZE": "record-buffer",
}


def errno_table():
    table = Table("errno", "errno: the names and strerror texts of the system errors a connection meets (glibc)")
    libc = platform.libc_ver()
    if libc != ("glibc", GLIBC_VERSION):
        sys.exit("extract.py: needs glibc %s, found %s" % (GLIBC_VERSION, libc))
    listing = "".join("%s %d %s\n" % (n, getattr(errno_module, n), os.strerror(getattr(errno_module, n)))
                      for n in sorted(ERRNO_FAMILIES))
    sid = table.source("bminor/glibc", "glibc-" + GLIBC_VERSION, "-", "sysdeps/gnu/errlist.h", listing)
    for name in sorted(ERRNO_FAMILIES):
        number = getattr(errno_module, name)
        text = os.strerror(number)
        table.row(sid, "errno", name, [], ERRNO_FAMILIES[name], text, "[Errno %d] %s" % (number, text))
    return table


# ---------------------------------------------------------------- C sources: switch tables and log strings


def c_string(body):
    """The text of adjacent C string literals."""
    return "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", body)).replace("\\n", " ").replace('\\"', '"')


def switch_strings(text, function, prefix):
    """(name, text) of each `case NAME: return "text";` (or `str = "text";`) in a function."""
    start = text.find(function)
    if start < 0:
        return []
    body = text[start:]
    end = re.search(r"\n\}", body)
    body = body[:end.start()] if end else body
    found = []
    for names, literal in re.findall(
            r"((?:case\s+%s[A-Z0-9_]*\s*:\s*)+)(?:return|[a-z]+\s*=)\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+);" % prefix,
            body):
        for name in re.findall(r"case\s+(%s[A-Z0-9_]*)" % prefix, names):
            found.append((name, c_string(literal)))
    return found


def enum_values(text, prefix, start=0):
    """NAME -> value of an enum's members (implicit values counted on)."""
    values, value = {}, start - 1
    for name, explicit in re.findall(r"\b(%s[A-Za-z0-9_]*)\s*(?:=\s*(-?\w+))?\s*," % prefix, text):
        value = int(explicit, 0) if explicit else value + 1
        values.setdefault(name, value)
    return values


def log_strings(text, call, least=24):
    """The fixed texts of a logging call's format strings: the longest piece between format
    specifiers, at least 24 characters, and the name of the call site made from it."""
    found = []
    opening = call if call.endswith(",") else r"\b%s\s*\(\s*\(?" % call
    for body in re.findall(r"%s\s*((?:\"(?:[^\"\\]|\\.)*\"\s*(?:PRI[a-z0-9]+\s*)?)+)" % opening, text):
        fmt = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", re.sub(r"\bPRI[a-z0-9]+\b", '"%d"', body)))
        # A log line ends at a newline: the pieces of each line, between format specifiers.
        for line in fmt.split("\\n"):
            line = line.replace('\\"', '"')
            pieces = [p.strip(" :,=(!") for p in re.split(r"%[-+ #0-9.*]*(?:l|ll|h|z|j|t)?[diouxXsSpcfgeu]|%%", line)]
            # `X returned <code>` says nothing the code does not: its own table explains it.
            pieces = [p for p in pieces if not re.search(r"(?i)returned( -0x)?$", p)]
            longest = max(pieces, key=len) if pieces else ""
            if len(longest) >= least:
                found.append(longest)
    return found


def slug(text):
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")[:60]


# ---------------------------------------------------------------- ESP-IDF

ESP_FAMILIES = [
    (r"CANNOT_RESOLVE_HOSTNAME", "dns"),
    (r"FAILED_CONNECT_TO_HOST|CONNECTION_TIMEOUT|CANNOT_CREATE_SOCKET|SOCKET_SETOPT", "tcp-timeout"),
    (r"TCP_CLOSED_FIN", "closed-after-handshake"),
    (r"HANDSHAKE_TIMEOUT", "tcp-timeout"),
    (r"SSL_HANDSHAKE_FAILED", "tls-failed"),
    (r"CERT_VERIFY|KEY_VERIFY", "verify-failed"),
    (r"X509_CRT_PARSE|PK_PARSE_KEY|CONF_OWN_CERT|CERT_PARTLY_OK|SE_FAILED|DS_", "device-credentials"),
    (r"SET_HOSTNAME", "sni"),
    (r"ALPN", "alpn-port"),
    (r"NO_MEM", "out-of-memory"),
]


def esp_idf(up):
    table = Table("esp-idf", "ESP-IDF esp-tls error codes (ESP_ERR_ESP_TLS_*, ESP_ERR_MBEDTLS_*, ESP_ERR_WOLFSSL_*), per release where the numbers moved")
    repository = "espressif/esp-idf"
    up.commit(repository)
    numbers = {}
    texts = {}
    first_seen = {}
    for release in ESP_IDF_RELEASES:
        for path in ["components/esp-tls/esp_tls_errors.h", "components/esp-tls/esp_tls.h"]:
            tag, commit, text = up.read_at(repository, release, path)
            if text is None or "ESP_ERR_ESP_TLS_BASE" not in text:
                continue
            base = int(re.search(r"#define\s+ESP_ERR_ESP_TLS_BASE\s+(0x[0-9A-Fa-f]+)", text).group(1), 16)
            sid = table.source(repository, tag, commit, path, text)
            for name, offset, comment in re.findall(
                    r"#define\s+(ESP_ERR_(?:ESP_TLS|MBEDTLS|WOLFSSL)_[A-Z0-9_]+)\s+\(ESP_ERR_ESP_TLS_BASE\s*\+\s*(0x[0-9A-Fa-f]+)\)\s*/\*!?<?\s*(.*?)\s*\*/",
                    text):
                number = "0x%04X" % (base + int(offset, 16))
                numbers.setdefault(name, [])
                if number not in numbers[name]:
                    numbers[name].append(number)
                texts[name] = comment
                first_seen.setdefault(name, sid)
            break
    for name in sorted(numbers):
        # esp_err_to_name prints the name; the SSL transport logs the number in decimal
        # (components/tcp_transport/transport_ssl.c: "Failed to open a new connection: %d"),
        # and the MQTT examples in hex ("Last error code reported from esp-tls: 0x%x").
        spelled = ["Failed to open a new connection: %d" % int(n, 16) for n in numbers[name]]
        spelled += ["reported from esp-tls: %s" % n for n in numbers[name]]
        table.row(first_seen[name], "mbedtls", name, numbers[name], first(ESP_FAMILIES, name, "tls-failed"),
                  texts[name], *spelled)
    return table


# ---------------------------------------------------------------- coreMQTT

COREMQTT_FAMILIES = [
    (r"(?i)MQTTServerRefused|refused|not authori", "policy-connect"),
    (r"(?i)MQTTKeepAliveTimeout|PINGRESP|keep.?alive", "network-dropped"),
    (r"(?i)MQTTRecvFailed|MQTTSendFailed|single byte was not read|transport|network error|receiv|send", "network-dropped"),
    (r"(?i)MQTTNoMemory|buffer|bigger than|too small|overflow", "record-buffer"),
    (r"(?i)MQTTBadResponse|invalid|malformed|protocol", "not-tls-or-mqtt"),
    (r"(?i)timed out|timeout", "tcp-timeout"),
    (r"(?i)SUBACK|subscri|publish|PUBACK", "policy-pubsub"),
    (r"(?i)MQTTBadParameter|parameter|NULL", "configuration"),
]


def coremqtt(up):
    table = Table("coremqtt", "FreeRTOS coreMQTT: MQTTStatus_t names and texts, and the fixed texts of its error logs")
    repository = "FreeRTOS/coreMQTT"
    reference, commit, text = up.read(repository, "source/include/core_mqtt_serializer.h")
    sid = table.source(repository, reference, commit, "source/include/core_mqtt_serializer.h", text)
    block = re.search(r"typedef enum MQTTStatus\s*\{(.*?)\}\s*MQTTStatus_t", text, re.S).group(1)
    for name, comment in re.findall(r"\b(MQTT[A-Za-z]+)\s*(?:=\s*\d+)?\s*,?\s*/\*\*<\s*(.*?)\s*\*/", block):
        if name == "MQTTSuccess":
            continue
        table.row(sid, "freertos", name, [], first(COREMQTT_FAMILIES, name, "network-dropped"), comment)
    for path in ["source/core_mqtt.c", "source/core_mqtt_serializer.c", "source/core_mqtt_state.c"]:
        reference, commit, text = up.read(repository, path)
        sid = table.source(repository, reference, commit, path, text)
        for message in log_strings(text, "LogError"):
            table.row(sid, "freertos", "COREMQTT_" + slug(message), [],
                      first(COREMQTT_FAMILIES, message, "configuration"), message)
    return table


# ---------------------------------------------------------------- curl

CURL_FAMILIES = [
    (r"RESOLVE_PROXY|PROXY", "proxy"),
    (r"RESOLVE_HOST", "dns"),
    (r"COULDNT_CONNECT", "tcp-refused"),
    (r"OPERATION_TIMEDOUT", "tcp-timeout"),
    (r"PEER_FAILED_VERIFICATION", "verify-failed"),
    (r"SSL_CACERT_BADFILE|SSL_CRL_BADFILE|SSL_CERTPROBLEM|SSL_ENGINE|SSL_PINNEDPUBKEY|SSL_ISSUER", "device-credentials"),
    (r"SSL_CONNECT_ERROR|SSL_CIPHER|USE_SSL_FAILED|SSL_SHUTDOWN", "tls-failed"),
    (r"SSL_CLIENTCERT", "no-client-certificate"),
    (r"RECV_ERROR|SEND_ERROR|GOT_NOTHING|PARTIAL_FILE", "closed-after-handshake"),
    (r"WEIRD_SERVER_REPLY|HTTP2|HTTP3|UNSUPPORTED_PROTOCOL", "not-tls-or-mqtt"),
    (r"OUT_OF_MEMORY", "out-of-memory"),
    (r"TOO_LARGE", "record-buffer"),
    (r"HTTP_RETURNED_ERROR", "aws-credentials"),
]

# The curl error codes an IoT connection can meet (HTTPS to the data plane and the
# credentials provider): the rest (FTP, TFTP, LDAP, SSH...) are left out.
CURL_KEEP = r"^CURLE_(COULDNT_RESOLVE|COULDNT_CONNECT|OPERATION_TIMEDOUT|SSL|PEER|RECV_ERROR|SEND_ERROR|GOT_NOTHING|WEIRD_SERVER|OUT_OF_MEMORY|HTTP_RETURNED|PROXY|UNSUPPORTED_PROTOCOL|TOO_LARGE|HTTP2|USE_SSL)"


def curl(up):
    table = Table("curl", "curl: CURLE_* codes with their numbers and curl_easy_strerror texts, as `curl: (N) ...` prints them")
    repository = "curl/curl"
    reference, commit, header = up.read(repository, "include/curl/curl.h")
    block = re.search(r"typedef enum \{\s*CURLE_OK = 0,(.*?)\}\s*CURLcode;", header, re.S).group(1)
    values = enum_values("CURLE_OK = 0," + block, "CURLE_")
    reference, commit, text = up.read(repository, "lib/strerror.c")
    sid = table.source(repository, reference, commit, "lib/strerror.c", text)
    table.source(repository, reference, commit, "include/curl/curl.h", header)
    for name, message in switch_strings(text, "curl_easy_strerror(CURLcode error)", "CURLE_"):
        if name == "CURLE_OK" or name not in values or not re.search(CURL_KEEP, name):
            continue
        number = values[name]
        table.row(sid, "curl", name, [], first(CURL_FAMILIES, name, "tls-failed"), message,
                  "curl: (%d)" % number)
    return table


# ---------------------------------------------------------------- mosquitto

MOSQUITTO_FAMILIES = [
    (r"MOSQ_ERR_EAI|MOSQ_ERR_LOOKUP", "dns"),
    (r"MOSQ_ERR_CONN_REFUSED|MOSQ_ERR_AUTH$|NOT_AUTHORIZED|BAD_USERNAME|BANNED", "policy-connect"),
    (r"MOSQ_ERR_TLS_HANDSHAKE|MOSQ_ERR_TLS$", "tls-failed"),
    (r"MOSQ_ERR_CONN_LOST|MOSQ_ERR_NO_CONN|MOSQ_ERR_KEEPALIVE|KEEP_ALIVE", "network-dropped"),
    (r"MOSQ_ERR_PROTOCOL", "tls-failed"),
    (r"MOSQ_ERR_PROXY", "proxy"),
    (r"MOSQ_ERR_NOMEM", "out-of-memory"),
    (r"ACL_DENIED|NOT_AUTHORI", "policy-pubsub"),
    (r"SESSION_TAKEN_OVER", "client-id-taken"),
    (r"PAYLOAD_SIZE|OVERSIZE|PACKET_TOO_LARGE|QUOTA|RATE|LIMIT", "throttling-limits"),
    (r"SERVER_UNAVAILABLE|SERVER_BUSY|SHUTTING|SERVER_MOVED|USE_ANOTHER", "service-disconnect"),
    (r"MALFORMED|PROTOCOL|TOPIC|PROPERTY|QOS|RETAIN|UTF8", "client-protocol"),
    (r"MOSQ_ERR_INVAL|NOT_SUPPORTED", "configuration"),
]


def mosquitto(up):
    table = Table("mosquitto", "Eclipse mosquitto (libmosquitto, mosquitto_pub/sub): mosquitto_strerror and MQTT 5 reason strings")
    repository = "eclipse/mosquitto"
    reference, commit, header = up.read(repository, "include/mosquitto.h")
    values = enum_values(header[header.find("enum mosq_err_t"):], "MOSQ_ERR_", start=-4)
    reference, commit, text = up.read(repository, "lib/strings_mosq.c")
    sid = table.source(repository, reference, commit, "lib/strings_mosq.c", text)
    for name, message in switch_strings(text, "mosquitto_strerror(int mosq_errno)", "MOSQ_ERR_"):
        if name in ("MOSQ_ERR_SUCCESS", "MOSQ_ERR_NO_SUBSCRIBERS", "MOSQ_ERR_SUB_EXISTS",
                    "MOSQ_ERR_CONN_PENDING", "MOSQ_ERR_AUTH_CONTINUE") or not message:
            continue
        family = first(MOSQUITTO_FAMILIES, name, "configuration")
        table.row(sid, "mosquitto", name, [], family, message)
    for name, message in switch_strings(text, "mosquitto_reason_string(int reason_code)", "MQTT_RC_"):
        if not message or message.startswith("Granted") or message in ("Success",):
            continue
        table.row(sid, "mosquitto", name, [], first(MOSQUITTO_FAMILIES, name, "client-protocol"), message)
    return table


# ---------------------------------------------------------------- AWS IoT Device SDK Embedded C v3

SDK_V3_FAMILIES = [
    (r"UNKNOWN_HOST", "dns"),
    (r"CONNECT_FAILED|TCP_CONNECTION_ERROR|TCP_SETUP|CONNECT_TIMEOUT", "tcp-timeout"),
    (r"NETWORK_SSL_CERT_ERROR", "device-credentials"),
    (r"verify the server|ca_file|auth_mode=optional", "verify-failed"),
    (r"SSL_CONNECTION_ERROR", "tls-failed"),
    (r"SSL_INIT|parsing|PK_|X509|ROOT_CA|CERT_|KEY", "device-credentials"),
    (r"CONNACK_UNACCEPTABLE_PROTOCOL|CONNACK_IDENTIFIER|CONNACK_SERVER_UNAVAILABLE|CONNACK_BAD_USERDATA|CONNACK_NOT_AUTHORIZED|CONNACK_UNKNOWN", "policy-connect"),
    (r"MQTT_CONNECTION_ERROR|DISCONNECTED|SSL_READ_ERROR|SSL_WRITE_ERROR|NOTHING_TO_READ", "closed-after-handshake"),
    (r"TIMEOUT", "tcp-timeout"),
    (r"MAX_SUBSCRIPTIONS|SUBSCRIBE|PUBLISH", "policy-pubsub"),
    (r"BUFFER|TOO_LONG|NO_MEMORY|SERIALIZATION", "record-buffer"),
]


def sdk_v3(up):
    table = Table("aws-iot-sdk-v3", "AWS IoT Device SDK Embedded C v3: IoT_Error_t names and numbers, and the mbedTLS network layer's error texts")
    repository = "aws/aws-iot-device-sdk-embedded-C"
    reference, commit, text = up.read(repository, "include/aws_iot_error.h")
    sid = table.source(repository, reference, commit, "include/aws_iot_error.h", text)
    for comment, name, number in re.findall(r"/\*\*\s*((?:(?!\*/).)*?)\s*\*/\s*([A-Z][A-Z0-9_]+)\s*=\s*(-\d+)\s*,", text, re.S):
        value = int(number)
        if value >= -1:
            continue
        # The samples print `Error(-4) connecting to ...`, the SDK `Error(-28)` and `rc = -28`.
        table.row(sid, "aws-sdk-v1", name, [], first(SDK_V3_FAMILIES, name, "configuration"),
                  comment, "Error(%d) connecting" % value)
    path = "platform/linux/mbedtls/network_mbedtls_wrapper.c"
    reference, commit, text = up.read(repository, path)
    sid = table.source(repository, reference, commit, path, text)
    for message in log_strings(text, "IOT_ERROR"):
        table.row(sid, "aws-sdk-v1", "AWS_IOT_SDK_V3_" + slug(message), [],
                  first(SDK_V3_FAMILIES, message, "tls-failed"), message)
    return table


# ---------------------------------------------------------------- Eclipse Paho

# Paho's texts are matched in the forms its clients and samples print them; a text shorter than
# this alone ("Connection lost", "Disconnected") is matched only with its code beside it.
PAHO_BARE_TEXT = 24

PAHO_C_FAMILIES = [
    (r"_FAILURE$", "tls-failed"),
    (r"_DISCONNECTED$", "closed-after-handshake"),
    (r"OPERATION_INCOMPLETE", "network-dropped"),
    (r"MAX_MESSAGES_INFLIGHT|NO_MORE_MSGIDS|MAX_BUFFERED", "throttling-limits"),
]


def paho_c(up):
    table = Table("paho-c", "Eclipse Paho C: MQTTClient and MQTTAsync return codes with their strerror texts as the samples print them, and the CONNACK codes MQTTClient_connect returns")
    repository = "eclipse-paho/paho.mqtt.c"
    # How the samples report a failed connect: each API's printf formats, with the code (%d)
    # or its strerror text (%s).
    formats = {"MQTTClient": [], "MQTTAsync": []}
    sample_sources = []
    for path in up.files(repository, r"src/samples/[A-Za-z_]+\.c"):
        reference, commit, text = up.read(repository, path)
        api = re.search(r'#include "(MQTTClient|MQTTAsync)\.h"', text)
        found = re.findall(r'printf\((?:stderr,\s*)?"((?:Failed to (?:start )?connect|Connect failed)[^"%]*%[ds])', text)
        if not api or not found:
            continue
        sample_sources.append((reference, commit, path, text))
        for f in found:
            if f not in formats[api.group(1)]:
                formats[api.group(1)].append(f)
    for api, prefix in [("MQTTClient", "MQTTCLIENT_"), ("MQTTAsync", "MQTTASYNC_")]:
        reference, commit, header = up.read(repository, "src/%s.h" % api)
        values = {n: int(v) for n, v in re.findall(r"#\s*define\s+(%s[A-Z0-9_]+)\s+(-\d+)\b" % prefix, header)}
        reference, commit, text = up.read(repository, "src/%s.c" % api)
        sid = table.source(repository, reference, commit, "src/%s.c" % api, text)
        hid = table.source(repository, reference, commit, "src/%s.h" % api, header)
        for name, message in switch_strings(text, "%s_strerror(int code)" % api, prefix):
            if name not in values:
                continue
            spelled = [f.replace("%d", str(values[name])) for f in formats[api] if f.endswith("%d")]
            spelled += [f.replace("%s", message) for f in formats[api] if f.endswith("%s")]
            table.row(sid, "mqtt-clients", name, [], first(PAHO_C_FAMILIES, name, "configuration"),
                      *([message] + spelled))
        if api == "MQTTClient":
            # MQTTClient_connect returns the CONNACK code of a refusal (MQTT 3.1.1), as its doc says.
            doc = header[header.find("MQTTClient_connect"):]
            for number, message in re.findall(r"\*\s*<b>(\d)</b>:\s*(Connection refused:[^<]*)<br>", doc):
                table.row(hid, "mqtt-clients", "MQTTCLIENT_CONNACK_%s" % number, [],
                          first(MQTT_FAMILIES, message, "policy-connect"),
                          *[f.replace("%d", number) for f in formats[api] if f.endswith("%d")])
    for reference, commit, path, text in sample_sources:
        table.source(repository, reference, commit, path, text)
    return table


def paho_python(up):
    table = Table("paho-python", "Eclipse Paho Python: MQTTErrorCode names and numbers with error_string's texts")
    repository = "eclipse-paho/paho.mqtt.python"
    reference, commit, enums = up.read(repository, "src/paho/mqtt/enums.py")
    block = re.search(r"class MQTTErrorCode\(enum.IntEnum\):(.*?)\n\n", enums, re.S).group(1)
    values = dict((n, int(v)) for n, v in re.findall(r"(MQTT_ERR_[A-Z_]+)\s*=\s*(-?\d+)", block))
    reference, commit, text = up.read(repository, "src/paho/mqtt/client.py")
    sid = table.source(repository, reference, commit, "src/paho/mqtt/client.py", text)
    table.source(repository, reference, commit, "src/paho/mqtt/enums.py", enums)
    body = text[text.find("def error_string("):]
    body = body[:body.find("\ndef ", 1)]
    for name, message in re.findall(r"mqtt_errno == (MQTT_ERR_[A-Z_]+):\s*\n\s*return \"([^\"]+)\"", body):
        if values.get(name, 0) == 0:
            continue
        # (Python prints the enum member as <MQTTErrorCode.MQTT_ERR_NO_CONN: 4>: its name.)
        table.row(sid, "mqtt-clients", name, [], first(PAHO_PYTHON_FAMILIES, name, "configuration"),
                  message)
    return table


PAHO_PYTHON_FAMILIES = [
    (r"NOMEM", "out-of-memory"),
    (r"_PROTOCOL$", "not-tls-or-mqtt"),
    (r"NO_CONN|CONN_LOST|KEEPALIVE", "network-dropped"),
    (r"CONN_REFUSED|_AUTH$", "policy-connect"),
    (r"_TLS$", "tls-failed"),
    (r"PAYLOAD_SIZE|QUEUE_SIZE", "throttling-limits"),
    (r"ACL_DENIED", "policy-pubsub"),
    (r"ERRNO", "network-dropped"),
]

PAHO_JAVA_FAMILIES = [
    (r"INVALID_PROTOCOL_VERSION", "client-protocol"),
    (r"INVALID_CLIENT_ID|FAILED_AUTHENTICATION|NOT_AUTHORIZED|CLIENT_TIMEOUT", "policy-connect"),
    (r"BROKER_UNAVAILABLE", "service-disconnect"),
    (r"SUBSCRIBE_FAILED", "policy-pubsub"),
    (r"SERVER_CONNECT_ERROR", "tcp-refused"),
    (r"SSL_CONFIG_ERROR", "device-credentials"),
    (r"CONNECTION_LOST|CLIENT_NOT_CONNECTED|ALREADY_DISCONNECTED|WRITE_TIMEOUT", "closed-after-handshake"),
    (r"INVALID_MESSAGE", "not-tls-or-mqtt"),
    (r"MAX_INFLIGHT|NO_MESSAGE_IDS|BUFFER_FULL", "throttling-limits"),
    (r"UNEXPECTED_ERROR", "tls-failed"),
]


def paho_java(up):
    table = Table("paho-java", "Eclipse Paho Java (MQTT 3.1.1 client): MqttException reason codes with the messages of its properties file")
    repository = "eclipse-paho/paho.mqtt.java"
    base = "org.eclipse.paho.client.mqttv3/src/main/"
    java_path = base + "java/org/eclipse/paho/client/mqttv3/MqttException.java"
    props_path = base + "resources/org/eclipse/paho/client/mqttv3/internal/nls/messages.properties"
    reference, commit, java = up.read(repository, java_path)
    reference, commit, props = up.read(repository, props_path)
    sid = table.source(repository, reference, commit, props_path, props)
    table.source(repository, reference, commit, java_path, java)
    messages = dict((int(n), m.strip()) for n, m in re.findall(r"^(\d+)=(.*)$", props, re.M))
    for name, number in re.findall(r"short\s+(REASON_CODE_[A-Z_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)\s*;", java):
        code = int(number, 0)
        message = messages.get(code)
        if not message or "{0}" in message:
            continue
        # MqttException.toString(): `<message> (<code>)`, then ` - <cause>`.
        texts = ["%s (%d)" % (message, code)]
        if len(message) >= PAHO_BARE_TEXT:
            texts.insert(0, message)
        table.row(sid, "java", "MqttException." + name, [],
                  first(PAHO_JAVA_FAMILIES, name, "configuration"), *texts)
    return table


# ---------------------------------------------------------------- Node.js

NODE_VERSION = "v20.20.2"

NODE_FAMILIES = [
    (r"HANDSHAKE_TIMEOUT|CONNECTION_TIMEOUT", "tcp-timeout"),
    (r"CLOSED_BEFORE_CONNECTION|SOCKET_CLOSED", "closed-after-handshake"),
    (r"ALTNAME|not in the cert|does not contain a DNS name", "name-mismatch"),
    (r"before secure TLS connection", "tls-failed"),
    (r"hang up", "closed-after-handshake"),
    (r"RENEGOTIATION|SESSION_ATTACK|PROTOCOL_VERSION|DH_PARAM", "tls-version-cipher"),
]

# The system errors a client's connection meets, with the call Node names in its message
# (`connect ECONNREFUSED 1.2.3.4:8883`, `read ECONNRESET`, `getaddrinfo EAI_AGAIN host`).
NODE_SYSCALLS = {
    "connect": ["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "EHOSTDOWN", "EADDRNOTAVAIL", "ECONNRESET"],
    "read": ["ECONNRESET", "ETIMEDOUT", "ENOTCONN"],
    "write": ["EPIPE", "ECONNRESET", "ECONNABORTED"],
    "getaddrinfo": ["EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "ENOTFOUND"],
}


def node():
    table = Table("node", "Node.js: the TLS and socket error codes of lib/internal/errors.js with their messages, tls's name-check reasons, _tls_wrap's reset messages, and libuv's system errors as Node prints them")
    found = subprocess.run(
        ["node", "-e", "const n = process.binding('natives'); process.stdout.write(JSON.stringify({"
         "version: process.version, errors: n['internal/errors'], tls: n['tls'], tls_wrap: n['_tls_wrap'],"
         "uv: [...require('util').getSystemErrorMap()].sort((a, b) => b[0] - a[0])}))"],
        check=True, capture_output=True, text=True).stdout
    import json
    node_js = json.loads(found)
    if node_js["version"] != NODE_VERSION:
        sys.exit("extract.py: needs Node.js %s, found %s" % (NODE_VERSION, node_js["version"]))
    repository, reference, commit = "nodejs/node", NODE_VERSION, "-"
    # The sources are the installed Node's own (process.binding('natives') holds lib/ as built).
    errors = node_js["errors"]
    sid = table.source(repository, reference, commit, "lib/internal/errors.js", errors)
    for name, quote, message in re.findall(
            r"^E\('(ERR_(?:TLS|SOCKET_CLOSED|SOCKET_CONNECTION_TIMEOUT)[A-Z0-9_]*)',\s*(['`])((?:(?!\2).)*)\2", errors, re.M | re.S):
        message = re.sub(r"\s+", " ", message)
        fixed = max(re.split(r"%[sdjoO]", message), key=len).strip()
        texts = [message] if "%" not in message else ([fixed] if len(fixed) >= 24 else [])
        table.row(sid, "node", name, [], first(NODE_FAMILIES, name, "configuration"), *texts)
    altname = re.search(r"return `(Hostname/IP does not match certificate's altnames): \$\{reason\}`", errors)
    if altname:
        table.row(sid, "node", "ERR_TLS_CERT_ALTNAME_INVALID", [], "name-mismatch", altname.group(1))
    # ENOTFOUND stands for getaddrinfo's EAI_NODATA and EAI_NONAME (errors.js, for backward
    # compatibility).
    enotfound = "code = 'ENOTFOUND'" in errors
    tls = node_js["tls"]
    sid = table.source(repository, reference, commit, "lib/tls.js", tls)
    for quoted in re.findall(r"reason\s*=\s*(`[^`]*`|'[^']*')", tls):
        reason = quoted[1:-1]
        # The fixed piece of each reason checkServerIdentity gives.
        fixed = max(re.split(r"\$\{[^}]*\}", reason), key=len).strip(" .:")
        if len(fixed) < 16:
            continue
        table.row(sid, "node", "NODE_TLS_" + slug(fixed), [], first(NODE_FAMILIES, fixed, "name-mismatch"), fixed)
    tls_wrap = node_js["tls_wrap"]
    sid = table.source(repository, reference, commit, "lib/_tls_wrap.js", tls_wrap)
    for body in re.findall(r"new ConnResetException\(((?:\s*'[^']*'\s*\+?)+)\)", tls_wrap):
        message = "".join(re.findall(r"'([^']*)'", body))
        table.row(sid, "node", "ECONNRESET_" + slug(message), [], first(NODE_FAMILIES, message, "closed-after-handshake"), message)
    uv = dict((code, (number, text)) for number, (code, text) in node_js["uv"])
    listing = "".join("%d %s %s\n" % (uv[c][0], c, uv[c][1]) for c in sorted(uv))
    sid = table.source("libuv/libuv", "node-" + NODE_VERSION, "-", "include/uv/errno.h", listing)
    for code in sorted(set(c for cs in NODE_SYSCALLS.values() for c in cs)):
        if code == "ENOTFOUND":
            if not enotfound:
                continue
            text = uv["EAI_NONAME"][1]
        elif code not in uv:
            continue
        else:
            text = uv[code][1]
        family = "dns" if code.startswith("EAI_") or code == "ENOTFOUND" else ERRNO_FAMILIES.get(code, "network-dropped")
        calls = ["%s %s" % (call, code) for call, codes in sorted(NODE_SYSCALLS.items()) if code in codes]
        # libuv's shortest texts ("temporary failure") say too little alone: the call names them.
        table.row(sid, "node", "UV_" + code, [], family, text if len(text) >= 20 else "", *calls)
    return table


# ---------------------------------------------------------------- Java (JSSE, PKIX)

JDK_SOURCE_VERSION = "17.0.21.1+2-1~deb12u1"
JDK_VERSION_STRING = "17.0.21.1+2-1-deb12u1-Debian"

JAVA_FAMILIES = [
    (r"(?i)certification path|PKIX path|trust anchor|untrusted|not trusted", "server-untrusted"),
    (r"(?i)subject alternative|No name matching|hostname|host name", "name-mismatch"),
    (r"(?i)has expired|expired", "cert-expired"),
    (r"(?i)not yet valid", "cert-not-yet-valid"),
    (r"(?i)Remote host terminated|connection closed|Connection reset", "closed-after-handshake"),
    (r"(?i)Empty (client )?certificate chain|certificate_required|client authentication|No available authentication", "no-client-certificate"),
    (r"(?i)timed out", "tcp-timeout"),
    (r"(?i)protocol|cipher|signature|algorithm|key share|named group|version", "tls-version-cipher"),
    (r"(?i)private key|KeyManager|keystore", "device-credentials"),
    (r"(?i)record|too large|too long|overflow", "record-buffer"),
]

# The files whose exception messages a connection meets: the TLS engine, the certificate path
# checks, the host name check, and the socket's time-outs.
JDK_FILES = [
    r"java\.base/sun/security/ssl/[A-Za-z0-9]+\.java",
    r"java\.base/sun/security/validator/[A-Za-z0-9]+\.java",
    r"java\.base/sun/security/util/HostnameChecker\.java",
    r"java\.base/sun/security/provider/certpath/SunCertPathBuilder\.java",
    r"java\.base/sun/nio/ch/NioSocketImpl\.java",
]


def java_messages(text):
    """The fixed text of each exception message or fatal alert: the longest run of adjacent
    string literals (joined over `+`) in the call's arguments."""
    found = []
    for match in re.finditer(r"(?:\bfatal\(\s*Alert\.[A-Z_]+\s*,|\bnew\s+[A-Za-z]*(?:Exception|Error)\s*\()", text):
        args = text[match.end():match.end() + 400].split(";")[0]
        pieces, current, last = [], "", 0
        for literal in re.finditer(r"\"((?:[^\"\\]|\\.)*)\"", args):
            between = args[last:literal.start()]
            if current and re.fullmatch(r"\s*\+\s*", between):
                current += literal.group(1)
            else:
                if current:
                    pieces.append(current)
                current = literal.group(1)
            last = literal.end()
        if current:
            pieces.append(current)
        if pieces:
            found.append(max(pieces, key=len).replace('\\"', '"').strip(" :,(\"'"))
    return found


def java(jdk_src):
    import zipfile
    table = Table("java", "Java (OpenJDK 17): JSSE alerts and exception messages, PKIX path and host name checks, socket time-outs")
    archive = zipfile.ZipFile(jdk_src)
    version = archive.read("java.base/java/lang/VersionProps.java").decode()
    if '"%s"' % JDK_VERSION_STRING not in version:
        sys.exit("extract.py: needs the OpenJDK source of Debian's openjdk-17-source %s" % JDK_SOURCE_VERSION)
    repository, reference = "openjdk/jdk17u", "jdk-" + JDK_SOURCE_VERSION
    def source(name):
        text = archive.read(name).decode("utf-8", "replace")
        # src.zip holds java.base/<package path>; the repository, src/java.base/share/classes/.
        path = "src/java.base/share/classes/" + name.split("/", 1)[1]
        return table.source(repository, reference, "-", path, text), text
    sid, alerts = source("java.base/sun/security/ssl/Alert.java")
    prefix = re.search(r"\"(Received fatal alert: )\"\s*\+\s*alert\.description", alerts)
    for name, number, description in re.findall(r"^\s+([A-Z_]+)\s*\(\(byte\)\s*(\d+),\s*\"([a-z_0-9]+)\"", alerts, re.M):
        if prefix:
            table.row(sid, "java", "JSSE_ALERT_" + name, [], ALERT_FAMILIES.get(name, "tls-failed"),
                      prefix.group(1) + description)
    names = sorted(n for n in archive.namelist() if any(re.fullmatch(p, n) for p in JDK_FILES))
    for name in names:
        text = archive.read(name).decode("utf-8", "replace")
        messages = java_messages(text)
        if name.endswith("NioSocketImpl.java"):
            # Of the socket's own messages, its time-outs and resets (the rest are misuse).
            messages = [m for m in messages if re.search(r"timed out|reset", m)]
        else:
            messages = [m for m in messages if len(m) >= 24 and "%" not in m]
        if not messages:
            continue
        sid, _ = source(name)
        cls = name.rsplit("/", 1)[1][:-len(".java")]
        for message in messages:
            table.row(sid, "java", "%s_%s" % (cls, slug(message)), [], first(JAVA_FAMILIES, message, "tls-failed"), message)
    return table


# ---------------------------------------------------------------- mbedTLS 2.x

# The 2.x lines devices still run (ESP-IDF 4.x ships 2.28, 3.x and 4.0 shipped 2.16): the
# MBEDTLS_ERR_* that 3.x removed. A number 3.x gave to another error is both messages.
MBEDTLS2_RELEASES = ["v2.28.10", "v2.16.12"]

MBEDTLS2_FAMILIES = [
    (r"PEER_VERIFY_FAILED", "verify-failed"),
    (r"CERTIFICATE_TOO_LARGE", "record-buffer"),
    (r"BAD_HS_CERTIFICATE$", "server-untrusted"),
    (r"UNKNOWN_CIPHER|NO_CIPHER_CHOSEN|COMPRESSION|BAD_HS_", "tls-version-cipher"),
] + MBEDTLS_FAMILIES


def mbedtls2(up, v3):
    table = Table("mbedtls-2", "mbedTLS 2.x (2.28 LTS, 2.16): the MBEDTLS_ERR_* that 3.x no longer has, with code and text")
    repository = "Mbed-TLS/mbedtls"
    known = set(row[2] for row in v3.rows)
    # A 2.x name that 3.x renamed (same number, same text) leaves the number to the 3.x row.
    renamed = set((row[3].lower(), row[5][0].strip(" .").lower()) for row in v3.rows if row[5])
    for release in MBEDTLS2_RELEASES:
        commit = subprocess.run(
            ["git", "--git-dir", up.git_dir(repository), "rev-parse", release + "^{commit}"],
            check=True, capture_output=True, text=True).stdout.strip()
        names = subprocess.run(
            ["git", "--git-dir", up.git_dir(repository), "ls-tree", "-r", "--name-only", commit, "include/mbedtls/"],
            check=True, capture_output=True, text=True).stdout.split()
        for path in sorted(n for n in names if re.fullmatch(r"include/mbedtls/[a-z0-9_]+\.h", n)):
            tag, commit, text = up.read_at(repository, release, path)
            found = re.findall(MBEDTLS_ERR_DEFINE, text, re.S)
            found = [f for f in found if f[1] not in known]
            if not found:
                continue
            sid = table.source(repository, tag, commit, path, text)
            for before, name, number, after in found:
                known.add(name)
                message = re.sub(r"\s*\n\s*\*?\s*", " ", before or after)
                numbers = [number] if int(number, 16) <= -0x10 else []
                if (number.lower(), message.strip(" .").lower()) in renamed:
                    numbers = []
                table.row(sid, "mbedtls", name, numbers, first(MBEDTLS2_FAMILIES, name, "tls-failed"), message)
    return table


# ---------------------------------------------------------------- AWS IoT Device Client

DEVICE_CLIENT_FAMILIES = [
    (r"(?i)subscrib|publish", "policy-pubsub"),
    (r"(?i)verify your AWS IoT credentials", "device-cert-rejected"),
    (r"(?i)timed out", "tcp-timeout"),
    (r"(?i)permission|Failed to find|private key|cert|PKCS|key file|ownership", "device-credentials"),
    (r"(?i)proxy", "proxy"),
    (r"(?i)interrupted|disconnect|lost", "network-dropped"),
    (r"(?i)MQTT Connection failed|establish|Connection Creation|connect", "tls-failed"),
    (r"(?i)subscribe|publish", "policy-pubsub"),
    (r"(?i)memory", "out-of-memory"),
]


def device_client(up):
    table = Table("device-client", "AWS IoT Device Client: its fatal errors (*** AWS IOT DEVICE CLIENT FATAL ERROR: ... ***) and the error logs of its connection")
    repository = "awslabs/aws-iot-device-client"
    reference, commit, header = up.read(repository, "source/config/Config.h")
    fatal = re.search(r"DC_FATAL_ERROR\[\]\s*=\s*\"([^\"]+)\"", header).group(1)
    table.source(repository, reference, commit, "source/config/Config.h", header)
    for path in up.files(repository, r"source/.*\.cpp"):
        reference, commit, text = up.read(repository, path)
        connection = path in ("source/SharedCrtResourceManager.cpp", "source/main.cpp")
        found = []
        for match in re.finditer(r"\bLOGM?_(?:ERROR|CRITICAL)\(\s*[A-Za-z_:]+\s*,\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+)", text):
            fmt = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", match.group(1)))
            after = text[match.end():match.end() + 120].split(";")[0]
            if fmt.startswith("*** %s:") and "DC_FATAL_ERROR" in after:
                # As it prints: *** AWS IOT DEVICE CLIENT FATAL ERROR: Endpoint is missing ***
                line = fmt.replace("%s", fatal, 1).strip("* ")
                piece = re.split(r"%[-+ #0-9.*]*(?:l|ll|h|z)?[diouxXsSpcfgeu]|`", line)[0].strip(" :,.*'{(")
                if len(piece) >= 24:
                    found.append(piece)
            elif connection:
                pieces = [p.strip(" :,.*`") for p in re.split(r"%[-+ #0-9.*]*(?:l|ll|h|z)?[diouxXsSpcfgeu]", fmt)]
                longest = max(pieces, key=len)
                if len(longest) >= 24:
                    found.append(longest)
        if not found:
            continue
        sid = table.source(repository, reference, commit, path, text)
        for message in found:
            default = "configuration"
            table.row(sid, "device-client", "DEVICE_CLIENT_" + slug(message.replace(fatal, "FATAL")), [],
                      first(DEVICE_CLIENT_FAMILIES, message.replace(fatal, ""), default), message)
    return table


# ---------------------------------------------------------------- AWS IoT Greengrass v2 nucleus

GREENGRASS_FAMILIES = [
    (r"(?i)offline|not configured to connect", "configuration"),
    (r"(?i)purposefully", "service-disconnect"),
    (r"(?i)restricting|limit", "throttling-limits"),
    (r"(?i)subscrib|publish", "policy-pubsub"),
    (r"(?i)credential|TES|token|role alias|AwsCredentials", "aws-credentials"),
    (r"(?i)proxy", "proxy"),
    (r"(?i)interrupt|disconnect|reconnect|connection lost", "network-dropped"),
    (r"(?i)connect|AWS IoT", "tls-failed"),
    (r"(?i)spool", "throttling-limits"),
]

# The nucleus's packages of a connection to the cloud: MQTT, the token exchange service
# (credentials provider), and the HTTPS client to AWS IoT.
GREENGRASS_FILES = r"src/main/java/com/aws/greengrass/(?:mqttclient|tes|iot)/.*\.java"


def greengrass(up):
    table = Table("greengrass", "AWS IoT Greengrass v2 nucleus: the error and warning log events of its MQTT client, token exchange service and AWS IoT HTTPS client")
    repository = "aws-greengrass/aws-greengrass-nucleus"
    for path in up.files(repository, GREENGRASS_FILES):
        reference, commit, text = up.read(repository, path)
        constants = dict(re.findall(r"static final String ([A-Z_]+)\s*=\s*\"([^\"]+)\"", text))
        found = []
        for match in re.finditer(r"\.at(Error|Warn|Info)\(\)", text):
            chain = text[match.end():match.end() + 600].split(";")[0]
            message = re.search(r"\.log\(\s*((?:\"(?:[^\"\\]|\\.)*\"\s*\+?\s*)+)", chain)
            if not message:
                continue
            # The fixed text: the longest piece between the {} placeholders.
            whole = "".join(re.findall(r"\"((?:[^\"\\]|\\.)*)\"", message.group(1)))
            message = max(whole.split("{}"), key=len).strip(" :.,")
            event = re.search(r"\.event\(\s*(?:\"([^\"]+)\"|([A-Z_]+))\s*\)", chain)
            event = (event.group(1) or constants.get(event.group(2), "")) if event else ""
            # Of the info events, the connection's own (interrupted, resumed).
            if match.group(1) == "Info" and not re.search(r"(?i)interrupt", message):
                continue
            # A text of 24 characters or more ("Connection interrupted" is every client's).
            if len(message) >= 24 or (event and len(event) >= 12):
                found.append((message, event))
        if not found:
            continue
        sid = table.source(repository, reference, commit, path, text)
        cls = path.rsplit("/", 1)[1][:-len(".java")]
        for message, event in found:
            texts = [message] if len(message) >= 24 else []
            # The log line names the event: `[ERROR] (...) com.aws...: resubscribe. Error ...`
            if event and len(event) >= 12:
                texts.append(event + ".")
            table.row(sid, "greengrass", "%s_%s" % (cls, slug(message or event)), [],
                      first(GREENGRASS_FAMILIES, message + " " + event, "configuration"), *texts)
    return table


# ---------------------------------------------------------------- ESP-IDF esp-mqtt

ESP_MQTT_FAMILIES = [
    (r"(?i)EOF", "closed-after-handshake"),
    (r"(?i)too big|insufficient buffer", "record-buffer"),
    (r"(?i)timeout|timed out", "tcp-timeout"),
    (r"(?i)PING_RESP|ping|transport_read|Writing|DISCONNECTED", "network-dropped"),
    (r"(?i)APLN|ALPN", "alpn-port"),
    (r"(?i)subscribe|suback|SUBSCRIBE_FAILED", "policy-pubsub"),
    (r"(?i)CONNECTION_REFUSED|REFUSE_(?:ID|BAD|NOT)", "policy-connect"),
    (r"(?i)REFUSE_PROTOCOL", "client-protocol"),
    (r"(?i)SERVER_UNAVAILABLE", "service-disconnect"),
    (r"(?i)transport connect|TCP_TRANSPORT|MQTT_EVENT_ERROR", "tls-failed"),
    (r"(?i)Secure element|Digital Signature|ECDSA|Password protected|cert|key", "device-credentials"),
]


def esp_mqtt(up):
    table = Table("esp-mqtt", "ESP-IDF esp-mqtt: its events, error types and CONNACK refusals (mqtt_client.h), and the fixed text of its error logs (mqtt_client.c)")
    repository = "espressif/esp-mqtt"
    reference, commit, header = up.read(repository, "include/mqtt_client.h")
    sid = table.source(repository, reference, commit, "include/mqtt_client.h", header)
    refused = re.search(r"typedef enum esp_mqtt_connect_return_code_t\s*\{(.*?)\}", header, re.S).group(1)
    for name, comment in re.findall(r"\b(MQTT_CONNECTION_REFUSE_[A-Z_]+)\s*(?:=\s*\d+)?\s*,?\s*/\*!<\s*(.*?)\s*\*/", refused, re.S):
        table.row(sid, "mbedtls", name, [], first(ESP_MQTT_FAMILIES, name, "policy-connect"), re.sub(r"\s+", " ", comment).replace("*MQTT*", "MQTT"))
    types = re.search(r"typedef enum esp_mqtt_error_type_t\s*\{(.*?)\}", header, re.S).group(1)
    for name in re.findall(r"\b(MQTT_ERROR_TYPE_[A-Z_]+)", types):
        if name != "MQTT_ERROR_TYPE_NONE":
            table.row(sid, "mbedtls", name, [], first(ESP_MQTT_FAMILIES, name, "tls-failed"))
    # The events an application logs by name (the examples print `MQTT_EVENT_ERROR`).
    for name in ["MQTT_EVENT_ERROR", "MQTT_EVENT_DISCONNECTED"]:
        if re.search(r"\b%s\b" % name, header):
            table.row(sid, "mbedtls", name, [], first(ESP_MQTT_FAMILIES, name, "tls-failed"))
    reference, commit, text = up.read(repository, "mqtt_client.c")
    sid = table.source(repository, reference, commit, "mqtt_client.c", text)
    for message in log_strings(text, r"ESP_LOGE\(\s*TAG\s*,", least=20):
        # Under 24 characters only a text that names a function or constant is specific
        # (`transport_read(): EOF`; not `Invalid configuration`).
        if len(message) < 24 and not re.search(r"\(\)|_", message):
            continue
        table.row(sid, "mbedtls", "ESP_MQTT_" + slug(message), [], first(ESP_MQTT_FAMILIES, message, "configuration"), message)
    return table


# ---------------------------------------------------------------- MQTT.js

MQTTJS_VERSION = "5.16.0"

MQTTJS_FAMILIES = [
    (r"(?i)connack timeout", "policy-connect"),
    (r"(?i)keepalive|keep alive", "network-dropped"),
    (r"(?i)No connection to broker|Connection closed|disconnecting", "closed-after-handshake"),
] + MQTT_FAMILIES


def mqttjs(package):
    import json
    table = Table("mqttjs", "MQTT.js: the CONNACK and MQTT 5 reason texts as its connect errors print them, and its client's own errors")
    version = json.load(open(os.path.join(package, "package.json")))["version"]
    if version != MQTTJS_VERSION:
        sys.exit("extract.py: needs the npm package mqtt %s, found %s" % (MQTTJS_VERSION, version))
    repository, reference = "mqttjs/MQTT.js", "v" + MQTTJS_VERSION
    def source(name):
        text = open(os.path.join(package, "build", "lib", name)).read()
        # The package's build/lib/X.js is built from the repository's src/lib/X.ts.
        return table.source(repository, reference, "-", "src/lib/" + name[:-3] + ".ts", text), text
    sid, ack = source("handlers/ack.js")
    codes = dict((int(n), t) for n, t in re.findall(r"^\s+(\d+): '([^']+)',", ack, re.M))
    connack_id, connack = source("handlers/connack.js")
    refused = re.search(r"`(Connection refused: )\$\{ack_1\.ReasonCodes\[rc\]\}`", connack)
    for number, reason in sorted(codes.items()):
        if number in (16, 17) or not refused:
            continue
        table.row(connack_id, "mqtt-clients", "MQTTJS_CONNACK_%d" % number, [],
                  first(MQTTJS_FAMILIES, reason, "policy-connect"), refused.group(1) + reason)
    for name in ["client.js", "handlers/connack.js"]:
        sid, text = source(name)
        for message in re.findall(r"new (?:Error|shared_1\.ErrorWithReasonCode)\('([^']+)'", text):
            # 20 characters or more, or a shorter one that names MQTT's own terms
            # (`connack timeout`); `Connection closed` alone is every stack's.
            if len(message) >= 20 or re.search(r"(?i)connack|keepalive", message):
                table.row(sid, "mqtt-clients", "MQTTJS_" + slug(message), [],
                          first(MQTTJS_FAMILIES, message, "configuration"), message)
    return table


def one_owner(earlier, later):
    """A text or name has one owner: the first row that gives it. Later tables (the ones after
    the first ten) leave out a text an earlier row already gives (libmosquitto's texts in Paho
    Python, the CONNACK texts every client shares), so one line is not two messages; a row left
    with nothing but its name keeps its name."""
    def key(text):
        return re.sub(r"\s+", " ", text.lower()).strip(" .")
    seen = set()
    for table in earlier:
        for row in table.rows:
            seen.add(key(row[2]))
            seen.update(key(t) for t in row[5])
    for table in later:
        kept, names = [], set()
        for sid, stack, name, numbers, family, texts in table.rows:
            assert key(name) not in seen or key(name) in names, "%s: the name %s is an earlier row's" % (table.name, name)
            seen.add(key(name))
            names.add(key(name))
            mine = []
            for t in texts:
                if key(t) not in seen:
                    seen.add(key(t))
                    mine.append(t)
            kept.append((sid, stack, name, numbers, family, mine))
        table.rows = kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="directory of clones, OWNER+NAME/repo")
    parser.add_argument("--check", action="store_true", help="compare with the committed tables")
    parser.add_argument("--mqttjs", required=True, help="the npm package mqtt %s, unpacked (its package/ folder)" % MQTTJS_VERSION)
    parser.add_argument("--jdk-src", required=True, help="src.zip of Debian's openjdk-17-source %s" % JDK_SOURCE_VERSION)
    args = parser.parse_args()
    up = Upstream(args.upstream)
    v3 = mbedtls(up)
    tables = [crt(up), v3, openssl(), mqtt(up), errno_table(), esp_idf(up), coremqtt(up), curl(up), mosquitto(up), sdk_v3(up)]
    later = [paho_c(up), paho_python(up), paho_java(up), node(), java(args.jdk_src), mbedtls2(up, v3),
             device_client(up), greengrass(up), esp_mqtt(up),
             mqttjs(args.mqttjs)]
    one_owner(tables, later)
    tables += later
    differ = False
    for table in tables:
        path = os.path.join(TABLES, table.name + ".tsv")
        text = table.text()
        if args.check:
            committed = open(path).read() if os.path.exists(path) else ""
            if committed != text:
                print("differs: %s" % os.path.relpath(path))
                differ = True
        else:
            with open(path, "w") as out:
                out.write(text)
        rows = sum(1 for line in text.split("\n") if line.startswith("row\t"))
        print("%-14s %5d rows from %d sources" % (table.name, rows, len(table.sources)))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()

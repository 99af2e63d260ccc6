//! Integration tests: `endpoint --transport wss` and `--transport custom-auth` against AWS
//! IoT's 443 front door reproduced on loopback (`tests/support/wss_gateway.py`): TLS with the
//! test chain, the SigV4 query checked by botocore's signer with the same fake credentials,
//! custom authorizers read from headers or from the MQTT user name, in front of a real
//! mosquitto; and hostile peers. No test reaches AWS.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::*;
use crate::doctor::{stage as doctor_stage, stage_codes as doctor_codes};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "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";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLE/session+TOKEN=zz";
const AUTHORIZER: &str = "DeviceAuthorizer";
const TOKEN_NAME: &str = "devicetoken";
const AUTH_TOKEN: &str = "device-token-SECRET-4242";
const AUTH_SIGNATURE: &str = "c2lnbmF0dXJlLXNlY3JldA==";

/// The gateway and its mosquitto, shared by every test here: started once, ended when the
/// test binary ends (the gateway stops, and stops its broker, when its standard input closes).
struct Gateway {
    _child: Child,
    _stdin: ChildStdin,
    ports: Vec<(String, u16)>,
    dir: std::path::PathBuf,
}

impl Gateway {
    fn port(&self, name: &str) -> u16 {
        self.ports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, port)| *port)
            .unwrap_or_else(|| panic!("no listener {name}"))
    }
}

fn gateway() -> &'static Gateway {
    static GATEWAY: OnceLock<Gateway> = OnceLock::new();
    GATEWAY.get_or_init(|| {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/support/wss_gateway.py");
        // Kept for the whole run: mosquitto's configuration lives there.
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(script)
            .args(["--cert", &fixture("server/rsa-chain.pem")])
            .args(["--key", &fixture("server/rsa-leaf.key")])
            .arg("--dir")
            .arg(dir.path())
            .args(["--access-key", ACCESS_KEY, "--secret", SECRET_KEY])
            .args(["--token", SESSION_TOKEN, "--region", "eu-west-1"])
            .args(["--authorizer", AUTHORIZER, "--token-name", TOKEN_NAME])
            .args(["--auth-token", AUTH_TOKEN, "--auth-signature", AUTH_SIGNATURE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (.ci/run installs mosquitto, websockets and botocore)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut ports = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("gateway output");
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["READY", "all", _] => break,
                ["READY", name, port] => {
                    ports.push((name.to_string(), port.parse().expect("a port")))
                }
                _ => {}
            }
        }
        assert!(
            ports.len() >= 7,
            "the gateway did not start (mosquitto, python3-websockets and botocore installed?): {ports:?}"
        );
        Gateway {
            _child: child,
            _stdin: stdin,
            ports,
            dir: dir.path().to_path_buf(),
        }
    })
}

/// `endpoint ENDPOINT:PORT --connect 127.0.0.1 --json` with these arguments and the fake
/// credentials (and nothing else of AWS) in the environment.
fn wss_cmd(port: u16, extra: &[&str]) -> Command {
    let mut cmd = endpoint_cmd(port, extra);
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("AWS_REGION", "us-east-1");
    cmd
}

/// Runs with a hang bound, and checks that no secret shows anywhere in what it printed.
fn checked(cmd: &mut Command) -> Run {
    let run = run_cmd_within(cmd, 30);
    assert_no_secret(&run.stdout);
    assert_no_secret(&run.stderr);
    run
}

fn assert_no_secret(text: &str) {
    for secret in [SECRET_KEY, SESSION_TOKEN, AUTH_TOKEN, AUTH_SIGNATURE] {
        let encoded: String = url_encoded(secret);
        assert!(
            !text.contains(secret) && !text.contains(&encoded),
            "a secret was printed: {text}"
        );
    }
    // Every signature the gateway received so far (this run's included).
    let seen = std::fs::read_to_string(gateway().dir.join("signatures.txt")).unwrap_or_default();
    for signature in seen.lines().filter(|line| !line.is_empty()) {
        assert!(!text.contains(signature), "a signature was printed: {text}");
    }
}

fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Every finding's code, whatever its severity.
fn found_codes(j: &Value) -> Vec<String> {
    all_findings(j)
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

fn websocket(j: &Value) -> &Value {
    &j["handshakes"][0]["websocket"]
}

#[test]
fn a_presigned_connect_succeeds_end_to_end() {
    let port = gateway().port("sigv4");
    let r = checked(&mut wss_cmd(
        port,
        &["--transport", "wss", "--mqtt", "--client-id", "browser-1"],
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["chain_verified"], true);
    assert_eq!(j["handshakes"][0]["tls"]["alpn"], Value::Null);
    assert_eq!(websocket(&j)["outcome"], "switched");
    assert_eq!(websocket(&j)["status"], 101);
    assert_eq!(websocket(&j)["subprotocol"], "mqtt");
    assert_eq!(j["handshakes"][0]["mqtt"]["outcome"], "accepted");
    assert!(j["handshakes"][0]["tls"]["timings_ms"]["upgrade"]
        .as_f64()
        .is_some());

    // The same, told to a person.
    let cmd = wss_cmd(port, &["--transport", "wss", "--mqtt", "--client-id", "b"]);
    let r = checked(&mut human(&cmd));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("101 Switching Protocols (subprotocol mqtt)"),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_signatures_are_refused_each_with_its_finding() {
    let gateway = gateway();
    let sigv4 = gateway.port("sigv4");
    // A wrong secret key: AWS's "does not match".
    let mut wrong = wss_cmd(sigv4, &["--transport", "wss"]);
    wrong.env(
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzWRONGzzz",
    );
    // A wrong region signed: the same answer, for another reason.
    let mut region = wss_cmd(
        sigv4,
        &["--transport", "wss", "--signing-region", "us-west-2"],
    );
    // Temporary credentials without their token.
    let mut tokenless = wss_cmd(sigv4, &["--transport", "wss"]);
    tokenless.env_remove("AWS_SESSION_TOKEN");
    // A device clock an hour behind the server's.
    let mut skewed = wss_cmd(
        gateway.port("skewed"),
        &["--transport", "wss", "--mqtt", "--client-id", "c"],
    );
    for (cmd, code) in [
        (&mut wrong, "ws_signature_mismatch"),
        (&mut region, "ws_signature_mismatch"),
        (&mut tokenless, "ws_security_token"),
        (&mut skewed, "ws_signature_expired"),
    ] {
        let r = checked(cmd);
        assert_eq!(r.code, 1, "{code}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(websocket(&j)["outcome"], "refused", "{code}");
        assert_eq!(websocket(&j)["status"], 403, "{code}");
        assert_eq!(websocket(&j)["error_type"], "ForbiddenException:", "{code}");
        let found = found_codes(&j);
        assert!(found.contains(&code.to_string()), "{code}: {found:?}");
    }
}

#[test]
fn custom_authorizers_in_headers_and_in_the_user_name() {
    let gateway = gateway();
    let authorizer = [
        "--authorizer",
        AUTHORIZER,
        "--token-name",
        TOKEN_NAME,
        "--mqtt",
        "--client-id",
        "gateway-7",
    ];
    let with_secrets = |cmd: &mut Command, token: &str| {
        // The secrets come from the environment, as the help recommends.
        cmd.env("IOTCHECK_AUTHORIZER_TOKEN", token)
            .env("IOTCHECK_AUTHORIZER_SIGNATURE", AUTH_SIGNATURE);
    };
    for (listener, transport) in [("authorizer-ws", "wss"), ("authorizer-mqtt", "custom-auth")] {
        let port = gateway.port(listener);
        let mut args = vec!["--transport", transport];
        args.extend_from_slice(&authorizer);
        let mut good = endpoint_cmd(port, &args);
        with_secrets(&mut good, AUTH_TOKEN);
        let r = checked(&mut good);
        assert_eq!(r.code, 0, "{listener}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(
            j["handshakes"][0]["mqtt"]["outcome"], "accepted",
            "{listener}"
        );
        if transport == "custom-auth" {
            assert_eq!(j["handshakes"][0]["tls"]["alpn"], "mqtt");
        }

        let mut bad = endpoint_cmd(port, &args);
        with_secrets(&mut bad, "another-token");
        let r = checked(&mut bad);
        assert_eq!(r.code, 1, "{listener}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        let found = found_codes(&j);
        let expected = if transport == "wss" {
            "ws_forbidden"
        } else {
            "mqtt_closed"
        };
        assert!(
            found.contains(&expected.to_string()),
            "{listener}: {found:?}"
        );
    }
}

#[test]
fn hostile_peers_end_with_a_finding_within_the_timeout() {
    let gateway = gateway();
    for (listener, code) in [
        ("big", "ws_upgrade_failed"),
        ("drip", "ws_upgrade_timeout"),
        ("close-then-frames", "mqtt_closed"),
    ] {
        let port = gateway.port(listener);
        let r = checked(&mut wss_cmd(
            port,
            &[
                "--transport",
                "wss",
                "--mqtt",
                "--client-id",
                "h",
                "--timeout",
                "1",
            ],
        ));
        assert_eq!(r.code, 1, "{listener}: {}{}", r.stdout, r.stderr);
        let found = found_codes(&r.json());
        assert!(
            found.contains(&code.to_string()),
            "{listener}: {found:?} {}",
            r.stdout
        );
    }
}

#[test]
fn an_unverified_chain_gets_no_signed_request() {
    let port = gateway().port("sigv4");
    let roots = fixture("roots/other-root.pem");
    let r = checked(&mut wss_cmd(
        port,
        &[
            "--transport",
            "wss",
            "--ca",
            &roots,
            "--mqtt",
            "--client-id",
            "u",
        ],
    ));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(websocket(&j)["outcome"], "not_sent");
}

#[test]
fn mqtt_5_and_its_operations_ride_the_websocket() {
    let port = gateway().port("sigv4");
    let r = checked(&mut wss_cmd(
        port,
        &[
            "--transport",
            "wss",
            "--mqtt",
            "--client-id",
            "browser-5",
            "--mqtt-version",
            "5",
            "--subscribe",
            "browser/+/in",
            "--publish",
            "browser/5/out",
        ],
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(websocket(&j)["outcome"], "switched");
    let m = &j["handshakes"][0]["mqtt"];
    assert_eq!(m["version"], "5", "{m}");
    assert_eq!(m["outcome"], "accepted", "{m}");
    assert_eq!(m["operations"][0]["kind"], "subscribe", "{m}");
    assert_eq!(m["operations"][0]["outcome"], "accepted", "{m}");
    assert_eq!(m["operations"][1]["kind"], "publish", "{m}");
    assert_eq!(m["operations"][1]["outcome"], "accepted", "{m}");
    // Nobody else subscribed to it: MQTT 5's 0x10 "no matching subscribers", a success.
    assert_eq!(m["operations"][1]["code"], 0x10, "{m}");
}

#[test]
fn https_requests_are_not_sent_over_a_websocket_transport() {
    let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
    for transport in ["wss", "custom-auth"] {
        let mut args = vec![
            "--transport",
            transport,
            "--cert",
            &cert,
            "--key",
            &key,
            "--https-publish",
            "t/1",
        ];
        if transport == "custom-auth" {
            args.extend([
                "--authorizer",
                AUTHORIZER,
                "--token-name",
                TOKEN_NAME,
                "--token",
                AUTH_TOKEN,
            ]);
        }
        // Refused before any connection: the port is never dialled.
        let r = checked(&mut wss_cmd(1, &args));
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("--https-publish"), "{}", r.stderr);
    }
}

/// `doctor` for a device that reaches the gateway's `port` as ENDPOINT, trusting the test
/// roots, at AT, without the account, in JSON (the default --timeout unless `extra` gives
/// one); the fake credentials in the environment.
fn doctor_cmd(port: u16, extra: &[&str]) -> Command {
    let mut cmd = iotcheck();
    cmd.args(["doctor", "--endpoint", ENDPOINT, "--connect", "127.0.0.1"])
        .args([
            "--ports",
            &port.to_string(),
            "--ca",
            &fixture("roots/test-roots.pem"),
        ])
        .args(["--at", AT, "--no-account", "--json"])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("AWS_REGION", "us-east-1");
    cmd
}

#[test]
fn doctor_follows_a_wss_or_custom_auth_device_to_its_first_failure() {
    let gateway = gateway();
    let dir = tempfile::tempdir().unwrap();
    let report = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let scanned = |path: &str| assert_no_secret(&std::fs::read_to_string(path).unwrap());

    // SigV4: TLS with ALPN http/1.1, the upgrade, MQTT 5; no certificate presented.
    let good = report("sigv4.md");
    let mut cmd = doctor_cmd(
        gateway.port("sigv4"),
        &[
            "--transport",
            "wss",
            "--client-id",
            "browser-1",
            "--mqtt-version",
            "5",
        ],
    );
    let r = checked(cmd.args(["--report", &good]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok", "{}", r.stdout);
    assert_eq!(j["settings"]["transport"]["kind"], "wss_sigv4");
    assert_eq!(j["settings"]["transport"]["region"], "eu-west-1");
    assert_eq!(j["network"]["ports"][0]["alpn_offered"][0], "http/1.1");
    assert_eq!(doctor_stage(&j, "client_auth")["status"], "skipped");
    assert_eq!(doctor_stage(&j, "mqtt")["status"], "ok");
    let said = doctor_stage(&j, "mqtt")["findings"][0]["message"].to_string();
    assert!(
        said.contains("MQTT 5 over a WebSocket presigned with SigV4 for eu-west-1"),
        "{said}"
    );
    scanned(&good);

    // A wrong secret key: the upgrade's 403 is the mqtt stage's failure, and the advice
    // names what is signed.
    let bad = report("mismatch.md");
    let mut cmd = doctor_cmd(
        gateway.port("sigv4"),
        &["--transport", "wss", "--client-id", "b"],
    );
    cmd.env(
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzWRONGzzz",
    )
    .args(["--report", &bad]);
    let r = checked(&mut cmd);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "mqtt", "{}", r.stdout);
    assert!(doctor_codes(&j, "mqtt").contains(&"ws_signature_mismatch".to_string()));
    let advice = j["advice"].as_str().unwrap();
    assert!(
        advice.contains("iotdevicegateway") && advice.contains("eu-west-1"),
        "{advice}"
    );
    scanned(&bad);

    // A front door that drips its answer to the upgrade: the mqtt stage ends within
    // --timeout with its finding, and the advice names what should have answered.
    let mut cmd = doctor_cmd(
        gateway.port("drip"),
        &["--transport", "wss", "--client-id", "d", "--timeout", "1"],
    );
    let r = checked(&mut cmd);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "mqtt", "{}", r.stdout);
    assert!(doctor_codes(&j, "mqtt").contains(&"ws_upgrade_timeout".to_string()));
    assert!(
        j["advice"].as_str().unwrap().contains("/mqtt"),
        "{}",
        j["advice"]
    );

    // Custom authentication in the user name: ALPN mqtt; a good token connects, another is
    // refused, and the advice is the authorizer's.
    for (token, code) in [(AUTH_TOKEN, 0), ("another-token", 1)] {
        let path = report(&format!("custom-{code}.md"));
        let mut cmd = doctor_cmd(
            gateway.port("authorizer-mqtt"),
            &["--transport", "custom-auth", "--authorizer", AUTHORIZER],
        );
        cmd.args(["--token-name", TOKEN_NAME, "--client-id", "gateway-7"])
            .args(["--report", &path])
            .env("IOTCHECK_AUTHORIZER_TOKEN", token)
            .env("IOTCHECK_AUTHORIZER_SIGNATURE", AUTH_SIGNATURE);
        let r = checked(&mut cmd);
        assert_eq!(r.code, code, "{}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["network"]["ports"][0]["alpn_offered"][0], "mqtt");
        assert_eq!(j["settings"]["transport"]["authorizer"], AUTHORIZER);
        if code == 1 {
            assert_eq!(j["first_failure"], "mqtt", "{}", r.stdout);
            let advice = j["advice"].as_str().unwrap();
            assert!(advice.contains("test-invoke-authorizer"), "{advice}");
        }
        scanned(&path);
    }
}

//! Integration tests: `iotcheck doctor` against real peers on loopback (mosquitto with TLS and
//! `require_certificate`, silent and closed ports), one fault per case, asserted on the
//! stages and codes of its JSON; the Markdown report checked for the absence of secrets.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::*;

/// mosquitto with TLS on 127.0.0.1, requiring a device certificate from the test device CA;
/// `accept`: the certificate's CN is the user name (accepted), else anonymous (refused).
pub(crate) fn broker(accept: bool) -> (Peer, tempfile::TempDir) {
    crate::mqtt::mosquitto(accept)
}

/// The device's files under the names a device uses, the key with `key_mode`.
fn device_files(cert: &str, key: &str, key_mode: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture(cert), dir.path().join("certificate.pem.crt")).unwrap();
    let key_path = dir.path().join("private.pem.key");
    std::fs::copy(fixture(key), &key_path).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(key_mode)).unwrap();
    dir
}

/// Asks the doctor helpers to keep the account stage (they add `--no-account` otherwise);
/// never passed to the binary.
const ACCOUNT: &str = "(account)";

/// The arguments of `iotcheck doctor` for the device in `dir` against ENDPOINT dialed at
/// 127.0.0.1 on `ports`, trusting the test roots, at AT, in JSON, with a 5 s timeout and
/// without the account, unless `extra` says otherwise; plus `extra`.
fn doctor_args(dir: &Path, ports: &[u16], extra: &[&str]) -> Vec<String> {
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let mut args: Vec<String> = [
        "doctor",
        "--endpoint",
        ENDPOINT,
        "--connect",
        "127.0.0.1",
        "--ports",
        &ports.join(","),
        "--cert",
        &path("certificate.pem.crt"),
        "--key",
        &path("private.pem.key"),
        "--json",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let defaults = [
        ("--ca", fixture("roots/test-roots.pem")),
        ("--timeout", "5".to_string()),
        ("--at", AT.to_string()),
    ];
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            args.extend([flag.to_string(), value]);
        }
    }
    if !extra.contains(&ACCOUNT) {
        args.push("--no-account".to_string());
    }
    args.extend(
        extra
            .iter()
            .filter(|a| **a != ACCOUNT)
            .map(|a| a.to_string()),
    );
    args
}

fn doctor_cmd(dir: &Path, ports: &[u16], extra: &[&str]) -> Command {
    let mut cmd = iotcheck();
    cmd.args(doctor_args(dir, ports, extra));
    cmd
}

fn doctor(dir: &Path, ports: &[u16], extra: &[&str]) -> Run {
    run_cmd(&mut doctor_cmd(dir, ports, extra))
}

pub(crate) fn stage<'a>(j: &'a Value, id: &str) -> &'a Value {
    j["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no stage {id} in {j}"))
}

fn status(j: &Value, id: &str) -> String {
    stage(j, id)["status"].as_str().unwrap().to_string()
}

pub(crate) fn stage_codes(j: &Value, id: &str) -> Vec<String> {
    stage(j, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_healthy_device_passes_every_stage() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let r = doctor(dir.path(), &[broker.port], &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["schema_version"], 2);
    assert_eq!(j["command"], "doctor");
    assert_eq!(j["verdict"], "ok");
    assert_eq!(j["first_failure"], Value::Null);
    let ids: Vec<&str> = j["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "config",
            "files",
            "credentials",
            "trust",
            "clock",
            "dns",
            "tcp",
            "tls",
            "client_auth",
            "mqtt",
            "credentials_provider",
            "data_plane",
            "account"
        ]
    );
    for id in &ids[..10] {
        assert_eq!(status(&j, id), "ok", "{id}: {}", stage(&j, id));
    }
    assert_eq!(status(&j, "account"), "skipped");
    assert_eq!(stage(&j, "account")["reason"], "--no-account");
    // The settings say where each value came from.
    assert_eq!(j["settings"]["endpoint"]["value"], ENDPOINT);
    assert_eq!(j["settings"]["endpoint"]["origin"]["kind"], "flag");
    assert_eq!(j["settings"]["key"]["path"]["origin"]["flag"], "--key");
    // The device's handshake: its certificate accepted, MQTT CONNACK 0 for the CN.
    let port = &j["network"]["ports"][0];
    assert_eq!(port["tcp"]["open"], true);
    let device = port["handshakes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["sig"] == "device")
        .expect("the device's handshake");
    assert_eq!(device["client_auth"]["accepted"], true);
    assert_eq!(device["mqtt"]["outcome"], "accepted");
    assert_eq!(device["mqtt"]["client_id"], "TestThing-ec");
    // The broker has no ECC certificate: the ECDSA-only handshake came up with nothing,
    // which is a fact of the port, not a failure.
    assert!(port["handshakes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["sig"] == "ecdsa" && h["error"]["phase"] == "tls_handshake"));
}

#[test]
fn the_human_text_leads_with_the_verdict_and_what_to_do() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let args: Vec<String> = doctor_args(dir.path(), &[broker.port, CLOSED_PORT], &[])
        .into_iter()
        .filter(|a| a != "--json")
        .collect();
    let r = run_cmd(iotcheck().args(&args));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let mut lines = r.stdout.lines();
    let first = lines.next().unwrap();
    assert!(first.starts_with("FAILED  "), "{}", r.stdout);
    assert!(first.contains("first failing stage: tcp"), "{first}");
    assert!(lines.next().unwrap().contains("firewall"), "{}", r.stdout);
    assert!(r.stdout.contains("\nstage        status"), "{}", r.stdout);
    assert!(r.stdout.contains("✗ tcp_refused"), "{}", r.stdout);
    assert!(!r.stdout.contains('\x1b'), "no color when piped");
}

#[test]
fn an_open_key_without_a_client_rule_warns_and_passes() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o644);
    let r = doctor(dir.path(), &[broker.port], &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok");
    assert_eq!(status(&j, "files"), "warn");
    assert_eq!(stage_codes(&j, "files"), ["key_permissions"]);
    // The lint's own permission finding is the files stage's, said once.
    assert!(!stage_codes(&j, "credentials").contains(&"key_permissions".to_string()));
}

#[test]
fn a_wrong_root_fails_trust_and_withholds_the_identity() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let r = doctor(
        dir.path(),
        &[broker.port],
        &["--ca", &fixture("aws/AmazonRootCA1.pem")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "failed");
    assert_eq!(j["first_failure"], "trust");
    // The chain leads to the test root, not to an Amazon one: no Amazon file is offered.
    let advice = j["advice"].as_str().unwrap();
    assert!(
        advice.contains("leads to \"iotcheck Test Root RSA\", not to an Amazon root"),
        "{advice}"
    );
    assert!(advice.contains("TLS-inspecting proxy"), "{advice}");
    assert!(!advice.contains("AmazonRootCA3"), "{advice}");
    assert_eq!(stage_codes(&j, "trust")[0], "unknown_issuer");
    // A failed trust does not stop tcp or tls.
    assert_eq!(status(&j, "tcp"), "ok");
    assert_eq!(status(&j, "tls"), "ok");
    for id in ["client_auth", "mqtt"] {
        assert_eq!(status(&j, id), "skipped", "{id}");
        assert_eq!(stage(&j, id)["depends_on"], "trust", "{id}");
    }
}

#[test]
fn a_certificate_the_broker_does_not_trust_fails_client_auth() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/untrusted.pem", "device/untrusted.key", 0o600);
    let r = doctor(dir.path(), &[broker.port], &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "client_auth");
    assert_eq!(stage_codes(&j, "client_auth"), ["client_cert_rejected"]);
    assert_eq!(stage(&j, "mqtt")["depends_on"], "client_auth");
    // The advice names the alert the broker sent and what it means on AWS IoT.
    let advice = j["advice"].as_str().unwrap();
    assert!(advice.contains("with the alert unknown_ca"), "{advice}");
    assert!(advice.contains("aws iot describe-certificate"), "{advice}");
}

#[test]
fn a_closed_port_fails_tcp_while_the_open_one_is_checked() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let r = doctor(dir.path(), &[broker.port, CLOSED_PORT], &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "tcp");
    assert_eq!(stage_codes(&j, "tcp"), ["tcp_refused"]);
    let message = stage(&j, "tcp")["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("port {CLOSED_PORT}: ")),
        "{message}"
    );
    for id in ["tls", "client_auth", "mqtt"] {
        assert_eq!(status(&j, id), "ok", "{id}: {}", stage(&j, id));
    }
}

#[test]
fn a_silent_port_fails_tls_within_the_timeout() {
    let silent = hostile(Behaviour::Silent);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    // Only a hang fails here: the bound is 10× the timeout (the probes run at once, each
    // bounded by --timeout). How close to it the run ends is measured in benches/timeouts.sh.
    let r = run_cmd_within(
        &mut doctor_cmd(dir.path(), &[silent], &["--timeout", "1"]),
        10,
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(status(&j, "tcp"), "ok");
    assert_eq!(j["first_failure"], "tls");
    assert_eq!(stage_codes(&j, "tls"), ["no_tls_session"]);
    let message = stage(&j, "tls")["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("timed out"), "{message}");
    assert_eq!(stage(&j, "clock")["depends_on"], "tls");
}

#[test]
fn two_silent_ports_end_within_one_timeout() {
    // --timeout is one deadline for each port's whole probe (resolve, connect, the three
    // handshakes, the device's turn for MQTT): two silent ports end together, by it.
    let ports = [hostile(Behaviour::Silent), hostile(Behaviour::Silent)];
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    // Only a hang fails here: the bound is 10× the timeout. That both ports end together, by
    // the one deadline (not one after the other, nor a timeout per phase), is a measurement:
    // benches/timeouts.sh times this run.
    let r = run_cmd_within(&mut doctor_cmd(dir.path(), &ports, &["--timeout", "1"]), 10);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "tls");
    for id in ["tcp", "tls", "client_auth"] {
        assert!(
            stage(&j, id)["duration_ms"].is_number(),
            "{id}: {}",
            stage(&j, id)
        );
    }
    assert!(j["duration_ms"].is_number(), "{j}");
    let message = stage(&j, "tls")["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("timed out after 1 s"), "{message}");
    let advice = j["advice"].as_str().unwrap();
    assert!(
        advice.contains("accepted TCP but never answered the TLS handshake"),
        "{advice}"
    );
}

#[test]
fn a_refused_connect_fails_mqtt_with_its_return_code() {
    let (broker, _conf) = broker(false);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let r = doctor(dir.path(), &[broker.port], &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "mqtt");
    assert_eq!(status(&j, "client_auth"), "ok");
    assert_eq!(stage_codes(&j, "mqtt"), ["mqtt_refused", "mqtt_version"]);
    assert!(j["advice"].as_str().unwrap().contains("iot:Connect"));
    // The stage says which MQTT the CONNECT spoke, and why.
    let version = &stage(&j, "mqtt")["findings"][1]["message"];
    assert!(
        version
            .as_str()
            .unwrap()
            .contains("MQTT 3.1.1 (the default"),
        "{version}"
    );
}

#[test]
fn a_missing_config_file_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("aws-iot-device-client.conf");
    let r = run(&["doctor", "--config", missing.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.starts_with("iotcheck: "), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn flags_alone_without_an_endpoint_fail_config_and_still_lint_the_files() {
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let cert = dir.path().join("certificate.pem.crt");
    let key = dir.path().join("private.pem.key");
    let r = run(&[
        "doctor",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--at",
        AT,
        "--no-account",
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "config");
    assert_eq!(stage_codes(&j, "config"), ["config_missing_value"]);
    assert_eq!(j["settings"]["client"], "flags");
    assert_eq!(status(&j, "files"), "ok");
    assert_eq!(status(&j, "credentials"), "ok");
    // No CA file named: the embedded Amazon roots, said as a note.
    assert_eq!(stage_codes(&j, "trust"), ["ca_not_given"]);
    for id in ["dns", "tcp", "tls", "client_auth", "mqtt"] {
        assert_eq!(stage(&j, id)["depends_on"], "config", "{id}");
    }
}

#[test]
fn a_missing_key_file_fails_files_and_blocks_what_needs_it() {
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    std::fs::remove_file(dir.path().join("private.pem.key")).unwrap();
    let r = doctor(dir.path(), &[CLOSED_PORT], &[]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(j["first_failure"], "files");
    assert_eq!(stage_codes(&j, "files"), ["file_missing"]);
    assert_eq!(stage(&j, "credentials")["depends_on"], "files");
}

#[test]
fn files_that_are_a_pipe_a_directory_or_a_device_fail_files_without_hanging() {
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let key = dir.path().join("private.pem.key");
    std::fs::remove_file(&key).unwrap();
    let made = Command::new("mkfifo")
        .arg(&key)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let cert = dir.path().join("certificate.pem.crt");
    std::fs::remove_file(&cert).unwrap();
    std::fs::create_dir(&cert).unwrap();
    // A named pipe is never opened: were it, the run would hang, failing here after 10 s.
    let r = run_cmd_within(
        &mut doctor_cmd(dir.path(), &[CLOSED_PORT], &["--ca", "/dev/null"]),
        10,
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "files");
    let messages: Vec<String> = stage(&j, "files")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "is a directory, not a regular file",
        "is a named pipe (FIFO), not a regular file",
        "/dev/null: is a device, not a regular file",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{expected}: {messages:?}"
        );
    }
}

#[test]
fn an_unset_clock_fails_the_clock_stage_first() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    // 1970, as a device that booted without SNTP: every certificate looks not yet valid, and
    // the clock is named as the cause, ahead of the stages that show its symptoms.
    for at in ["@0", "1970-01-01T00:00:00Z"] {
        let r = doctor(dir.path(), &[broker.port], &["--at", at]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["first_failure"], "clock", "{}", r.stdout);
        assert_eq!(status(&j, "clock"), "fail");
        assert_eq!(stage_codes(&j, "clock"), ["clock_skew", "clock_unset"]);
        assert_eq!(status(&j, "credentials"), "fail");
        assert_eq!(stage_codes(&j, "credentials")[0], "not_yet_valid");
        let advice = j["advice"].as_str().unwrap();
        assert!(
            advice.starts_with("Set the device's clock first: it says 1970-01-01T00:00:00Z"),
            "{advice}"
        );
        assert!(advice.contains("SNTP"), "{advice}");
        assert!(advice.contains("credentials"), "{advice}");
    }
}

#[test]
fn a_clock_behind_every_certificate_fails_the_clock_stage_first() {
    // 2024, set but behind: the served leaf, the device certificate and the roots all became
    // valid in 2025.
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let r = doctor(
        dir.path(),
        &[broker.port],
        &["--at", "2024-06-01T00:00:00Z"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "clock", "{}", r.stdout);
    let advice = j["advice"].as_str().unwrap();
    assert!(advice.contains("it is behind"), "{advice}");
    // Without an endpoint to compare with, the certificates the device holds say the same.
    let no_endpoint = run_cmd(iotcheck().args([
        "doctor",
        "--cert",
        &fixture("device/ec.pem"),
        "--key",
        dir.path().join("private.pem.key").to_str().unwrap(),
        "--ca",
        &fixture("roots/test-roots.pem"),
        "--at",
        "2024-06-01T00:00:00Z",
        "--no-account",
        "--json",
    ]));
    let j = no_endpoint.json();
    assert_eq!(status(&j, "clock"), "fail", "{}", no_endpoint.stdout);
    let message = stage(&j, "clock")["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("before any of the 3 certificates"),
        "{message}"
    );
    // config fails first (no endpoint): a failure the clock does not explain stays first.
    assert_eq!(j["first_failure"], "config");
}

#[test]
fn the_ca_file_expiry_warning_follows_warn_days() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    // The test roots expire on 2045-01-01, 6,788 days after AT.
    let default = doctor(dir.path(), &[broker.port], &[]).json();
    assert!(!stage_codes(&default, "trust").contains(&"expires_soon".to_string()));
    let wide = doctor(dir.path(), &[broker.port], &["--warn-days", "7000"]);
    let j = wide.json();
    assert_eq!(j["verdict"], "ok", "{}", wide.stdout);
    assert_eq!(status(&j, "trust"), "warn");
    assert_eq!(stage_codes(&j, "trust"), ["expires_soon", "expires_soon"]);
    let narrow = doctor(dir.path(), &[broker.port], &["--warn-days", "6700"]).json();
    assert_eq!(status(&narrow, "trust"), "ok");
}

#[test]
fn the_report_is_created_once_and_holds_no_secret() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let report = dir.path().join("ticket.md");
    let report_arg = report.to_str().unwrap().to_string();
    let aws = tempfile::tempdir().unwrap();
    let with_secrets = |extra: &[&str]| {
        let mut args = vec![
            "--report",
            report_arg.as_str(),
            ACCOUNT,
            "--proxy",
            "http://fielduser:pr0xy-s3cret@127.0.0.1:9",
        ];
        args.extend_from_slice(extra);
        let mut cmd = doctor_cmd(dir.path(), &[broker.port], &args);
        // The account stage may ask AWS: a closed local port, fake credentials, no metadata.
        cmd.env("AWS_CONFIG_FILE", aws.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                aws.path().join("credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "AKIATESTINGDOCTOR")
            .env("AWS_SECRET_ACCESS_KEY", "aws-s3cret-never-shown")
            .env("AWS_REGION", "eu-west-1");
        run_cmd(&mut cmd)
    };
    let r = with_secrets(&[]);
    // The proxy does not listen: the TLS stage fails, and the report says so.
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["settings"]["proxy"]["value"]["password_set"], true);
    assert_eq!(status(&j, "account"), "skipped");
    let text = std::fs::read_to_string(&report).expect("the report was written");
    assert!(text.starts_with("# iotcheck doctor report"), "{text}");
    for section in [
        "## Settings",
        "## Stages",
        "## Findings",
        "## Device certificate",
    ] {
        assert!(text.contains(section), "{section}:\n{text}");
    }
    assert!(text.contains("BEGIN CERTIFICATE"));
    let key_pem = std::fs::read_to_string(fixture("device/ec.key")).unwrap();
    let key_body: Vec<&str> = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .collect();
    for output in [&text, &r.stdout, &r.stderr] {
        assert!(!output.contains("PRIVATE KEY"), "{output}");
        for line in &key_body {
            assert!(!output.contains(line), "key material in:\n{output}");
        }
        assert!(!output.contains("pr0xy-s3cret"), "{output}");
        assert!(!output.contains("aws-s3cret-never-shown"), "{output}");
    }
    // Never overwritten without --force; replaced with it.
    let again = with_secrets(&[]);
    assert_eq!(again.code, 2, "{}{}", again.stdout, again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    std::fs::write(&report, "old").unwrap();
    let forced = with_secrets(&["--force"]);
    assert_eq!(forced.code, 1, "{}", forced.stderr);
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .starts_with("# iotcheck doctor report"));
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_report_path_that_is_a_special_file_or_a_directory_is_refused_even_with_force() {
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    // --force renames the report over the path: over a named pipe, a socket or a device node
    // (as root, /dev/null) that would replace the node itself.
    let fifo = dir.path().join("ticket.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let socket = dir.path().join("ticket.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket");
    let with_slash = format!("{}/", dir.path().display());
    for (target, expected) in [
        (
            fifo.to_str().unwrap(),
            "is a named pipe (FIFO), not a regular file",
        ),
        (socket.to_str().unwrap(), "is a socket, not a regular file"),
        (with_slash.as_str(), "is a directory"),
    ] {
        for force in [false, true] {
            let mut extra = vec!["--report", target];
            if force {
                extra.push("--force");
            }
            let r = doctor(dir.path(), &[CLOSED_PORT], &extra);
            assert_eq!(r.code, 2, "{target} {force}: {}{}", r.stdout, r.stderr);
            assert_eq!(r.stdout, "", "the check comes before any stage");
            assert!(
                r.stderr
                    .starts_with(&format!("iotcheck: {target}: {expected}")),
                "{}",
                r.stderr
            );
        }
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(std::fs::symlink_metadata(&socket)
        .unwrap()
        .file_type()
        .is_socket());
}

#[test]
fn connect_with_a_port_maps_exactly_one_port() {
    let r = run(&["doctor", "--endpoint", ENDPOINT, "--connect", "127.0.0.1:9"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--ports with one port"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// the device's own configuration files

/// A Device Client installation: `certs/` (0700) with the certificate and root CA (0644) and
/// the key (`key_mode`), `conf/` (0745) with `aws-iot-device-client.conf` (0640), the modes
/// the Device Client requires and recommends. Returns the directory and the config's path.
fn device_client_install(key_mode: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let certs = top.path().join("certs");
    let conf = top.path().join("conf");
    std::fs::create_dir(&certs).unwrap();
    std::fs::create_dir(&conf).unwrap();
    let place = |from: &str, to: &Path, mode: u32| {
        std::fs::copy(fixture(from), to).unwrap();
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    place("device/ec.pem", &certs.join("certificate.pem.crt"), 0o644);
    place("device/ec.key", &certs.join("private.pem.key"), key_mode);
    place("roots/test-roots.pem", &certs.join("root-ca.pem"), 0o644);
    std::fs::set_permissions(&certs, std::fs::Permissions::from_mode(0o700)).unwrap();
    let config = conf.join("aws-iot-device-client.conf");
    let json = serde_json::json!({
        "endpoint": ENDPOINT,
        "cert": certs.join("certificate.pem.crt"),
        "key": certs.join("private.pem.key"),
        "root-ca": certs.join("root-ca.pem"),
        "thing-name": "TestThing-ec",
        "logging": { "level": "DEBUG", "type": "STDOUT" },
        "jobs": { "enabled": false },
        "tunneling": { "enabled": false }
    });
    std::fs::write(&config, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o745)).unwrap();
    (top, config)
}

/// The device handshake's MQTT operations subscribed to `topic` (accepted) and published
/// nothing: a configuration's topics are subscribed to, never published.
fn assert_subscribed_only(j: &Value, topic: &str) {
    let device = j["network"]["ports"][0]["handshakes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["sig"] == "device")
        .expect("the device's handshake");
    let operations = device["mqtt"]["operations"].as_array().unwrap();
    assert!(
        operations
            .iter()
            .any(|o| o["kind"] == "subscribe" && o["topic"] == topic && o["outcome"] == "accepted"),
        "{operations:?}"
    );
    assert!(
        operations.iter().all(|o| o["kind"] == "subscribe"),
        "{operations:?}"
    );
}

/// `iotcheck doctor --config CONFIG`, the ports mapped to `port` on 127.0.0.1, at AT.
fn doctor_config(config: &Path, port: u16, extra: &[&str]) -> Run {
    let mut cmd = iotcheck();
    cmd.arg("doctor")
        .arg("--config")
        .arg(config)
        .args(["--connect", "127.0.0.1", "--ports", &port.to_string()])
        .args(["--at", AT, "--timeout", "5", "--no-account", "--json"])
        .args(extra);
    run_cmd(&mut cmd)
}

#[test]
fn a_device_client_config_with_the_modes_it_requires_passes() {
    let (broker, _conf) = broker(true);
    let (_install, config) = device_client_install(0o600);
    let r = doctor_config(&config, broker.port, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok", "{}", r.stdout);
    assert_eq!(j["settings"]["client"], "device_client");
    assert_eq!(j["settings"]["endpoint"]["origin"]["kind"], "file");
    assert_eq!(j["settings"]["key"]["mode"]["rule"], "exactly");
    // The Device Client connects with its thing name.
    assert_eq!(j["settings"]["client_id"]["value"], "TestThing-ec");
    assert_eq!(status(&j, "files"), "ok", "{}", stage(&j, "files"));
    assert_eq!(status(&j, "mqtt"), "ok");

    // With jobs on, the doctor subscribes to the jobs topics the Device Client subscribes to,
    // and publishes nothing: the jobs topics it publishes to wait for --publish.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("\"enabled\": false", "\"enabled\": true"),
    )
    .unwrap();
    let j = doctor_config(&config, broker.port, &[]).json();
    assert_eq!(status(&j, "mqtt"), "ok", "{}", stage(&j, "mqtt"));
    assert_subscribed_only(&j, "$aws/things/TestThing-ec/jobs/notify-next");
    let note = stage(&j, "mqtt")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "mqtt_feature_topics")
        .expect("the features' topics are told")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        note.contains("(jobs, tunneling)") && note.contains("not published"),
        "{note}"
    );
}

#[test]
fn the_device_client_refuses_a_key_of_0644_and_of_0400() {
    let (broker, _conf) = broker(true);
    for mode in [0o644, 0o400] {
        let (_install, config) = device_client_install(mode);
        let r = doctor_config(&config, broker.port, &[]);
        assert_eq!(r.code, 1, "{mode:o}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["first_failure"], "files", "{mode:o}");
        assert_eq!(stage_codes(&j, "files"), ["file_mode"], "{mode:o}");
        let message = stage(&j, "files")["findings"][0]["message"]
            .as_str()
            .unwrap();
        assert!(
            message.contains(&format!("{mode:04o}")) && message.contains("exactly 0600"),
            "{message}"
        );
        assert!(
            j["advice"].as_str().unwrap().contains("chmod 600"),
            "{mode:o}"
        );
        // The connection itself is fine: the stages after files still ran.
        assert_eq!(status(&j, "mqtt"), "ok", "{mode:o}");
    }
}

#[test]
fn a_greengrass_config_is_read_and_checked() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let config = dir.path().join("config.yaml");
    let yaml = format!(
        "---\nsystem:\n  certificateFilePath: \"{cert}\"\n  privateKeyPath: \"{key}\"\n  \
         rootCaPath: \"{ca}\"\n  rootpath: \"{root}\"\n  thingName: \"TestThing-ec\"\n\
         services:\n  aws.greengrass.Nucleus:\n    componentType: \"NUCLEUS\"\n    \
         version: \"2.9.4\"\n    configuration:\n      awsRegion: \"eu-west-1\"\n      \
         iotDataEndpoint: \"{ENDPOINT}\"\n      mqtt:\n        port: {port}\n      \
         greengrassDataPlaneEndpoint: \"iotdata\"\n      greengrassDataPlanePort: {port}\n",
        cert = dir.path().join("certificate.pem.crt").display(),
        key = dir.path().join("private.pem.key").display(),
        ca = fixture("roots/test-roots.pem"),
        root = dir.path().display(),
        port = broker.port,
    );
    std::fs::write(&config, yaml).unwrap();
    let r = doctor_config(&config, broker.port, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["settings"]["client"], "greengrass");
    assert_eq!(j["settings"]["endpoint"]["value"], ENDPOINT);
    assert_eq!(j["settings"]["endpoint"]["origin"]["kind"], "file");
    assert_eq!(j["settings"]["region"]["value"], "eu-west-1");
    // --ports overrides the file's two ports, and says so.
    assert_eq!(j["settings"]["ports"]["origin"]["flag"], "--ports");
    assert_eq!(status(&j, "client_auth"), "ok");
    assert_eq!(status(&j, "mqtt"), "ok");
    // The data plane (here the data endpoint, on the broker's port) accepted the device.
    assert_eq!(status(&j, "data_plane"), "ok");
    // Nucleus 2.9.4 predates MQTT 5: the CONNECT spoke 3.1.1, and the stage says why.
    assert_eq!(j["settings"]["mqtt_version"]["value"], "3.1.1");
    assert_eq!(j["settings"]["mqtt_version"]["origin"]["kind"], "default");
    let said = |j: &Value| {
        stage(j, "mqtt")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "mqtt_version")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(
        said(&j).contains("MQTT 3.1.1 (nucleus 2.9.4 predates"),
        "{}",
        said(&j)
    );
    // A later nucleus with `mqtt.version: mqtt5`: the CONNECT speaks MQTT 5 to the broker.
    let text = std::fs::read_to_string(&config).unwrap();
    let mqtt5 = config.with_file_name("mqtt5.yaml");
    std::fs::write(
        &mqtt5,
        text.replace("\"2.9.4\"", "\"2.14.0\"")
            .replace("      mqtt:\n", "      mqtt:\n        version: \"mqtt5\"\n"),
    )
    .unwrap();
    let j = doctor_config(&mqtt5, broker.port, &[]).json();
    assert_eq!(status(&j, "mqtt"), "ok", "{}", stage(&j, "mqtt"));
    assert_eq!(j["settings"]["mqtt_version"]["value"], "5");
    assert!(
        j["settings"]["mqtt_version"]["origin"]["key"]
            .as_str()
            .unwrap()
            .ends_with("mqtt.version"),
        "{}",
        j["settings"]["mqtt_version"]
    );
    assert!(
        said(&j).starts_with("CONNECT spoke MQTT 5 ("),
        "{}",
        said(&j)
    );
    // --mqtt-version wins over the file.
    let j = doctor_config(&mqtt5, broker.port, &["--mqtt-version", "3"]).json();
    assert_eq!(
        j["settings"]["mqtt_version"]["origin"]["flag"],
        "--mqtt-version"
    );
    assert!(
        said(&j).contains("MQTT 3.1.1 (--mqtt-version)"),
        "{}",
        said(&j)
    );
    // Without --ports, the nucleus's own ports: MQTT and the data plane's, both from the file.
    let mut cmd = iotcheck();
    cmd.arg("doctor")
        .arg("--config")
        .arg(&config)
        .args(["--connect", "127.0.0.1", "--at", AT, "--timeout", "2"])
        .args(["--no-account", "--json"]);
    let r = run_cmd(&mut cmd);
    let j = r.json();
    let ports = j["settings"]["ports"]["value"].as_array().unwrap().clone();
    assert_eq!(ports, vec![Value::from(broker.port)], "one port for both");
    assert_eq!(j["settings"]["ports"]["origin"]["kind"], "file");
}

// ---------------------------------------------------------------------------------------------
// through an HTTP CONNECT proxy, and the account stage against moto

#[test]
fn a_device_behind_an_http_proxy_passes_through_it() {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let proxy_dir = tempfile::tempdir().unwrap();
    let proxy = crate::peers::tinyproxy(proxy_dir.path(), false, Some(("fielduser", "pr0xy-pass")));
    let url = format!("http://fielduser:pr0xy-pass@127.0.0.1:{}", proxy.port);
    let report = dir.path().join("ticket.md");
    let r = doctor(
        dir.path(),
        &[broker.port],
        &["--proxy", &url, "--report", report.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok", "{}", r.stdout);
    // The proxy resolves the name and opens the connection: dns and tcp are not the device's.
    for id in ["dns", "tcp"] {
        assert_eq!(status(&j, id), "skipped", "{id}");
        let reason = stage(&j, id)["reason"].as_str().unwrap();
        assert!(reason.contains("through an HTTP proxy"), "{id}: {reason}");
    }
    for id in ["tls", "client_auth", "mqtt"] {
        assert_eq!(status(&j, id), "ok", "{id}: {}", stage(&j, id));
    }
    let device = j["network"]["ports"][0]["handshakes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["sig"] == "device")
        .expect("the device's handshake")
        .clone();
    assert_eq!(device["tls"]["via_proxy"], true, "{device}");
    assert_eq!(device["mqtt"]["outcome"], "accepted", "{device}");
    assert_eq!(j["settings"]["proxy"]["value"]["password_set"], true);
    let text = std::fs::read_to_string(&report).expect("the report was written");
    for output in [&r.stdout, &r.stderr, &text] {
        assert!(!output.contains("pr0xy-pass"), "{output}");
    }
}

/// `iotcheck doctor` for a healthy loopback device with the account stage asked of `moto`.
fn doctor_with_account(moto: &crate::account::Moto) -> Run {
    let (broker, _conf) = broker(true);
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    let mut cmd = doctor_cmd(dir.path(), &[broker.port], &[ACCOUNT]);
    crate::account::with_aws(&mut cmd, &moto.url(), moto.config.path());
    run_cmd(&mut cmd)
}

#[test]
fn the_account_stage_asks_aws_about_the_certificate() {
    let moto = crate::account::Moto::start();
    let arn = moto.register("device/ec.pem", "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(&arn, "DevicePolicy", crate::account::thing_policy());
    let r = doctor_with_account(&moto);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok", "{}", r.stdout);
    assert_eq!(status(&j, "account"), "ok", "{}", stage(&j, "account"));
    assert!(!r.stdout.contains("testing-secret-never-shown"));
    assert!(!r.stderr.contains("testing-secret-never-shown"));
}

#[test]
fn the_account_stage_fails_for_an_unregistered_certificate() {
    let moto = crate::account::Moto::start();
    // Another certificate is registered; the device's is not.
    moto.register("device/rsa.pem", "ACTIVE");
    let r = doctor_with_account(&moto);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["first_failure"], "account");
    assert_eq!(status(&j, "account"), "fail");
    assert_eq!(stage_codes(&j, "account")[0], "cert_not_registered");
    let advice = j["advice"].as_str().unwrap();
    assert!(
        advice.contains("not registered in this account and region"),
        "{advice}"
    );
}

/// A character a terminal acts on or hides: any control but the newline that ends a line, DEL
/// and the C1 controls, bidi controls, zero-width characters, the line and paragraph
/// separators.
fn raw_control(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{61C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

#[test]
fn hostile_paths_and_home_are_escaped_in_every_renderer() {
    // A certificate path and a $HOME that set the window title, clear the screen, forge a line
    // and reverse the text after them; the key is named under `~`.
    let forged = "all stages ok";
    let hostile = format!("\x1b]0;owned\x07\x1b[2J\n{forged}\u{202e}\u{9b}31m");
    let top = tempfile::tempdir().unwrap();
    let home = top.path().join(format!("home{hostile}"));
    let config = top.path().join("aws-iot-device-client.conf");
    let json = serde_json::json!({
        "endpoint": ENDPOINT,
        "cert": top.path().join(format!("cert{hostile}.pem")),
        "key": "~/private.pem.key",
        "root-ca": fixture("roots/test-roots.pem"),
        "thing-name": format!("thing{hostile}"),
    });
    std::fs::write(&config, serde_json::to_string(&json).unwrap()).unwrap();
    let report = top.path().join("ticket.md");
    let run = |extra: &[&str]| {
        let mut cmd = iotcheck();
        cmd.arg("doctor")
            .arg("--config")
            .arg(&config)
            .args([
                "--connect",
                "127.0.0.1",
                "--ports",
                &CLOSED_PORT.to_string(),
            ])
            .args(["--at", AT, "--timeout", "5", "--no-account"])
            .args(extra)
            .env("HOME", &home);
        run_cmd(&mut cmd)
    };
    let text = run(&[]);
    let json = run(&["--json"]);
    let markdown = run(&["--report", report.to_str().unwrap()]);
    assert_eq!(text.code, 1, "{}{}", text.stdout, text.stderr);
    // The advice names the missing certificate: the path is there, escaped.
    let advice = text.stdout.lines().nth(1).unwrap_or_default();
    assert!(advice.contains("cert\\u{1b}]0;owned"), "{advice}");
    assert_eq!(json.json()["first_failure"], "files", "{}", json.stdout);
    let written = std::fs::read_to_string(&report).expect("the report was written");
    for (what, output) in [
        ("text", &text.stdout),
        ("text stderr", &text.stderr),
        ("json", &json.stdout),
        ("json stderr", &json.stderr),
        ("report run", &markdown.stdout),
        ("report", &written),
    ] {
        assert!(
            !output.chars().any(raw_control),
            "{what} holds a raw control:\n{output:?}"
        );
        assert!(
            !output.lines().any(|l| l.trim_start().starts_with(forged)),
            "{what} holds a forged line:\n{output}"
        );
    }
}

#[test]
fn an_sdk_sample_command_line_is_read_and_checked() {
    let (broker, _conf) = broker(true);
    // The device's files in a folder with a space, as the shell line quotes them.
    let top = tempfile::tempdir().unwrap();
    let certs = top.path().join("my certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::copy(fixture("device/ec.pem"), certs.join("dev.pem.crt")).unwrap();
    std::fs::copy(fixture("device/ec.key"), certs.join("dev.private.key")).unwrap();
    std::fs::set_permissions(
        certs.join("dev.private.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::copy(fixture("roots/test-roots.pem"), certs.join("root-CA.crt")).unwrap();
    let quoted = |name: &str| format!("'{}'", certs.join(name).display());
    let line = top.path().join("start.sh");
    std::fs::write(
        &line,
        format!(
            "python3 samples/pubsub.py \\\n  --endpoint {ENDPOINT} \\\n  --ca_file {} --cert {} --key {} \\\n  --client_id TestThing-ec --topic sdk/test/python --count 0 --port 8883\n",
            quoted("root-CA.crt"),
            quoted("dev.pem.crt"),
            quoted("dev.private.key")
        ),
    )
    .unwrap();
    let r = doctor_config(&line, broker.port, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok", "{}", r.stdout);
    let settings = &j["settings"];
    assert_eq!(settings["client"], "sdk_sample");
    assert_eq!(settings["endpoint"]["origin"]["key"], "--endpoint");
    assert_eq!(settings["cert"]["path"]["origin"]["key"], "--cert");
    assert_eq!(settings["ca"][0]["path"]["origin"]["key"], "--ca_file");
    assert_eq!(settings["client_id"]["value"], "TestThing-ec");
    assert_eq!(settings["client_id"]["origin"]["key"], "--client_id");
    assert_eq!(status(&j, "mqtt"), "ok", "{}", stage(&j, "mqtt"));
    // --topic: subscribed on the wire, never published.
    assert_subscribed_only(&j, "sdk/test/python");

    // A custom-auth sample: the transport follows the line, and its token and signature are
    // in no output and no report.
    std::fs::write(
        &line,
        format!(
            "python3 mqtt5_custom_auth_signed.py --endpoint {ENDPOINT} --client_id TestThing-ec --custom_auth_authorizer_name TestAuthorizer --custom_auth_token_key_name tokenKey --custom_auth_token_value t0ken-s3cret-value --custom_auth_authorizer_signature c2lnLXMzY3JldA== --custom_auth_password pa55-s3cret\n"
        ),
    )
    .unwrap();
    let report = top.path().join("report.md");
    let r = doctor_config(&line, broker.port, &["--report", report.to_str().unwrap()]);
    let j = r.json();
    assert_eq!(
        j["settings"]["transport"]["kind"], "custom_auth",
        "{}",
        r.stdout
    );
    assert_eq!(j["settings"]["transport"]["authorizer"], "TestAuthorizer");
    assert_eq!(j["settings"]["mqtt_version"]["value"], "5");
    let written = std::fs::read_to_string(&report).unwrap();
    for secret in ["t0ken-s3cret-value", "c2lnLXMzY3JldA==", "pa55-s3cret"] {
        for (what, text) in [
            ("stdout", &r.stdout),
            ("stderr", &r.stderr),
            ("report", &written),
        ] {
            assert!(!text.contains(secret), "{secret} in {what}: {text}");
        }
    }
}

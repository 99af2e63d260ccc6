//! Integration tests: `iotcheck endpoint --credentials` and `--https-publish` against a
//! loopback stand-in for AWS IoT's HTTPS doors (`tests/support/credentials_peer.py`), which
//! requires a client certificate of the test device CA and answers as the service is
//! documented to (the peer's docstring and docs/credentials.md say where each answer is
//! documented). No run leaves 127.0.0.1.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use crate::peers::{credentials_peer, Peer};

/// The credentials endpoint's name the peer's certificate carries and expects as SNI.
pub const CREDENTIALS_HOST: &str = "c2fake3prefix.credentials.iot.eu-west-1.amazonaws.com";
/// What the peer hands out; no output may ever hold them.
pub const FAKE_SECRET: &str = "FAKE-SECRET-wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
pub const FAKE_TOKEN: &str = "FAKE-SESSION-TOKEN-IQoJb3JpZ2luX2VjEXAMPLETOKEN==";
const FAKE_KEY_ID: &str = "ASIAFAKEEXAMPLE7Q2WX";

/// The peer, serving a leaf issued by the test RSA intermediate (so the test roots verify it)
/// for `*.credentials.iot.eu-west-1.amazonaws.com` and `*.iot.eu-west-1.amazonaws.com`.
pub struct Door {
    pub peer: Peer,
}

pub fn door() -> Door {
    let peer = credentials_peer(
        (
            Path::new(&fixture("server/rsa-int.pem")),
            Path::new(&fixture("server/rsa-int.key")),
        ),
        Path::new(&fixture("device/device-ca.pem")),
        CREDENTIALS_HOST,
    );
    Door { peer }
}

/// `endpoint CREDENTIALS_HOST:PORT --connect 127.0.0.1 --cert device/ec.pem --key ... --json`.
fn credentials_cmd(port: u16, device: &str, extra: &[&str]) -> Command {
    let mut cmd = iotcheck();
    cmd.args([
        "endpoint",
        &format!("{CREDENTIALS_HOST}:{port}"),
        "--connect",
        "127.0.0.1",
        "--at",
        AT,
        "--ca",
        &fixture("roots/test-roots.pem"),
        "--cert",
        &fixture(&format!("device/{device}.pem")),
        "--key",
        &fixture(&format!("device/{device}.key")),
    ]);
    if !extra.contains(&"--timeout") {
        cmd.args(["--timeout", "10"]);
    }
    cmd.args(extra);
    cmd
}

/// No secret of the peer's in anything the run printed.
pub fn no_secret(r: &Run) {
    for secret in [
        FAKE_SECRET,
        FAKE_TOKEN,
        FAKE_KEY_ID,
        "FAKE-SECRET",
        "FAKE-SESSION-TOKEN",
    ] {
        assert!(
            !r.stdout.contains(secret),
            "{secret} in stdout:\n{}",
            r.stdout
        );
        assert!(
            !r.stderr.contains(secret),
            "{secret} in stderr:\n{}",
            r.stderr
        );
    }
}

fn https_of(j: &serde_json::Value) -> &serde_json::Value {
    &j["handshakes"][0]["https"]
}

fn error_codes(j: &serde_json::Value) -> Vec<String> {
    problems(j).into_iter().map(|(code, _)| code).collect()
}

#[test]
fn each_documented_answer_has_its_code_and_no_secret_is_shown() {
    let door = door();
    let port = door.peer.port;

    // Success: the expiry and four characters of the key id, in JSON and in text.
    let ok = [
        "--credentials",
        "--role-alias",
        "ok-alias",
        "--thing",
        "TestThing-ec",
    ];
    let r = run_cmd(&mut credentials_cmd(
        port,
        "ec",
        &[&ok[..], &["--json"]].concat(),
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    no_secret(&r);
    let j = r.json();
    let h = https_of(&j);
    assert_eq!(h["status"], 200, "{j}");
    assert_eq!(h["outcome"], "answered");
    assert_eq!(h["expiration"], "2026-06-01T01:00:00Z");
    assert_eq!(h["access_key_id_last4"], "Q2WX");
    assert_eq!(h["thing_name"], "TestThing-ec");
    assert_eq!(h["request"], "GET /role-aliases/ok-alias/credentials");
    assert_eq!(j["verdict"], "ok");
    for shape in [&["--brief"][..], &[][..]] {
        let r = run_cmd(&mut credentials_cmd(port, "ec", &[&ok[..], shape].concat()));
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        no_secret(&r);
        assert!(r.stdout.contains("2026-06-01T01:00:00Z"), "{}", r.stdout);
    }

    // Each failure the service documents, by its own code (exit 1: the certificate was seen).
    for (device, alias, thing, code, words) in [
        (
            "ec",
            "ok-alias",
            Some("OtherThing"),
            "credentials_thing_invalid",
            "Invalid thing name passed",
        ),
        (
            "ec",
            "denied-alias",
            Some("TestThing-ec"),
            "credentials_access_denied",
            "iot:AssumeRoleWithCertificate",
        ),
        (
            "ec",
            "missing-alias",
            Some("TestThing-ec"),
            "credentials_alias_not_found",
            "does not exist",
        ),
        (
            "ec",
            "norole-alias",
            None,
            "credentials_role_unassumable",
            "credentials.iot.amazonaws.com",
        ),
        (
            "ec",
            "duration-alias",
            None,
            "credentials_duration_too_long",
            "MaxSessionDuration",
        ),
        // A certificate the account does not know.
        (
            "rsa",
            "ok-alias",
            None,
            "credentials_cert_invalid",
            "Certificate is invalid on this endpoint",
        ),
    ] {
        let mut args = vec!["--credentials", "--role-alias", alias, "--json"];
        if let Some(thing) = thing {
            args.extend(["--thing", thing]);
        }
        let r = run_cmd(&mut credentials_cmd(port, device, &args));
        assert_eq!(r.code, 1, "{alias}: {}{}", r.stdout, r.stderr);
        no_secret(&r);
        let j = r.json();
        assert_eq!(error_codes(&j), vec![code.to_string()], "{alias}: {j}");
        let finding = first(&j, "problems");
        assert!(
            finding["message"].as_str().unwrap().contains(words),
            "{finding}"
        );
        assert!(https_of(&j)["error_type"].is_string(), "{j}");
    }

    // SNI that is not the credentials endpoint's name: the same 403 as an unknown certificate.
    let r = run_cmd(&mut credentials_cmd(
        port,
        "ec",
        &[
            "--credentials",
            "--role-alias",
            "ok-alias",
            "--json",
            "--servername",
            "other.credentials.iot.eu-west-1.amazonaws.com",
        ],
    ));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        error_codes(&r.json()),
        vec!["credentials_cert_invalid".to_string()]
    );

    // No thing name: answered, with a note that thing variables cannot resolve.
    let r = run_cmd(&mut credentials_cmd(
        port,
        "ec",
        &["--credentials", "--role-alias", "ok-alias", "--json"],
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let codes: Vec<String> = all_findings(&r.json())
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert!(
        codes.contains(&"credentials_no_thing_name".to_string()),
        "{codes:?}"
    );
}

#[test]
fn hostile_answers_are_findings_bounded_by_the_timeout() {
    let door = door();
    let port = door.peer.port;
    for (alias, code, words) in [
        ("huge", "http_too_large", "52428800"),
        ("chunked", "http_too_large", "chunked body exceeds"),
        ("badjson", "credentials_answer_invalid", "not valid JSON"),
        ("redirect", "http_redirect", "https://portal.example/login"),
        ("http09", "http_malformed", "HTTP/0.9"),
        ("close", "http_closed", "without answering"),
        ("reset", "http_closed", ""),
        ("drip", "http_timeout", "no complete answer"),
    ] {
        let timeout = if alias == "drip" { "2" } else { "10" };
        let mut cmd = credentials_cmd(
            port,
            "ec",
            &[
                "--credentials",
                "--role-alias",
                alias,
                "--json",
                "--timeout",
                timeout,
            ],
        );
        // A hang is the only failure bounded here.
        let r = run_cmd_within(&mut cmd, 30);
        assert_eq!(r.code, 1, "{alias}: {}{}", r.stdout, r.stderr);
        no_secret(&r);
        let j = r.json();
        assert_eq!(error_codes(&j), vec![code.to_string()], "{alias}: {j}");
        let message = first(&j, "problems")["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(words), "{alias}: {message}");
    }
}

#[test]
fn the_identity_goes_only_to_a_verified_server() {
    let door = door();
    // The embedded Amazon roots do not verify the test chain: nothing is sent.
    let mut cmd = iotcheck();
    cmd.args([
        "endpoint",
        &format!("{CREDENTIALS_HOST}:{}", door.peer.port),
        "--connect",
        "127.0.0.1",
        "--at",
        AT,
        "--timeout",
        "10",
        "--json",
        "--cert",
        &fixture("device/ec.pem"),
        "--key",
        &fixture("device/ec.key"),
        "--credentials",
        "--role-alias",
        "ok-alias",
    ]);
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(https_of(&j)["outcome"], "not_sent", "{j}");
    assert!(
        !door.peer.output().contains("GET /role-aliases"),
        "{}",
        door.peer.output()
    );
    no_secret(&r);
}

#[test]
fn https_publish_reports_what_each_status_means() {
    let door = door();
    let port = door.peer.port;
    let publish = |topic: &str, device: &str| {
        let mut cmd = iotcheck();
        cmd.args([
            "endpoint",
            &format!("{ENDPOINT}:{port}"),
            "--connect",
            "127.0.0.1",
            "--at",
            AT,
            "--timeout",
            "10",
            "--json",
            "--ca",
            &fixture("roots/test-roots.pem"),
            "--cert",
            &fixture(&format!("device/{device}.pem")),
            "--key",
            &fixture(&format!("device/{device}.key")),
            "--https-publish",
            topic,
            "--payload",
            "{\"t\":1}",
        ]);
        run_cmd(&mut cmd)
    };
    let r = publish("allowed/Sensor1", "ec");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(https_of(&j)["status"], 200);
    assert_eq!(https_of(&j)["message"], "OK");
    assert_eq!(
        https_of(&j)["request"],
        "POST /topics/allowed/Sensor1?qos=1"
    );

    let r = publish("denied/Sensor1", "ec");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(error_codes(&j), vec!["publish_forbidden".to_string()]);
    assert!(first(&j, "problems")["message"]
        .as_str()
        .unwrap()
        .contains("iot:Publish"));

    // A wildcard is refused before anything is sent.
    let r = publish("a/#", "ec");
    assert_eq!(r.code, 2, "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// doctor: a Greengrass core's credentials provider and data plane

/// A Greengrass config.yaml for the device in `dir`: MQTT on the broker's port, the
/// credentials provider and the data plane (the data endpoint) on the peer's, and `alias`.
fn greengrass_config(
    dir: &Path,
    mqtt_port: u16,
    door_port: u16,
    alias: &str,
    thing: &str,
    plane_port: u16,
) -> std::path::PathBuf {
    let config = dir.join("config.yaml");
    let yaml = format!(
        "---\nsystem:\n  certificateFilePath: \"{cert}\"\n  privateKeyPath: \"{key}\"\n  \
         rootCaPath: \"{ca}\"\n  rootpath: \"{root}\"\n  thingName: \"{thing}\"\n\
         services:\n  aws.greengrass.Nucleus:\n    componentType: \"NUCLEUS\"\n    \
         version: \"2.12.0\"\n    configuration:\n      awsRegion: \"eu-west-1\"\n      \
         iotDataEndpoint: \"{ENDPOINT}\"\n      iotCredEndpoint: \"{CREDENTIALS_HOST}:{door_port}\"\n      \
         iotRoleAlias: \"{alias}\"\n      greengrassDataPlaneEndpoint: \"iotdata\"\n      \
         greengrassDataPlanePort: {plane_port}\n      mqtt:\n        port: {mqtt_port}\n",
        cert = fixture("device/ec.pem"),
        key = dir.join("private.pem.key").display(),
        ca = fixture("roots/test-roots.pem"),
        root = dir.display(),
    );
    std::fs::write(&config, yaml).expect("config.yaml");
    config
}

/// A Greengrass core's directory: its private key copied in with mode 0600.
fn core_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("private.pem.key");
    std::fs::copy(fixture("device/ec.key"), &key).expect("key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("mode");
    dir
}

/// `iotcheck doctor --config CONFIG` dialling 127.0.0.1 on the broker's port, at AT, in JSON,
/// with a 5 s timeout, plus `extra`.
fn greengrass_doctor(config: &Path, mqtt_port: u16, extra: &[&str]) -> Command {
    let mut cmd = iotcheck();
    cmd.arg("doctor")
        .arg("--config")
        .arg(config)
        .args(["--connect", "127.0.0.1", "--ports", &mqtt_port.to_string()])
        .args(["--at", AT, "--timeout", "5", "--json"])
        .args(extra);
    cmd
}

fn stage_of<'a>(j: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    j["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no stage {id} in {j}"))
}

#[test]
fn doctor_follows_a_greengrass_core_from_healthy_to_each_failure() {
    let door = door();
    let (broker, _broker_dir) = crate::doctor::broker(true);
    let dir = core_dir();
    let report = dir.path().join("support.md");
    let doctor = |alias: &str, thing: &str, plane_port: u16, extra: &[&str]| {
        let config = greengrass_config(
            dir.path(),
            broker.port,
            door.peer.port,
            alias,
            thing,
            plane_port,
        );
        let mut cmd = greengrass_doctor(&config, broker.port, &["--no-account"]);
        cmd.args(extra);
        run_cmd_within(&mut cmd, 30)
    };

    // Healthy: both new stages pass, and the support report holds no secret.
    let r = doctor(
        "ok-alias",
        "TestThing-ec",
        door.peer.port,
        &["--report", &report.to_string_lossy()],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    no_secret(&r);
    let j = r.json();
    assert_eq!(stage_of(&j, "credentials_provider")["status"], "ok", "{j}");
    assert_eq!(stage_of(&j, "data_plane")["status"], "ok", "{j}");
    let written = std::fs::read_to_string(&report).expect("the support report");
    for secret in [FAKE_SECRET, FAKE_TOKEN, FAKE_KEY_ID] {
        assert!(!written.contains(secret), "{secret} in the report");
    }

    // Each failure, by its code in its stage, with advice that names the fix.
    for (alias, thing, code, advice) in [
        (
            "denied-alias",
            "TestThing-ec",
            "credentials_access_denied",
            "iot:AssumeRoleWithCertificate",
        ),
        // A thing name other than the certificate's CN fails the credentials stage first, so the
        // doctor never sends it; `endpoint --credentials --thing` covers that answer.
        (
            "missing-alias",
            "TestThing-ec",
            "credentials_alias_not_found",
            "create-role-alias",
        ),
        (
            "norole-alias",
            "TestThing-ec",
            "credentials_role_unassumable",
            "credentials.iot.amazonaws.com",
        ),
        (
            "duration-alias",
            "TestThing-ec",
            "credentials_duration_too_long",
            "MaxSessionDuration",
        ),
        ("badjson", "TestThing-ec", "credentials_answer_invalid", ""),
    ] {
        let r = doctor(alias, thing, door.peer.port, &[]);
        assert_eq!(r.code, 1, "{alias}: {}{}", r.stdout, r.stderr);
        no_secret(&r);
        let j = r.json();
        let stage = stage_of(&j, "credentials_provider");
        assert_eq!(stage["status"], "fail", "{alias}: {stage}");
        assert_eq!(stage["findings"][0]["code"], code, "{alias}: {stage}");
        assert_eq!(stage_of(&j, "data_plane")["status"], "ok", "{alias}");
        let said = j.to_string();
        assert!(
            said.contains(advice),
            "{alias}: advice naming {advice:?} in {said}"
        );
    }

    // The data plane closed (nothing listens on the discard port): its own stage fails.
    let r = doctor("ok-alias", "TestThing-ec", CLOSED_PORT, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let stage = stage_of(&j, "data_plane");
    assert_eq!(stage["status"], "fail", "{stage}");
    assert_eq!(stage["findings"][0]["code"], "data_plane_failed");
    assert_eq!(stage_of(&j, "credentials_provider")["status"], "ok");
}

#[test]
fn doctor_checks_the_credentials_provider_of_flags_with_role_alias() {
    let door = door();
    let (broker, _broker_dir) = crate::doctor::broker(true);
    let credentials_endpoint = format!("{CREDENTIALS_HOST}:{}", door.peer.port);
    let mut cmd = doctor_cmd(
        &[broker.port],
        &[
            "--thing",
            "TestThing-ec",
            "--no-account",
            "--role-alias",
            "denied-alias",
            "--credentials-endpoint",
            &credentials_endpoint,
        ],
    );
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(
        stage_of(&j, "credentials_provider")["findings"][0]["code"],
        "credentials_access_denied"
    );
    // Not Greengrass: no data plane.
    assert_eq!(stage_of(&j, "data_plane")["status"], "skipped");
}

// ---------------------------------------------------------------------------------------------
// doctor: the account's side of the role alias and of the endpoint's domain (moto)

/// The policies the Greengrass installer attaches to a core device
/// (GreengrassV2IoTThingPolicy, and iot:AssumeRoleWithCertificate on the token exchange role
/// alias) in one document, the alias statement covering every alias of the cases but those
/// starting with "denied" (as the peer's account does).
fn greengrass_policy() -> serde_json::Value {
    let aliases: Vec<String> = ["ok", "missing", "norole", "duration"]
        .iter()
        .map(|prefix| format!("arn:aws:iot:eu-west-1:123456789012:rolealias/{prefix}-*"))
        .collect();
    serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow",
         "Action": ["iot:Publish", "iot:Subscribe", "iot:Receive", "iot:Connect", "greengrass:*"],
         "Resource": "*"},
        {"Effect": "Allow", "Action": "iot:AssumeRoleWithCertificate", "Resource": aliases}
    ]})
}

#[test]
fn doctor_asks_the_account_about_a_greengrass_cores_role_alias_and_domain() {
    use crate::account_roles::{alias, role};
    // The account in moto plays the one the peer plays: each alias fails on both sides alike,
    // and the account stage tells which of the service's causes it is.
    let moto = crate::account::Moto::start();
    let mut calls = crate::account::registered_device(&greengrass_policy());
    calls.extend([
        role("TokenExchangeRole", "credentials.iot.amazonaws.com"),
        role("Ec2Role", "ec2.amazonaws.com"),
        alias("ok-alias", "TokenExchangeRole", 3600),
        alias("norole-alias", "DoesNotExist", 3600),
        alias("norole-trust", "Ec2Role", 3600),
        alias("duration-alias", "TokenExchangeRole", 7200),
        alias("denied-alias", "TokenExchangeRole", 3600),
    ]);
    moto.seed(serde_json::Value::Array(calls));

    let door = door();
    let (broker, _broker_dir) = crate::doctor::broker(true);
    let dir = core_dir();
    let report = dir.path().join("support.md");
    let doctor = |alias: &str, extra: &[&str]| {
        let config = greengrass_config(
            dir.path(),
            broker.port,
            door.peer.port,
            alias,
            "TestThing-ec",
            door.peer.port,
        );
        let mut cmd = greengrass_doctor(&config, broker.port, extra);
        crate::account::with_aws(&mut cmd, &moto.url(), moto.config.path());
        run_cmd_within(&mut cmd, 30)
    };
    // The installer's policy is broad (a warning): the errors are what the cases differ in.
    let account_codes = |j: &serde_json::Value| -> Vec<String> {
        stage_of(j, "account")["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| f["code"].as_str().unwrap_or_default().to_string())
            .collect()
    };

    // Healthy: the account stage asked about the alias and found nothing wrong.
    let r = doctor("ok-alias", &["--report", &report.to_string_lossy()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    no_secret(&r);
    crate::account::no_secrets(&r);
    let j = r.json();
    assert_ne!(stage_of(&j, "account")["status"], "fail", "{j}");
    assert!(account_codes(&j).is_empty(), "{j}");
    assert_eq!(stage_of(&j, "credentials_provider")["status"], "ok", "{j}");
    let written = std::fs::read_to_string(&report).expect("the support report");
    for secret in [
        FAKE_SECRET,
        FAKE_TOKEN,
        FAKE_KEY_ID,
        "testing-secret-never-shown",
    ] {
        assert!(!written.contains(secret), "{secret} in the report");
    }

    // Each failure: the provider's answer in its stage, the account's cause in the account
    // stage with its own code, and advice that names the fix of that cause.
    for (alias, provider, account, advice) in [
        (
            "missing-alias",
            "credentials_alias_not_found",
            "role_alias_missing",
            "aws iot create-role-alias --role-alias missing-alias",
        ),
        (
            "norole-alias",
            "credentials_role_unassumable",
            "role_missing",
            "The IAM role the role alias norole-alias names does not exist",
        ),
        (
            "norole-trust",
            "credentials_role_unassumable",
            "role_trust_missing",
            "does not trust the credentials provider",
        ),
        (
            "duration-alias",
            "credentials_duration_too_long",
            "role_session_too_short",
            "--credential-duration-seconds",
        ),
        (
            "denied-alias",
            "credentials_access_denied",
            "policy_denies_assume_role",
            "rolealias/denied-alias in a policy attached to the certificate",
        ),
    ] {
        let r = doctor(alias, &[]);
        assert_eq!(r.code, 1, "{alias}: {}{}", r.stdout, r.stderr);
        no_secret(&r);
        let j = r.json();
        assert_eq!(
            stage_of(&j, "credentials_provider")["findings"][0]["code"],
            provider,
            "{alias}: {j}"
        );
        assert_eq!(stage_of(&j, "account")["status"], "fail", "{alias}: {j}");
        assert_eq!(account_codes(&j), [account], "{alias}: {j}");
        assert_eq!(j["first_failure"], "credentials_provider", "{alias}");
        let said = j["advice"].as_str().unwrap_or_default();
        assert!(said.contains(advice), "{alias}: {advice:?} in {said}");
        assert!(said.contains(account), "{alias}: {account} in {said}");
    }

    // The endpoint's domain: a configuration serving the endpoint's name, disabled, fails the
    // account stage by the same comparison `account --endpoint` makes.
    moto.seed(serde_json::json!([
        {"call": "create_domain_configuration", "args": {
            "domainConfigurationName": "devices", "domainName": ENDPOINT,
            "serverCertificateArns": ["arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"],
            "serviceType": "DATA"}},
        {"call": "update_domain_configuration", "args": {
            "domainConfigurationName": "devices", "domainConfigurationStatus": "DISABLED"}},
    ]));
    let r = doctor("ok-alias", &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(account_codes(&j), ["domain_disabled"], "{j}");
    assert_eq!(j["first_failure"], "account");
    let said = j["advice"].as_str().unwrap_or_default();
    assert!(
        said.contains("--domain-configuration-status ENABLED"),
        "{said}"
    );
}

// ---------------------------------------------------------------------------------------------
// the credentials endpoint found by DescribeEndpoint (moto)

#[test]
fn the_credentials_endpoint_is_discovered_when_none_is_given() {
    // moto 5.2.1 answers DescribeEndpoint iot:CredentialProvider with a new random prefix at
    // each call (`<14 letters>.credentials.iot.eu-west-1.amazonaws.com`): the peer takes any
    // one label before the region's credentials suffix as the endpoint's name.
    let moto = crate::account::Moto::start();
    let peer = credentials_peer(
        (
            Path::new(&fixture("server/rsa-int.pem")),
            Path::new(&fixture("server/rsa-int.key")),
        ),
        Path::new(&fixture("device/device-ca.pem")),
        "*.credentials.iot.eu-west-1.amazonaws.com",
    );
    let suffix = ".credentials.iot.eu-west-1.amazonaws.com";

    // endpoint --credentials without HOST: the discovered name is sent as SNI and verified;
    // --connect and --port keep the request on the loopback peer.
    let mut cmd = iotcheck();
    cmd.args([
        "endpoint",
        "--port",
        &peer.port.to_string(),
        "--connect",
        "127.0.0.1",
        "--at",
        AT,
        "--timeout",
        "10",
        "--json",
        "--ca",
        &fixture("roots/test-roots.pem"),
        "--cert",
        &fixture("device/ec.pem"),
        "--key",
        &fixture("device/ec.key"),
        "--credentials",
        "--role-alias",
        "ok-alias",
        "--thing",
        "TestThing-ec",
    ]);
    crate::account::with_aws(&mut cmd, &moto.url(), moto.config.path());
    let r = run_cmd_within(&mut cmd, 30);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    no_secret(&r);
    let j = r.json();
    let host = j["endpoint"]["host"].as_str().expect("the endpoint's host");
    assert!(host.ends_with(suffix), "moto's answer: {host}");
    assert_eq!(
        j["endpoint"]["source"],
        serde_json::json!({"kind": "describe_endpoint", "region": "eu-west-1",
                           "endpoint_type": "iot:CredentialProvider"})
    );
    assert_eq!(j["handshakes"][0]["tls"]["sni"], host);
    assert_eq!(https_of(&j)["status"], 200, "{j}");
    assert_eq!(https_of(&j)["access_key_id_last4"], "Q2WX");

    // doctor --role-alias without --credentials-endpoint asks the account for the name, as
    // the device would be configured with it. Its door keeps the credentials provider's
    // port (443), which `--connect` does not change and no test may serve: what is asserted
    // is the name discovered and that the probe went out to it (dialled at 127.0.0.1:443).
    let (broker, _broker_dir) = crate::doctor::broker(true);
    let mut cmd = doctor_cmd(
        &[broker.port],
        &["--thing", "TestThing-ec", "--role-alias", "ok-alias"],
    );
    crate::account::with_aws(&mut cmd, &moto.url(), moto.config.path());
    let r = run_cmd_within(&mut cmd, 30);
    let j = r.json();
    let stage = stage_of(&j, "credentials_provider");
    assert_ne!(stage["status"], "skipped", "{stage}");
    let said = stage.to_string();
    let at = said
        .split('"')
        .find(|s| s.contains(&format!("{suffix}:443")))
        .unwrap_or_else(|| panic!("the discovered name on 443 in {stage}"));
    assert!(
        at.contains(".credentials.iot.eu-west-1.amazonaws.com:443"),
        "{at}"
    );
}

// ---------------------------------------------------------------------------------------------
// a fatal alert after the request: openssl s_server under TLS 1.3

#[test]
fn a_fatal_alert_after_the_request_is_a_finding_within_the_timeout() {
    // Under TLS 1.3 the client's certificate is judged after the client's Finished: a device
    // has sent its request when the server's alert arrives, as when AWS IoT rejects a device
    // certificate it does not know. s_server requires a certificate issued by another CA.
    // The run ends by the alert, well within --timeout; 30 s bounds only a hang.
    let dir = tempfile::tempdir().expect("temp dir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/credentials_peer.py");
    let written = std::process::Command::new("python3")
        .arg(&script)
        .args(["--issuer-cert", &fixture("server/rsa-int.pem")])
        .args(["--issuer-key", &fixture("server/rsa-int.key")])
        .args(["--client-ca", &fixture("device/device-ca.pem")])
        .arg("--write-leaf")
        .arg(dir.path())
        .status()
        .expect("python3 runs");
    assert!(
        written.success(),
        "python3 with cryptography writes the leaf"
    );
    let server = crate::peers::s_server(
        dir.path(),
        "127.0.0.1",
        &[
            "-tls1_3",
            "-cert",
            "chain.pem",
            "-cert_chain",
            &fixture("server/rsa-int.pem"),
            "-key",
            "key.pem",
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            &fixture("device/other-device-ca.pem"),
        ],
    );
    for (what, args) in [
        (
            "credentials",
            vec![
                "--credentials",
                "--role-alias",
                "ok-alias",
                "--thing",
                "TestThing-ec",
            ],
        ),
        ("https-publish", vec!["--https-publish", "allowed/Sensor1"]),
    ] {
        let mut args = args;
        args.extend(["--json", "--timeout", "5"]);
        let mut cmd = credentials_cmd(server.port, "ec", &args);
        let r = run_cmd_within(&mut cmd, 30);
        no_secret(&r);
        assert_eq!(r.code, 1, "{what}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(
            error_codes(&j),
            vec!["client_cert_rejected".to_string()],
            "{what}: {j}"
        );
        let message = first(&j, "problems")["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains("alert unknown_ca"), "{what}: {message}");
        // The probe reads the server's verdict on the certificate before it sends the request
        // (the alert comes in the same flight as the server's answer to Finished): the
        // identity's rejection is told, and the request is reported as not sent, saying why.
        let https = https_of(&j);
        assert_eq!(https["outcome"], "not_sent", "{what}: {https}");
        assert!(
            https["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("ended right after the handshake"),
            "{what}: {https}"
        );
    }
}

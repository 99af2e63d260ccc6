//! Integration tests: `iotcheck account` and `endpoint` without HOST against moto's AWS
//! emulator on 127.0.0.1, seeded through the AWS IoT API with boto3.
//!
//! No test can reach AWS or an instance-metadata address: every `AWS_*` variable of the
//! developer's environment is removed, the config and credentials files are empty files,
//! instance metadata is disabled, the credentials are fake and `AWS_ENDPOINT_URL` points at
//! a loopback port.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::{json, Value};

use crate::common::*;

pub(crate) const REGION: &str = "eu-west-1";
/// The moto server of this module's tests.
static MOTO: SharedMoto = SharedMoto::new();
/// The device certificate of most tests: CN TestThing-ec.
pub(crate) const DEVICE: &str = "device/ec.pem";

/// A moto server, the empty AWS config files every process here is pointed at, and the
/// process that seeds the server (started at the first seeding, kept for the next).
pub(crate) struct Moto {
    server: Peer,
    pub(crate) config: tempfile::TempDir,
    seeder: Mutex<Option<Seeder>>,
}

/// One moto server for the tests of a module, one test at a time: starting moto (importing
/// Python and its AWS models) costs more CPU than most tests that use it. Each test takes its
/// turn with [`SharedMoto::turn`], which empties the server first, so a test sees only what it
/// seeds itself, as with a server of its own. The server ends with the test process (its
/// standard input is a pipe from this process, see tests/support/moto_server.py).
pub(crate) struct SharedMoto {
    moto: OnceLock<Moto>,
    turn: Mutex<()>,
}

/// A test's turn on the shared server: the server, and the lock no other test holds.
pub(crate) struct MotoTurn {
    moto: &'static Moto,
    _turn: MutexGuard<'static, ()>,
}

impl SharedMoto {
    pub(crate) const fn new() -> SharedMoto {
        SharedMoto {
            moto: OnceLock::new(),
            turn: Mutex::new(()),
        }
    }

    /// Waits for the server, started at the first turn, and empties it.
    pub(crate) fn turn(&'static self) -> MotoTurn {
        // A test that failed during its turn leaves nothing behind that the reset keeps.
        let turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
        let moto = self.moto.get_or_init(|| Moto {
            server: crate::peers::moto(),
            config: empty_aws_config_in(Path::new(env!("CARGO_TARGET_TMPDIR"))),
            seeder: Mutex::new(None),
        });
        moto.seed(json!([{"call": "reset"}]));
        MotoTurn { moto, _turn: turn }
    }
}

impl std::ops::Deref for MotoTurn {
    type Target = Moto;

    fn deref(&self) -> &Moto {
        self.moto
    }
}

/// tests/support/moto_seed.py, running: a line of calls in, a line of saved values out.
struct Seeder {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Seeder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    pub(crate) fn start() -> Moto {
        Moto {
            server: crate::peers::moto(),
            config: empty_aws_config(),
            seeder: Mutex::new(None),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    /// Runs the AWS IoT calls (boto3) against this server; returns the values saved.
    pub(crate) fn seed(&self, calls: Value) -> Value {
        let mut slot = self.seeder.lock().unwrap_or_else(|e| e.into_inner());
        let seeder = slot.get_or_insert_with(|| self.seeder());
        writeln!(seeder.stdin, "{calls}").expect("calls written to the seeder");
        seeder.stdin.flush().expect("calls written to the seeder");
        let mut line = String::new();
        let read = seeder
            .stdout
            .read_line(&mut line)
            .expect("the seeder answers");
        assert!(read > 0, "the seeder ended (python3 with boto3 is needed)");
        let saved: Value = serde_json::from_str(&line).expect("the seeder prints JSON");
        assert!(
            saved.get("error").is_none(),
            "seeding failed: {}",
            saved["error"]
        );
        saved
    }

    fn seeder(&self) -> Seeder {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_seed.py");
        let mut command = Command::new("python3");
        command.arg(script).arg(self.url()).arg(REGION);
        hermetic(&mut command, self.config.path());
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Seeder {
            child,
            stdin,
            stdout,
        }
    }

    /// Registers a fixture certificate (without a CA) with this status; returns its ARN.
    pub(crate) fn register(&self, cert: &str, status: &str) -> String {
        let pem = std::fs::read_to_string(fixture(cert)).expect("fixture");
        let saved = self.seed(json!([{
            "call": "register_certificate_without_ca",
            "args": {"certificatePem": pem, "status": status},
            "save": {"ARN": "certificateArn"}
        }]));
        saved["ARN"].as_str().expect("an ARN").to_string()
    }

    pub(crate) fn attach_thing(&self, arn: &str, thing: &str) {
        self.seed(json!([
            {"call": "create_thing", "args": {"thingName": thing}},
            {"call": "attach_thing_principal", "args": {"thingName": thing, "principal": arn}},
        ]));
    }

    pub(crate) fn attach_policy(&self, arn: &str, name: &str, document: Value) {
        self.seed(json!([
            {"call": "create_policy", "args": {"policyName": name, "policyDocument": document.to_string()}},
            {"call": "attach_policy", "args": {"policyName": name, "target": arn}},
        ]));
    }

    /// `iotcheck account --cert CERT ARGS` against this server.
    pub(crate) fn account(&self, cert: &str, args: &[&str]) -> Run {
        let mut cmd = iotcheck();
        cmd.arg("account")
            .arg("--cert")
            .arg(fixture(cert))
            .args(args);
        with_aws(&mut cmd, &self.url(), self.config.path());
        run_cmd(&mut cmd)
    }
}

/// A directory with empty AWS config and credentials files, for [`hermetic`].
pub(crate) fn empty_aws_config() -> tempfile::TempDir {
    empty_aws_config_in(&std::env::temp_dir())
}

/// [`empty_aws_config`] under `dir` (a shared server's, which is never dropped, under the
/// target directory rather than the system's temporary one).
fn empty_aws_config_in(dir: &Path) -> tempfile::TempDir {
    let config = tempfile::tempdir_in(dir).expect("temp dir");
    std::fs::write(config.path().join("config"), "").expect("empty config");
    std::fs::write(config.path().join("credentials"), "").expect("empty credentials");
    config
}

/// Removes every AWS_* variable and points the config files at empty ones.
fn hermetic(cmd: &mut Command, config: &Path) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("AWS_CONFIG_FILE", config.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", config.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// Hermetic, plus fake credentials, the region and the endpoint.
pub(crate) fn with_aws(cmd: &mut Command, endpoint: &str, config: &Path) {
    hermetic(cmd, config);
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing-secret-never-shown")
        .env("AWS_SESSION_TOKEN", "testing-token-never-shown")
        .env("AWS_REGION", REGION);
}

pub(crate) fn codes_of(j: &Value) -> Vec<(String, String)> {
    j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(crate) fn has(j: &Value, code: &str) -> bool {
    codes_of(j).iter().any(|(c, _)| c == code)
}

pub(crate) fn message(j: &Value, code: &str) -> String {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {j}"))["message"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) fn no_secrets(r: &Run) {
    for secret in ["testing-secret-never-shown", "testing-token-never-shown"] {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    }
}

/// The seeding calls for [`DEVICE`] registered ACTIVE with its thing TestThing-ec attached and
/// `policy` attached as DevicePolicy; the certificate's ARN is saved as `{ARN}`. The cases of
/// a test follow these calls in the same seeding run (each start of python and boto3 costs
/// most of a second).
pub(crate) fn registered_device(policy: &Value) -> Vec<Value> {
    let pem = std::fs::read_to_string(fixture(DEVICE)).expect("fixture");
    vec![
        json!({"call": "register_certificate_without_ca",
               "args": {"certificatePem": pem, "status": "ACTIVE"}, "save": {"ARN": "certificateArn"}}),
        json!({"call": "create_thing", "args": {"thingName": "TestThing-ec"}}),
        json!({"call": "attach_thing_principal", "args": {"thingName": "TestThing-ec", "principal": "{ARN}"}}),
        json!({"call": "create_policy", "args": {"policyName": "DevicePolicy", "policyDocument": policy.to_string()}}),
        json!({"call": "attach_policy", "args": {"policyName": "DevicePolicy", "target": "{ARN}"}}),
    ]
}

/// The AWS documented policy for registered devices: client id and topics are the thing name.
pub(crate) fn thing_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect",
         "Resource": "arn:aws:iot:eu-west-1:123456789012:client/${iot:Connection.Thing.ThingName}"},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": "arn:aws:iot:eu-west-1:123456789012:topic/things/${iot:Connection.Thing.ThingName}/*"},
        {"Effect": "Allow", "Action": "iot:Subscribe",
         "Resource": "arn:aws:iot:eu-west-1:123456789012:topicfilter/things/${iot:Connection.Thing.ThingName}/*"}
    ]})
}

#[test]
fn a_healthy_device_passes_with_the_deciding_statements_named() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(&arn, "DevicePolicy", thing_policy());
    let r = moto.account(
        DEVICE,
        &[
            "--json",
            "--publish",
            "things/TestThing-ec/data",
            "--subscribe",
            "things/TestThing-ec/cmd",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["schema_version"], 2);
    assert_eq!(j["command"], "account");
    assert_eq!(j["verdict"], "ok");
    assert_eq!(j["region"], REGION);
    assert_eq!(j["client_id"], "TestThing-ec");
    assert_eq!(j["client_id_from"], "certificate CN");
    let id = j["certificate"]["id"].as_str().unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(j["certificate"]["arn"], arn.as_str());
    assert!(
        arn.ends_with(id),
        "moto computed the id from the DER, as AWS does"
    );
    assert_eq!(j["certificate"]["status"], "ACTIVE");
    assert_eq!(j["certificate"]["registered"], true);
    assert_eq!(j["things"][0]["name"], "TestThing-ec");
    assert_eq!(j["things"][0]["is_client_id"], true);
    assert_eq!(j["policies"][0]["name"], "DevicePolicy");
    assert_eq!(j["policies"][0]["allows_connect"], true);
    let checks = j["checks"].as_array().unwrap();
    let actions: Vec<&str> = checks
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"]
    );
    assert!(checks.iter().all(|c| c["outcome"] == "allowed"));
    assert_eq!(checks[0]["decided_by"]["policy"], "DevicePolicy");
    assert_eq!(checks[0]["decided_by"]["index"], 0);
    assert_eq!(
        checks[0]["resource"],
        "arn:aws:iot:eu-west-1:123456789012:client/TestThing-ec"
    );
    assert!(codes_of(&j).is_empty(), "{j}");
    no_secrets(&r);

    // The same in words.
    let r = moto.account(DEVICE, &["--color", "never"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("OK  TestThing-ec"), "{}", r.stdout);
    for line in [
        "status        ACTIVE",
        "things        TestThing-ec = client id",
        "policies      DevicePolicy (allows connect)",
        "✓ iot:Connect",
        "statement 1 of policy DevicePolicy allows iot:Connect",
    ] {
        assert!(r.stdout.contains(line), "{line:?} in\n{}", r.stdout);
    }
}

#[test]
fn an_unregistered_certificate_says_what_to_check() {
    let moto = MOTO.turn();
    moto.register("device/rsa.pem", "ACTIVE");
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "fail");
    assert_eq!(j["certificate"]["registered"], false);
    assert_eq!(
        codes_of(&j),
        [("cert_not_registered".into(), "error".into())]
    );
    let m = message(&j, "cert_not_registered");
    for words in [
        "account",
        "region eu-west-1",
        "--region",
        "register-certificate",
    ] {
        assert!(m.contains(words), "{words:?} in {m}");
    }
}

#[test]
fn every_certificate_status_but_active_fails() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(&arn, "DevicePolicy", thing_policy());
    let id = arn.rsplit('/').next().unwrap().to_string();
    for (status, code) in [
        ("INACTIVE", "cert_inactive"),
        ("REVOKED", "cert_revoked"),
        ("PENDING_TRANSFER", "cert_pending_transfer"),
        ("PENDING_ACTIVATION", "cert_pending_activation"),
    ] {
        moto.seed(json!([{"call": "update_certificate",
                          "args": {"certificateId": id, "newStatus": status}}]));
        let r = moto.account(DEVICE, &["--json"]);
        assert_eq!(r.code, 1, "{status}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["certificate"]["status"], status);
        assert_eq!(
            codes_of(&j),
            [(code.to_string(), "error".to_string())],
            "{status}"
        );
    }
}

#[test]
fn nothing_attached_is_no_policy_and_no_thing() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(
        codes_of(&j),
        [
            ("no_policy".into(), "error".into()),
            ("thing_not_attached".into(), "warning".into())
        ]
    );
    assert!(message(&j, "no_policy").contains(&format!("--target {arn}")));
    assert!(j["checks"].as_array().unwrap().is_empty());

    // --thing names the thing that should be attached.
    let r = moto.account(DEVICE, &["--json", "--thing", "Sensor1"]);
    let j = r.json();
    assert_eq!(j["client_id"], "Sensor1");
    assert_eq!(j["client_id_from"], "--thing");
    assert!(message(&j, "thing_not_attached").contains("\"Sensor1\""));
}

#[test]
fn a_client_id_that_is_not_the_thing_is_denied_and_told_why() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(&arn, "DevicePolicy", thing_policy());
    let r = moto.account(DEVICE, &["--json", "--client-id", "my-laptop"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(
        codes_of(&j),
        [
            ("policy_denies_connect".into(), "error".into()),
            ("client_id_not_thing".into(), "warning".into())
        ]
    );
    let m = message(&j, "policy_denies_connect");
    assert!(
        m.contains("statement 1 of policy DevicePolicy would")
            && m.contains(
                "thing variables resolve only when the client id is the name of a thing attached"
            )
            && m.contains("\"my-laptop\""),
        "{m}"
    );
    assert_eq!(j["policies"][0]["allows_connect"], false);
    assert_eq!(j["checks"][0]["outcome"], "denied");
}

#[test]
fn publish_subscribe_and_receive_denials_are_named() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(&arn, "DevicePolicy", thing_policy());
    let r = moto.account(
        DEVICE,
        &[
            "--json",
            "--publish",
            "fleet/all",
            "--subscribe",
            "fleet/cmd",
            "--subscribe",
            "things/TestThing-ec/#",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let codes: Vec<String> = codes_of(&j).into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        codes,
        [
            "policy_denies_publish",
            "policy_denies_subscribe",
            "policy_denies_receive"
        ]
    );
    assert!(message(&j, "policy_denies_publish").contains("topic/fleet/all"));
    // The wildcard filter is allowed (its `#` is a character to the policy) and not
    // checked for Receive: the topics it receives on cannot be listed.
    let checks = j["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    assert_eq!(checks[3]["name"], "things/TestThing-ec/#");
    assert_eq!(checks[3]["outcome"], "allowed");
}

#[test]
fn an_explicit_deny_in_a_second_policy_wins_and_broad_policies_are_warned() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(
        &arn,
        "Everything",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}),
    );
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(
        codes_of(&j),
        [("policy_too_broad".into(), "warning".into())]
    );

    moto.attach_policy(
        &arn,
        "NoConnect",
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Quarantine", "Effect": "Deny", "Action": "iot:Connect", "Resource": "*"}]}),
    );
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert!(has(&j, "policy_denies_connect"));
    assert_eq!(j["checks"][0]["explicit_deny"], true);
    assert_eq!(j["checks"][0]["decided_by"]["policy"], "NoConnect");
    assert_eq!(j["checks"][0]["decided_by"]["sid"], "Quarantine");
    let policies = j["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 2);
}

#[test]
fn what_cannot_be_evaluated_offline_is_cannot_tell() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(
        &arn,
        "OfficeOnly",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect",
             "Resource": "arn:aws:iot:eu-west-1:123456789012:client/${iot:ClientId}",
             "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}),
    );
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(
        r.code, 0,
        "cannot tell is no failure: {}{}",
        r.stdout, r.stderr
    );
    let j = r.json();
    assert_eq!(codes_of(&j), [("policy_unknown".into(), "warning".into())]);
    assert!(message(&j, "policy_unknown").contains("aws:SourceIp"));
    assert_eq!(j["checks"][0]["outcome"], "cannot_tell");
    assert_eq!(j["policies"][0]["allows_connect"], Value::Null);
}

#[test]
fn no_credentials_exit_2_at_once_saying_how_to_give_them() {
    let config = empty_aws_config();
    let mut cmd = iotcheck();
    cmd.args(["account", "--cert", &fixture(DEVICE), "--region", REGION]);
    hermetic(&mut cmd, config.path());
    // Were a call made, it would go nowhere.
    cmd.env(
        "AWS_ENDPOINT_URL",
        format!("http://127.0.0.1:{CLOSED_PORT}"),
    );
    // Only a hang fails here (10 s); that it ends at once is measured in benches/timeouts.sh.
    let r = run_cmd_within(&mut cmd, 10);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    for words in [
        "no AWS credentials",
        "AWS_PROFILE",
        "aws configure",
        "AWS_ACCESS_KEY_ID",
    ] {
        assert!(r.stderr.contains(words), "{words:?} in {}", r.stderr);
    }

    // Credentials but no region.
    let mut cmd = iotcheck();
    cmd.args(["account", "--cert", &fixture(DEVICE)]);
    hermetic(&mut cmd, config.path());
    cmd.env(
        "AWS_ENDPOINT_URL",
        format!("http://127.0.0.1:{CLOSED_PORT}"),
    )
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing-secret-never-shown");
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no AWS region"), "{}", r.stderr);
    no_secrets(&r);
}

#[test]
fn an_unreachable_api_exits_3_in_bounded_time() {
    let config = empty_aws_config();
    let mut cmd = iotcheck();
    cmd.args(["account", "--cert", &fixture(DEVICE), "--timeout", "5"]);
    with_aws(
        &mut cmd,
        &format!("http://127.0.0.1:{CLOSED_PORT}"),
        config.path(),
    );
    // Only a hang fails here: the bound is 10× the timeout. How soon it ends is measured in
    // benches/timeouts.sh.
    let r = run_cmd_within(&mut cmd, 50);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("iot:DescribeCertificate"), "{}", r.stderr);
    no_secrets(&r);

    // An API that accepts and never answers: the timeout ends it.
    let port = hostile(Behaviour::Silent);
    let mut cmd = iotcheck();
    cmd.args(["account", "--cert", &fixture(DEVICE), "--timeout", "2"]);
    with_aws(&mut cmd, &format!("http://127.0.0.1:{port}"), config.path());
    // Only a hang fails here: the bound is 10× the timeout.
    let r = run_cmd_within(&mut cmd, 20);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("did not answer within 2 s"),
        "{}",
        r.stderr
    );
}

#[test]
fn access_denied_names_the_missing_iam_action() {
    let body = r#"{"message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iot:DescribeCertificate"}"#;
    let answer = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nx-amzn-ErrorType: AccessDeniedException\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let port = hostile(Behaviour::send(answer.as_bytes()));
    let config = empty_aws_config();
    let mut cmd = iotcheck();
    cmd.args(["account", "--cert", &fixture(DEVICE)]);
    with_aws(&mut cmd, &format!("http://127.0.0.1:{port}"), config.path());
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("access denied for iot:DescribeCertificate")
            && r.stderr.contains("must allow iot:DescribeCertificate"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_throttled_api_exits_3_saying_so() {
    // Each answer closes its connection, so that a retry is answered too.
    let body = r#"{"message":"Rate exceeded"}"#;
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nx-amzn-ErrorType: ThrottlingException\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let port = hostile(Behaviour::send(answer.as_bytes()));
    let config = empty_aws_config();
    let mut cmd = iotcheck();
    cmd.args(["account", "--cert", &fixture(DEVICE), "--timeout", "8"]);
    with_aws(&mut cmd, &format!("http://127.0.0.1:{port}"), config.path());
    // Only a hang fails here: the bound is 10× the timeout.
    let r = run_cmd_within(&mut cmd, 80);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("iot:DescribeCertificate was throttled"),
        "{}",
        r.stderr
    );
}

#[test]
fn endpoint_without_host_probes_the_accounts_data_endpoint() {
    let moto = MOTO.turn();
    let server = rsa_chain_server();
    let port = server.port.to_string();
    let mut cmd = endpoint_targets_cmd(&[], &["--port", &port, "--json"]);
    with_aws(&mut cmd, &moto.url(), moto.config.path());
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let host = j["endpoint"]["host"].as_str().unwrap();
    assert!(
        host.ends_with("-ats.iot.eu-west-1.amazonaws.com"),
        "moto's answer to DescribeEndpoint: {host}"
    );
    assert_eq!(
        j["endpoint"]["source"],
        json!({"kind": "describe_endpoint", "region": REGION, "endpoint_type": "iot:Data-ATS"})
    );
    assert_eq!(j["handshakes"][0]["tls"]["sni"], host);
    assert_eq!(j["verdict"], "ok");

    // In words.
    let mut cmd = endpoint_targets_cmd(&[], &["--port", &port, "--color", "never"]);
    with_aws(&mut cmd, &moto.url(), moto.config.path());
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("found by      DescribeEndpoint (iot:Data-ATS) in eu-west-1"),
        "{}",
        r.stdout
    );
}

#[test]
fn endpoint_with_host_never_asks_aws() {
    let server = rsa_chain_server();
    // An AWS API that would fail the command, were it asked.
    let port = hostile(Behaviour::Close);
    let config = empty_aws_config();
    let mut cmd = endpoint_cmd(server.port, &[]);
    with_aws(&mut cmd, &format!("http://127.0.0.1:{port}"), config.path());
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["endpoint"]["source"], json!({"kind": "given"}));

    // --region is for discovery only. Were the conflict lost, the probe would go to a closed
    // loopback port (and AWS to another), failing at once, never to AWS.
    let closed = format!("{ENDPOINT}:{CLOSED_PORT}");
    let r = run_within(
        &[
            "endpoint",
            &closed,
            "--connect",
            "127.0.0.1",
            "--region",
            REGION,
        ],
        20,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--region"), "{}", r.stderr);
}

#[test]
fn help_ends_with_examples_and_exit_codes() {
    let r = run(&["account", "--help"]);
    assert_eq!(r.code, 0);
    let examples = r.stdout.find("EXAMPLES:").expect("examples");
    let exit_codes = r.stdout.find("EXIT CODES:").expect("exit codes");
    assert!(examples < exit_codes);
    assert!(r.stdout.trim_end().ends_with("throttled, access denied"));
}

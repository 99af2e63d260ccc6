//! Helpers shared by the integration tests: running the binary, fixture paths, JSON access.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The instant the generated fixtures are verified at: inside their 2025–2035 validity.
pub const AT: &str = "2026-06-01T00:00:00Z";

/// Inside the real eu-central-1 leaf's validity (2025-10-31 → 2026-08-02).
pub const AWS_AT: &str = "2026-03-01T00:00:00Z";

pub fn fixture(rel: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", rel]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
}

/// The binary under test, with no inherited color, proxy or AWS settings.
///
/// No run can reach AWS or an instance-metadata address, even when a test regresses into
/// asking AWS (a lost clap conflict, say): every `AWS_*` variable of the developer's
/// environment is removed, instance metadata is disabled, the config and credentials files are
/// empty, and the AWS API is an unroutable loopback port, where a call fails at once. Tests
/// that talk to an emulator set their own `AWS_ENDPOINT_URL` and credentials after this.
pub fn iotcheck() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iotcheck"));
    cmd.env_remove("NO_COLOR")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{CLOSED_PORT}"),
        );
    cmd
}

/// Says that a test could not run on this machine and why, where it is seen: straight to the
/// terminal (the harness captures only `print!`/`eprint!`), numbered, so that a run's skips
/// can be counted (`grep -c '^SKIPPED'`). Set `IOTCHECK_TEST_NO_SKIP=1` to make a skip fail
/// instead (a machine that must run everything).
pub fn skip(test: &str, why: &str) {
    static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let line = format!("SKIPPED {test}: {why} (skip {n} of this test binary's run)");
    if std::env::var_os("IOTCHECK_TEST_NO_SKIP").is_some_and(|v| v == "1") {
        panic!("{line}; IOTCHECK_TEST_NO_SKIP=1 makes this a failure");
    }
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn run(args: &[&str]) -> Run {
    run_cmd(iotcheck().args(args))
}

pub fn run_cmd(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the binary runs");
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Every finding of a report: the top level's, then each handshake's (endpoint).
pub fn all_findings(json: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut all: Vec<serde_json::Value> = json["findings"]
        .as_array()
        .expect("findings is an array")
        .clone();
    for h in json["handshakes"].as_array().into_iter().flatten() {
        all.extend(h["findings"].as_array().expect("findings").iter().cloned());
    }
    all
}

/// Error codes with their certificate index, in report order.
pub fn problems(json: &serde_json::Value) -> Vec<(String, Option<u64>)> {
    all_findings(json)
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_string(),
                p["subject"]["certificate"].as_u64(),
            )
        })
        .collect()
}

/// The severity a finding list of schema 1 held: "problems", "warnings" or "hints".
fn severity_of(list: &str) -> &'static str {
    match list {
        "problems" => "error",
        "warnings" => "warning",
        "hints" => "hint",
        other => panic!("no finding list {other}"),
    }
}

/// The codes of one severity ("problems", "warnings", "hints"), in report order.
pub fn codes(json: &serde_json::Value, list: &str) -> Vec<String> {
    let severity = severity_of(list);
    all_findings(json)
        .iter()
        .filter(|f| f["severity"] == severity)
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// The first finding of one severity list ("problems", "warnings", "hints").
pub fn first(json: &serde_json::Value, list: &str) -> serde_json::Value {
    let severity = severity_of(list);
    all_findings(json)
        .into_iter()
        .find(|f| f["severity"] == severity)
        .unwrap_or_else(|| panic!("no {list} in {json}"))
}

pub use crate::peers::{hostile, tls_peer, Behaviour, Peer, CLOSED_PORT};

/// The fixtures directory: relative paths given to the peers are relative to it.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(fixture(""))
}

/// `openssl s_server` on 127.0.0.1 with these extra arguments (paths relative to fixtures/).
pub fn s_server(extra: &[&str]) -> Peer {
    crate::peers::s_server(&fixtures_dir(), "127.0.0.1", extra)
}

/// `openssl s_server`'s arguments for the test RSA leaf served with its intermediate.
pub const RSA_SERVER: &[&str] = &[
    "-cert",
    "server/rsa-leaf.pem",
    "-cert_chain",
    "server/rsa-int.pem",
    "-key",
    "server/rsa-leaf.key",
];

/// `openssl s_server` on 127.0.0.1 serving the test RSA leaf with its intermediate.
pub fn rsa_chain_server() -> Peer {
    s_server(RSA_SERVER)
}

/// The test server chain and key, for TLS peers written in Rust.
pub fn tls_peer_with_test_chain(behaviour: Behaviour) -> u16 {
    tls_peer(
        std::path::Path::new(&fixture("server/rsa-chain.pem")),
        std::path::Path::new(&fixture("server/rsa-leaf.key")),
        behaviour,
    )
}

/// The usual server name the fixtures' leaves carry.
pub const ENDPOINT: &str = "abc123-ats.iot.eu-west-1.amazonaws.com";

/// `iotcheck endpoint ENDPOINT:PORT --connect 127.0.0.1 --json --at AT`, trusting the test
/// roots and with a 5 s timeout unless `extra` says otherwise, plus `extra`.
pub fn endpoint_cmd(port: u16, extra: &[&str]) -> Command {
    endpoint_targets_cmd(
        &[&format!("{ENDPOINT}:{port}")],
        &[&["--json"], extra].concat(),
    )
}

/// The same run as `cmd` (its arguments and environment) told to a person: without `--json`.
pub fn human(cmd: &Command) -> Command {
    let mut human = Command::new(cmd.get_program());
    human
        .args(cmd.get_args().filter(|a| *a != "--json"))
        .stdin(Stdio::null());
    for (name, value) in cmd.get_envs() {
        match value {
            Some(value) => human.env(name, value),
            None => human.env_remove(name),
        };
    }
    human
}

/// `iotcheck endpoint TARGET… --connect 127.0.0.1 --at AT` (no target: the account's), trusting
/// the test roots and with a 5 s timeout unless `extra` says otherwise, plus `extra`.
pub fn endpoint_targets_cmd(targets: &[&str], extra: &[&str]) -> Command {
    let mut cmd = iotcheck();
    cmd.arg("endpoint")
        .args(targets)
        .args(["--connect", "127.0.0.1", "--at", AT]);
    with_defaults(&mut cmd, extra, &[("--timeout", "5")]);
    cmd
}

/// `iotcheck doctor --endpoint ENDPOINT --connect 127.0.0.1 --ports PORTS --json --at AT` for
/// the test EC device (device/ec.pem and its key), trusting the test roots and with a 5 s
/// timeout unless `extra` says otherwise, plus `extra`. The account stage stays: AWS is the
/// closed loopback port unless the test points it elsewhere.
pub fn doctor_cmd(ports: &[u16], extra: &[&str]) -> Command {
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut cmd = iotcheck();
    cmd.args([
        "doctor",
        "--endpoint",
        ENDPOINT,
        "--connect",
        "127.0.0.1",
        "--ports",
        &ports.join(","),
        "--cert",
        &fixture("device/ec.pem"),
        "--key",
        &fixture("device/ec.key"),
        "--json",
        "--at",
        AT,
    ]);
    with_defaults(&mut cmd, extra, &[("--timeout", "5")]);
    cmd
}

/// Adds `extra`, after each default `(flag, value)` that `extra` does not give itself, and the
/// test roots as `--ca` unless `extra` names a CA file.
fn with_defaults(cmd: &mut Command, extra: &[&str], defaults: &[(&str, &str)]) {
    for (flag, value) in defaults {
        if !extra.contains(flag) {
            cmd.args([flag, value]);
        }
    }
    if !extra.contains(&"--ca") {
        cmd.args(["--ca", &fixture("roots/test-roots.pem")]);
    }
    cmd.args(extra);
}

/// Runs with `bytes` on standard input.
pub fn with_stdin(args: &[String], bytes: &[u8]) -> Run {
    let mut child = iotcheck()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let bytes = bytes.to_vec();
    // A writer thread, so that a reader that stops early cannot block the test.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs with a deadline: a command that blocks (on a FIFO, on a device) or runs away fails the
/// test instead of hanging it.
pub fn run_within(args: &[&str], seconds: u64) -> Run {
    run_cmd_within(iotcheck().args(args), seconds)
}

/// [`run_within`] for a prepared command. Only a hang fails here: the bound is generous (many
/// times the command's own timeout), because how fast a timeout ends is a measurement
/// (benches/timeouts.sh), not a test.
pub fn run_cmd_within(cmd: &mut Command, seconds: u64) -> Run {
    use std::io::Read;
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained while waiting, so that a large report cannot block the child on a full pipe.
    let drain = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = from.read_to_end(&mut bytes);
            String::from_utf8(bytes).expect("output is UTF-8")
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still runs after {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

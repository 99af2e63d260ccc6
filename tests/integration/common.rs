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

/// The binary under test, with no inherited color or proxy settings.
pub fn iotcheck() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iotcheck"));
    cmd.env_remove("NO_COLOR")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    cmd
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

/// Problem codes with their certificate index, in report order.
pub fn problems(json: &serde_json::Value) -> Vec<(String, Option<u64>)> {
    json["problems"]
        .as_array()
        .expect("problems is an array")
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_string(),
                p["certificate"].as_u64(),
            )
        })
        .collect()
}

pub fn codes(json: &serde_json::Value, key: &str) -> Vec<String> {
    json[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is an array"))
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// A free TCP port on 127.0.0.1 (bound then released; the small race is acceptable here).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until something accepts TCP on the port, or panics after 10 s.
pub fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

/// A child process killed when dropped: a real peer (openssl s_server, tinyproxy, mosquitto).
pub struct Peer {
    child: std::process::Child,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Starts a program that listens on `port`, and waits until it accepts.
    pub fn start(program: &str, args: &[String], port: u16) -> Peer {
        let child = Command::new(program)
            .args(args)
            // s_server closes connections when its stdin ends: keep it open.
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} starts: {e}"));
        let peer = Peer { child, port };
        wait_for_port(port);
        peer
    }
}

/// `openssl s_server` on 127.0.0.1 with these extra arguments (paths relative to fixtures/).
/// It binds port 0 and reports the port it got, so parallel tests never race for a port.
pub fn s_server(extra: &[&str]) -> Peer {
    use std::io::BufRead;
    let mut args: Vec<String> = vec!["s_server".into(), "-accept".into(), "127.0.0.1:0".into()];
    for a in extra {
        if a.starts_with('-') || !std::path::Path::new(&fixture(a)).exists() {
            args.push(a.to_string());
        } else {
            args.push(fixture(a));
        }
    }
    let mut child = Command::new("openssl")
        .args(&args)
        // s_server closes connections when its stdin ends: keep it open.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads the "ACCEPT 127.0.0.1:PORT" line, then keeps draining so s_server never blocks.
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = line.strip_prefix("ACCEPT 127.0.0.1:") {
                let _ = tx.send(port.trim().parse::<u16>().ok());
            }
        }
    });
    let port = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .ok()
        .flatten()
        .expect("s_server reports the port it listens on");
    let peer = Peer { child, port };
    wait_for_port(port);
    peer
}

/// The usual server name the fixtures' leaves carry.
pub const ENDPOINT: &str = "abc123-ats.iot.eu-west-1.amazonaws.com";

/// `iotcheck endpoint ENDPOINT:PORT --connect 127.0.0.1 --json --at AT`, trusting the test
/// roots and with a 5 s timeout unless `extra` says otherwise, plus `extra`.
pub fn endpoint_cmd(port: u16, extra: &[&str]) -> Command {
    let mut cmd = iotcheck();
    cmd.args([
        "endpoint",
        &format!("{ENDPOINT}:{port}"),
        "--connect",
        "127.0.0.1",
        "--json",
        "--at",
        AT,
    ]);
    if !extra.contains(&"--timeout") {
        cmd.args(["--timeout", "5"]);
    }
    if !extra.contains(&"--ca") {
        cmd.args(["--ca", &fixture("roots/test-roots.pem")]);
    }
    cmd.args(extra);
    cmd
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
    use std::io::Read;
    let mut child = iotcheck()
        .args(args)
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

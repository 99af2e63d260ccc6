//! Integration tests: `iotcheck serve` scraped by a real Prometheus (Debian's `prometheus`)
//! on loopback, beside the blackbox exporter, against real peers (`openssl s_server`,
//! mosquitto, hostile TCP servers); the series read back through Prometheus's HTTP API. One
//! Prometheus serves every assertion of the first test, so that the suite pays for it once.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;

/// A process killed when dropped.
struct Process {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Fails the test, saying what to install, when a peer is missing.
fn require(program: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(found, "{program} is missing: apt-get install {package}");
}

/// Spawns `command` with its stderr collected.
fn spawn(command: &mut Command, port: u16) -> Process {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let stderr = Arc::new(Mutex::new(String::new()));
    let pipe = child.stderr.take().expect("piped stderr");
    let collected = Arc::clone(&stderr);
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut all) = collected.lock() {
                all.push_str(&line);
                all.push('\n');
            }
        }
    });
    Process {
        child,
        port,
        stderr,
    }
}

/// One HTTP GET on 127.0.0.1 (hyper's client): the status and the body.
fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    runtime.block_on(async {
        let exchange = async {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .ok()?;
            tokio::spawn(connection);
            let mut request = hyper::Request::get(path).header("host", format!("127.0.0.1:{port}"));
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let request = request
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .ok()?;
            let response = sender.send_request(request).await.ok()?;
            let status = response.status().as_u16();
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .ok()?
                .to_bytes();
            Some((status, String::from_utf8_lossy(&body).into_owned()))
        };
        tokio::time::timeout(Duration::from_secs(30), exchange)
            .await
            .ok()
            .flatten()
    })
}

/// Waits (a hang bound, not a speed check) until `ready` holds.
fn wait_for(what: &str, seconds: u64, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not within {seconds} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `iotcheck serve` with `config` written into `dir`, once it listens.
fn exporter(dir: &Path, config: &str) -> Process {
    let path = dir.join("serve.toml");
    std::fs::write(&path, config).unwrap();
    let port = free_port();
    let process = spawn(
        iotcheck()
            .args(["serve", "--config"])
            .arg(&path)
            .args(["--listen", &format!("127.0.0.1:{port}")]),
        port,
    );
    wait_for("iotcheck serve listening", 30, || {
        process.stderr().contains("listening on")
    });
    process
}

fn probe_path(target: &str, module: &str) -> String {
    let q = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("/probe?target={}&module={}", q(target), q(module))
}

/// The value of the sample `name{labels}` in an exposition (labels: a substring).
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']) && l.contains(labels)
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// `promtool check metrics` on an exposition.
fn promtool_check_metrics(text: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A query of Prometheus's HTTP API: each series' labels and value.
fn query(prometheus: u16, expr: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let q: String = url::form_urlencoded::byte_serialize(expr.as_bytes()).collect();
    let Some((200, body)) = get(prometheus, &format!("/api/v1/query?query={q}"), &[]) else {
        return Vec::new();
    };
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["data"]["result"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|series| {
                    let labels = series["metric"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect();
                    let value = series["value"][1]
                        .as_str()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(f64::NAN);
                    (labels, value)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn scalar(prometheus: u16, expr: &str) -> Option<f64> {
    query(prometheus, expr).first().map(|(_, v)| *v)
}

/// The base64 lines of a PEM key file: no output may hold one.
fn key_lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .map(str::to_string)
        .collect()
}

/// mosquitto with TLS requiring a certificate of the test device CA; with
/// `identity_as_username` the device is accepted, without it refused (anonymous).
fn mosquitto(identity_as_username: bool) -> (Peer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let settings = format!(
        "cafile {ca}\ncertfile {cert}\nkeyfile {key}\n\
         require_certificate true\nuse_identity_as_username {identity_as_username}\n\
         allow_anonymous false\npersistence false\nuser root\n",
        ca = fixture("device/device-ca.pem"),
        cert = fixture("server/rsa-chain.pem"),
        key = fixture("server/rsa-leaf.key"),
    );
    let peer = crate::peers::mosquitto(dir.path(), &settings);
    (peer, dir)
}

const RSA_SERVER: [&str; 6] = [
    "-cert",
    "server/rsa-leaf.pem",
    "-cert_chain",
    "server/rsa-int.pem",
    "-key",
    "server/rsa-leaf.key",
];

/// Every failure kind a distinct series; 50 targets with 10 silent within a 10 s scrape
/// timeout; the blackbox exporter agreeing on success and expiry; the fleet's audit; every
/// exposition valid for promtool; no key material anywhere.
#[test]
fn prometheus_scrapes_every_failure_kind_fifty_targets_and_the_fleet() {
    require("prometheus", "prometheus");
    require("promtool", "prometheus");
    require(
        "prometheus-blackbox-exporter",
        "prometheus-blackbox-exporter",
    );
    require("mosquitto", "mosquitto");
    let dir = tempfile::tempdir().unwrap();

    // The peers.
    let ok = s_server(&RSA_SERVER);
    let expired = s_server(&[
        "-cert",
        "server/expired-chain.pem",
        "-key",
        "server/expired-leaf.key",
    ]);
    let mut mtls = RSA_SERVER.to_vec();
    mtls.extend([
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        "device/device-ca.pem",
    ]);
    let rejecting = s_server(&mtls);
    let silent = hostile(Behaviour::Silent);
    let not_tls = hostile(Behaviour::send(b"HTTP/1.1 400 Bad Request\r\n\r\n"));
    let closing = hostile(Behaviour::Close);
    let hang_up = tls_peer_with_test_chain(Behaviour::Close);
    let (broker, _b1) = mosquitto(true);
    let (refusing, _b2) = mosquitto(false);

    // The fleet: two device certificates of the test device CA.
    let fleet = dir.path().join("fleet");
    std::fs::create_dir(&fleet).unwrap();
    for name in ["ec.pem", "rsa.pem"] {
        std::fs::copy(fixture(&format!("device/{name}")), fleet.join(name)).unwrap();
    }

    let roots = fixture("roots/test-roots.pem");
    let config = format!(
        r#"allowed_targets = ["{ENDPOINT}:*", "other.example.com:*"]
max_concurrent_probes = 32

[modules.tls]
ca = ["{roots}"]
connect = "127.0.0.1"
timeout = 5

[modules.amazon]
connect = "127.0.0.1"
timeout = 5

[modules.device]
ca = ["{roots}"]
cert = "{untrusted}"
key = "{untrusted_key}"
connect = "127.0.0.1"
timeout = 5

[modules.mqtt]
ca = ["{roots}"]
cert = "{ec}"
key = "{ec_key}"
mqtt = true
connect = "127.0.0.1"
timeout = 5

[modules.slow]
ca = ["{roots}"]
connect = "127.0.0.1"
timeout = 30

[[fleet]]
name = "devices"
paths = ["{fleet}"]
ca = ["{device_ca}"]
interval = 1
"#,
        untrusted = fixture("device/untrusted.pem"),
        untrusted_key = fixture("device/untrusted.key"),
        ec = fixture("device/ec.pem"),
        ec_key = fixture("device/ec.key"),
        fleet = fleet.display(),
        device_ca = fixture("device/device-ca.pem"),
    );
    let serve = exporter(dir.path(), &config);

    // The blackbox exporter, its tls module trusting the same roots.
    let blackbox_config = dir.path().join("blackbox.yml");
    std::fs::write(
        &blackbox_config,
        format!(
            "modules:\n  tls:\n    prober: tcp\n    timeout: 5s\n    tcp:\n      tls: true\n      tls_config:\n        ca_file: {roots}\n        server_name: {ENDPOINT}\n"
        ),
    )
    .unwrap();
    let blackbox_port = free_port();
    let _blackbox = spawn(
        Command::new("prometheus-blackbox-exporter")
            .arg(format!("--config.file={}", blackbox_config.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{blackbox_port}")),
        blackbox_port,
    );

    // The failure kinds: (target, module) → what the series must say.
    let e = ENDPOINT;
    let kinds: Vec<(String, &str)> = vec![
        (format!("{e}:{}", ok.port), "tls"),
        (format!("{e}:{}", expired.port), "tls"),
        (format!("{e}:{}", ok.port), "amazon"),
        (format!("other.example.com:{}", ok.port), "tls"),
        (format!("{e}:{CLOSED_PORT}"), "tls"),
        (format!("{e}:{silent}"), "tls"),
        (format!("{e}:{not_tls}"), "tls"),
        (format!("{e}:{closing}"), "tls"),
        (format!("{e}:{}", rejecting.port), "device"),
        (format!("{e}:{}", broker.port), "mqtt"),
        (format!("{e}:{}", refusing.port), "mqtt"),
        (format!("{e}:{hang_up}"), "mqtt"),
    ];
    let kind_targets: String = kinds
        .iter()
        .map(|(target, module)| {
            format!("      - targets: ['{target}']\n        labels: {{__param_module: {module}}}\n")
        })
        .collect();
    let mut fifty = String::new();
    for n in 0..50 {
        let port = if n < 40 { ok.port } else { silent };
        fifty.push_str(&format!(
            "      - targets: ['{e}:{port}']\n        labels: {{n: '{n}'}}\n"
        ));
    }
    let relabel = format!(
        "    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - source_labels: [__param_target]\n        target_label: instance\n      - source_labels: [__param_module]\n        target_label: module\n      - target_label: __address__\n        replacement: 127.0.0.1:{}\n",
        serve.port
    );
    let blackbox_job = format!(
        "  - job_name: blackbox\n    metrics_path: /probe\n    params: {{module: [tls]}}\n    static_configs:\n      - targets: ['127.0.0.1:{}', '127.0.0.1:{}']\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - source_labels: [__param_target]\n        target_label: instance\n      - target_label: __address__\n        replacement: 127.0.0.1:{blackbox_port}\n",
        ok.port, expired.port
    );
    let prometheus_config = [
        "global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\nscrape_configs:\n".to_string(),
        format!("  - job_name: kinds\n    metrics_path: /probe\n    static_configs:\n{kind_targets}{relabel}"),
        format!("  - job_name: fifty\n    metrics_path: /probe\n    params: {{module: [slow]}}\n    scrape_interval: 11s\n    scrape_timeout: 10s\n    static_configs:\n{fifty}{relabel}"),
        blackbox_job,
        format!("  - job_name: exporter\n    static_configs:\n      - targets: ['127.0.0.1:{}']\n", serve.port),
    ]
    .concat();
    let prometheus_file = dir.path().join("prometheus.yml");
    std::fs::write(&prometheus_file, &prometheus_config).unwrap();
    let prometheus_port = free_port();
    let prometheus = spawn(
        Command::new("prometheus")
            .arg(format!("--config.file={}", prometheus_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}")),
        prometheus_port,
    );
    let p = prometheus.port;
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(p, "/-/ready", &[]).is_none_or(|(status, _)| status != 200) {
        assert!(
            Instant::now() < deadline,
            "Prometheus not ready within 60 s:\n{}",
            prometheus.stderr()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Meanwhile, the expositions themselves: valid for promtool, free of key material.
    let secrets: Vec<String> = [fixture("device/ec.key"), fixture("device/untrusted.key")]
        .iter()
        .flat_map(|k| key_lines(k))
        .collect();
    let mut seen = String::new();
    for (target, module) in &kinds[..4] {
        let (status, body) = get(serve.port, &probe_path(target, module), &[]).unwrap();
        assert_eq!(status, 200, "{target} {module}: {body}");
        promtool_check_metrics(&body);
        seen.push_str(&body);
    }
    let (_, body) = get(serve.port, &probe_path(&kinds[9].0, "mqtt"), &[]).unwrap();
    promtool_check_metrics(&body);
    seen.push_str(&body);

    // Every series in: the kinds, the fifty (one scrape of the silent ones takes ~9.5 s), the
    // blackbox exporter's, the fleet's.
    wait_for("every job scraped", 90, || {
        scalar(p, r#"count(probe_success{job="kinds"})"#) == Some(kinds.len() as f64)
            && scalar(p, r#"count(probe_success{job="fifty"})"#) == Some(50.0)
            && scalar(p, r#"count(probe_success{job="blackbox"})"#) == Some(2.0)
            && scalar(p, r#"sum(iotcheck_fleet_certificates{job="exporter"})"#) == Some(2.0)
    });

    // Every failure kind: a distinct (phase, code, reason); the healthy ones succeed.
    let success: BTreeMap<(String, String), f64> = query(p, r#"probe_success{job="kinds"}"#)
        .into_iter()
        .map(|(l, v)| ((l["instance"].clone(), l["module"].clone()), v))
        .collect();
    let failed: BTreeMap<(String, String), (String, String, String)> =
        query(p, r#"iotcheck_probe_failed{job="kinds"}"#)
            .into_iter()
            .map(|(l, _)| {
                (
                    (l["instance"].clone(), l["module"].clone()),
                    (l["phase"].clone(), l["code"].clone(), l["reason"].clone()),
                )
            })
            .collect();
    let expect = |i: usize| -> Option<(&str, &str, &str)> {
        match i {
            0 | 9 => None,
            1 => Some(("chain", "expired", "finding")),
            2 => Some(("chain", "unknown_issuer", "finding")),
            3 => Some(("chain", "name_mismatch", "finding")),
            4 => Some(("connect", "tcp_refused", "refused")),
            5 => Some(("tls_handshake", "no_tls_session", "timeout")),
            6 => Some(("tls_handshake", "no_tls_session", "not_tls")),
            7 => Some(("tls_handshake", "no_tls_session", "closed")),
            8 => Some(("client_auth", "client_cert_rejected", "")),
            10 => Some(("mqtt", "mqtt_refused", "finding")),
            11 => Some(("mqtt", "mqtt_closed", "finding")),
            _ => unreachable!(),
        }
    };
    let mut distinct = std::collections::BTreeSet::new();
    for (i, (target, module)) in kinds.iter().enumerate() {
        let key = (target.clone(), module.to_string());
        let got = failed.get(&key);
        match expect(i) {
            None => {
                assert_eq!(success.get(&key), Some(&1.0), "{target} {module}: {got:?}");
                assert!(got.is_none(), "{target} {module}: {got:?}");
            }
            Some((phase, code, reason)) => {
                assert_eq!(success.get(&key), Some(&0.0), "{target} {module}");
                let got = got.unwrap_or_else(|| panic!("{target} {module}: no failure series"));
                assert_eq!(
                    (got.0.as_str(), got.1.as_str()),
                    (phase, code),
                    "{target} {module}"
                );
                if !reason.is_empty() {
                    assert_eq!(got.2, reason, "{target} {module}");
                }
                assert!(distinct.insert(got.clone()), "{got:?} twice");
            }
        }
    }
    let accepted = query(
        p,
        r#"iotcheck_probe_mqtt_outcome{job="kinds",outcome="accepted"} == 1"#,
    );
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0].0["instance"], kinds[9].0);
    let refused_cert = query(
        p,
        r#"iotcheck_probe_client_certificate_accepted{job="kinds"}"#,
    );
    assert!(
        refused_cert
            .iter()
            .any(|(l, v)| l["module"] == "device" && *v == 0.0),
        "{refused_cert:?}"
    );
    let verified = query(p, r#"iotcheck_probe_chain_verified{job="kinds"} == 1"#);
    assert!(verified.len() >= 5, "{verified:?}");
    let versions = query(p, r#"iotcheck_probe_tls_version_info{job="kinds"}"#);
    assert!(
        versions
            .iter()
            .all(|(l, _)| l["version"] == "TLS 1.3" || l["version"] == "TLS 1.2"),
        "{versions:?}"
    );

    // Fifty targets, ten silent, a 10 s scrape timeout: every scrape answered in time.
    assert_eq!(scalar(p, r#"count(up{job="fifty"} == 1)"#), Some(50.0));
    assert_eq!(
        scalar(p, r#"count(probe_success{job="fifty"} == 1)"#),
        Some(40.0)
    );
    assert_eq!(
        scalar(
            p,
            r#"count(iotcheck_probe_failed{job="fifty",reason="timeout"})"#
        ),
        Some(10.0)
    );
    // The module's 30 s gave way to the scrape timeout less 0.5 s.
    let budget = scalar(p, r#"max(iotcheck_probe_timeout_seconds{job="fifty"})"#).unwrap();
    assert!(budget <= 9.5 && budget > 5.0, "{budget}");

    // The blackbox exporter agrees on success and on the earliest expiry.
    for (port, expect_success) in [(ok.port, 1.0), (expired.port, 0.0)] {
        let ours = format!("{ENDPOINT}:{port}");
        let theirs = format!("127.0.0.1:{port}");
        let success_ours = scalar(
            p,
            &format!(r#"probe_success{{job="kinds",instance="{ours}",module="tls"}}"#),
        );
        let success_theirs = scalar(
            p,
            &format!(r#"probe_success{{job="blackbox",instance="{theirs}"}}"#),
        );
        assert_eq!(success_ours, Some(expect_success), "{ours}");
        assert_eq!(success_theirs, success_ours, "{theirs}");
        let expiry_ours = scalar(
            p,
            &format!(
                r#"probe_ssl_earliest_cert_expiry{{job="kinds",instance="{ours}",module="tls"}}"#
            ),
        );
        let expiry_theirs = scalar(
            p,
            &format!(r#"probe_ssl_earliest_cert_expiry{{job="blackbox",instance="{theirs}"}}"#),
        );
        // The blackbox exporter reports expiry only for a session that came up.
        if expect_success == 1.0 {
            assert!(expiry_ours.is_some(), "{ours}");
            assert_eq!(expiry_ours, expiry_theirs, "{ours}");
        }
    }

    // The fleet's audit and the exporter's own metrics, through Prometheus.
    assert_eq!(
        scalar(p, r#"iotcheck_fleet_scan_ok{fleet="devices"}"#),
        Some(1.0)
    );
    assert!(scalar(
        p,
        r#"iotcheck_fleet_earliest_not_after_seconds{fleet="devices"}"#
    )
    .is_some());
    assert_eq!(
        scalar(
            p,
            r#"iotcheck_fleet_certificate_expiry_seconds_count{fleet="devices"}"#
        ),
        Some(2.0)
    );
    assert!(scalar(p, r#"sum(iotcheck_serve_probes_total{module="slow"})"#).unwrap() >= 50.0);

    let (_, metrics) = get(serve.port, "/metrics", &[]).unwrap();
    promtool_check_metrics(&metrics);
    seen.push_str(&metrics);
    seen.push_str(&serve.stderr());
    for line in &secrets {
        assert!(!seen.contains(line.as_str()), "key material in the output");
    }
}

/// A target the configuration does not allow is refused (403) and counted; SIGHUP with an
/// invalid file keeps the configuration in force and says why; a valid one replaces it;
/// SIGTERM stops the exporter with 0.
#[cfg(unix)]
#[test]
fn targets_not_allowed_are_refused_and_sighup_reloads_keeping_the_old_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let ok = s_server(&RSA_SERVER);
    let roots = fixture("roots/test-roots.pem");
    let module =
        format!("[modules.tls]\nca = [\"{roots}\"]\nconnect = \"127.0.0.1\"\ntimeout = 5\n");
    let first = format!("allowed_targets = [\"{ENDPOINT}:{}\"]\n{module}", ok.port);
    let mut serve = exporter(dir.path(), &first);
    let target = format!("{ENDPOINT}:{}", ok.port);
    let probe = |module: &str| get(serve.port, &probe_path(&target, module), &[]).unwrap();

    let (status, body) = probe("tls");
    assert_eq!(status, 200);
    assert_eq!(sample(&body, "probe_success", ""), Some(1.0), "{body}");
    // Another port, another host, a scanner's request: refused without a connection.
    for other in [
        format!("{ENDPOINT}:{CLOSED_PORT}"),
        "127.0.0.1:22".to_string(),
        "example.com".to_string(),
    ] {
        let (status, body) = get(serve.port, &probe_path(&other, "tls"), &[]).unwrap();
        assert_eq!(status, 403, "{other}: {body}");
    }
    let (status, _) = get(serve.port, &probe_path(&target, "nope"), &[]).unwrap();
    assert_eq!(status, 400);
    let (status, _) = get(serve.port, "/probe?module=tls", &[]).unwrap();
    assert_eq!(status, 400);
    // The scrape timeout bounds the module's.
    let (_, body) = get(
        serve.port,
        &probe_path(&target, "tls"),
        &[("X-Prometheus-Scrape-Timeout-Seconds", "2")],
    )
    .unwrap();
    assert_eq!(
        sample(&body, "iotcheck_probe_timeout_seconds", ""),
        Some(1.5),
        "{body}"
    );
    let (_, metrics) = get(serve.port, "/metrics", &[]).unwrap();
    assert_eq!(
        sample(
            &metrics,
            "iotcheck_serve_probe_rejections_total",
            "not_allowed"
        ),
        Some(3.0),
        "{metrics}"
    );

    let hup = |serve: &Process| {
        // SAFETY: kill has no memory preconditions; the pid is our child's.
        let sent = unsafe { libc::kill(serve.child.id() as i32, libc::SIGHUP) };
        assert_eq!(sent, 0);
    };
    // An invalid file: the error names the line and key; the old configuration stays.
    std::fs::write(
        dir.path().join("serve.toml"),
        format!("{first}colour = \"red\"\n"),
    )
    .unwrap();
    hup(&serve);
    wait_for("the failed reload reported", 30, || {
        serve.stderr().contains("reload failed")
    });
    let log = serve.stderr();
    assert!(
        log.contains("serve.toml:6:") && log.contains("colour"),
        "{log}"
    );
    let (_, metrics) = get(serve.port, "/metrics", &[]).unwrap();
    assert_eq!(
        sample(&metrics, "iotcheck_serve_config_last_reload_successful", ""),
        Some(0.0)
    );
    assert_eq!(sample(&probe("tls").1, "probe_success", ""), Some(1.0));

    // A valid file with a new module: in force at once.
    std::fs::write(
        dir.path().join("serve.toml"),
        format!("{first}[modules.amazon]\nconnect = \"127.0.0.1\"\ntimeout = 5\n"),
    )
    .unwrap();
    hup(&serve);
    wait_for("the reload", 30, || serve.stderr().contains("reloaded"));
    let (status, body) = probe("amazon");
    assert_eq!(status, 200);
    assert_eq!(sample(&body, "probe_success", ""), Some(0.0));
    let (_, metrics) = get(serve.port, "/metrics", &[]).unwrap();
    assert_eq!(
        sample(&metrics, "iotcheck_serve_config_last_reload_successful", ""),
        Some(1.0)
    );

    // SIGTERM: a clean stop.
    // SAFETY: as above.
    unsafe { libc::kill(serve.child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{}", serve.stderr());
}

/// A configuration that cannot be used stops `serve` at once with exit 2, naming the file,
/// the line and the key, and never quoting a secret.
#[test]
fn configuration_errors_name_the_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 5] = [
        (
            "[modules.m]\nport = 8883\ncolour = \"red\"\n",
            "serve.toml:3:",
        ),
        ("allowed_targets = [\"a b\"]\n", "serve.toml:1:"),
        (
            "[modules.m]\nproxy = \"http://u:hunter2@proxy:3128\"\n",
            "no secrets",
        ),
        (
            "[modules.m]\nca = [\"/nonexistent/ca.pem\"]\n",
            "/nonexistent/ca.pem",
        ),
        (
            "[[fleet]]\nname = \"f\"\npaths = [\"/x\"]\n",
            "missing field",
        ),
    ];
    for (text, expected) in cases {
        let path = dir.path().join("serve.toml");
        std::fs::write(&path, text).unwrap();
        let r = run_cmd_within(
            iotcheck()
                .args(["serve", "--config"])
                .arg(&path)
                .args(["--listen", "127.0.0.1:0"]),
            30,
        );
        assert_eq!(r.code, 2, "{text}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{text}: {}", r.stderr);
        assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    let r = run(&["serve", "--config", "/nonexistent/serve.toml"]);
    assert_eq!(r.code, 2);
}

/// The shipped alert rules pass their promtool tests, and the scrape configuration checks.
#[test]
fn the_shipped_rules_pass_promtool_test_rules() {
    require("promtool", "prometheus");
    let dist = format!("{}/dist/prometheus", env!("CARGO_MANIFEST_DIR"));
    for args in [
        vec!["test", "rules", "iotcheck.rules.test.yml"],
        vec!["check", "config", "prometheus.yml"],
    ] {
        let out = Command::new("promtool")
            .args(&args)
            .current_dir(&dist)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The complete example of docs/serve.md (its one TOML block) and the example the Debian
/// package ships (dist/serve.toml), loaded as written: only the prefixes `/etc/iotcheck/` and
/// `/var/lib/iotcheck/` are moved under a directory that holds the files they name (the Amazon
/// root, a device certificate and its key, a device CA with its CRL, a directory of devices),
/// so that every path resolves and every file is read as `serve` reads it at start.
#[test]
fn the_documented_and_the_shipped_configurations_load() {
    use iotcheck::serve::config;

    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc/iotcheck");
    let var = root.path().join("var/lib/iotcheck");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::create_dir_all(&var).unwrap();
    let fleet = crate::fleet_gen::generate(&root.path().join("fleet"), 3, 7, false)
        .expect("fleet generated");
    for (from, to) in [
        (fixture("aws/AmazonRootCA1.pem").into(), "AmazonRootCA1.pem"),
        (fixture("device/ec.pem").into(), "device.pem.crt"),
        (fixture("device/ec.key").into(), "private.pem.key"),
        (fleet.ca.clone(), "device-ca.pem"),
        (fleet.crl.clone(), "device-ca.crl"),
    ] {
        let from: std::path::PathBuf = from;
        std::fs::copy(&from, etc.join(to)).unwrap_or_else(|e| panic!("{from:?}: {e}"));
    }
    std::os::unix::fs::symlink(&fleet.devices, var.join("devices")).unwrap();
    let moved = |text: &str| {
        text.replace("/etc/iotcheck/", &format!("{}/", etc.display()))
            .replace("/var/lib/iotcheck/", &format!("{}/", var.display()))
    };
    let load = |name: &str, text: &str| {
        let path = root.path().join(name.replace('/', "-"));
        std::fs::write(&path, moved(text)).unwrap();
        config::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // The fleets' CRLs are read at every scan, not at load: read them as a scan does.
    let at = 1_780_272_000; // 2026-06-01, when the generated CRL is current
    let scannable = |name: &str, fleet: &config::Fleet| {
        let (_, crls) = config::fleet_inputs(fleet, at).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(crls.crls.len(), fleet.crl.len(), "{name}");
        assert!(crls.findings.is_empty(), "{name}: {:?}", crls.findings);
    };

    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/serve.md"))
        .unwrap();
    let blocks: Vec<&str> = docs
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 1, "docs/serve.md shows one complete example");
    let documented = load("docs/serve.md", blocks[0]);
    assert_eq!(documented.listen.as_deref(), Some("127.0.0.1:9877"));
    assert_eq!(documented.concurrency, 32);
    assert_eq!(documented.allowed.len(), 2);
    let modules: Vec<&String> = documented.modules.keys().collect();
    assert_eq!(modules, ["device"]);
    let device = &documented.modules["device"];
    assert!(device.client.is_some() && device.device.is_some());
    assert_eq!(
        device.mqtt.as_ref().map(|m| m.client_id.as_str()),
        Some("sensor-42")
    );
    assert_eq!(device.options.port, Some(8883));
    // sig = "any" is one handshake (tls = "both" is about versions, not signatures).
    assert!(!device.both);
    assert_eq!(device.timeout, Duration::from_secs(10));
    assert_eq!(documented.fleets.len(), 1);
    let devices = &documented.fleets[0];
    assert_eq!(devices.name, "devices");
    assert_eq!(devices.interval, Duration::from_secs(300));
    assert!(devices.thing_pattern.is_some());
    scannable("docs/serve.md", devices);

    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/serve.toml"))
            .unwrap();
    let shipped = load("dist/serve.toml", &shipped);
    let modules: Vec<&String> = shipped.modules.keys().collect();
    assert_eq!(modules, ["alpn443", "chain", "device"]);
    assert!(shipped.modules["chain"].client.is_none());
    assert!(shipped.modules["device"].mqtt.is_some());
    assert!(shipped.modules["alpn443"].both);
    assert_eq!(shipped.allowed.len(), 1);
    assert_eq!(shipped.fleets.len(), 1);
    scannable("dist/serve.toml", &shipped.fleets[0]);
}

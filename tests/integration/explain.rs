//! `iotcheck explain`: lines and logs to known messages, their causes and the checks, in
//! text and JSON; exit codes; inputs that cannot be read.

use std::io::Write;
use std::process::Stdio;

use crate::common::*;

#[test]
fn a_line_is_explained_with_its_causes_and_filled_in_commands() {
    let r = run(&[
        "explain",
        "--color",
        "never",
        "E (10011) aws_iot: failed! mbedtls_ssl_handshake returned -9984 (abc123-ats.iot.eu-west-1.amazonaws.com:8883)",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with("RECOGNISED  1 known message(s)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("mbedtls-x509-cert-verify-failed"));
    assert!(r
        .stdout
        .contains("1. The CA file (caPath) does not hold the root"));
    assert!(r
        .stdout
        .contains("→ iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com:8883 --ca <caPath>"));
    assert!(r.stdout.contains("https://github.com/Mbed-TLS/mbedtls/"));
    assert!(!r.stdout.contains('\x1b'));
}

#[test]
fn several_words_are_one_text_and_every_message_in_it_is_reported() {
    let r = run(&[
        "explain",
        "--json",
        "curl:",
        "(60)",
        "SSL certificate problem: unable to get local issuer certificate",
    ]);
    assert_eq!(r.code, 0);
    let ids: Vec<String> = r.json()["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    // The reason inside curl's wrapper comes first.
    assert_eq!(
        ids,
        [
            "openssl-unable-to-get-local-issuer",
            "curl-peer-failed-verification"
        ]
    );
}

#[test]
fn the_json_has_the_documented_shape() {
    let r = run(&["explain", "--json", "AWS_ERROR_MQTT_UNEXPECTED_HANGUP"]);
    assert_eq!(r.code, 0);
    let json = r.json();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["command"], "explain");
    let m = &json["matches"][0];
    assert_eq!(m["id"], "aws-crt-mqtt-unexpected-hangup");
    assert_eq!(m["stack"], "aws-crt");
    assert!(m["message"].as_str().unwrap().contains("UNEXPECTED_HANGUP"));
    assert!(m.get("line").is_none() && m.get("count").is_none());
    let causes = m["causes"].as_array().unwrap();
    assert!(causes.len() >= 2);
    assert!(causes[0]["cause"].as_str().unwrap().contains("iot:Connect"));
    assert_eq!(causes[0]["checks"][0], "account");
    let checks: Vec<&str> = m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(checks, ["account", "mqtt"]);
    assert!(m["sources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.as_str().unwrap().starts_with("https://")));
    assert!(!r.stdout.contains('\x1b'));
}

#[test]
fn an_unknown_text_says_so_and_suggests_the_doctor() {
    let r = run(&["explain", "--color", "never", "all good, connected"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("UNKNOWN"));
    assert!(r.stdout.contains("iotcheck doctor --config"));
    assert!(!r.stdout.contains("coming"), "doctor exists now");
    let r = run(&["explain", "--json", "all good, connected"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["matches"], serde_json::json!([]));
}

const LOG: &str = "\
I (812) wifi: connected
I (900) app: connecting to abc123-ats.iot.eu-west-1.amazonaws.com:8883 with /spiffs/device.pem.crt
E (10011) aws_iot: failed! mbedtls_ssl_handshake returned -0x2700
I (15000) app: retrying
E (20011) aws_iot: failed! mbedtls_ssl_handshake returned -9984
{\"clientId\": \"Sensor-1\", \"eventType\": \"disconnected\", \"disconnectReason\": \"DUPLICATE_CLIENTID\"}
E (30011) aws_iot: failed! mbedtls_ssl_handshake returned 0x2700
";

#[test]
fn a_log_gives_each_message_once_with_its_first_line_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.log");
    std::fs::write(&path, LOG).unwrap();
    let r = run(&["explain", "--json", "--log", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    let got: Vec<(String, u64, u64)> = json["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["line"].as_u64().unwrap(),
                m["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("mbedtls-x509-cert-verify-failed".to_string(), 3, 3),
            ("aws-iot-logs-duplicate-clientid".to_string(), 6, 1)
        ]
    );
    assert_eq!(
        json["revealed"]["host"],
        "abc123-ats.iot.eu-west-1.amazonaws.com"
    );
    assert_eq!(json["revealed"]["client_id"], "Sensor-1");

    let r = run(&[
        "explain",
        "--color",
        "never",
        "--log",
        path.to_str().unwrap(),
    ]);
    assert!(r.stdout.contains(
        "mbedtls-x509-cert-verify-failed  mbedTLS / ESP-IDF (esp-tls, esp-mqtt)  first at line 3, on 3 lines"
    ));
    assert!(
        r.stdout
            .contains("--cert /spiffs/device.pem.crt --key <keyPath> --mqtt --client-id Sensor-1"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_log_can_come_from_standard_input() {
    let mut child = iotcheck()
        .args(["explain", "--json", "--log", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(LOG.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["matches"].as_array().unwrap().len(), 2);
}

#[test]
fn a_log_without_known_messages_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quiet.log");
    std::fs::write(&path, "boot\nconnected\n").unwrap();
    let r = run(&["explain", "--log", path.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("UNKNOWN"));
}

#[test]
fn unreadable_logs_and_bad_usage_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.log");
    let r = run(&["explain", "--log", missing.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no such file"), "{}", r.stderr);
    assert!(r.stdout.is_empty());

    let r = run(&["explain", "--log", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);

    #[cfg(unix)]
    {
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let r = run(&["explain", "--log", fifo.to_str().unwrap()]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    }

    assert_eq!(run(&["explain"]).code, 2);
    assert_eq!(run(&["explain", "--log", "x.log", "some text"]).code, 2);
    assert_eq!(run(&["explain", "--list", "--log", "x.log"]).code, 2);
}

#[test]
fn the_list_holds_every_entry_with_sources_and_checks() {
    let r = run(&["explain", "--list", "--json"]);
    assert_eq!(r.code, 0);
    let json = r.json();
    assert_eq!(json["command"], "explain");
    let entries = json["entries"].as_array().unwrap();
    assert!(entries.len() >= 150, "{}", entries.len());
    for e in entries {
        assert!(!e["sources"].as_array().unwrap().is_empty(), "{e}");
        assert!(!e["checks"].as_array().unwrap().is_empty(), "{e}");
        assert!(
            !e["match"].as_array().unwrap().is_empty() || e["patterns"].is_array(),
            "{e}"
        );
        assert!(
            e["family"].is_string() && e["recognised_by"] == "table",
            "{e}"
        );
        // A hand-written entry has a real line; a generated row has its pinned source.
        let source = e["sources"][0].as_str().unwrap();
        assert!(
            e["example"].is_string() || source.starts_with("https://github.com/"),
            "{e}"
        );
    }
    let stacks = json["stacks"].as_array().unwrap();
    let total: u64 = stacks.iter().map(|s| s["entries"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, entries.len());

    let families = json["families"].as_array().unwrap();
    assert!(families.len() >= 25, "{}", families.len());
    let r = run(&["explain", "--list", "--color", "never"]);
    assert!(r.stdout.starts_with(&format!(
        "{} known messages of {} stacks in {} cause families",
        entries.len(),
        stacks.len(),
        families.len()
    )));
}

#[test]
fn the_help_ends_with_examples_and_exit_codes() {
    let r = run(&["explain", "--help"]);
    assert_eq!(r.code, 0);
    let examples = r.stdout.find("EXAMPLES:").expect("examples");
    let exit_codes = r.stdout.find("EXIT CODES:").expect("exit codes");
    assert!(examples < exit_codes);
    assert!(r.stdout.contains("--log"));
}

/// The held-out set: real lines from public issue threads (with the thread) and the output of
/// real clients failing against local peers (tools/explain-heldout/client_matrix.py, with the
/// client, its version and the scenario), none of them an example of the catalogue. The goal
/// is the right check first for at least 90 % of them; what holds today is a floor against
/// regressions at the figure measured last (122 of 136, 89.7 %; docs/explain.md).
#[test]
fn the_held_out_lines_lead_with_the_right_check() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/explain-heldout.json"),
    )
    .unwrap();
    let set: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let list = run(&["explain", "--list", "--json"]).json();
    let examples: Vec<String> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["example"].as_str().map(str::to_lowercase))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut excluded = 0;
    // (where from, expected check, log file) of every measured record.
    let mut measured_records = Vec::new();
    for (i, item) in set.iter().enumerate() {
        let text = item["text"].as_str().unwrap();
        let where_from = item["url"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} / {}", item["client"], item["scenario"]));
        assert!(
            item["url"].is_string() || item["version"].is_string(),
            "{where_from}: no provenance"
        );
        if item.get("excluded").is_some() {
            excluded += 1;
            continue;
        }
        // A client may print a line the catalogue has as an example: such a record is marked
        // excluded when recorded, and a measured one must hold none.
        for line in text.lines() {
            let line = line.trim().to_lowercase();
            assert!(
                line.len() < 12 || !examples.contains(&line),
                "{where_from}: {line:?} is a catalogue example, not held out"
            );
        }
        let path = dir.path().join(format!("{i}.log"));
        std::fs::write(&path, format!("{text}\n")).unwrap();
        let expected = item["expected_check"].as_str().unwrap().to_string();
        measured_records.push((where_from, expected, path));
    }
    // One process a record, two at a time.
    let results: Vec<(String, String)> = std::thread::scope(|scope| {
        let halves: Vec<_> = measured_records
            .chunks(measured_records.len().div_ceil(2).max(1))
            .map(|half| {
                scope.spawn(move || {
                    half.iter()
                        .map(|(_, _, path)| {
                            let json =
                                run(&["explain", "--json", "--log", path.to_str().unwrap()]).json();
                            let got = json["matches"][0]["checks"][0].as_str().unwrap_or("none");
                            (got.to_string(), json["matches"][0]["id"].to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let measured = measured_records.len();
    let mut right = 0;
    let mut misses = Vec::new();
    for ((where_from, expected, _), (got, id)) in measured_records.iter().zip(&results) {
        if got == expected {
            right += 1;
        } else {
            misses.push(format!(
                "{where_from}: expected {expected}, got {got} ({id})"
            ));
        }
    }
    let rate = 100.0 * right as f64 / measured as f64;
    println!(
        "held-out: the right check first for {right} of {measured} lines ({rate:.1} %); {excluded} recorded but not measured"
    );
    for miss in &misses {
        println!("  miss: {miss}");
    }
    assert!(measured >= 130, "{measured} lines");
    assert!(rate >= 89.0, "{rate:.1} % < 89 %:\n{}", misses.join("\n"));
}

#[test]
fn a_log_of_nul_bytes_invalid_utf8_and_a_long_line_is_scanned_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binary.log");
    let mut log: Vec<u8> = Vec::new();
    log.extend_from_slice(b"\0\0\0\xff\xfe garbage \xc3\x28\n");
    // One line of 9 MiB without a newline inside it: longer than a chunk of the scan.
    log.extend(std::iter::repeat_n(b'x', 9 * 1024 * 1024));
    log.extend_from_slice(
        b"\n\xffE (10011) aws_iot: failed! mbedtls_ssl_handshake returned -0x2700\0\n",
    );
    std::fs::write(&path, &log).unwrap();
    let r = run(&["explain", "--json", "--log", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(json["matches"][0]["id"], "mbedtls-x509-cert-verify-failed");
    assert_eq!(json["matches"][0]["line"], 3);
}

/// Runs `explain --log -` with `stdin` and returns (exit code, stderr), failing the test if it
/// does not end within the hang bound.
fn explain_stdin(stdin: Stdio, feed: Option<Vec<u8>>) -> (Option<i32>, String) {
    let mut child = iotcheck()
        .args(["explain", "--log", "-"])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A writer that feeds the block until the reader stops reading (EPIPE ends it).
    let writer = feed.map(|block| {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            for _ in 0..1024 {
                if pipe.write_all(&block).is_err() {
                    break;
                }
            }
        })
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("explain --log - did not end within 60 s (a hang bound, not a speed check)");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    if let Some(writer) = writer {
        writer.join().unwrap();
    }
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

/// A line of 1 GiB without a newline (streamed through a pipe, never written to disk) and
/// `/dev/zero` on standard input: not text logs. Each is refused with exit 2 once 64 MiB of
/// one line are read, so memory and time stay bounded whatever the size.
#[test]
fn a_gigabyte_line_and_dev_zero_on_stdin_are_refused_once_a_line_passes_64_mib() {
    let (code, stderr) = explain_stdin(Stdio::piped(), Some(vec![b'x'; 1024 * 1024]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("<stdin>: has a line longer than 64 MiB: not a text log"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let zero = std::fs::File::open("/dev/zero").unwrap();
    let (code, stderr) = explain_stdin(Stdio::from(zero), None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("has a line longer than 64 MiB"), "{stderr}");

    // As a path, a device is not a log at all.
    let r = run(&["explain", "--log", "/dev/zero"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}

/// A regular file of 1 GiB without a newline, all NUL bytes (sparse: it takes no disk): read
/// until its one line passes 64 MiB, then refused with exit 2 naming the file.
#[test]
fn a_gigabyte_file_of_nul_bytes_without_a_newline_is_refused_once_a_line_passes_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.log");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let r = run(&["explain", "--log", path.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("sparse.log: has a line longer than 64 MiB"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

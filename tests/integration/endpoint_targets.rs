//! Integration tests: `iotcheck endpoint` over several targets (HOSTs, `--targets FILE`)
//! against several local `openssl s_server`s, one bad target among good ones.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::*;

/// A server that serves its leaf without the intermediate: unknown_issuer.
const MISSING_INTERMEDIATE: &[&str] = &[
    "-cert",
    "fail/missing_intermediate.pem",
    "-key",
    "fail/missing_intermediate.key",
];

/// Two good servers and one with a broken chain.
struct Servers {
    good: Peer,
    also_good: Peer,
    broken: Peer,
}

impl Servers {
    fn start() -> Servers {
        Servers {
            good: s_server(RSA_SERVER),
            also_good: s_server(RSA_SERVER),
            broken: s_server(MISSING_INTERMEDIATE),
        }
    }

    /// good, broken, closed port, also good: in this order.
    fn targets(&self) -> Vec<String> {
        vec![
            target(self.good.port),
            target(self.broken.port),
            target(CLOSED_PORT),
            target(self.also_good.port),
        ]
    }
}

fn target(port: u16) -> String {
    format!("{ENDPOINT}:{port}")
}

/// `iotcheck endpoint TARGETS... --connect 127.0.0.1`, trusting the test roots, at the
/// fixture instant, with a 5 s timeout unless `extra` gives one.
fn endpoints(targets: &[String], extra: &[&str]) -> Command {
    let mut cmd = iotcheck();
    cmd.arg("endpoint")
        .args(targets)
        .args(["--connect", "127.0.0.1", "--at", AT])
        .args(["--ca", &fixture("roots/test-roots.pem")]);
    if !extra.contains(&"--timeout") {
        cmd.args(["--timeout", "5"]);
    }
    cmd.args(extra);
    cmd
}

/// Every line of `--jsonl` output, each parsed on its own.
fn json_lines(r: &Run) -> Vec<serde_json::Value> {
    assert!(r.stdout.ends_with('\n'), "{}", r.stdout);
    r.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object a line ({e}): {line}"))
        })
        .collect()
}

/// The summary's (target, verdict, exit code, lead, error phase) per target.
fn summary_rows(summary: &serde_json::Value) -> Vec<(String, String, i64, String, String)> {
    summary["targets"]
        .as_array()
        .expect("summary.targets")
        .iter()
        .map(|t| {
            (
                t["target"].as_str().unwrap().to_string(),
                t["verdict"].as_str().unwrap_or("-").to_string(),
                t["exit_code"].as_i64().unwrap(),
                t["lead"].as_str().unwrap_or("-").to_string(),
                t["error"]["phase"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn several_targets_report_in_the_order_given_then_a_summary_and_the_worst_exit() {
    let servers = Servers::start();
    let targets = servers.targets();
    let r = run_cmd(&mut endpoints(&targets, &[]));
    // A network failure (3) outranks a failed check (1).
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    // Each target's report starts with its verdict line (an error line for the closed port),
    // in the order given.
    let heads: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("VALID ") || l.starts_with("INVALID ") || l.starts_with("ERROR "))
        .collect();
    assert_eq!(heads.len(), 4, "{}", r.stdout);
    for (head, (word, target)) in heads.iter().zip([
        ("VALID", &targets[0]),
        ("INVALID", &targets[1]),
        ("ERROR", &targets[2]),
        ("VALID", &targets[3]),
    ]) {
        assert!(
            head.starts_with(&format!("{word}  {target}  ")),
            "{head} / {word} {target}"
        );
    }
    assert!(heads[1].contains("chain does not verify (unknown_issuer)"));
    assert!(heads[2].contains("connect: tcp connect to 127.0.0.1:9 failed"));
    // Whole reports: the good ones show their chain.
    assert_eq!(
        r.stdout.matches("#1 intermediate").count(),
        2,
        "{}",
        r.stdout
    );
    let summary: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("SUMMARY"))
        .collect();
    assert_eq!(
        summary[0],
        "SUMMARY  4 target(s): 2 ok, 1 failed, 1 error(s)  (exit 3)"
    );
    assert_eq!(summary.len(), 5, "{}", r.stdout);
    for (line, (word, target)) in summary[1..].iter().zip([
        ("VALID  ", &targets[0]),
        ("INVALID", &targets[1]),
        ("ERROR  ", &targets[2]),
        ("VALID  ", &targets[3]),
    ]) {
        assert!(
            line.starts_with(&format!("  {word}  {target}")),
            "{line} / {word} {target}"
        );
    }
}

#[test]
fn a_failed_check_among_good_targets_exits_1_and_all_good_exits_0() {
    let servers = Servers::start();
    let good_and_broken = [target(servers.good.port), target(servers.broken.port)];
    let r = run_cmd(&mut endpoints(&good_and_broken, &["--brief"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("✗ unknown_issuer"), "{}", r.stdout);
    assert!(r
        .stdout
        .contains("SUMMARY  2 target(s): 1 ok, 1 failed, 0 error(s)  (exit 1)"));
    let good = [target(servers.good.port), target(servers.also_good.port)];
    let r = run_cmd(&mut endpoints(&good, &["--quiet"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn jsonl_gives_one_valid_object_per_target_then_the_summary() {
    let servers = Servers::start();
    let targets = servers.targets();
    let r = run_cmd(&mut endpoints(&targets, &["--jsonl"]));
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let lines = json_lines(&r);
    assert_eq!(lines.len(), 5, "{}", r.stdout);
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["report", "report", "error", "report", "summary"]);
    for (line, target) in lines.iter().zip(&targets) {
        assert_eq!(line["target"], target.as_str());
        assert_eq!(line["schema_version"], 2);
        assert_eq!(line["command"], "endpoint");
    }
    // A report line is `endpoint --json`'s object, plus type, target and exit_code.
    let single = run_cmd(&mut endpoint_cmd(servers.good.port, &[])).json();
    let keys = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    };
    let mut expected = keys(&single);
    expected.extend(["type", "target", "exit_code"].map(String::from));
    assert_eq!(keys(&lines[0]), expected);
    assert_eq!(lines[0]["verdict"], "ok");
    assert_eq!(lines[0]["exit_code"], 0);
    assert_eq!(lines[0]["handshakes"][0]["chain_verified"], true);
    assert_eq!(lines[1]["verdict"], "fail");
    assert_eq!(lines[1]["exit_code"], 1);
    assert_eq!(
        problems(&lines[1])[0],
        ("unknown_issuer".to_string(), Some(0))
    );
    // The closed port: the target, the phase and message, the exit code.
    assert_eq!(lines[2]["exit_code"], 3);
    assert_eq!(lines[2]["error"]["phase"], "connect");
    assert!(lines[2]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("127.0.0.1:9"));
    let summary = &lines[4];
    assert_eq!(summary["verdict"], "fail");
    assert_eq!(summary["exit_code"], 3);
    assert_eq!(
        summary["counts"],
        serde_json::json!({"targets": 4, "ok": 2, "failed": 1, "errors": 1})
    );
    assert_eq!(summary["duplicates_dropped"], 0);
    let rows = summary_rows(summary);
    let row = |t: &str, v: &str, code: i64, lead: &str, phase: &str| {
        (t.to_string(), v.into(), code, lead.into(), phase.into())
    };
    assert_eq!(
        rows,
        [
            row(&targets[0], "ok", 0, "-", "-"),
            row(&targets[1], "fail", 1, "unknown_issuer", "-"),
            row(&targets[2], "-", 3, "-", "connect"),
            row(&targets[3], "ok", 0, "-", "-"),
        ]
    );
}

#[test]
fn jsonl_with_one_target_is_one_line_and_the_summary() {
    let server = s_server(RSA_SERVER);
    let r = run_cmd(&mut endpoints(&[target(server.port)], &["--jsonl"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines = json_lines(&r);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "report");
    assert_eq!(lines[1]["type"], "summary");
    assert_eq!(lines[1]["verdict"], "ok");
}

#[test]
fn a_targets_file_with_comments_blank_lines_and_a_duplicate() {
    let servers = Servers::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("endpoints.txt");
    let text = format!(
        "# production endpoints\n\n{}  # eu-west-1\n\t{}\r\n{}\n# the same again, in capitals:\n{}\n",
        target(servers.good.port),
        target(servers.broken.port),
        target(servers.also_good.port),
        target(servers.good.port).to_uppercase(),
    );
    std::fs::write(&file, &text).unwrap();
    let file_arg = file.to_string_lossy().into_owned();
    let r = run_cmd(&mut endpoints(&[], &["--targets", &file_arg, "--jsonl"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let lines = json_lines(&r);
    let summary = lines.last().unwrap();
    assert_eq!(summary["duplicates_dropped"], 1);
    let probed: Vec<String> = summary_rows(summary).into_iter().map(|r| r.0).collect();
    assert_eq!(
        probed,
        [
            target(servers.good.port),
            target(servers.broken.port),
            target(servers.also_good.port)
        ]
    );
    // HOSTs on the command line come first; `-` reads the list from standard input.
    let mut args: Vec<String> = vec!["endpoint".into(), target(servers.also_good.port)];
    args.extend(
        [
            "--targets",
            "-",
            "--connect",
            "127.0.0.1",
            "--at",
            AT,
            "--jsonl",
        ]
        .map(String::from),
    );
    args.extend(["--ca".to_string(), fixture("roots/test-roots.pem")]);
    let r = with_stdin(&args, text.as_bytes());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let summary = json_lines(&r).pop().unwrap();
    assert_eq!(summary["duplicates_dropped"], 2);
    let probed: Vec<String> = summary_rows(&summary).into_iter().map(|r| r.0).collect();
    assert_eq!(
        probed,
        [
            target(servers.also_good.port),
            target(servers.good.port),
            target(servers.broken.port)
        ]
    );
}

#[test]
fn a_bad_targets_file_is_a_usage_error_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "two-words.txt",
            "# ok\na.example\nb.example c.example\n",
            ":3: ",
        ),
        ("bad-port.txt", "a.example:8883\n\na.example:88x3\n", ":3: "),
        ("bad-name.txt", "a.example\nnot a name\n", ":2: "),
        ("bad-v6.txt", "[::1]8883\n", ":1: "),
        ("only-comments.txt", "# nothing here\n\n", "names no target"),
    ];
    for (name, text, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let file_arg = file.to_string_lossy().into_owned();
        let r = run(&["endpoint", "--targets", &file_arg]);
        assert_eq!(r.code, 2, "{name}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.is_empty(), "{name}: {}", r.stdout);
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!("iotcheck: {file_arg}")),
            "{name}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(expected), "{name}: {}", r.stderr);
    }
    // A hostile line is quoted clipped, not whole: the error stays one short line.
    for (name, line) in [
        (
            "long-words.txt",
            format!("{} b.example\n", "a".repeat(100_000)),
        ),
        ("long-name.txt", format!("{}\n", "a.".repeat(50_000))),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, line).unwrap();
        let r = run(&["endpoint", "--targets", &file.to_string_lossy()]);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.len() < 400, "{name}: {} bytes", r.stderr.len());
        assert!(r.stderr.contains('…'), "{name}: {}", r.stderr);
    }
    let missing = dir
        .path()
        .join("missing.txt")
        .to_string_lossy()
        .into_owned();
    let r = run(&["endpoint", "--targets", &missing]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&missing), "{}", r.stderr);
    // A HOST that is not a name is the same error it is alone.
    let r = run(&["endpoint", "a.example", "b..example"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("neither a DNS name"), "{}", r.stderr);
}

#[test]
fn options_that_print_one_target_are_refused_with_several() {
    for (extra, expected) in [
        (&["--json"][..], "give --jsonl"),
        (&["--pem"], "--save DIR"),
        (&["--region", "eu-west-1", "--targets", "x.txt"], "--region"),
        (&["--jsonl", "--brief"], "--brief"),
        (&["--concurrency", "0"], "--concurrency"),
        (&["--concurrency", "257"], "--concurrency"),
    ] {
        let mut args = vec!["endpoint", "a.example", "b.example"];
        args.extend(extra);
        let r = run(&args);
        assert_eq!(r.code, 2, "{extra:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(expected), "{extra:?}: {}", r.stderr);
    }
    // --targets alone decides the shape: --json is refused even for a one-line file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.txt");
    std::fs::write(&file, "a.example\n").unwrap();
    let r = run(&["endpoint", "--targets", &file.to_string_lossy(), "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("give --jsonl"), "{}", r.stderr);
}

#[test]
fn concurrency_1_and_the_default_give_the_same_results_in_the_same_order() {
    let servers = Servers::start();
    let mut targets = servers.targets();
    // More targets than a handful, so that the default really runs them side by side.
    for i in 0..6 {
        targets.push(format!(
            "dev{i}-ats.iot.eu-west-1.amazonaws.com:{}",
            servers.good.port
        ));
    }
    let one = run_cmd(&mut endpoints(&targets, &["--brief", "--concurrency", "1"]));
    let default = run_cmd(&mut endpoints(&targets, &["--brief"]));
    assert_eq!(one.code, 3, "{}", one.stderr);
    assert_eq!(default.code, one.code);
    // Brief reports hold no timings: the whole text is the same.
    assert_eq!(default.stdout, one.stdout);
    let one = run_cmd(&mut endpoints(&targets, &["--jsonl", "--concurrency", "1"]));
    let default = run_cmd(&mut endpoints(&targets, &["--jsonl"]));
    assert_eq!(
        summary_rows(json_lines(&one).last().unwrap()),
        summary_rows(json_lines(&default).last().unwrap())
    );
}

#[test]
fn each_target_has_its_own_timeout_and_they_run_side_by_side() {
    // Six silent peers with a 1 s timeout: one after the other they would take 6 s. Only a
    // hang fails here (20 s); that they end together, in about 1 s, is measured in
    // benches/timeouts.sh.
    let targets: Vec<String> = (0..6).map(|_| target(hostile(Behaviour::Silent))).collect();
    let mut args: Vec<&str> = vec!["endpoint"];
    args.extend(targets.iter().map(String::as_str));
    let roots = fixture("roots/test-roots.pem");
    args.extend(["--connect", "127.0.0.1", "--ca", &roots, "--jsonl"]);
    args.extend(["--timeout", "1", "--concurrency", "6"]);
    let r = run_within(&args, 20);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let lines = json_lines(&r);
    for line in &lines[..6] {
        assert_eq!(line["type"], "error");
        assert_eq!(line["error"]["phase"], "tls_handshake", "{line}");
        assert!(line["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timed out after 1 s"));
    }
}

#[test]
fn save_keeps_each_targets_chain_in_its_own_directory() {
    let servers = Servers::start();
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("captures");
    let save_arg = save.to_string_lossy().into_owned();
    let targets = [target(servers.good.port), target(servers.broken.port)];
    let r = run_cmd(&mut endpoints(&targets, &["--save", &save_arg, "--jsonl"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let lines = json_lines(&r);
    for (line, (port, count)) in lines
        .iter()
        .zip([(servers.good.port, 2), (servers.broken.port, 1)])
    {
        let sub = save.join(format!("{ENDPOINT}_{port}"));
        let saved: Vec<String> = (1..=count)
            .map(|i| {
                sub.join(format!("cert_{i}.pem"))
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            line["endpoint"]["saved"],
            serde_json::json!(saved),
            "{line}"
        );
        for file in &saved {
            assert!(std::path::Path::new(file).is_file(), "{file}");
        }
    }
    // Again: every directory is checked before any connection.
    let r = run_cmd(&mut endpoints(&targets, &["--save", &save_arg]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("already holds cert_N.pem"),
        "{}",
        r.stderr
    );
}

/// Each target's report is written as soon as it and every target before it are done: the
/// first target's line is out while a later, silent target still holds the run open.
#[test]
fn reports_stream_in_the_order_given_while_later_targets_still_run() {
    use std::io::BufRead;
    let servers = Servers::start();
    // Accepts TCP (the kernel's backlog) and never answers: the handshake waits for --timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_target = format!("{ENDPOINT}:{}", silent.local_addr().unwrap().port());
    let targets = [target(servers.good.port), silent_target.clone()];
    let mut child = endpoints(&targets, &["--jsonl", "--timeout", "30"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first: serde_json::Value =
        serde_json::from_str(&lines.next().unwrap().unwrap()).expect("one JSON object");
    assert_eq!(first["target"], targets[0].as_str());
    assert_eq!(first["verdict"], "ok");
    // The silent target has 30 s left: the first report came out while it still ran.
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first report was written only at the end of the run"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// With the open-file limit low (soft and hard, so that it cannot be raised) and the
/// documented maximum concurrency, the concurrency shrinks to fit the limit: every target is
/// probed and judged on its own, and none is blamed for descriptors this machine ran out of.
#[cfg(unix)]
#[test]
fn a_low_open_file_limit_lowers_the_concurrency_and_blames_no_target() {
    // Silent targets hold their descriptors until --timeout; refused ones come and go.
    let silent: Vec<std::net::TcpListener> = (0..24)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let mut lines: Vec<String> = silent
        .iter()
        .map(|l| format!("127.0.0.1:{}", l.local_addr().unwrap().port()))
        .collect();
    lines.extend((1..=200).map(|i| format!("127.0.2.{i}:{CLOSED_PORT}")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_iotcheck"))
        .args(["endpoint", "--targets", file.to_str().unwrap()])
        .args(["--concurrency", "256", "--timeout", "0.5", "--jsonl"])
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdin(std::process::Stdio::null());
    let r = run_cmd(&mut cmd);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let out = json_lines(&r);
    assert_eq!(out.len(), lines.len() + 1, "{}", r.stdout);
    for (line, target) in out.iter().zip(&lines) {
        assert_eq!(line["target"], target.as_str(), "{line}");
        let message = line["error"]["message"].as_str().unwrap_or_default();
        let phase = line["error"]["phase"].as_str().unwrap_or_default();
        assert!(
            !message.contains("Too many open files") && !message.contains("file descriptor"),
            "{target} blamed for the local limit: {message}"
        );
        if target.starts_with("127.0.0.1:") {
            assert_eq!(phase, "tls_handshake", "{target}: {message}");
            assert!(message.contains("timed out"), "{target}: {message}");
        } else {
            assert_eq!(phase, "connect", "{target}: {message}");
            assert!(message.contains("refused"), "{target}: {message}");
        }
    }
    let summary = out.last().unwrap();
    assert_eq!(summary["counts"]["errors"], lines.len());
    drop(silent);
}

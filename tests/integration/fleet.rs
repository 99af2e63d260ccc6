//! `iotcheck fleet` over generated fleets (`tests/support/fleet_gen.rs`): every planted fault
//! found on its file, nothing on the clean certificates, junk reported without stopping the
//! run, the CRL cases (for `fleet`, `verify-chain --crl` and `device --crl`), the outputs
//! (JSON lines checked line by line, JSON, the Prometheus textfile read by a real parser).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use crate::fleet_gen::{self, Fleet, THING_PATTERN};

const AT_FLEET: &str = fleet_gen::AT;

/// A fleet of 30 clean certificates, with the planted faults and junk when `plant`.
fn generated(plant: bool) -> (tempfile::TempDir, Fleet) {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = fleet_gen::generate(dir.path(), 30, 7, plant).expect("fleet generated");
    (dir, fleet)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// `fleet --ca CA --at AT` plus `extra`, run from the fleet's root (paths shown relative).
fn fleet_run(fleet: &Fleet, extra: &[&str]) -> Run {
    run_cmd(
        iotcheck()
            .current_dir(&fleet.root)
            .args(["fleet", "--ca", "ca/ca.pem", "--at", AT_FLEET])
            .args(extra),
    )
}

/// The JSON lines of a `--jsonl` run, each checked to parse on its own: file → (verdict,
/// codes), and the summary line.
fn lines(r: &Run) -> (BTreeMap<String, (String, Vec<String>)>, serde_json::Value) {
    let mut files = BTreeMap::new();
    let mut summary = None;
    let mut order = Vec::new();
    for (n, line) in r.stdout.lines().enumerate() {
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {line}", n + 1));
        assert_eq!(value["schema_version"], 2, "{line}");
        assert!(summary.is_none(), "a line after the summary: {line}");
        match value["type"].as_str() {
            Some("file") => {
                let file = value["file"].as_str().expect("file").to_string();
                let codes = value["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .map(|f| f["code"].as_str().expect("code").to_string())
                    .collect();
                let verdict = value["verdict"].as_str().expect("verdict").to_string();
                order.push(file.clone());
                files.insert(file, (verdict, codes));
            }
            Some("summary") => summary = Some(value),
            other => panic!("unknown line type {other:?}: {line}"),
        }
    }
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
    assert_eq!(order, sorted, "files come out in path order");
    (files, summary.expect("a summary line closes the output"))
}

#[test]
fn every_planted_fault_is_found_on_its_file_and_clean_certificates_have_none() {
    let (_dir, fleet) = generated(true);
    let r = fleet_run(
        &fleet,
        &[
            "--crl",
            "ca/crl.pem",
            "--thing-pattern",
            THING_PATTERN,
            "--jsonl",
            "devices",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr, "",
        "no progress bar when stderr is not a terminal"
    );
    let (files, summary) = lines(&r);
    for (rel, code) in &fleet.planted {
        let (_, codes) = files
            .get(&format!("devices/{rel}"))
            .unwrap_or_else(|| panic!("no line for {rel}"));
        assert!(
            codes.iter().any(|c| c == code),
            "{rel}: {code} not in {codes:?}"
        );
    }
    assert!(fleet.clean.len() >= 29);
    for rel in &fleet.clean {
        let (verdict, codes) = &files[&format!("devices/{rel}")];
        assert_eq!(
            (verdict.as_str(), codes.len()),
            ("ok", 0),
            "{rel}: {codes:?}"
        );
    }
    // Each of a pair is flagged, the first in path order too, and names the other.
    for (one, other, code) in [
        ("cloned-key-a", "cloned-key-b", "duplicate_key"),
        ("serial-twin-a", "serial-twin-b", "duplicate_serial"),
        ("copy-a", "copy-b", "duplicate_certificate"),
    ] {
        for (me, them) in [(one, other), (other, one)] {
            let (_, codes) = &files[&format!("devices/faults/{me}.pem")];
            assert_eq!(codes, &[code], "{me}");
            let line = r
                .stdout
                .lines()
                .find(|l| l.contains(&format!("\"devices/faults/{me}.pem\"")))
                .expect("line");
            assert!(
                line.contains(&format!("devices/faults/{them}.pem")),
                "{line}"
            );
        }
    }
    // Junk is a warning: it does not fail the file.
    assert_eq!(files["devices/junk/README.txt"].0, "ok");
    assert_eq!(summary["files"], files.len());
    assert_eq!(
        summary["other_files"], 6,
        "5 junk files and the damaged certificate"
    );
    assert_eq!(summary["verdict"], "fail");
    let by_code: BTreeMap<String, u64> = summary["by_code"]
        .as_array()
        .expect("by_code")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["files"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_code["duplicate_key"], 2);
    assert_eq!(by_code["file_not_certificate"], 5);
    assert_eq!(summary["crls"][0]["revoked"], 1);
    assert!(summary["expiry_by_month"].as_array().expect("months").len() > 10);
}

#[test]
fn a_clean_fleet_passes_and_its_summary_says_so() {
    let (_dir, fleet) = generated(false);
    let r = fleet_run(&fleet, &["--crl", "ca/crl.pem", "devices"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .starts_with("OK  fleet  30 file(s): 30 certificate(s), 0 failing"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('✗'), "{}", r.stdout);
    assert_eq!(r.stderr, "");
}

#[test]
fn junk_alone_is_reported_without_failing_the_run() {
    let (_dir, fleet) = generated(true);
    let r = fleet_run(&fleet, &["--jsonl", "devices/junk", "keys/clean.pem"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let (files, summary) = lines(&r);
    assert_eq!(files.len(), 6);
    assert_eq!(summary["certificates"], 1);
    assert_eq!(summary["other_files"], 5);
    for (file, (verdict, codes)) in &files {
        if file.starts_with("devices/junk/") {
            assert_eq!(
                (verdict.as_str(), codes.as_slice()),
                ("ok", ["file_not_certificate".to_string()].as_slice())
            );
        }
    }
}

/// A run that finds no certificate at all fails: an unmounted store must not pass forever.
#[test]
fn a_run_that_finds_no_certificate_fails() {
    let (dir, fleet) = generated(true);
    std::fs::create_dir(dir.path().join("empty")).expect("mkdir");
    for paths in [&["empty"][..], &["devices/junk"][..]] {
        let mut args = vec!["--jsonl"];
        args.extend_from_slice(paths);
        let r = fleet_run(&fleet, &args);
        assert_eq!(r.code, 1, "{paths:?}: {}{}", r.stdout, r.stderr);
        let (_files, summary) = lines(&r);
        assert_eq!(summary["certificates"], 0);
        let codes: Vec<&str> = summary["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert_eq!(codes, ["no_certificates"], "{paths:?}");
    }
}

#[test]
fn the_crl_cases_in_a_fleet() {
    let (_dir, fleet) = generated(true);
    let revoked_codes = |r: &Run| lines(r).0["devices/faults/revoked.pem"].1.clone();
    let summary_codes = |r: &Run| -> Vec<String> {
        lines(r).1["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    // Revoked (on the current CRL), and not revoked without one.
    let r = fleet_run(
        &fleet,
        &["--crl", "ca/crl.pem", "--jsonl", "devices/faults"],
    );
    assert_eq!(revoked_codes(&r), ["revoked"]);
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("faults/revoked.pem"))
        .expect("line");
    assert!(
        line.contains("2026-03-01T00:00:00Z (keyCompromise)"),
        "{line}"
    );
    assert_eq!(summary_codes(&r), Vec::<String>::new());
    let r = fleet_run(&fleet, &["--jsonl", "devices/faults"]);
    assert_eq!(revoked_codes(&r), Vec::<String>::new());
    // An expired CRL still counts, and says it is late.
    let r = fleet_run(
        &fleet,
        &["--crl", "ca/crl-expired.pem", "--jsonl", "devices/faults"],
    );
    assert_eq!(revoked_codes(&r), ["revoked"]);
    assert_eq!(summary_codes(&r), ["crl_expired"]);
    // Another CA's CRL is not used, and fails the run: revocation was not checked.
    let r = fleet_run(
        &fleet,
        &["--crl", "ca/crl-other-ca.pem", "--jsonl", "keys/clean.pem"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(summary_codes(&r), ["crl_not_signed_by_ca"]);
    let r = fleet_run(
        &fleet,
        &["--crl", "ca/crl-other-ca.pem", "--jsonl", "devices/faults"],
    );
    assert_eq!(revoked_codes(&r), Vec::<String>::new());
    // A file that is no CRL is a finding; a missing one is exit 2.
    let r = fleet_run(&fleet, &["--crl", "ca/ca.pem", "--jsonl", "keys/clean.pem"]);
    assert_eq!(r.code, 1);
    assert_eq!(summary_codes(&r), ["crl_unreadable"]);
    let r = fleet_run(&fleet, &["--crl", "ca/missing.crl", "devices"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("iotcheck: ca/missing.crl: no such file"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn verify_chain_with_a_crl() {
    let (_dir, fleet) = generated(true);
    let verify = |crl: &str, cert: &str| {
        let r = run_cmd(iotcheck().current_dir(&fleet.root).args([
            "verify-chain",
            "--ca",
            "ca/ca.pem",
            "--at",
            AT_FLEET,
            "--crl",
            crl,
            "--json",
            cert,
        ]));
        let json = r.json();
        let codes: Vec<String> = json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        (r.code, codes, json)
    };
    let (code, codes, json) = verify("ca/crl.pem", "devices/faults/revoked.pem");
    assert_eq!(code, 1);
    assert_eq!(codes[0], "revoked", "{codes:?}");
    assert!(json["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("keyCompromise"));
    let (code, codes, _) = verify("ca/crl.pem", "keys/clean.pem");
    assert_eq!(code, 0, "{codes:?}");
    assert!(!codes.contains(&"revoked".to_string()));
    let (code, codes, _) = verify("ca/crl-expired.pem", "devices/faults/revoked.pem");
    assert_eq!(code, 1);
    assert!(
        codes.contains(&"revoked".into()) && codes.contains(&"crl_expired".into()),
        "{codes:?}"
    );
    let (code, codes, _) = verify("ca/crl-expired.pem", "keys/clean.pem");
    assert_eq!(code, 0, "an expired CRL is a warning: {codes:?}");
    let (code, codes, _) = verify("ca/crl-other-ca.pem", "devices/faults/revoked.pem");
    assert_eq!(code, 1);
    assert!(
        codes.contains(&"crl_not_signed_by_ca".into()) && !codes.contains(&"revoked".into()),
        "{codes:?}"
    );
}

#[test]
fn device_with_a_crl() {
    let (_dir, fleet) = generated(true);
    let device = |crl: &str, cert: &str, key: &str| {
        let r = run_cmd(iotcheck().current_dir(&fleet.root).args([
            "device",
            "--ca",
            "ca/ca.pem",
            "--at",
            AT_FLEET,
            "--crl",
            crl,
            "--json",
            "--cert",
            cert,
            "--key",
            key,
        ]));
        let codes: Vec<String> = r.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        (r.code, codes)
    };
    let (code, codes) = device(
        "ca/crl.pem",
        "devices/faults/revoked.pem",
        "keys/revoked.key",
    );
    assert_eq!((code, codes), (1, vec!["revoked".to_string()]));
    let (code, codes) = device("ca/crl.pem", "keys/clean.pem", "keys/clean.key");
    assert_eq!((code, codes), (0, vec![]));
    let (code, codes) = device(
        "ca/crl-expired.pem",
        "devices/faults/revoked.pem",
        "keys/revoked.key",
    );
    assert_eq!(
        (code, codes),
        (1, vec!["revoked".to_string(), "crl_expired".to_string()])
    );
    let (code, codes) = device("ca/crl-other-ca.pem", "keys/clean.pem", "keys/clean.key");
    assert_eq!((code, codes), (1, vec!["crl_not_signed_by_ca".to_string()]));
}

#[test]
fn json_is_one_object_with_every_file_and_the_summary() {
    let (_dir, fleet) = generated(true);
    let r = fleet_run(&fleet, &["--crl", "ca/crl.pem", "--json", "devices"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout.lines().count(), 1);
    let json = r.json();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["command"], "fleet");
    let files = json["files"].as_array().expect("files");
    assert_eq!(json["summary"]["files"], files.len());
    assert_eq!(
        files.len(),
        30 + fleet.planted.len(),
        "the clean and the planted"
    );
    assert!(files.iter().all(|f| f.get("type").is_none()));
}

#[test]
fn the_prometheus_textfile_is_read_by_a_real_parser() {
    let (dir, fleet) = generated(true);
    let prom = dir.path().join("iotcheck.prom");
    let r = fleet_run(
        &fleet,
        &[
            "--crl",
            "ca/crl-expired.pem",
            "--prometheus",
            p(&prom),
            "devices",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with("wrote "), "{}", r.stdout);
    let text = std::fs::read_to_string(&prom).expect("textfile written");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "the temporary file is renamed, not left"
    );
    // prometheus_client's own parser (pip install prometheus_client, as .ci/run does).
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.setdefault(s.name, []).append([s.labels, s.value])
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (.ci/run installs prometheus_client)");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("written");
    let out = child.wait_with_output().expect("python3 ends");
    assert!(
        out.status.success(),
        "the parser refused the textfile (is prometheus_client installed?): {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("parser's JSON");
    let value = |name: &str, ca: &str| -> f64 {
        parsed[name]
            .as_array()
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .iter()
            .find(|s| s[0]["ca"] == ca)
            .unwrap_or_else(|| panic!("no {name} for {ca}"))[1]
            .as_f64()
            .expect("number")
    };
    assert_eq!(
        value("iotcheck_fleet_certificates", "Fleet Device CA"),
        45.0
    );
    assert_eq!(
        value("iotcheck_fleet_expiring_certificates", "Fleet Device CA"),
        1.0
    );
    assert_eq!(
        value(
            "iotcheck_fleet_earliest_not_after_seconds",
            "Fleet Device CA"
        ),
        1_767_225_600.0,
        "the expired certificate's notAfter, 2026-01-01"
    );
    let findings = parsed["iotcheck_fleet_findings"]
        .as_array()
        .expect("findings");
    assert!(findings
        .iter()
        .any(|s| s[0]["code"] == "duplicate_key" && s[1] == 2.0));
    assert_eq!(parsed["iotcheck_fleet_ok"][0][1], 0.0);
    assert_eq!(
        parsed["iotcheck_fleet_input_findings"][0][0]["code"],
        "crl_expired"
    );
}

#[test]
fn symbolic_links_inside_directories_are_not_followed() {
    let (dir, fleet) = generated(false);
    let devices = &fleet.devices;
    let first = devices.join(format!("000/{}.pem", fleet_gen::thing(0)));
    std::os::unix::fs::symlink(&first, devices.join("000/link.pem")).expect("link");
    std::os::unix::fs::symlink(devices, devices.join("000/loop")).expect("loop");
    let r = fleet_run(&fleet, &["--jsonl", "devices"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let (files, summary) = lines(&r);
    assert_eq!(files.len(), 30);
    assert_eq!(summary["symlinks_skipped"], 2);
    // A link named on the command line is followed.
    let r = fleet_run(&fleet, &["--jsonl", p(&devices.join("000/link.pem"))]);
    assert_eq!(lines(&r).0.len(), 1);
    drop(dir);
}

#[test]
fn bad_usage_and_unreadable_inputs_are_exit_2() {
    let (_dir, fleet) = generated(false);
    for (args, expected) in [
        (
            &["--jsonl", "nowhere"][..],
            "iotcheck: nowhere: no such file or directory",
        ),
        (
            &["--thing-pattern", "Thing-(", "devices"][..],
            "iotcheck: --thing-pattern is not a valid",
        ),
        (
            &["--jsonl", "--json", "devices"][..],
            "iotcheck: fleet: the argument '--jsonl'",
        ),
    ] {
        let r = fleet_run(&fleet, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with(expected), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    }
    let r = run_cmd(
        iotcheck()
            .current_dir(&fleet.root)
            .args(["fleet", "devices"]),
    );
    assert_eq!(r.code, 2, "--ca is required");
    let r = run_cmd(iotcheck().current_dir(&fleet.root).args([
        "fleet",
        "--ca",
        "ca/none.pem",
        "devices",
    ]));
    assert_eq!(r.code, 2);
}

#[test]
fn a_prometheus_path_that_is_not_a_file_is_exit_2_before_the_run() {
    let (dir, fleet) = generated(false);
    // The textfile is renamed into place: over a named pipe, a socket or a device node (as
    // root, /dev/null) the rename would replace the node itself.
    let fifo = dir.path().join("metrics.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let socket = dir.path().join("metrics.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket");
    let missing = dir.path().join("missing/iotcheck.prom");
    for (target, expected) in [
        (&fifo, "is a named pipe (FIFO), not a regular file"),
        (&socket, "is a socket, not a regular file"),
        (&dir.path().to_path_buf(), "is a directory"),
        (&missing, "cannot be written: its directory does not exist"),
    ] {
        let r = fleet_run(&fleet, &["--prometheus", p(target), "devices"]);
        assert_eq!(r.code, 2, "{target:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stdout, "", "nothing is judged before the check");
        assert!(
            r.stderr
                .starts_with(&format!("iotcheck: {}: {expected}", p(target))),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    use std::os::unix::fs::FileTypeExt;
    let kept = std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type();
    assert!(kept.is_fifo(), "the named pipe is left as it was");
    assert!(std::fs::symlink_metadata(&socket)
        .expect("still there")
        .file_type()
        .is_socket());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left");
}

#[test]
fn human_fleet_summary() {
    let (_dir, fleet) = generated(true);
    let r = fleet_run(
        &fleet,
        &[
            "--crl",
            "ca/crl.pem",
            "--thing-pattern",
            THING_PATTERN,
            "devices",
        ],
    );
    assert_eq!(r.code, 1);
    // Names, serials, dates and faults are fixed by the seed: the summary is stable.
    insta::assert_snapshot!(r.stdout);
}

/// `cmd` run as the unprivileged user `nobody` when the tests run as root (as root, no
/// directory mode keeps a reader out), else as it is.
fn unprivileged(cmd: &Command, probe: &Path) -> Command {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata(probe).expect("probe").uid() == 0;
    if !root {
        let mut same = Command::new(cmd.get_program());
        same.args(cmd.get_args());
        copy_env_and_dir(cmd, &mut same);
        return same;
    }
    // setpriv (util-linux) drops to nobody without a login shell; were it missing, the test
    // fails here rather than passing as root, where every directory is readable.
    let mut dropped = Command::new("setpriv");
    dropped
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    copy_env_and_dir(cmd, &mut dropped);
    dropped
}

fn copy_env_and_dir(from: &Command, to: &mut Command) {
    for (name, value) in from.get_envs() {
        match value {
            Some(value) => to.env(name, value),
            None => to.env_remove(name),
        };
    }
    if let Some(dir) = from.get_current_dir() {
        to.current_dir(dir);
    }
    to.stdin(std::process::Stdio::null());
}

#[test]
fn an_unreadable_directory_or_file_fails_the_run_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, fleet) = generated(false);
    // The unprivileged reader must reach the fleet; only the two paths below are shut.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let locked = fleet.devices.join("locked");
    std::fs::create_dir(&locked).unwrap();
    let first = fleet.devices.join(&fleet.clean[0]);
    std::fs::copy(&first, locked.join("inside.pem")).unwrap();
    let shut = fleet.devices.join("shut.pem");
    std::fs::copy(&first, &shut).unwrap();
    std::fs::set_permissions(&shut, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();

    let mut cmd = iotcheck();
    cmd.current_dir(&fleet.root).args([
        "fleet",
        "--ca",
        "ca/ca.pem",
        "--at",
        AT_FLEET,
        "--jsonl",
        "devices",
    ]);
    let r = run_cmd(&mut unprivileged(&cmd, &fleet.ca));
    assert_eq!(
        r.code, 1,
        "the audit is incomplete: {}{}",
        r.stdout, r.stderr
    );
    let (files, summary) = lines(&r);
    for path in ["devices/locked", "devices/shut.pem"] {
        let (verdict, codes) = &files[path];
        assert_eq!(
            (verdict.as_str(), codes.as_slice()),
            ("fail", &["path_unreadable".to_string()][..]),
            "{path}"
        );
        let line = r
            .stdout
            .lines()
            .find(|l| l.contains(&format!("\"file\":\"{path}\"")))
            .expect("line");
        assert!(line.contains("permission denied"), "{line}");
        assert!(line.contains("the audit is incomplete"), "{line}");
    }
    assert_eq!(summary["verdict"], "fail");

    // The same fleet read by root, when the tests run as root: everything is judged.
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata(&fleet.ca).unwrap().uid() == 0 {
        let r = run_cmd(&mut cmd);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let (files, _) = lines(&r);
        assert_eq!(files["devices/locked/inside.pem"].0, "ok");
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn same_name_decoy_cas_before_the_real_one_are_no_mismatch() {
    let (_dir, fleet) = generated(false);
    // 100 CAs of the device CA's name, then the real one, in one --ca file.
    let mut bundle = fleet_gen::decoy_cas(100).expect("decoys");
    bundle.push_str(&std::fs::read_to_string(&fleet.ca).expect("the CA"));
    std::fs::write(fleet.root.join("ca/bundle.pem"), bundle).expect("bundle written");
    let r = run_cmd(iotcheck().current_dir(&fleet.root).args([
        "fleet",
        "--ca",
        "ca/bundle.pem",
        "--at",
        AT_FLEET,
        "--jsonl",
        "devices",
    ]));
    let (files, _) = lines(&r);
    // The fleet's certificates carry no authority key identifier, so only signatures can
    // tell 101 CAs of one name apart; past the budget that is said, never "another CA".
    for (file, (_, codes)) in &files {
        assert!(
            !codes.contains(&"device_ca_mismatch".to_string()),
            "{file}: {codes:?}"
        );
        assert_eq!(codes, &["path_too_complex"], "{file}");
    }
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("path_too_complex"))
        .expect("a line");
    assert!(
        line.contains("101 CAs given carry the issuer's name"),
        "{line}"
    );

    // The summary's `trusting` line names a few of the 101 and counts the rest.
    let r = run_cmd(iotcheck().current_dir(&fleet.root).args([
        "fleet",
        "--ca",
        "ca/bundle.pem",
        "--at",
        AT_FLEET,
        "devices",
    ]));
    let trusting = r
        .stdout
        .lines()
        .find(|l| l.starts_with("trusting"))
        .expect("trusting line");
    assert!(trusting.contains("… and 96 more"), "{trusting}");
    assert!(trusting.len() < 300, "{trusting}");
}

#[test]
fn file_names_that_are_not_utf8_print_byte_exact_and_escaped() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let (_dir, fleet) = generated(false);
    let odd = fleet.root.join("odd");
    std::fs::create_dir(&odd).unwrap();
    let clean = fleet.devices.join(&fleet.clean[0]);
    // Two names a lossy conversion prints alike ("a\u{fffd}.pem"), and one that holds the
    // text of an escape.
    for name in [&b"a\xff.pem"[..], b"a\xfe.pem", b"a\\xff.pem"] {
        std::fs::copy(&clean, odd.join(OsStr::from_bytes(name))).unwrap();
    }
    let r = fleet_run(&fleet, &["--jsonl", "odd"]);
    let (files, _) = lines(&r);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [r"odd/a\\xff.pem", r"odd/a\xfe.pem", r"odd/a\xff.pem"]
    );
    assert!(!r.stdout.contains('\u{fffd}'));
    // The copies name each other as exactly.
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains(r#""file":"odd/a\\xfe.pem""#))
        .expect("line");
    assert!(
        line.contains(r"odd/a\\xff.pem") && line.contains(r"odd/a\\\\xff.pem"),
        "{line}"
    );
    // In words too.
    let r = fleet_run(&fleet, &["odd"]);
    assert!(
        r.stdout.contains(r"odd/a\xfe.pem, odd/a\xff.pem"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('\u{fffd}'));
}

//! Local input that is damaged or hostile: key material never reaches an error or a report,
//! every command exits 2 with one line, and nothing is read without bound.

use crate::common::{fixture, iotcheck, run, run_cmd, run_within, with_stdin, Run, AT};

/// Planted in every damaged key below, where the pem crate's own error would quote it. Valid
/// base64 (64 characters), so it reads like a line of key material.
const MARKER: &str = "U2VjcmV0S2V5TWF0ZXJpYWxNYXJrZXJabWxpYmFyOTg3NjU0MzIxMHF3ZXJ0eXVp";

/// A SEC1 key's lines with the marker as its first base64 line.
fn key_lines() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("device/ec-sec1.key")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = MARKER.to_string();
    lines
}

fn joined(lines: &[String]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

/// Damaged key files, each holding the marker: (what is damaged, bytes).
fn damaged_keys() -> Vec<(&'static str, Vec<u8>)> {
    let lines = key_lines();
    let last = lines.len() - 1;
    let with = |edit: &dyn Fn(&mut Vec<String>)| {
        let mut l = lines.clone();
        edit(&mut l);
        joined(&l)
    };
    let mut der = vec![0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x01, 0x04, 0x40];
    der.extend_from_slice(MARKER.as_bytes());
    let mut binary = vec![0x00, 0xff, 0x13];
    binary.extend_from_slice(MARKER.as_bytes());
    binary.extend_from_slice(&[0xfe; 16]);
    let mut not_utf8 = joined(&lines);
    not_utf8.splice(40..40, [0xff, 0xfe]);
    vec![
        (
            "blank line before END",
            with(&|l| l.insert(last, String::new())),
        ),
        ("blank line inside", with(&|l| l.insert(2, String::new()))),
        ("blank lines with CRLF", {
            let mut l = lines.clone();
            l.insert(2, String::new());
            l.join("\r\n").into_bytes()
        }),
        (
            "END label mismatch",
            with(&|l| l[last] = "-----END PRIVATE KEY-----".into()),
        ),
        (
            "END label is key text",
            with(&|l| l[last] = format!("-----END {MARKER}-----")),
        ),
        (
            "BEGIN label is empty",
            with(&|l| l[0] = "-----BEGIN -----".into()),
        ),
        (
            "END line cut",
            with(&|l| l[last] = "-----END EC PRIVATE KEY".into()),
        ),
        ("no END line", with(&|l| l.truncate(last))),
        (
            "broken header line",
            with(&|l| {
                l.insert(1, format!("DEK-Info {MARKER}"));
                l.insert(2, String::new());
            }),
        ),
        (
            "header then key text",
            with(&|l| {
                l.insert(1, "Proc-Type: 4,ENCRYPTED".into());
                l.insert(2, MARKER.into());
                l.insert(3, String::new());
            }),
        ),
        (
            "not base64",
            with(&|l| l[1] = format!("{}*{}", &MARKER[..30], &MARKER[30..])),
        ),
        (
            "last symbol",
            with(&|l| l[2] = format!("{}=", &l[2][..l[2].len() - 1])),
        ),
        ("not UTF-8", not_utf8),
        ("second block damaged", {
            let mut good = std::fs::read(fixture("device/ec.key")).unwrap();
            good.extend(with(&|l| l.insert(last, String::new())));
            good
        }),
        ("first block without END", {
            let mut bytes = with(&|l| l.truncate(last));
            bytes.extend(std::fs::read(fixture("device/ec.key")).unwrap());
            bytes
        }),
        ("DER-ish with key text", der),
        ("binary with key text", binary),
        (
            "text without a block",
            format!("{MARKER}\n{MARKER}\n").into_bytes(),
        ),
    ]
}

/// Every way a file's bytes reach iotcheck, with `P` for the damaged file. Endpoint runs name
/// a closed loopback port: loading fails before connecting, or the exit code would be 3.
fn command_lines() -> Vec<Vec<String>> {
    let cert = fixture("device/ec.pem");
    let key = fixture("device/ec.key");
    let lines: Vec<Vec<&str>> = vec![
        vec!["inspect", "P"],
        vec!["inspect", "--json", "P"],
        vec!["verify-chain", "--at", AT, "P"],
        vec!["verify-chain", "--at", AT, "--json", &cert, "P"],
        vec!["verify-chain", "--at", AT, "--ca", "P", &cert],
        vec!["device", "--at", AT, "--cert", "P", "--key", &key],
        vec!["device", "--at", AT, "--cert", &cert, "--key", "P"],
        vec![
            "device", "--at", AT, "--json", "--cert", &cert, "--key", "P",
        ],
        vec![
            "device", "--at", AT, "--cert", &cert, "--key", &key, "--ca", "P",
        ],
        vec!["endpoint", "127.0.0.1:9", "--cert", &cert, "--key", "P"],
        vec!["endpoint", "127.0.0.1:9", "--cert", "P", "--key", &key],
        vec!["endpoint", "127.0.0.1:9", "--ca", "P"],
    ];
    lines
        .into_iter()
        .map(|l| l.into_iter().map(str::to_string).collect())
        .collect()
}

fn assert_clean(what: &str, args: &[String], r: &Run) {
    assert!(
        !r.stdout.contains(MARKER) && !r.stderr.contains(MARKER),
        "{what}: {args:?} shows key material:\n{}{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(r.code, 2, "{what}: {args:?}: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{what}: {args:?}: {}", r.stdout);
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "{what}: {args:?}: {}",
        r.stderr
    );
    assert!(r.stderr.starts_with("iotcheck: "), "{}", r.stderr);
}

#[test]
fn damaged_key_files_never_show_key_material() {
    let dir = tempfile::tempdir().unwrap();
    for (what, bytes) in damaged_keys() {
        let path = dir.path().join("damaged.key");
        std::fs::write(&path, &bytes).unwrap();
        let path = path.to_string_lossy().into_owned();
        for line in command_lines() {
            let args: Vec<String> = line
                .iter()
                .map(|a| if a == "P" { path.clone() } else { a.clone() })
                .collect();
            assert_clean(what, &args, &run_cmd(iotcheck().args(&args)));
            // The same bytes through standard input, where the command takes it.
            if !line.contains(&"--ca".to_string()) && !line[0].starts_with("endpoint") {
                let args: Vec<String> = line
                    .iter()
                    .map(|a| if a == "P" { "-".into() } else { a.clone() })
                    .collect();
                assert_clean(what, &args, &with_stdin(&args, &bytes));
            }
        }
    }
}

#[test]
fn damage_is_located_by_block_line_and_label() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "blank line before END",
            "PEM block 1 (EC PRIVATE KEY, line 1) has a blank line inside it (line 5)",
        ),
        (
            "END label mismatch",
            "ends with an END line for another label (PRIVATE KEY, line 5)",
        ),
        (
            "END label is key text",
            "ends with an END line whose label differs from its BEGIN line (line 5)",
        ),
        ("no END line", "has no END line"),
        ("broken header line", "has a damaged header line (line 2)"),
        ("not base64", "has a character that is not base64 (line 2)"),
        (
            "second block damaged",
            "PEM block 2 (EC PRIVATE KEY, line 6) has a blank line inside it (line 10)",
        ),
        (
            "first block without END",
            "PEM block 1 (EC PRIVATE KEY, line 1) has no END line",
        ),
    ];
    let keys = damaged_keys();
    for (what, expected) in cases {
        let bytes = &keys.iter().find(|(w, _)| w == what).unwrap().1;
        let path = dir.path().join("k.pem");
        std::fs::write(&path, bytes).unwrap();
        let r = run(&["inspect", &path.to_string_lossy()]);
        assert_eq!(r.code, 2, "{what}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{what}: {}", r.stderr);
    }
}

fn assert_refused(r: &Run, file: &str, words: &str) {
    assert_eq!(r.code, 2, "{file}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{file}: {}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{file}: {}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!("iotcheck: {file}: ")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(words), "{file}: {}", r.stderr);
}

#[test]
fn special_files_are_refused_without_reading() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.pem");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo = fifo.to_string_lossy().into_owned();
    let cert = fixture("device/ec.pem");
    let dir_name = dir.path().to_string_lossy().into_owned();
    for (file, words) in [
        (fifo.as_str(), "is a named pipe (FIFO), not a regular file"),
        ("/dev/zero", "is a device, not a regular file"),
        (dir_name.as_str(), "is a directory"),
    ] {
        for args in [
            vec!["inspect", file],
            vec!["verify-chain", "--at", AT, file],
            vec!["verify-chain", "--at", AT, "--ca", file, &cert],
            vec!["device", "--at", AT, "--cert", &cert, "--key", file],
            vec!["endpoint", "127.0.0.1:9", "--cert", &cert, "--key", file],
        ] {
            assert_refused(&run_within(&args, 10), file, words);
        }
    }
}

#[test]
fn inputs_beyond_16_mib_are_refused() {
    const MIB: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    // Sparse files: the size costs no disk.
    let big = dir.path().join("big.pem");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(16 * MIB + 1)
        .unwrap();
    let big = big.to_string_lossy().into_owned();
    assert_refused(
        &run_within(&["inspect", &big], 20),
        &big,
        "is larger than 16 MiB",
    );
    // Exactly the cap is read (and then judged for what it holds).
    let limit = dir.path().join("limit.bin");
    std::fs::File::create(&limit)
        .unwrap()
        .set_len(16 * MIB)
        .unwrap();
    let limit = limit.to_string_lossy().into_owned();
    let r = run_within(&["inspect", &limit], 20);
    assert_refused(&r, &limit, "neither PEM nor DER");

    let bytes = vec![b'A'; (16 * MIB + 4096) as usize];
    let args: Vec<String> = vec!["inspect".into(), "-".into()];
    assert_refused(
        &with_stdin(&args, &bytes),
        "<stdin>",
        "is larger than 16 MiB",
    );
}

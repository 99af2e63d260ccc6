//! What ships beside the verdicts: completions and man pages generated from the clap
//! definitions, the help's examples and exit codes, and the version a support ticket quotes.

use std::io::Write;
use std::process::{Command, Stdio};

use clap::{CommandFactory, Parser};
use iotcheck::cli::Cli;

use crate::common::*;

/// Every command the help lists (not clap's own `help`), from the definitions themselves, so
/// that a command added later is checked too.
fn command_names() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

#[test]
fn completions_generate_for_every_shell_and_name_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{shell}: {}", r.stderr);
        for name in command_names() {
            assert!(r.stdout.contains(&name), "{shell} completion lacks {name}");
        }
        // Options of a command are completed too.
        assert!(r.stdout.contains("brief"), "{shell}");
    }
    let r = run(&["completions", "tcsh"]);
    assert_eq!(r.code, 2);
}

/// groff's warnings (all of them, -ww) on a page, with its output thrown away (-z).
fn groff_warnings(page: &str) -> String {
    let mut child = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff runs (bash .ci/run installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("page written to groff");
    let out = child.wait_with_output().expect("groff ends");
    assert!(out.status.success(), "groff failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn man_pages_are_valid_roff_with_examples_and_exit_status() {
    let mut pages = vec![(String::from("iotcheck"), run(&["man"]))];
    for name in command_names() {
        pages.push((name.clone(), run(&["man", &name])));
    }
    for (name, r) in pages {
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert!(
            r.stdout.starts_with(".ie") || r.stdout.contains("\n.TH "),
            "{name}"
        );
        assert!(r.stdout.contains(".SH EXAMPLES"), "{name}");
        assert!(r.stdout.contains(".SH \"EXIT STATUS\""), "{name}");
        assert_eq!(groff_warnings(&r.stdout), "", "{name}: groff warns");
    }
    let r = run(&["man", "no-such-command"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("iotcheck: man: no command"),
        "{}",
        r.stderr
    );
}

#[test]
fn man_out_writes_every_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("man1");
    let r = run(&["man", "--out", out.to_str().expect("UTF-8 temp path")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("man1 made")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = command_names()
        .iter()
        .map(|c| format!("iotcheck-{c}.1"))
        .chain(["iotcheck.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(files, expected);
}

/// The EXAMPLES lines of a command's help.
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "EXAMPLES:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn every_help_ends_with_examples_that_parse_and_the_exit_codes() {
    for name in command_names() {
        let r = run(&[&name, "--help"]);
        assert_eq!(r.code, 0, "{name}");
        let found = examples(&r.stdout);
        assert!(
            (2..=4).contains(&found.len()),
            "{name}: {} examples:\n{}",
            found.len(),
            r.stdout
        );
        for example in found {
            // The shell's part (a pipe into or out of it, a redirection, environment
            // assignments before it) is not iotcheck's.
            let command = example
                .split('|')
                .map(str::trim)
                .find(|part| part.contains("iotcheck"))
                .and_then(|part| part.split('>').next())
                .unwrap_or("");
            let words: Vec<String> = shlex::split(command)
                .unwrap_or_else(|| panic!("{name}: `{example}` is not shell words"))
                .into_iter()
                .skip_while(|word| word.contains('=') && !word.starts_with('-'))
                .collect();
            assert_eq!(words[..2], ["iotcheck", name.as_str()], "{example}");
            if let Err(e) = Cli::try_parse_from(&words) {
                panic!("{name}: the example `{example}` does not parse: {e}");
            }
        }
        let exit_codes = r
            .stdout
            .split("EXIT CODES:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no EXIT CODES in\n{}", r.stdout));
        assert!(
            exit_codes
                .lines()
                .filter(|l| !l.is_empty())
                .all(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())),
            "{name}: the help ends with the exit codes:\n{}",
            r.stdout
        );
    }
}

/// The examples of the help are the docs', so that neither drifts from the other: the top-level
/// help's are in the README, each command's on its page under docs/ (completions and man pages
/// share the page of `version`).
#[test]
fn every_help_example_is_in_the_docs() {
    let read = |page: &str| {
        std::fs::read_to_string(format!("{}/{page}", env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_else(|e| panic!("{page}: {e}"))
    };
    let mut helps = vec![("README.md".to_string(), run(&["--help"]).stdout)];
    for command in command_names() {
        let page = match command.as_str() {
            "completions" | "man" => "version",
            other => other,
        };
        helps.push((format!("docs/{page}.md"), run(&[&command, "--help"]).stdout));
    }
    for (page, help) in helps {
        let text = read(&page);
        for example in examples(&help) {
            assert!(
                text.lines().any(|l| l.trim() == example),
                "{page} lacks the help's example `{example}`"
            );
        }
    }
}

#[test]
fn the_help_lists_commands_in_the_order_a_field_engineer_needs_them() {
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let ours = [
        "endpoint",
        "device",
        "verify-chain",
        "inspect",
        "csr",
        "version",
        "completions",
        "man",
    ];
    let positions: Vec<usize> = ours
        .iter()
        .map(|c| {
            listed
                .iter()
                .position(|l| l == c)
                .unwrap_or_else(|| panic!("{c} not listed: {listed:?}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "order: {listed:?}"
    );
}

#[test]
fn version_json_names_the_build_the_tls_stack_and_the_five_anchors() {
    let r = run(&["version", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["command"], "version");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let commit = json["commit"].as_str().expect("commit");
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    assert_eq!(json["crypto"]["provider"], "aws-lc-rs");
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock");
    for (key, package) in [
        ("/rustls", "rustls"),
        ("/rustls_webpki", "rustls-webpki"),
        ("/crypto/version", "aws-lc-rs"),
    ] {
        let version = json.pointer(key).and_then(|v| v.as_str()).expect(key);
        let entry = format!("name = \"{package}\"\nversion = \"{version}\"\n");
        assert!(
            lock.contains(&entry),
            "{package} {version} is not in Cargo.lock"
        );
    }
    let anchors = json["anchors"].as_array().expect("anchors");
    let names: Vec<&str> = anchors
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Amazon Root CA 1",
            "Amazon Root CA 2",
            "Amazon Root CA 3",
            "Amazon Root CA 4",
            "Starfield Services Root Certificate Authority - G2"
        ]
    );
    assert_eq!(
        anchors[0]["sha256"],
        "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e"
    );
    assert_eq!(anchors[0]["not_after"], "2038-01-17T00:00:00Z");
}

#[test]
fn version_flags_short_and_long() {
    let short = run(&["-V"]);
    assert_eq!(short.code, 0);
    assert_eq!(short.stdout.lines().count(), 1, "{}", short.stdout);
    assert!(short
        .stdout
        .starts_with(&format!("iotcheck {} (", env!("CARGO_PKG_VERSION"))));

    let long = run(&["--version"]);
    assert_eq!(long.code, 0);
    for needle in [
        "commit",
        "rustls 0.23",
        "rustls-webpki 0.103",
        "aws-lc-rs",
        "Amazon Root CA 4",
    ] {
        assert!(long.stdout.contains(needle), "{needle} in\n{}", long.stdout);
    }
    // `iotcheck version` says the same.
    assert_eq!(run(&["version"]).stdout, long.stdout);
}

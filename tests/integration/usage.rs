//! Usage errors have the one documented shape; help and version stay as they are.

use crate::common::run;

#[test]
fn clap_errors_are_one_line_in_the_documented_shape() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["verify-chain", "--foo", "x.pem"],
            "iotcheck: verify-chain: unexpected argument '--foo' found",
        ),
        (
            &["verify-chain", "--jsn", "x.pem"],
            "a similar argument exists: '--json'",
        ),
        (
            &["device", "--cert"],
            "iotcheck: device: a value is required for '--cert <FILE>'",
        ),
        (&["device"], "not provided: --cert <FILE>, --key <FILE>"),
        (
            &["csr", "--thing", "a", "--key-type", "ec"],
            "iotcheck: csr: invalid value 'ec' for '--key-type <KEY_TYPE>'",
        ),
        (
            &["endpoint", "h", "--timeout", "abc"],
            "iotcheck: endpoint: invalid value 'abc' for '--timeout <SECS>'",
        ),
        (
            &["verfy-chain"],
            "iotcheck: arguments: unrecognized subcommand 'verfy-chain'",
        ),
    ];
    for (args, expected) in cases {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {}", r.stderr);
        assert!(lines[0].starts_with("iotcheck: "), "{}", r.stderr);
        assert!(lines[0].contains(expected), "{args:?}: {}", r.stderr);
        let help = match args[0] {
            "verfy-chain" => "try 'iotcheck --help'".to_string(),
            command => format!("try 'iotcheck {command} --help'"),
        };
        assert_eq!(lines[1], help);
    }
}

#[test]
fn help_and_version_go_to_stdout_with_exit_0() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["verify-chain", "--help"],
        &["help", "csr"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 0, "{args:?}");
        assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
        assert!(r.stdout.contains("iotcheck"), "{args:?}");
    }
    let r = run(&["verify-chain", "--help"]);
    assert!(r.stdout.lines().count() > 10, "{}", r.stdout);
}

//! The catalogue held to its own data: sound, every entry recognised in its example and in
//! the variants a log gives it, and nothing recognised in the near misses.

use super::*;

fn ids(text: &str) -> Vec<&'static str> {
    let catalogue = catalogue();
    matcher()
        .match_line(text)
        .iter()
        .map(|h| catalogue.entries[h.entry].id.as_str())
        .collect()
}

fn recognised(text: &str, id: &str) -> bool {
    ids(text).contains(&id)
}

#[test]
fn the_catalogue_is_sound() {
    let catalogue = Catalogue::parse(CATALOGUE_TOML).expect("the catalogue parses");
    assert_eq!(catalogue.problems(), Vec::<String>::new());
    assert!(
        catalogue.entries.len() >= 150,
        "{} entries",
        catalogue.entries.len()
    );
    for stack in &catalogue.stacks {
        assert!(
            catalogue.entries.iter().any(|e| e.stack == stack.id),
            "stack {} has no entry",
            stack.id
        );
    }
    let matcher = Matcher::new(&catalogue).expect("every pattern compiles");
    let mut scan = matcher.scan();
    scan.feed(b"the scan's automaton builds\n");
}

#[test]
fn validation_names_what_is_wrong() {
    let text = r#"
        [[stacks]]
        id = "s"
        name = "S"

        [[entry]]
        id = "s-a"
        stack = "s"
        message = "m"
        match = ["x"]
        patterns = [{ trigger = "abc", regex = "(" }]
        example = "e"
        sources = ["http://insecure.example"]
        cause = [{ cause = "c", checks = [] }]

        [[entry]]
        id = "s-a"
        stack = "t"
        message = "m"
        match = ["long enough"]
        example = "e"
        sources = []
        cause = []
    "#;
    let problems = Catalogue::parse(text).unwrap().problems();
    for expected in [
        "literal \"x\" is too short",
        "pattern \"(\"",
        "trigger \"abc\" is too short",
        "a cause without a check",
        "is not an https URL",
        "duplicate id",
        "the id does not start with its stack",
        "unknown stack \"t\"",
        "no cause",
        "no source",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected:?} not in {problems:#?}"
        );
    }
    // A check outside the vocabulary does not even parse.
    assert!(Catalogue::parse(&text.replace("checks = []", "checks = [\"ping\"]")).is_err());
}

#[test]
fn every_entry_is_recognised_in_its_example() {
    for e in &catalogue().entries {
        assert!(
            recognised(&e.example, &e.id),
            "{} not recognised in its example {:?}: {:?}",
            e.id,
            e.example,
            ids(&e.example)
        );
    }
}

/// The example with every number token spelled another way: hex as negative decimal,
/// negative decimal as hex, and the other way round.
fn respelled(text: &str) -> String {
    let re = regex::Regex::new(r"(?i)(^|[^0-9a-z_])(-?)(0x[0-9a-f]+|[0-9]+)\b").unwrap();
    re.replace_all(text, |c: &regex::Captures| {
        let (before, minus, number) = (&c[1], &c[2], &c[3]);
        let lower = number.to_ascii_lowercase();
        let respelled = if let Some(hex) = lower.strip_prefix("0x") {
            match u64::from_str_radix(hex, 16) {
                Ok(v) if hex.len() == 8 && v >= 0x8000_0000 => format!("-{}", 0x1_0000_0000 - v),
                Ok(v) => format!("-{v}"),
                Err(_) => format!("{minus}{number}"),
            }
        } else if minus == "-" {
            match number.parse::<u64>() {
                Ok(v) => format!("-0x{v:X}"),
                Err(_) => format!("{minus}{number}"),
            }
        } else {
            number.to_string()
        };
        format!("{before}{respelled}")
    })
    .into_owned()
}

#[test]
fn every_entry_is_recognised_behind_log_prefixes_in_any_case_and_number_spelling() {
    let prefixes = [
        "2026-11-30T09:24:45.123Z [ERROR] (pool-2-thread-3) tag: ",
        "Nov 30 09:24:45 gateway device[812]: E (10011) ",
        "[  12.345] ",
        "I (123) app: ",
    ];
    for e in &catalogue().entries {
        let variants = [
            format!("{}{}", prefixes[e.id.len() % prefixes.len()], e.example),
            e.example.to_uppercase(),
            e.example.to_lowercase(),
            respelled(&e.example),
            format!("{} (retrying in 5 s)", e.example.trim_end()),
        ];
        for v in &variants {
            assert!(
                recognised(v, &e.id),
                "{} not recognised in {v:?}: {:?}",
                e.id,
                ids(v)
            );
        }
    }
}

#[test]
fn numbers_are_one_number_in_every_spelling() {
    for spelling in [
        "returned -0x2700",
        "returned 0x2700",
        "returned -0X2700",
        "returned -9984",
        "returned 0xFFFFD900",
        "returned -0x00002700",
    ] {
        assert_eq!(normalise(spelling), "returned 0x2700", "{spelling}");
        assert!(recognised(spelling, "mbedtls-x509-cert-verify-failed"));
    }
    assert_eq!(
        normalise("Error(-28) at 2026-11-30"),
        "error(0x1c) at 2026-11-30"
    );
    assert_eq!(normalise("port 8883, rc=5"), "port 8883, rc=5");
    assert_eq!(normalise("ab-12 x0x12"), "ab-12 x0x12");
}

#[test]
fn lines_cut_short_are_recognised_from_their_start() {
    assert!(recognised(
        "W (5123) esp-tls-mbedtls:   ! The certificate is not correctly sig",
        "mbedtls-badcert-not-trusted"
    ));
    assert!(recognised(
        "Error: unable to get local issuer cert…",
        "openssl-unable-to-get-local-issuer"
    ));
    let hits = matcher().match_line("ssl: unable to get local issuer cert...");
    assert!(hits.iter().all(|h| h.partial));
    // Too little is left to tell.
    assert!(ids("E: The certificate is").is_empty());
}

#[test]
fn several_messages_in_one_text_are_all_reported_in_order() {
    assert_eq!(
        ids("curl: (60) SSL certificate problem: unable to get local issuer certificate"),
        [
            "curl-peer-failed-verification",
            "openssl-unable-to-get-local-issuer"
        ]
    );
}

#[test]
fn a_more_specific_message_hides_the_one_inside_it() {
    // The Device Client's line holds the CRT's hang-up: the Device Client entry says more.
    let line = "[ERROR] {SharedCrtResourceManager.cpp}: MQTT Connection interrupted with error: `libaws-c-mqtt: AWS_ERROR_MQTT_UNEXPECTED_HANGUP, The connection was closed unexpectedly.`";
    assert_eq!(ids(line), ["device-client-connection-interrupted"]);
    assert_eq!(
        ids("Connection interrupted with error libaws-c-mqtt: AWS_ERROR_MQTT_UNEXPECTED_HANGUP"),
        ["aws-crt-connection-interrupted-hangup"]
    );
    assert_eq!(
        ids("[ERROR] [Transport_OpenSSL_Sockets] SSL_connect failed to perform TLS handshake."),
        ["freertos-openssl-connect-failed"]
    );
}

#[test]
fn near_misses_are_not_recognised() {
    let near_misses = [
        "",
        "connection established, CONNACK accepted",
        "mbedtls_ssl_handshake returned -0x27000",
        "mbedtls_ssl_handshake returned -0x270",
        "sensor reading 9984 mV",
        "address 0x2700abcd",
        "status 0x2700, all good",
        "ota: received chunk 12 of 40, crc 0x7a00",
        "I (101109748) esp-tls: ota: received chunk 17726 of 17726, crc 0x7f00",
        "sensor reading 17 mV, offset -9984",
        "heap at 0x3ffb2700",
        "failed, rc=50 try again",
        "failed, rc=0 connected",
        "Error(-230) connecting to host",
        "Error(23) connecting to host",
        "MQTTRecvFailedCount=0",
        "DUPLICATE_CLIENTIDS",
        "CLIENT_ERROR in the HTTP layer",
        "request THROTTLED by the gateway",
        "AUTH_ERROR: wrong wifi password",
        "\"disconnectReason\": \"NONE\"",
        "wolfSSL version 5.6.0 -188 lines read",
        "the certificate validity will be checked",
        "unable to get local",
        "PKIX path building succeeded",
        "curl: (0) ok",
        "MQTT_KEEP_ALIVE_TIMEOUTS=3",
        "2026-11-30 -0x2700isnotanumber",
    ];
    for text in near_misses {
        assert_eq!(ids(text), Vec::<&str>::new(), "{text:?}");
    }
}

#[test]
fn a_scan_counts_lines_and_keeps_first_lines_across_chunks() {
    let log = "boot\n\
        E (1) aws_iot: failed! mbedtls_ssl_handshake returned -0x2700\n\
        retry\r\n\
        E (2) aws_iot: failed! mbedtls_ssl_handshake returned -9984\n\
        \"disconnectReason\": \"DUPLICATE_CLIENTID\",\n\
        E (3) aws_iot: failed! mbedtls_ssl_handshake returned 0x2700";
    let cuts = log.match_indices('\n').map(|(i, _)| i + 1);
    for cut in cuts {
        let (first, second) = log.split_at(cut);
        let mut scan = matcher().scan();
        scan.feed(first.as_bytes());
        scan.feed(second.as_bytes());
        let (seen, _) = scan.finish();
        let mut direct = matcher().scan();
        direct.feed_every_line(first.as_bytes());
        direct.feed_every_line(second.as_bytes());
        let (direct, _) = direct.finish();
        let lines = |seen: &[Seen]| -> Vec<(usize, u64, u64)> {
            seen.iter().map(|s| (s.entry, s.line, s.count)).collect()
        };
        assert_eq!(lines(&seen), lines(&direct), "cut after byte {cut}");
        let got: Vec<(&str, u64, u64)> = seen
            .iter()
            .map(|s| (catalogue().entries[s.entry].id.as_str(), s.line, s.count))
            .collect();
        assert_eq!(
            got,
            [
                ("mbedtls-x509-cert-verify-failed", 2, 3),
                ("aws-iot-logs-duplicate-clientid", 5, 1)
            ],
            "cut after byte {cut}"
        );
    }
}

#[test]
fn the_scan_gathers_what_the_log_reveals() {
    let mut scan = matcher().scan();
    scan.feed(
        b"Connecting to abc123-ats.iot.eu-west-1.amazonaws.com:8883\n\
          --ca /certs/AmazonRootCA1.pem --cert /certs/device.pem.crt --key /certs/private.pem.key\n\
          failed! mbedtls_ssl_handshake returned -0x7780\n",
    );
    let (seen, context) = scan.finish();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        context.host.as_deref(),
        Some("abc123-ats.iot.eu-west-1.amazonaws.com")
    );
    assert_eq!(context.port, Some(8883));
    assert_eq!(context.key_file.as_deref(), Some("/certs/private.pem.key"));
}

#[test]
fn the_docs_list_every_check_and_the_count_of_every_stack() {
    let section = include_str!("../../docs/explain.md");
    let checks = section.split("## Checks").nth(1).expect("a Checks table");
    for check in Check::ALL {
        assert!(
            checks.contains(&format!("| `{}` |", check.as_str())),
            "{} missing from the checks table of docs/explain.md",
            check.as_str()
        );
    }
    let stacks = section
        .split("## Stacks covered")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Stacks covered table");
    let mut listed: Vec<usize> = stacks
        .lines()
        .filter_map(|l| l.strip_suffix(" |")?.rsplit("| ").next()?.parse().ok())
        .collect();
    let catalogue = catalogue();
    let mut counted: Vec<usize> = catalogue
        .stacks
        .iter()
        .map(|s| catalogue.entries.iter().filter(|e| e.stack == s.id).count())
        .collect();
    listed.sort_unstable();
    counted.sort_unstable();
    assert_eq!(listed, counted, "the counts per stack of docs/explain.md");
    assert!(stacks.contains(&format!("{} messages", catalogue.entries.len())));
}

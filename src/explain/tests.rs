//! The catalogue held to its own data: sound, every entry recognised in its example and in
//! the variants a log gives it, and nothing recognised in the near misses.

use super::*;

fn ids(text: &str) -> Vec<&'static str> {
    let known = &knowledge().known;
    matcher()
        .match_line(text)
        .iter()
        .map(|h| known[h.entry].id.as_str())
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
    let families = Families::parse(families::FAMILIES_TOML).expect("the families parse");
    assert_eq!(families.problems(), Vec::<String>::new());
    let tables = tables::shipped().expect("the tables parse");
    let knowledge = Knowledge::build(&catalogue, families, tables).expect("the parts fit");
    for stack in &catalogue.stacks {
        assert!(
            knowledge.known.iter().any(|k| k.stack == stack.id),
            "stack {} has no message",
            stack.id
        );
    }
    for k in &knowledge.known {
        let stack_known = catalogue.stacks.iter().any(|s| s.id == k.stack);
        assert!(
            stack_known || k.by == RecognisedBy::FamilyRule,
            "{}: unknown stack {}",
            k.id,
            k.stack
        );
    }
    let matcher = Matcher::new(&knowledge.known).expect("every pattern compiles");
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
        family = "dns"
        message = "m"
        match = ["x"]
        patterns = [{ trigger = "abc", regex = "(" }]
        example = "e"
        sources = ["http://insecure.example"]
        cause = [{ cause = "c", checks = [] }]

        [[entry]]
        id = "s-a"
        stack = "t"
        family = "dns"
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
            .map(|s| (knowledge().known[s.entry].id.as_str(), s.line, s.count))
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
    let known: Vec<&Known> = knowledge()
        .known
        .iter()
        .filter(|k| k.by == RecognisedBy::Table)
        .collect();
    let mut counted: Vec<usize> = catalogue
        .stacks
        .iter()
        .map(|s| known.iter().filter(|k| k.stack == s.id).count())
        .collect();
    listed.sort_unstable();
    counted.sort_unstable();
    assert_eq!(listed, counted, "the counts per stack of docs/explain.md");
    assert!(stacks.contains(&format!("{} messages", known.len())));
    assert!(stacks.contains(&format!("{} hand-written", catalogue.entries.len())));
}

#[test]
fn every_table_is_as_generated_and_every_row_has_a_pinned_source() {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    for (file, text) in tables::TABLES {
        let table = tables::Table::parse(file, text).unwrap();
        // A hand edit changes the rows but not the digest the extractor wrote.
        assert_eq!(
            table.declared_digest.as_deref(),
            Some(tables::Table::digest(text).as_str()),
            "{file}: the rows differ from what the extractor wrote; regenerate with tools/explain-tables/extract.py"
        );
        assert!(!table.rows.is_empty(), "{file}");
        for s in &table.sources {
            assert!(s.repository.contains('/'), "{file}: {s:?}");
            assert!(
                !s.path.is_empty() && !s.reference.is_empty(),
                "{file}: {s:?}"
            );
            // A commit, or a release read from its installed files, pinned by its tag.
            assert!(
                hex(&s.commit, 40) || (s.commit == "-" && s.reference.contains(char::is_numeric)),
                "{file}: source {} is not pinned",
                s.id
            );
            assert!(hex(&s.sha256, 64), "{file}: source {} has no digest", s.id);
        }
        let families = &knowledge().families;
        for row in &table.rows {
            assert!(
                families.index(&row.family).is_some(),
                "{file}: {} has an unknown family {}",
                row.name,
                row.family
            );
            assert!(!row.name.is_empty(), "{file}: a row without a name");
        }
    }
}

#[test]
fn the_docs_list_every_table_with_its_row_count() {
    let docs = include_str!("../../docs/explain.md");
    let section = docs
        .split("## Error tables")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("an Error tables section");
    let listed: Vec<(String, usize)> = section
        .lines()
        .filter_map(|l| {
            let file = l.strip_prefix("| `")?.split('`').next()?;
            let rows = l.strip_suffix(" |")?.rsplit("| ").next()?.parse().ok()?;
            Some((file.to_string(), rows))
        })
        .collect();
    let shipped: Vec<(String, usize)> = tables::shipped()
        .unwrap()
        .iter()
        .map(|t| (t.file.clone(), t.rows.len()))
        .collect();
    assert_eq!(listed, shipped, "the Error tables of docs/explain.md");
}

/// A real line of each table's stack, and the row that must know it (by its id; rows that a
/// hand-written entry speaks for are left to the entries' own tests).
#[test]
fn every_table_knows_a_line_of_its_stack() {
    for (line, id, family) in [
        (
            "Failed to connect, return code -3",
            "mqtt-clients-mqttclient_disconnected",
            "closed-after-handshake",
        ),
        (
            "Failed to connect, return code 4",
            "mqtt-clients-mqttclient_connack_4",
            "policy-connect",
        ),
        (
            "Connect failed, rc Failure",
            "mqtt-clients-mqttasync_failure",
            "tls-failed",
        ),
        (
            "Failed to start connect, return code -14",
            "mqtt-clients-mqttasync_bad_protocol",
            "configuration",
        ),
        (
            "Client or broker did not communicate in the keepalive interval.",
            "mqtt-clients-mqtt_err_keepalive",
            "network-dropped",
        ),
        (
            "rc=<MQTTErrorCode.MQTT_ERR_NO_CONN: 4>",
            "mqtt-clients-mqtt_err_no_conn",
            "network-dropped",
        ),
        (
            "MqttException: Client is not connected (32104)",
            "java-mqttexception.reason_code_client_not_connected",
            "closed-after-handshake",
        ),
        (
            "Too many publishes in progress (32202)",
            "java-mqttexception.reason_code_max_inflight",
            "throttling-limits",
        ),
        (
            "Bad user name or password (4)",
            "java-mqttexception.reason_code_failed_authentication",
            "policy-connect",
        ),
        (
            "Error: getaddrinfo EAI_AGAIN abc123-ats.iot.eu-west-1.amazonaws.com",
            "node-uv_eai_again",
            "dns",
        ),
        (
            "Error: connect EHOSTUNREACH 10.0.0.7:8883",
            "node-uv_ehostunreach",
            "tcp-timeout",
        ),
        (
            "Error: Client network socket disconnected before secure TLS connection was established",
            "node-econnreset_client_network_socket_disconnected_before_secure_tls_connect",
            "tls-failed",
        ),
        (
            "reason: \"Host: example.com. is not in the cert's altnames: DNS:*.iot.eu-west-1.amazonaws.com\"",
            "node-node_tls_is_not_in_the_cert_s_altnames",
            "name-mismatch",
        ),
        (
            "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown",
            "java-jsse_alert_certificate_unknown",
            "device-cert-rejected",
        ),
        (
            "javax.net.ssl.SSLHandshakeException: Remote host terminated the handshake",
            "java-sslsocketimpl_remote_host_terminated_the_handshake",
            "closed-after-handshake",
        ),
        (
            "java.net.SocketTimeoutException: Connect timed out",
            "java-niosocketimpl_connect_timed_out",
            "tcp-timeout",
        ),
        (
            "E (4213) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x7800",
            "mbedtls-mbedtls_err_ssl_peer_verify_failed",
            "verify-failed",
        ),
        (
            "E (4213) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x7800",
            "mbedtls-mbedtls_err_ssl_unrecognized_name",
            "sni",
        ),
        (
            "2024-05-01T10:00:00.000Z [ERROR] {Config.cpp}: *** AWS IOT DEVICE CLIENT FATAL ERROR: region is missing ***",
            "device-client-device_client_fatal_region_is_missing",
            "configuration",
        ),
        (
            "[ERROR] {FleetProvisioning.cpp}: *** AWS IOT DEVICE CLIENT FATAL ERROR: Error subscribing to CreateKeysAndCertificate accepted topic ***",
            "device-client-device_client_fatal_error_subscribing_to_createkeysandcertificate_accepted",
            "policy-pubsub",
        ),
        (
            "2024-05-01T10:00:00.000Z [ERROR] (pool-2-thread-4) com.aws.greengrass.mqttclient.AwsIotMqttClient: Unable to connect to AWS IoT Core. {clientId=gg-core}",
            "greengrass-awsiotmqttclient_unable_to_connect_to_aws_iot_core",
            "tls-failed",
        ),
        (
            "[WARN] (pool-2-thread-4) com.aws.greengrass.mqttclient.AwsIotMqttClient: Error subscribing to topic. {topic=$aws/things/gg-core/shadow/update}",
            "greengrass-awsiotmqttclient_error_subscribing_to_topic",
            "policy-pubsub",
        ),
        (
            "E (12345) mqtt_client: mqtt_message_receive: message is too big, insufficient buffer size",
            "mbedtls-esp_mqtt_message_is_too_big_insufficient_buffer_size",
            "record-buffer",
        ),
        (
            "E (52010) mqtt_client: No PING_RESP, disconnected",
            "mbedtls-esp_mqtt_no_ping_resp_disconnected",
            "network-dropped",
        ),
        (
            "Error: Connection refused: Message rate too high",
            "mqtt-clients-mqttjs_connack_150",
            "throttling-limits",
        ),
        (
            "Error: Keepalive timeout",
            "mqtt-clients-mqttjs_keepalive_timeout",
            "network-dropped",
        ),
    ] {
        let knowledge = knowledge();
        let found = matcher().match_line(line);
        let hit = found
            .iter()
            .map(|h| &knowledge.known[h.entry])
            .find(|k| k.id == id);
        let hit = hit.unwrap_or_else(|| panic!("{line:?}: {id} not among {:?}", ids(line)));
        assert_eq!(knowledge.families.families[hit.family].id, family, "{line}");
    }
}

/// The id, family, how it was recognised and the first check of every match, best first.
fn ranked(text: &str) -> Vec<(String, String, RecognisedBy, Check)> {
    let knowledge = knowledge();
    let mut scan = matcher().scan();
    scan.feed_every_line(text.as_bytes());
    let (mut seen, _) = scan.finish();
    rank::rank(&mut seen, &knowledge.known, &knowledge.families);
    seen.iter()
        .map(|s| {
            let k = &knowledge.known[s.entry];
            (
                k.id.clone(),
                knowledge.families.families[k.family].id.clone(),
                k.by,
                knowledge.checks(k)[0],
            )
        })
        .collect()
}

fn top_family(text: &str) -> String {
    ranked(text)
        .first()
        .map(|m| m.1.clone())
        .unwrap_or_default()
}

#[test]
fn the_reason_inside_a_wrapper_comes_first() {
    let python = "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'a1-ats.iot.eu-west-1.amazonaws.com'. (_ssl.c:1006)";
    let curl = "curl: (60) SSL: no alternative certificate subject name matches target host name 'a1-ats.iot.eu-west-1.amazonaws.com'";
    for line in [python, curl] {
        let all = ranked(line);
        assert_eq!(all[0].1, "name-mismatch", "{line}: {all:?}");
        assert_eq!(all[0].3, Check::Endpoint);
        assert!(
            all.iter().skip(1).any(|m| m.1 == "verify-failed"),
            "{all:?}"
        );
    }
}

#[test]
fn a_neighbouring_line_gives_the_reason_of_a_wrapper() {
    // mosquitto_pub prints the OpenSSL error, then strerror(EPROTO).
    let log = "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed\nError: Protocol error\n";
    let all = ranked(log);
    assert_eq!(all[0].1, "verify-failed", "{all:?}");
    assert_eq!(all[0].3, Check::VerifyChain);
    let wrapper = all.iter().position(|m| m.0 == "mosquitto-protocol-error");
    assert!(wrapper.is_some_and(|i| i > 0), "{all:?}");
    // The CRT: a TLS alert line, then the read failure it causes under TLS 1.3.
    let log = "[ERROR] [tls-handler] - id=0x7f: s2n_recv(): error S2N_ERR_ALERT (alert message received) sslv3 alert certificate expired\n\
               Connection interrupted with error aws-c-io: AWS_IO_TLS_ERROR_READ_FAILURE, Failure during TLS read.\n";
    let all = ranked(log);
    assert_eq!(all[0].1, "device-cert-expired", "{all:?}");
    assert!(all.iter().any(|m| m.0 == "aws-crt-tls-read-failure"));
    // A wrapper alone keeps its own advice; an unrelated message does not move it.
    let log = "failed! mbedtls_ssl_handshake returned -0x2700\n\"disconnectReason\": \"DUPLICATE_CLIENTID\"\n";
    let all: Vec<String> = ranked(log).into_iter().map(|m| m.0).collect();
    assert_eq!(
        all,
        [
            "mbedtls-x509-cert-verify-failed",
            "aws-iot-logs-duplicate-clientid"
        ]
    );
}

#[test]
fn a_line_no_table_knows_gets_a_generic_family_match() {
    let all = ranked("mqtt: connect to broker timed out after 30 s");
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].1, "tcp-timeout");
    assert_eq!(all[0].2, RecognisedBy::FamilyRule);
    // Not on a line that does not read as a failure, nor beside a known message.
    assert!(ranked("tls: handshake done in 120 ms").is_empty());
    let all = ranked("AWS_IO_DNS_QUERY_FAILED: a query to dns failed, timed out");
    assert!(all.iter().all(|m| m.2 == RecognisedBy::Table), "{all:?}");
}

#[test]
fn among_keyword_rules_the_most_specific_reason_comes_first() {
    // A generic word (network error) before the reason: the reason leads.
    for (line, family) in [
        (
            "sensor-gw: network error: cannot talk to broker: signed by unknown authority",
            "server-untrusted",
        ),
        (
            "uplink: network error while reading: peer says unknown certificate",
            "device-cert-rejected",
        ),
    ] {
        let all = ranked(line);
        assert_eq!(all[0].1, family, "{line}: {all:?}");
        assert!(
            all.iter().all(|m| m.2 == RecognisedBy::FamilyRule),
            "{all:?}"
        );
    }
}

#[test]
fn mbedtls_verification_flags_printed_as_a_number_are_their_reasons() {
    // 0x201: BADCERT_EXPIRED and BADCERT_FUTURE; 0x8: BADCERT_NOT_TRUSTED.
    let both = ids("mbedtls: x509_crt.c:2001: |3| ! Certificate verification flags 00000201");
    assert!(both.contains(&"mbedtls-badcert-expired"), "{both:?}");
    assert!(both.contains(&"mbedtls-badcert-future"), "{both:?}");
    assert_eq!(
        ids("! Certificate verification flags 0x8"),
        ["mbedtls-badcert-not-trusted"]
    );
    assert_eq!(
        top_family(
            "! Certificate verification flags 200\n! mbedtls_ssl_handshake returned -0x2700\n"
        ),
        "cert-not-yet-valid"
    );
    // Not a number of flags: nothing.
    assert!(ids("! Certificate verification flags 200000000000").is_empty());
    assert!(ids("verification flags cleared for session 7").is_empty());
}

#[test]
fn the_misses_of_the_old_catalogue_are_known() {
    for (line, family) in [
        ("AwsCrtError(name='AWS_IO_DNS_QUERY_FAILED', message='A query to dns failed to resolve.', code=1059)", "dns"),
        ("Error: Connection refused", "tcp-refused"),
        ("40E7A1B2C37F0000:error:8000006F:system library:BIO_connect:Connection refused:../crypto/bio/bio_sock2.c:114:calling connect()", "tcp-refused"),
        ("ssl.SSLError: [SSL: SSLV3_ALERT_CERTIFICATE_EXPIRED] sslv3 alert certificate expired (_ssl.c:2580)", "device-cert-expired"),
        ("140:error:14094415:SSL routines:ssl3_read_bytes:sslv3 alert certificate expired:ssl/record/rec_layer_s3.c:1543:SSL alert number 45", "device-cert-expired"),
        ("[SSL: SSLV3_ALERT_CERTIFICATE_UNKNOWN] sslv3 alert certificate unknown (_ssl.c:2580)", "device-cert-rejected"),
        ("Connection completed with return code 5", "policy-connect"),
        ("Failed to connect: Not authorized", "policy-connect"),
        ("[ERROR] [MQTT] [core_mqtt.c:1437] A single byte was not read from the transport: transportStatus=-1.", "closed-after-handshake"),
        ("AuthenticationException: The remote certificate is invalid according to the validation procedure.", "verify-failed"),
        ("OpenSSL Error: error:14000086:SSL routines::certificate verify failed", "verify-failed"),
        ("error:0A000410:SSL routines::ssl/tls alert handshake failure:ssl/record/rec_layer_s3.c:865:SSL alert number 40", "no-client-certificate"),
        ("error:0A000412:SSL routines::ssl/tls alert bad certificate:../ssl/record/rec_layer_s3.c:1584:SSL alert number 42", "device-cert-rejected"),
        ("curl: (77) error adding trust anchors from locations:  CAfile: /certs/AmazonRootCA1.pem CApath: none", "configuration"),
        ("wolfSSL error: ASN date error, current date is after expiration", "cert-expired"),
        ("Error: Protocol error", "tls-failed"),
    ] {
        assert_eq!(top_family(line), family, "{line}: {:?}", ranked(line));
    }
    // The TLS 1.3 late rejection: a read failure, EOF or reset leads with the certificate.
    for line in [
        "AWS_IO_TLS_ERROR_READ_FAILURE",
        "ssl.SSLEOFError: EOF occurred in violation of protocol (_ssl.c:2426)",
        "Error: read ECONNRESET",
    ] {
        let all = ranked(line);
        assert_eq!(all[0].1, "closed-after-handshake", "{line}");
        assert_eq!(all[0].3, Check::Account, "{line}");
    }
}

#[test]
fn an_mbedtls_sum_of_a_high_and_a_low_level_code_is_both() {
    // -0x112c = MBEDTLS_ERR_PEM_INVALID_DATA (-0x1100) + MBEDTLS_ERR_BASE64_INVALID_CHARACTER (-0x2c)
    let all =
        ranked("aws_iot: failed! mbedtls_x509_crt_parse returned -0x112c while parsing root cert");
    let ids: Vec<&str> = all.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(all[0].1, "device-credentials", "{all:?}");
    // The hand-written entry speaks for the PEM code's table row.
    assert_eq!(ids[0], "mbedtls-pem-invalid-data", "{ids:?}");
    assert!(
        ids.contains(&"mbedtls-mbedtls_err_base64_invalid_character"),
        "{ids:?}"
    );
    // Not a sum of two known codes, or not about mbedTLS: nothing.
    assert!(ranked("mbedtls_x509_crt_parse returned -0x1f7f").is_empty());
    assert!(ranked("status 0x112c, all good").is_empty());
}

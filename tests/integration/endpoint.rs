//! Integration tests: `iotcheck endpoint` against real OpenSSL servers, a real HTTP proxy and
//! hostile sockets, all on 127.0.0.1.

use std::process::Command;
use std::time::Duration;

use crate::common::*;

/// Probes 127.0.0.1:port as ENDPOINT, trusting the test roots, at the fixture instant.
fn probe(port: u16, extra: &[&str]) -> Run {
    run_cmd(&mut endpoint_cmd(port, extra))
}

fn server_with(fail: &str) -> Peer {
    let (cert, inters, key) = (
        format!("fail/{fail}.pem"),
        format!("fail/{fail}-intermediates.pem"),
        format!("fail/{fail}.key"),
    );
    let mut args = vec!["-cert", &cert, "-key", &key];
    if std::path::Path::new(&fixture(&inters)).exists() {
        args.extend(["-cert_chain", &inters]);
    }
    s_server(&args)
}

#[test]
fn good_chain_verifies_and_reports_tls_facts() {
    let server = s_server(RSA_SERVER);
    let r = probe(server.port, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok");
    assert_eq!(j["handshakes"][0]["chain_verified"], true);
    assert_eq!(
        j["handshakes"][0]["chain"].as_array().unwrap().len(),
        2,
        "served order: leaf, intermediate"
    );
    assert_eq!(j["handshakes"][0]["chain"][0]["role"], "leaf");
    assert_eq!(
        j["handshakes"][0]["chain"][1]["subject_cn"],
        "iotcheck Test RSA 2048 M01"
    );
    assert_eq!(j["handshakes"][0]["tls"]["version"], "TLSv1.3");
    assert!(j["handshakes"][0]["tls"]["cipher_suite"]
        .as_str()
        .unwrap()
        .starts_with("TLS13_"));
    assert_eq!(j["handshakes"][0]["tls"]["sni"], ENDPOINT);
    assert_eq!(j["endpoint"]["classification"]["kind"], "ats_data");
    assert_eq!(j["handshakes"][0]["client_auth"]["requested"], false);
    assert!(
        j["handshakes"][0]["tls"]["timings_ms"]["handshake"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn tls12_only_server_is_reported() {
    let mut args = RSA_SERVER.to_vec();
    args.push("-tls1_2");
    let server = s_server(&args);
    let r = probe(server.port, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["handshakes"][0]["tls"]["version"], "TLSv1.2");
    // Pinning 1.3 against a 1.2-only server fails before any certificate: exit 3.
    let r = probe(server.port, &["--tls", "1.3"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("tls handshake"), "{}", r.stderr);
}

#[test]
fn served_failures_are_explained_with_the_chain_in_served_order() {
    for (fail, code, index) in [
        ("missing_intermediate", "unknown_issuer", Some(0)),
        ("expired", "expired", Some(0)),
        ("name_mismatch", "name_mismatch", Some(0)),
    ] {
        let server = server_with(fail);
        let r = probe(server.port, &[]);
        assert_eq!(r.code, 1, "{fail}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["handshakes"][0]["chain_verified"], false);
        assert_eq!(problems(&j)[0], (code.to_string(), index), "{fail}");
    }
}

#[test]
fn device_ca_file_without_the_servers_root_is_named() {
    // An ECC-only CA file against a server that serves its RSA chain.
    let server = s_server(RSA_SERVER);
    let ec_root = fixture("roots/test-root-ec.pem");
    let r = probe(server.port, &["--ca", &ec_root]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(problems(&j)[0].0, "unknown_issuer");
    assert_eq!(j["handshakes"][0]["trust"]["files"][0], ec_root);
}

#[test]
fn dual_certificate_server_is_probed_with_both_signature_families() {
    let server = s_server(&[
        "-cert",
        "server/rsa-leaf.pem",
        "-cert_chain",
        "server/rsa-int.pem",
        "-key",
        "server/rsa-leaf.key",
        "-dcert",
        "server/ec-leaf.pem",
        "-dcert_chain",
        "server/ec-int.pem",
        "-dkey",
        "server/ec-leaf.key",
    ]);
    let rsa_root = fixture("roots/test-root-rsa.pem");
    let r = probe(server.port, &["--sig", "both", "--ca", &rsa_root]);
    assert_eq!(
        r.code, 1,
        "the ECC chain is not covered by an RSA-only CA file"
    );
    let j = r.json();
    assert_eq!(j["verdict"], "fail");
    let hs = j["handshakes"].as_array().unwrap();
    assert_eq!(hs.len(), 2);
    assert_eq!(hs[0]["sig"], "rsa");
    assert_eq!(hs[0]["verdict"], "ok");
    assert_eq!(hs[0]["chain"][0]["public_key"]["algorithm"], "RSA");
    assert_eq!(hs[1]["sig"], "ecdsa");
    assert_eq!(hs[1]["verdict"], "fail");
    assert_eq!(hs[1]["chain"][0]["public_key"]["algorithm"], "EC");
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().to_string_lossy().into_owned();
    let r = probe(server.port, &["--sig", "both", "--save", &save]);
    assert_eq!(
        r.code, 0,
        "both chains verify with both roots: {}",
        r.stdout
    );
    for (sig, algorithm) in [("rsa", "RSA"), ("ecdsa", "EC")] {
        let leaf = dir.path().join(sig).join("cert_1.pem");
        let j = run(&["inspect", "--json", &leaf.to_string_lossy()]).json();
        assert_eq!(
            j["files"][0]["objects"][0]["certificate"]["public_key"]["algorithm"],
            algorithm
        );
    }
}

/// A server that requires a client certificate from the test device CA.
fn mtls_server(version: &str) -> Peer {
    let mut args = RSA_SERVER.to_vec();
    args.extend([
        version,
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        "device/device-ca.pem",
    ]);
    s_server(&args)
}

#[test]
fn client_certificates_on_tls12_and_tls13() {
    for version in ["-tls1_2", "-tls1_3"] {
        let server = mtls_server(version);
        // None sent: the chain is still captured and judged; the report says so.
        let r = probe(server.port, &[]);
        assert_eq!(r.code, 0, "{version} none: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(
            j["handshakes"][0]["client_auth"]["requested"], true,
            "{version}"
        );
        assert_eq!(j["handshakes"][0]["client_auth"]["sent"], false);
        assert_eq!(
            j["handshakes"][0]["client_auth"]["acceptable_ca_names"][0],
            "CN=iotcheck Test Device CA"
        );
        assert!(codes(&j, "warnings").contains(&"client_cert_not_sent".to_string()));
        // TLS 1.2 fails the handshake; TLS 1.3 answers the client's Finished with an alert.
        let alert = match version {
            "-tls1_2" => "handshake_failure",
            _ => "certificate_required",
        };
        assert_eq!(
            j["handshakes"][0]["client_auth"]["rejection"], alert,
            "{version}"
        );

        let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
        let r = probe(server.port, &["--cert", &cert, "--key", &key]);
        assert_eq!(r.code, 0, "{version} good: {}{}", r.stdout, r.stderr);
        assert_eq!(r.json()["handshakes"][0]["client_auth"]["accepted"], true);

        let (cert, key) = (
            fixture("device/untrusted.pem"),
            fixture("device/untrusted.key"),
        );
        let r = probe(server.port, &["--cert", &cert, "--key", &key]);
        assert_eq!(r.code, 1, "{version} untrusted: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["handshakes"][0]["client_auth"]["accepted"], false);
        assert_eq!(
            j["handshakes"][0]["client_auth"]["rejection"], "unknown_ca",
            "{version}"
        );
        assert_eq!(
            j["handshakes"][0]["chain_verified"], true,
            "the server side is fine"
        );
        let p = problems(&j);
        assert_eq!(p, [("client_cert_rejected".to_string(), None)], "{version}");
    }
}

#[test]
fn mismatched_device_key_exits_2_before_connecting() {
    let (cert, key) = (fixture("device/rsa.pem"), fixture("device/ec.key"));
    // Port 9 on loopback: nothing is there, and nothing must be tried.
    let r = run(&["endpoint", "127.0.0.1:9", "--cert", &cert, "--key", &key]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("does not match"), "{}", r.stderr);
}

#[test]
fn save_round_trip_gives_the_same_verdict() {
    let server = server_with("expired");
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("served");
    let save_s = save.to_string_lossy().into_owned();
    let r = probe(server.port, &["--save", &save_s]);
    assert_eq!(r.code, 1);
    let live = r.json();
    let files = [save.join("cert_1.pem"), save.join("cert_2.pem")];
    assert!(files.iter().all(|f| f.exists()));
    let ca = fixture("roots/test-roots.pem");
    let (f1, f2) = (files[0].to_string_lossy(), files[1].to_string_lossy());
    let offline = run(&[
        "verify-chain",
        "--json",
        "--at",
        AT,
        "--ca",
        &ca,
        "--host",
        ENDPOINT,
        &f1,
        &f2,
    ]);
    assert_eq!(offline.code, 1);
    assert_eq!(problems(&offline.json()), problems(&live));
    // A second save into the same directory refuses, before connecting.
    let again = probe(server.port, &["--save", &save_s]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("--force"));
    assert_eq!(probe(server.port, &["--save", &save_s, "--force"]).code, 1);
}

#[test]
fn save_force_replaces_only_the_files_it_wrote() {
    let server = server_with("expired");
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("served");
    std::fs::create_dir(&save).unwrap();
    // An earlier capture of three certificates, and files of the user's own.
    for name in ["cert_1.pem", "cert_2.pem", "cert_3.pem"] {
        std::fs::write(save.join(name), "old capture").unwrap();
    }
    let own = [
        "cert_backup_2024.pem",
        "cert_01.pem",
        "notes.txt",
        "cert_1.pem.bak",
    ];
    for name in own {
        std::fs::write(save.join(name), "the user's").unwrap();
    }
    let save_s = save.to_string_lossy().into_owned();
    let r = probe(server.port, &["--save", &save_s, "--force"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(std::fs::read_to_string(save.join("cert_1.pem"))
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(save.join("cert_2.pem").exists());
    assert!(
        !save.join("cert_3.pem").exists(),
        "the earlier capture's third file is gone: the directory holds one chain"
    );
    for name in own {
        assert_eq!(
            std::fs::read_to_string(save.join(name)).unwrap(),
            "the user's",
            "{name} was touched"
        );
    }
}

#[test]
fn an_unwritable_save_target_is_refused_before_connecting() {
    // Nothing listens on this port: a check made after connecting would exit 3.
    let port = CLOSED_PORT;
    let dir = tempfile::tempdir().unwrap();
    let dangling = dir.path().join("dangling");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let below_a_file = file.join("sub");
    let mut targets = vec![file.clone(), below_a_file];
    if cfg!(unix) {
        targets.push(dangling);
    }
    for target in targets {
        let t = target.to_string_lossy().into_owned();
        let r = probe(port, &["--save", &t]);
        assert_eq!(r.code, 2, "{t}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(&t), "{}", r.stderr);
    }
}

#[test]
fn nothing_listening_exits_3_naming_the_phase() {
    let r = probe(CLOSED_PORT, &[]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.is_empty());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "iotcheck: tcp connect to 127.0.0.1:{CLOSED_PORT} failed: "
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("nothing listens on that port"),
        "{}",
        r.stderr
    );
}

#[test]
fn silent_server_ends_within_the_timeout() {
    let port = hostile(Behaviour::Silent);
    // Only a hang fails here: the bound is 10× the timeout. How close to the timeout it
    // ends is a measurement: benches/timeouts.sh.
    let r = run_cmd_within(&mut endpoint_cmd(port, &["--timeout", "1"]), 10);
    assert_eq!(r.code, 3);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "iotcheck: tls handshake with 127.0.0.1:{port} timed out after 1 s: \
             the server accepted TCP but did not complete the handshake in time; AWS IoT on \
             port 443 stays silent without ALPN x-amzn-mqtt-ca"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn http_server_is_not_tls() {
    let port = hostile(Behaviour::send(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    ));
    let r = probe(port, &[]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "iotcheck: the server at 127.0.0.1:{port} does not speak TLS (it \
             answered like an HTTP server?): it answered \"HTTP/1.1 400 Bad Request\"; check \
             the port (AWS IoT: 8883 MQTT, 8443 HTTPS, 443 with ALPN)"
        )
    );
}

#[test]
fn close_mid_handshake_is_reported() {
    let port = hostile(Behaviour::Close);
    let r = probe(port, &[]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.starts_with(&format!(
            "iotcheck: the server at 127.0.0.1:{port} closed the connection \
             during the tls handshake, before sending a certificate"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn endless_handshake_bytes_fail_cleanly() {
    // Handshake records full of 0xff; and records whose first message, a ServerHello,
    // claims 16 MiB. Both are refused at once, long before the timeout.
    let mut garbage = vec![0x16, 0x03, 0x03, 0x40, 0x00];
    garbage.resize(5 + 0x4000, 0xff);
    let mut huge_message = vec![0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0xff, 0xff, 0xff];
    huge_message.resize(5 + 0x4000, 0);
    for flood in [garbage, huge_message] {
        let port = hostile(Behaviour::Flood(flood));
        // Only a hang fails here (10× the timeout); that the refusal comes at once, not by
        // the timeout, is the message below ("failed", not "timed out").
        let r = run_cmd_within(&mut endpoint_cmd(port, &["--timeout", "3"]), 30);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!(
                "iotcheck: tls handshake with 127.0.0.1:{port} failed: "
            )),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn huge_served_chain_fails_cleanly() {
    // s_server with 200 copies of the intermediate: over rustls's 64 KiB message limit.
    let (server, _dir) = server_repeating_intermediate(200);
    for version in ["1.2", "1.3"] {
        let r = probe(server.port, &["--tls", version]);
        assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("larger than the 64 KiB"), "{}", r.stderr);
    }
}

/// tinyproxy on 127.0.0.1, optionally demanding Basic credentials.
fn tinyproxy(credentials: Option<(&str, &str)>) -> (Peer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let peer = crate::peers::tinyproxy(dir.path(), false, credentials);
    (peer, dir)
}

#[test]
fn connects_through_an_http_connect_proxy() {
    let server = s_server(RSA_SERVER);
    let (proxy, _dir) = tinyproxy(None);
    let url = format!("http://127.0.0.1:{}", proxy.port);
    let r = probe(server.port, &["--proxy", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["tls"]["via_proxy"], true);
    assert!(j["handshakes"][0]["tls"]["timings_ms"]["proxy"]
        .as_f64()
        .is_some());
    // HTTPS_PROXY is honoured unless --no-proxy, or NO_PROXY names the address.
    let via_env = |no_proxy: Option<&str>, extra: &[&str]| {
        let mut cmd = endpoint_cmd(server.port, extra);
        cmd.env("HTTPS_PROXY", &url);
        if let Some(list) = no_proxy {
            cmd.env("NO_PROXY", list);
        }
        run_cmd(&mut cmd).json()["handshakes"][0]["tls"]["via_proxy"].clone()
    };
    assert_eq!(via_env(None, &[]), true);
    assert_eq!(via_env(None, &["--no-proxy"]), false);
    assert_eq!(via_env(Some("localhost,127.0.0.1"), &[]), false);
}

#[test]
fn proxy_credentials_are_sent_and_their_absence_is_explained() {
    let server = s_server(RSA_SERVER);
    let (proxy, _dir) = tinyproxy(Some(("device", "s3cret")));
    let good = format!("http://device:s3cret@127.0.0.1:{}", proxy.port);
    let r = probe(server.port, &["--proxy", &good]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let bare = format!("http://127.0.0.1:{}", proxy.port);
    let r = probe(server.port, &["--proxy", &bare]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "iotcheck: HTTP proxy 127.0.0.1:{}: answered \"HTTP/1.0 407 Proxy Authentication \
             Required\": the proxy needs credentials: use http://user:pass@host:port",
            proxy.port
        )
    );
}

#[test]
fn ipv6_loopback_is_reachable() {
    // Fail loudly rather than skip silently when the machine has no IPv6 loopback.
    assert!(
        std::net::TcpListener::bind("[::1]:0").is_ok(),
        "IPv6 loopback is not available on this machine"
    );
    let server = crate::peers::s_server(&fixtures_dir(), "[::1]", RSA_SERVER);
    // HOST's port 1 is overridden by --connect's; HOST stays the SNI and the name verified.
    let target = format!("{ENDPOINT}:1");
    let connect = format!("[::1]:{}", server.port);
    let ca = fixture("roots/test-roots.pem");
    let r = run(&[
        "endpoint",
        &target,
        "--connect",
        &connect,
        "--json",
        "--at",
        AT,
        "--ca",
        &ca,
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["tls"]["address"], connect);
    assert_eq!(j["handshakes"][0]["tls"]["sni"], ENDPOINT);
}

#[test]
fn ip_literal_and_no_sni_are_warned() {
    let server = s_server(RSA_SERVER);
    let target = format!("127.0.0.1:{}", server.port);
    let ca = fixture("roots/test-roots.pem");
    let r = run(&["endpoint", &target, "--json", "--at", AT, "--ca", &ca]);
    assert_eq!(r.code, 1, "an IP cannot match the certificate");
    let j = r.json();
    assert_eq!(j["endpoint"]["classification"]["kind"], "ip_literal");
    assert!(j["handshakes"][0]["tls"]["sni"].is_null());
    assert!(codes(&j, "warnings").contains(&"ip_literal".to_string()));
    assert_eq!(problems(&j)[0].0, "name_mismatch");
    let r = probe(server.port, &["--no-sni"]);
    let j = r.json();
    assert!(j["handshakes"][0]["tls"]["sni"].is_null());
    assert!(codes(&j, "warnings").contains(&"no_sni".to_string()));
}

#[test]
fn alpn_defaults_by_port_and_is_reported() {
    let mut args = RSA_SERVER.to_vec();
    args.extend(["-alpn", "x-amzn-mqtt-ca"]);
    let server = s_server(&args);
    let r = probe(server.port, &["--alpn", "x-amzn-mqtt-ca"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["tls"]["alpn"], "x-amzn-mqtt-ca");
    assert_eq!(
        j["endpoint"]["alpn_offered"],
        serde_json::json!(["x-amzn-mqtt-ca"])
    );
    // Port 443 offers x-amzn-mqtt-ca by default; --connect sends it to the test server.
    let target = format!("{ENDPOINT}:443");
    let connect = format!("127.0.0.1:{}", server.port);
    let ca = fixture("roots/test-roots.pem");
    let r = run(&[
        "endpoint",
        &target,
        "--connect",
        &connect,
        "--json",
        "--at",
        AT,
        "--ca",
        &ca,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(
        j["endpoint"]["alpn_offered"],
        serde_json::json!(["x-amzn-mqtt-ca"])
    );
    assert_eq!(j["handshakes"][0]["tls"]["alpn"], "x-amzn-mqtt-ca");
    // Other ports offer none.
    let r = probe(server.port, &[]);
    assert_eq!(r.json()["endpoint"]["alpn_offered"], serde_json::json!([]));
}

#[test]
fn a_chain_too_large_for_small_devices_is_warned() {
    let (server, _dir) = server_repeating_intermediate(5);
    let r = probe(server.port, &[]);
    assert_eq!(r.code, 0, "duplicates and size are warnings: {}", r.stdout);
    let j = r.json();
    assert!(j["handshakes"][0]["total_bytes"].as_u64().unwrap() > 4096);
    let warnings = codes(&j, "warnings");
    assert!(
        warnings.contains(&"large_chain".to_string()),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"duplicate_certificate".to_string()),
        "{warnings:?}"
    );
}

#[test]
fn sig_both_against_a_single_chain_server_reports_the_missing_family() {
    let server = s_server(RSA_SERVER);
    let r = probe(server.port, &["--sig", "both"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "fail");
    assert_eq!(j["handshakes"][0]["sig"], "rsa");
    assert_eq!(j["handshakes"][0]["verdict"], "ok");
    assert_eq!(j["handshakes"][1]["sig"], "ecdsa");
    assert_eq!(j["handshakes"][1]["verdict"], "fail");
    assert_eq!(j["handshakes"][1]["error"]["phase"], "tls_handshake");
    assert_eq!(
        j["handshakes"][1]["findings"][0]["code"],
        "no_chain_for_signature"
    );
    let human = {
        let target = format!("{ENDPOINT}:{}", server.port);
        let ca = fixture("roots/test-roots.pem");
        run(&[
            "endpoint",
            &target,
            "--connect",
            "127.0.0.1",
            "--at",
            AT,
            "--ca",
            &ca,
            "--sig",
            "both",
        ])
    };
    assert!(
        human.stdout.contains("no_chain_for_signature"),
        "{}",
        human.stdout
    );
}

#[test]
fn local_input_mistakes_exit_2_before_connecting() {
    // Port 9 on loopback: nothing listens; every case must fail before trying it.
    let target = format!("{ENDPOINT}:9");
    let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
    let long_id = "x".repeat(200);
    let long_alpn = "a".repeat(300);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let file = file.to_string_lossy().into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "--cert",
            &cert,
            "--key",
            &key,
            "--mqtt",
            "--client-id",
            &long_id,
        ],
        vec!["--alpn", &long_alpn],
        vec!["--timeout", "0"],
        vec!["--proxy", "http://user:s3cret@127.0.0.1"],
        vec!["--save", &file],
        vec!["--servername", "bad name"],
    ];
    for extra in cases {
        let mut args = vec!["endpoint", &target, "--connect", "127.0.0.1"];
        args.extend(extra.iter().copied());
        let r = run(&args);
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{extra:?}: {}", r.stderr);
        assert!(!r.stderr.contains("s3cret"), "password shown: {}", r.stderr);
        assert!(
            !r.stderr.contains("connect to"),
            "{extra:?} connected: {}",
            r.stderr
        );
    }
}

#[test]
fn force_replaces_an_earlier_capture_whole() {
    let server = s_server(RSA_SERVER);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert_3.pem"), "left over").unwrap();
    let save = dir.path().to_string_lossy().into_owned();
    let r = probe(server.port, &["--save", &save, "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("cert_2.pem").exists());
    assert!(
        !dir.path().join("cert_3.pem").exists(),
        "stale file from an earlier capture"
    );
}

/// s_server sending the RSA leaf followed by `copies` copies of its intermediate.
fn server_repeating_intermediate(copies: usize) -> (Peer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("intermediates.pem");
    let int = std::fs::read_to_string(fixture("server/rsa-int.pem")).unwrap();
    std::fs::write(&bundle, int.repeat(copies)).unwrap();
    let bundle = bundle.to_string_lossy().into_owned();
    let server = s_server(&[
        "-cert",
        "server/rsa-leaf.pem",
        "-key",
        "server/rsa-leaf.key",
        "-cert_chain",
        &bundle,
    ]);
    (server, dir)
}

/// A server that asks for a client certificate and takes any (its log says which it got);
/// its chain does not verify against the embedded Amazon roots.
#[test]
fn device_identity_is_withheld_from_a_server_whose_chain_does_not_verify() {
    let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
    for version in ["1.2", "1.3"] {
        let mut args = RSA_SERVER.to_vec();
        args.extend(["-Verify", "1", "-CAfile", "device/device-ca.pem"]);
        let server = s_server(&args);
        let target = format!("{ENDPOINT}:{}", server.port);
        let endpoint = |extra: &[&str]| {
            let mut args = vec![
                "endpoint",
                &target,
                "--connect",
                "127.0.0.1",
                "--json",
                "--at",
                AT,
                "--tls",
                version,
                "--cert",
                &cert,
                "--key",
                &key,
            ];
            args.extend_from_slice(extra);
            run(&args)
        };

        let r = endpoint(&[]);
        assert_eq!(r.code, 1, "{version}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["handshakes"][0]["chain_verified"], false);
        assert_eq!(
            j["handshakes"][0]["chain"].as_array().unwrap().len(),
            2,
            "the served chain is reported"
        );
        let problem_codes: Vec<String> = problems(&j).into_iter().map(|(code, _)| code).collect();
        assert_eq!(problem_codes, ["unknown_issuer"], "{version}: {}", r.stdout);
        assert_eq!(
            j["handshakes"][0]["client_auth"]["requested"], true,
            "{version}"
        );
        assert_eq!(
            j["handshakes"][0]["client_auth"]["sent"], false,
            "{version}"
        );
        assert_eq!(
            j["handshakes"][0]["client_auth"]["withheld"], true,
            "{version}"
        );
        assert!(j["handshakes"][0]["client_auth"]["accepted"].is_null());
        assert!(j["handshakes"][0]["client_auth"]["rejection"].is_null());
        let warnings = codes(&j, "warnings");
        assert!(
            warnings.contains(&"client_cert_withheld".to_string()),
            "{version}: {warnings:?}"
        );
        // The server's side: the connection ended without any certificate from the client.
        assert!(
            server.printed("ERROR", Duration::from_secs(5)),
            "{version}: {}",
            server.output()
        );
        assert!(
            !server.output().contains("depth=0") && !server.output().contains("Client certificate"),
            "{version}: the server received the device certificate:\n{}",
            server.output()
        );

        // --insecure: the user accepts the risk, and the certificate goes out.
        let r = endpoint(&["--insecure"]);
        assert_eq!(r.code, 1, "{version}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(j["handshakes"][0]["client_auth"]["sent"], true, "{version}");
        assert_eq!(
            j["handshakes"][0]["client_auth"]["withheld"], false,
            "{version}"
        );
        assert!(
            server.printed("Client certificate", Duration::from_secs(5)),
            "{version}: {}",
            server.output()
        );
        assert!(server.output().contains("depth=0 CN = TestThing-ec"));
    }
}

#[test]
fn timeout_is_one_budget_for_both_handshakes_of_sig_both() {
    let port = hostile(Behaviour::Silent);
    // Only a hang fails here: the bound is 10× the timeout. How close to the timeout it
    // ends is a measurement: benches/timeouts.sh.
    let r = run_cmd_within(
        &mut endpoint_cmd(port, &["--sig", "both", "--timeout", "3"]),
        30,
    );
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "iotcheck: tls handshake with 127.0.0.1:{port} timed out after 3 s"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn timeout_is_one_budget_through_a_slow_proxy() {
    // The proxy answers CONNECT after 2.5 s; then the tunnel stays silent, as a tunnel to a
    // silent broker does.
    let proxy = hostile(Behaviour::Answer {
        delay: Duration::from_millis(2500),
        bytes: b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec(),
    });
    let url = format!("http://127.0.0.1:{proxy}");
    // Only a hang fails here: the bound is 10× the timeout. How close to the timeout it
    // ends is a measurement: benches/timeouts.sh.
    let r = run_cmd_within(
        &mut endpoint_cmd(CLOSED_PORT, &["--proxy", &url, "--timeout", "3"]),
        30,
    );
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "iotcheck: tls handshake with 127.0.0.1:{CLOSED_PORT} via proxy 127.0.0.1:{proxy} \
             timed out after 3 s"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn proxy_urls_are_real_urls() {
    let server = s_server(RSA_SERVER);
    // Percent-encoded credentials are decoded: "us.er" and "p-ss" (tinyproxy takes no
    // characters that must be encoded).
    let (proxy, _dir) = tinyproxy(Some(("us.er", "p-ss")));
    let url = format!("http://us%2Eer:p%2Dss@127.0.0.1:{}/", proxy.port);
    let r = probe(server.port, &["--proxy", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["handshakes"][0]["tls"]["via_proxy"], true);

    // A proxy on an IPv6 address.
    let dir = tempfile::tempdir().unwrap();
    let proxy = crate::peers::tinyproxy(dir.path(), true, None);
    let url = format!("http://[::1]:{}", proxy.port);
    let r = probe(server.port, &["--proxy", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.json()["handshakes"][0]["tls"]["address"],
        format!("[::1]:{}", proxy.port)
    );

    // Mistakes are usage errors on one line, before connecting, and never show the password.
    for (url, says) in [
        (
            "https://u:s3cret@127.0.0.1:3128",
            "only http:// proxies are supported",
        ),
        (
            "socks5://u:s3cret@127.0.0.1:1080",
            "only http:// proxies are supported",
        ),
        ("http://u:s3cret@:3128", "the host is missing"),
        ("http://u:s3cret@127.0.0.1", "the port is missing"),
        ("http://u:s3cret@127.0.0.1:99999", "invalid port number"),
        ("http://u:s3cret@[::1:3128", "invalid IPv6 address"),
    ] {
        let r = probe(CLOSED_PORT, &["--proxy", url]);
        assert_eq!(r.code, 2, "{url}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{url}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{url}: {}", r.stderr);
        assert!(!r.stderr.contains("s3cret"), "password shown: {}", r.stderr);
        assert!(r.stderr.contains("u:***@"), "{url}: {}", r.stderr);
    }
}

/// A loopback AWS endpoint that answers nothing: it only records whether anyone connected.
struct QuietAws {
    listener: std::net::TcpListener,
    config: tempfile::TempDir,
}

impl QuietAws {
    fn start() -> QuietAws {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        QuietAws {
            listener,
            config: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// `iotcheck` with every AWS_* variable replaced: fake credentials, no config files, no
    /// instance metadata, and AWS_ENDPOINT_URL at this listener.
    fn command(&self) -> Command {
        let mut cmd = iotcheck();
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(name);
            }
        }
        let url = format!("http://{}", self.listener.local_addr().unwrap());
        cmd.env("AWS_ENDPOINT_URL", url)
            .env("AWS_CONFIG_FILE", self.config.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.config.path().join("credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing-secret")
            .env("AWS_REGION", "eu-west-1");
        cmd
    }

    fn was_asked(&self) -> bool {
        self.listener.accept().is_ok()
    }
}

/// Every check of the command line comes before the command reads a file, asks AWS or makes a
/// directory: with no HOST (the account would be asked), missing key files and a `--save`
/// directory to make, a usage error still wins (exit 2, naming the option), AWS is never
/// asked and nothing is made.
#[test]
fn usage_errors_come_before_any_file_read_aws_call_or_directory() {
    let aws = QuietAws::start();
    let scratch = tempfile::tempdir().unwrap();
    let save = scratch.path().join("made-too-early");
    let missing = scratch.path().join("missing");
    let (cert, key, targets, ca) = (
        missing.join("device.pem"),
        missing.join("device.key"),
        missing.join("targets.txt"),
        missing.join("ca.pem"),
    );
    let long_id = "x".repeat(129);
    let cases: [(Vec<&str>, &str); 6] = [
        (vec!["--proxy", "ftp://proxy.example:3128"], "proxy"),
        (vec!["--proxy", "http://proxy.example:notaport"], "proxy"),
        (vec!["--mqtt", "--client-id", &long_id], "client id"),
        (vec!["--servername", "not a name"], "--servername"),
        (vec!["--timeout", "0"], "--timeout"),
        (vec!["--at", "yesterday"], "--at"),
    ];
    for (bad, named) in &cases {
        let mut cmd = aws.command();
        cmd.arg("endpoint")
            .args(bad)
            .args(["--cert", cert.to_str().unwrap()])
            .args(["--key", key.to_str().unwrap()])
            .args(["--ca", ca.to_str().unwrap()])
            .args(["--save", save.to_str().unwrap()]);
        let r = run_cmd(&mut cmd);
        assert_eq!(r.code, 2, "{bad:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(named), "{bad:?}: {}", r.stderr);
        assert!(!r.stderr.contains("device."), "{bad:?}: {}", r.stderr);
        assert!(!r.stderr.contains("ca.pem"), "{bad:?}: {}", r.stderr);
        assert!(!save.exists(), "{bad:?} made --save before its usage error");
        // The same with several targets: the targets file is not read either.
        let mut cmd = aws.command();
        cmd.arg("endpoint")
            .args(bad)
            .args(["--targets", targets.to_str().unwrap(), "--jsonl"])
            .args(["--ca", ca.to_str().unwrap()])
            .args(["--save", save.to_str().unwrap()]);
        let r = run_cmd(&mut cmd);
        assert_eq!(r.code, 2, "{bad:?}: {}{}", r.stdout, r.stderr);
        if !bad.contains(&"--mqtt") {
            assert!(r.stderr.contains(named), "{bad:?}: {}", r.stderr);
        }
        assert!(!r.stderr.contains("targets.txt"), "{bad:?}: {}", r.stderr);
        assert!(!save.exists(), "{bad:?} made --save before its usage error");
    }
    assert!(!aws.was_asked(), "AWS was asked before a usage error");
}

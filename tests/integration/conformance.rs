//! The x509-limbo conformance suite: every SERVER case through the same verification the CLI
//! uses (`Chain::arrange` + `verify::verify`), compared with the expected result and with plain
//! rustls-webpki on the same inputs.

use std::collections::BTreeMap;

use iotcheck::chain::{Cert, Chain};
use iotcheck::trust::{AnchorSource, Anchors};
use iotcheck::verify::{self, Policy};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::common::fixture;

/// Used for cases without a validation time: inside every limbo certificate's validity.
const DEFAULT_TIME: i64 = 1_780_272_000; // 2026-06-01T00:00:00Z

fn der_of(pem_text: &str) -> Vec<u8> {
    ::pem::parse(pem_text)
        .map(|p| p.into_contents())
        .unwrap_or_default()
}

fn time_of(case: &serde_json::Value) -> i64 {
    case["validation_time"]
        .as_str()
        .map(|t| iotcheck::when::parse_instant(t).unwrap_or_else(|e| panic!("limbo time {t}: {e}")))
        .unwrap_or(DEFAULT_TIME)
}

fn peer_name(case: &serde_json::Value) -> Option<String> {
    let name = &case["expected_peer_name"];
    match name["kind"].as_str() {
        Some("DNS") | Some("IP") => name["value"].as_str().map(str::to_string),
        _ => None,
    }
}

/// iotcheck's verdict: true when it accepts. A certificate x509-parser refuses would make
/// the CLI exit 2 (unreadable input): that counts as a rejection.
fn iotcheck_accepts(case: &serde_json::Value) -> bool {
    let parse = |v: &serde_json::Value, origin: &str| {
        Cert::from_der(&der_of(v.as_str().unwrap_or("")), origin)
    };
    let Ok(leaf) = parse(&case["peer_certificate"], "peer") else {
        return false;
    };
    let mut certs = vec![leaf];
    for c in case["untrusted_intermediates"].as_array().unwrap() {
        match parse(c, "intermediate") {
            Ok(cert) => certs.push(cert),
            Err(_) => return false,
        }
    }
    let mut anchors = Vec::new();
    for c in case["trusted_certs"].as_array().unwrap() {
        match parse(c, "anchor") {
            Ok(cert) => anchors.push(cert),
            Err(_) => return false,
        }
    }
    let anchors = Anchors {
        certs: anchors,
        source: AnchorSource::Files(vec!["limbo".into()]),
    };
    let policy = Policy {
        at: time_of(case),
        host: peer_name(case),
        device_not_before: None,
        warn_days: iotcheck::chain::DEFAULT_WARN_DAYS,
    };
    verify::verify(&Chain::arrange(certs), &anchors, &policy).valid()
}

/// Plain rustls-webpki on the same inputs: server auth, the provider's algorithms, name check.
fn webpki_accepts(case: &serde_json::Value) -> bool {
    let leaf = CertificateDer::from(der_of(case["peer_certificate"].as_str().unwrap()));
    let inters: Vec<CertificateDer<'_>> = case["untrusted_intermediates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| CertificateDer::from(der_of(c.as_str().unwrap())))
        .collect();
    let anchor_ders: Vec<CertificateDer<'_>> = case["trusted_certs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| CertificateDer::from(der_of(c.as_str().unwrap())))
        .collect();
    let anchors: Vec<_> = anchor_ders
        .iter()
        .filter_map(|d| webpki::anchor_from_trusted_cert(d).ok())
        .collect();
    let Ok(ee) = webpki::EndEntityCert::try_from(&leaf) else {
        return false;
    };
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(time_of(case) as u64));
    let algs = rustls::crypto::aws_lc_rs::default_provider()
        .signature_verification_algorithms
        .all;
    let path_ok = ee
        .verify_for_usage(
            algs,
            &anchors,
            &inters,
            time,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .is_ok();
    let name_ok = match peer_name(case) {
        Some(n) => ServerName::try_from(n.as_str())
            .map(|sn| ee.verify_is_valid_for_subject_name(&sn).is_ok())
            .unwrap_or(false),
        None => true,
    };
    path_ok && name_ok
}

#[test]
fn limbo_server_cases_agree_wherever_webpki_agrees() {
    let text = std::fs::read_to_string(fixture("limbo/limbo.json")).expect("limbo.json");
    let suite: serde_json::Value = serde_json::from_str(&text).expect("limbo.json parses");
    let divergences: BTreeMap<String, String> =
        std::fs::read_to_string(fixture("limbo/divergences.txt"))
            .expect("divergences.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (id, why) = l.split_once(' ').expect("'id reason' per line");
                (id.to_string(), why.trim().to_string())
            })
            .collect();

    let (mut total, mut agree, mut webpki_agree) = (0, 0, 0);
    let mut unexplained = Vec::new();
    let mut listed_but_agreeing = Vec::new();
    for case in suite["testcases"].as_array().unwrap() {
        if case["validation_kind"] != "SERVER" {
            continue;
        }
        total += 1;
        let id = case["id"].as_str().unwrap().to_string();
        let expected = case["expected_result"] == "SUCCESS";
        // A panic here fails the test: "zero crashes" is part of the contract.
        let ours = iotcheck_accepts(case);
        let theirs = webpki_accepts(case);
        agree += usize::from(ours == expected);
        webpki_agree += usize::from(theirs == expected);
        if theirs == expected && ours != expected {
            if !divergences.contains_key(&id) {
                unexplained.push(format!("{id} (expected {})", case["expected_result"]));
            }
        } else if divergences.contains_key(&id) {
            listed_but_agreeing.push(id);
        }
    }
    println!(
        "limbo SERVER cases: {total}; iotcheck agrees with the expected result on {agree}, plain rustls-webpki on {webpki_agree}; documented divergences: {}",
        divergences.len()
    );
    assert_eq!(total, 198);
    // docs/conformance.md states the figures: they must stay true.
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/conformance.md"))
        .expect("docs/conformance.md");
    let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
    let stated = format!(
        "all {total} SERVER cases of the x509-limbo suite (`fixtures/limbo/`) through the same verification the CLI uses: no crash; iotcheck agrees with the expected result on {agree} cases, plain rustls-webpki on {webpki_agree};"
    );
    assert!(
        page.contains(&stated),
        "docs/conformance.md does not say: {stated}"
    );
    assert!(
        unexplained.is_empty(),
        "iotcheck differs where webpki agrees, unexplained: {unexplained:#?}"
    );
    assert!(
        listed_but_agreeing.is_empty(),
        "stale divergences: {listed_but_agreeing:?}"
    );
    assert!(agree >= webpki_agree - divergences.len());
}

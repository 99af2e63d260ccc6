//! Strings from certificates reach terminals and JSON consumers: characters that reorder or
//! hide text, or that terminals act on, are escaped in both outputs.

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};

use crate::common::{run, AT};

/// DEL, C1 controls (CSI, NEL), bidi marks, embeddings, overrides and isolates, the Arabic
/// letter mark, line and paragraph separators, zero-width characters and a BOM.
const DANGEROUS: &[char] = &[
    '\u{7f}', '\u{80}', '\u{85}', '\u{9b}', '\u{9f}', '\u{200b}', '\u{200c}', '\u{200d}',
    '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
    '\u{202e}', '\u{2060}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{61c}', '\u{feff}',
];

fn dangerous_text(prefix: &str) -> String {
    let mut text = prefix.to_string();
    for c in DANGEROUS {
        text.push(*c);
        text.push('x');
    }
    text
}

fn raw_dangerous(text: &str) -> Vec<String> {
    text.chars()
        .filter(|c| DANGEROUS.contains(c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

#[test]
fn certificate_strings_are_escaped_in_json_and_text() {
    let cn = dangerous_text("evil");
    let org = dangerous_text("org");
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, cn.as_str());
    name.push(DnType::OrganizationName, org.as_str());
    params.distinguished_name = name;
    // A DNS name is IA5 (ASCII): DEL is the one character of the list it can carry.
    params.subject_alt_names = vec![SanType::DnsName("a\u{7f}b.example.com".try_into().unwrap())];
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.pem");
    std::fs::write(&path, cert.pem()).unwrap();
    let path = path.to_string_lossy().into_owned();

    for args in [
        vec!["verify-chain", "--at", AT, "--json", &path],
        vec!["inspect", "--json", &path],
    ] {
        let r = run(&args);
        assert_ne!(r.code, 2, "{}", r.stderr);
        assert!(
            raw_dangerous(&r.stdout).is_empty(),
            "{args:?}: raw {:?}",
            raw_dangerous(&r.stdout)
        );
        let json = r.json();
        let cert = if args[0] == "inspect" {
            &json["files"][0]["objects"][0]["certificate"]
        } else {
            &json["chain"][0]
        };
        assert_eq!(
            cert["subject_cn"],
            cn.as_str(),
            "{args:?}: parses back to the same string"
        );
        assert!(cert["subject"].as_str().unwrap().contains(&org), "{args:?}");
        assert_eq!(cert["sans"][0]["value"], "a\u{7f}b.example.com");
    }
    for args in [
        vec!["verify-chain", "--at", AT, &path],
        vec!["inspect", &path],
        vec!["verify-chain", "--at", AT, "--color", "always", &path],
    ] {
        let r = run(&args);
        assert_ne!(r.code, 2, "{}", r.stderr);
        assert!(
            raw_dangerous(&r.stdout).is_empty(),
            "{args:?}: raw {:?}",
            raw_dangerous(&r.stdout)
        );
        assert!(r.stdout.contains("evil"), "{}", r.stdout);
    }
}

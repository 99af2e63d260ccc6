//! `trust`: the CA file holds the roots the served chains (RSA and ECC) lead to; no legacy
//! VeriSign root; no root expired or expiring within `--warn-days`.

use super::route::{self, Context, Engine};
use super::{Earlier, Gathered, Stage, StageId};
use crate::chain::Cert;
use crate::doctor::facts::{CaFiles, Facts, RootFacts};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};
use crate::trust::{known_issuer_of, KnownRoot, KNOWN_ROOTS, LEGACY_VERISIGN};
use crate::when::rfc3339;

pub fn judge(facts: &Facts, _earlier: &Earlier) -> Stage {
    let id = StageId::Trust;
    let mut findings = match &facts.trust.files {
        CaFiles::Unreadable => {
            return Stage::blocked(id, StageId::Files, "the root CA file cannot be read")
        }
        CaFiles::NotGiven => vec![Finding::new(
            Code::CaNotGiven,
            "no root CA file is named: the served chains are verified against the embedded Amazon roots; the device's TLS stack decides what it trusts",
        )],
        CaFiles::Unusable(finding) => vec![finding.clone()],
        CaFiles::Read(roots) => root_findings(roots, facts.at, facts.warn_days),
    };
    if let Some(network) = &facts.network {
        let mut served = Gathered::default();
        // Ports without any TLS session are the tls stage's.
        for port in network.reached().filter(|p| p.no_tls().is_none()) {
            for handshake in port.handshakes() {
                let Ok(s) = &handshake.result else { continue };
                let context = Context::of_chain(&s.chain.findings, false);
                for f in route::routed(&s.chain.findings, Engine::Chain, context, id) {
                    served.add(f.clone(), "");
                }
            }
        }
        findings.extend(served.findings(true));
    }
    Stage::judged(id, findings, facts.millis.trust)
}

/// What the CA file's certificates show by themselves at `at`.
pub fn root_findings(roots: &[RootFacts], at: i64, warn_days: u32) -> Vec<Finding> {
    let mut findings = Vec::new();
    let window = i64::from(warn_days) * 86_400;
    for root in roots {
        let name = &root.name;
        if at > root.not_after {
            findings.push(Finding::new(
                Code::Expired,
                format!(
                    "the root CA file holds {name}, expired on {}: remove it and add the root the endpoint needs",
                    rfc3339(root.not_after)
                ),
            ));
        } else if root.not_after - at < window {
            findings.push(Finding::new(
                Code::ExpiresSoon,
                format!(
                    "the root CA file holds {name}, which expires on {} (within --warn-days {warn_days}): add its successor now",
                    rfc3339(root.not_after)
                ),
            ));
        }
        if root.known == Some(LEGACY_VERISIGN) {
            findings.push(Finding::new(
                Code::LegacyRoot,
                "the root CA file holds the VeriSign Class 3 G5 root of the retired iot:Data endpoints; ATS endpoints need Amazon Root CA 1 (RSA) and 3 (ECC)",
            ));
        }
    }
    findings
}

pub fn advice(stage: &Stage, evidence: &Evidence) -> String {
    let ca = match evidence.ca_files.as_slice() {
        [] => "the device's CA file".to_string(),
        files => format!("the device's CA file ({})", files.join(", ")),
    };
    let lacking: Vec<(&str, &str)> = evidence
        .chain_ends
        .iter()
        .filter_map(|end| match end {
            ChainEnd::Known { file, label } if end.is_amazon() => Some((*file, *label)),
            _ => None,
        })
        .filter(|(file, _)| !evidence.roots_held.contains(file))
        .collect();
    let foreign: Vec<&str> = evidence
        .chain_ends
        .iter()
        .filter_map(|end| match end {
            ChainEnd::Other(name) => Some(name.as_str()),
            ChainEnd::Known { .. } => None,
        })
        .collect();
    let legacy_served = evidence
        .chain_ends
        .iter()
        .any(|end| matches!(end, ChainEnd::Known { file, .. } if *file == LEGACY_VERISIGN));
    if let [name, ..] = foreign.as_slice() {
        return format!(
            "The served chain leads to \"{name}\", not to an Amazon root: a TLS-inspecting proxy or firewall is in the path, or this is the wrong endpoint; add \"{name}\" to {ca} only if it is your own broker's root."
        );
    }
    if legacy_served {
        return "The endpoint serves the VeriSign chain of the retired iot:Data endpoints: use the ATS endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and AmazonRootCA1.pem and AmazonRootCA3.pem in the device's CA file.".into();
    }
    if !lacking.is_empty() {
        let labels: Vec<&str> = lacking.iter().map(|(_, label)| *label).collect();
        let files: Vec<&str> = lacking.iter().map(|(file, _)| *file).collect();
        let replace = if stage.has(Code::LegacyRoot) {
            " (instead of the VeriSign root of the retired iot:Data endpoints)"
        } else {
            ""
        };
        return format!(
            "The endpoint's chain leads to {}, which {ca} lacks: add {}{replace}.",
            labels.join(" and "),
            files.join(" and ")
        );
    }
    match stage.lead() {
        Some(Code::Expired) => format!("{} holds an expired root (the trust findings name it): replace it with the Amazon roots, AmazonRootCA1.pem (RSA) and AmazonRootCA3.pem (ECC).", capitalise(&ca)),
        _ => format!("Put the Amazon roots the endpoint's chains lead to in {ca}: AmazonRootCA1.pem (RSA) and AmazonRootCA3.pem (ECC)."),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ------------------------------------------------------------------------------------------
// where a served chain leads

/// Where a served chain leads: the root named at the top of the path from its leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainEnd {
    /// A root of the catalogue (an Amazon root, or the legacy VeriSign root).
    Known {
        file: &'static str,
        label: &'static str,
    },
    /// Any other root, by name.
    Other(String),
}

impl ChainEnd {
    fn is_amazon(&self) -> bool {
        matches!(self, ChainEnd::Known { file, .. } if *file != LEGACY_VERISIGN)
    }
}

/// Where the chain `served` (DER, served order) leads: from the leaf up through the served
/// certificates that issued each other, to the root that the top one is, or names as its
/// issuer. A top issued by a known Amazon intermediate the server left out leads to that
/// intermediate's root. None when nothing parses.
pub fn chain_end(served: &[Vec<u8>]) -> Option<ChainEnd> {
    let certs: Vec<Cert> = served
        .iter()
        .filter_map(|der| Cert::from_der(der, "served").ok())
        .collect();
    let mut top = certs.first()?;
    let is_known_root = |cert: &Cert| {
        KNOWN_ROOTS.iter().any(|k| {
            let root = k.cert();
            root.subject_der == cert.subject_der && root.key.spki_der == cert.key.spki_der
        })
    };
    for _ in 0..certs.len() {
        if top.self_signed() || is_known_root(top) {
            break;
        }
        match certs
            .iter()
            .find(|c| !std::ptr::eq(*c, top) && top.names_issuer(c))
        {
            Some(issuer) => top = issuer,
            None => break,
        }
    }
    let known = |root: &'static KnownRoot| ChainEnd::Known {
        file: root.file,
        label: root.label,
    };
    // A root served cross-signed (Amazon Root CA 1 under Starfield) is that root: same name,
    // same key.
    let same_root = KNOWN_ROOTS.iter().find(|k| {
        let root = k.cert();
        root.subject_der == top.subject_der && root.key.spki_der == top.key.spki_der
    });
    if let Some(root) = same_root {
        return Some(known(root));
    }
    if top.self_signed() {
        return Some(
            KnownRoot::find(top)
                .map(known)
                .unwrap_or_else(|| ChainEnd::Other(top.display_name().to_string())),
        );
    }
    let issuer = KNOWN_ROOTS.iter().find(|k| {
        let root = k.cert();
        top.names_issuer(root) && top.signature_check(root).is_ok()
    });
    Some(match issuer {
        Some(root) => known(root),
        None => match known_issuer_of(top) {
            Some((_, root)) => known(root),
            None => ChainEnd::Other(top.issuer_display_name().to_string()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{advice_for, facts, port, served_ok};
    use crate::doctor::stages::Status;

    const DAY: i64 = 86_400;

    fn root(not_after: i64, known: Option<&'static str>) -> RootFacts {
        RootFacts {
            name: "Test Root".into(),
            not_before: 0,
            not_after,
            known,
        }
    }

    #[test]
    fn the_ca_file_alone_is_judged_with_the_warn_days_window() {
        let at = 1_800_000_000;
        // (root, --warn-days, codes)
        let cases = [
            (root(at + 40 * DAY, None), 30, vec![]),
            (root(at + 40 * DAY, None), 60, vec![Code::ExpiresSoon]),
            (root(at + 10 * DAY, None), 30, vec![Code::ExpiresSoon]),
            (root(at + 10 * DAY, None), 5, vec![]),
            (root(at - DAY, None), 30, vec![Code::Expired]),
            (
                root(at + 400 * DAY, Some(LEGACY_VERISIGN)),
                30,
                vec![Code::LegacyRoot],
            ),
        ];
        for (root, warn_days, codes) in cases {
            let got: Vec<Code> = root_findings(std::slice::from_ref(&root), at, warn_days)
                .iter()
                .map(|f| f.code)
                .collect();
            assert_eq!(
                got,
                codes,
                "{} days left, --warn-days {warn_days}",
                (root.not_after - at) / DAY
            );
        }
        let soon = root_findings(&[root(at + 10 * DAY, None)], at, 30);
        assert!(
            soon[0].message.contains("within --warn-days 30"),
            "{}",
            soon[0].message
        );
    }

    #[test]
    fn the_stage_takes_the_ca_file_and_what_the_served_chains_lack() {
        let mut f = facts();
        f.trust.files = CaFiles::Unreadable;
        let stage = judge(&f, &Earlier(&[]));
        assert_eq!(stage.depends_on, Some(StageId::Files));

        let mut f = facts();
        f.warn_days = 30;
        f.trust.files = CaFiles::Read(vec![root(f.at + 400 * DAY, None)]);
        let stage = judge(&f, &Earlier(&[]));
        assert_eq!(stage.status, Status::Ok);

        // A served chain whose issuer the CA file lacks: trust's; behind a missing
        // intermediate: the server's fault, not trust's.
        let lacking = vec![Finding::new(Code::UnknownIssuer, "no issuer")];
        let mut f = facts();
        f.trust.files = CaFiles::Read(vec![]);
        f.network = Some(port(8883, vec![served_ok(lacking.clone(), vec![])]));
        let stage = judge(&f, &Earlier(&[]));
        assert_eq!(stage.findings[0].code, Code::UnknownIssuer);
        let mut behind = lacking;
        behind.push(Finding::new(Code::MissingIntermediate, "left out"));
        f.network = Some(port(8883, vec![served_ok(behind, vec![])]));
        let stage = judge(&f, &Earlier(&[]));
        assert_eq!(stage.status, Status::Ok, "{:?}", stage.findings);
    }

    fn served(pem_text: &str) -> Vec<Vec<u8>> {
        ::pem::parse_many(pem_text)
            .unwrap()
            .into_iter()
            .map(|p| p.contents().to_vec())
            .collect()
    }

    const TEST_CHAIN: &str = include_str!("../../../fixtures/server/rsa-chain.pem");
    const AWS_CHAIN: &str = include_str!("../../../fixtures/aws/eu-central-1-chain.pem");
    const AMAZON_ROOT_3: &str = include_str!("../../../fixtures/aws/AmazonRootCA3.pem");
    const CROSS_SIGNED_ROOT_1: &str =
        include_str!("../../../fixtures/aws/SFSRootCAG2_cross_AmazonRootCA1.pem");
    const VERISIGN: &str = include_str!("../../../fixtures/aws/VeriSign_Class3_G5.pem");

    fn amazon(file: &'static str) -> ChainEnd {
        let root = KNOWN_ROOTS.iter().find(|k| k.file == file).unwrap();
        ChainEnd::Known {
            file: root.file,
            label: root.label,
        }
    }

    #[test]
    fn chains_are_followed_to_their_root() {
        assert_eq!(
            chain_end(&served(TEST_CHAIN)),
            Some(ChainEnd::Other("iotcheck Test Root RSA".into()))
        );
        assert_eq!(
            chain_end(&served(AWS_CHAIN)),
            Some(amazon("AmazonRootCA1.pem"))
        );
        // A root served itself, or cross-signed by another, is that root.
        assert_eq!(
            chain_end(&served(AMAZON_ROOT_3)),
            Some(amazon("AmazonRootCA3.pem"))
        );
        assert_eq!(
            chain_end(&served(CROSS_SIGNED_ROOT_1)),
            Some(amazon("AmazonRootCA1.pem"))
        );
        assert_eq!(chain_end(&[b"junk".to_vec()]), None);
    }

    #[test]
    fn the_advice_follows_where_the_chain_leads() {
        let evidence = |ends: Vec<ChainEnd>, held: Vec<&'static str>| Evidence {
            ca_files: vec!["root-ca.pem".into()],
            chain_ends: ends,
            roots_held: held,
            ..Evidence::default()
        };
        // A chain to a root that is not Amazon's: said plainly, no Amazon file offered.
        let foreign = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::UntrustedRoot],
            &evidence(
                vec![ChainEnd::Other("iotcheck Test Root RSA".into())],
                vec!["AmazonRootCA1.pem"],
            ),
        );
        assert!(
            foreign.contains("leads to \"iotcheck Test Root RSA\", not to an Amazon root"),
            "{foreign}"
        );
        assert!(
            foreign.contains("TLS-inspecting proxy or firewall"),
            "{foreign}"
        );
        assert!(foreign.contains("wrong endpoint"), "{foreign}");
        assert!(
            foreign.contains("only if it is your own broker"),
            "{foreign}"
        );
        assert!(!foreign.contains("AmazonRootCA"), "{foreign}");
        // An Amazon root the CA file lacks: that file, and only that one.
        let ecc = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::MissingRoot],
            &evidence(
                vec![amazon("AmazonRootCA1.pem"), amazon("AmazonRootCA3.pem")],
                vec!["AmazonRootCA1.pem"],
            ),
        );
        assert!(ecc.contains("add AmazonRootCA3.pem."), "{ecc}");
        assert!(ecc.contains("root-ca.pem"), "{ecc}");
        assert!(!ecc.contains("AmazonRootCA1.pem"), "{ecc}");
        // Both lacking, the CA file holding the retired VeriSign root.
        let both = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::LegacyRoot],
            &evidence(
                vec![amazon("AmazonRootCA1.pem"), amazon("AmazonRootCA3.pem")],
                vec![LEGACY_VERISIGN],
            ),
        );
        assert!(
            both.contains("add AmazonRootCA1.pem and AmazonRootCA3.pem (instead of the VeriSign"),
            "{both}"
        );
        // The endpoint serves the legacy chain.
        let legacy = KNOWN_ROOTS
            .iter()
            .find(|k| k.file == LEGACY_VERISIGN)
            .unwrap();
        assert_eq!(
            chain_end(&served(VERISIGN)),
            Some(ChainEnd::Known {
                file: legacy.file,
                label: legacy.label
            })
        );
        let retired = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::LegacyEndpoint],
            &evidence(chain_end(&served(VERISIGN)).into_iter().collect(), vec![]),
        );
        assert!(retired.contains("retired iot:Data"), "{retired}");
        assert!(retired.contains("iot:Data-ATS"), "{retired}");
    }
}

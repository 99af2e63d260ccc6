//! Hints: the known field failures, recognised from a judgement and said in plain words.

use super::{clock_looks_unset, Judgement, PathEnd, Policy};
use crate::chain::Chain;
use crate::finding::{Code, Finding};
use crate::trust::{AnchorSource, Anchors, KnownRoot, KNOWN_ROOTS, LEGACY_VERISIGN};
use crate::when::rfc3339;

pub(super) fn hints(
    chain: &Chain,
    anchors: &Anchors,
    policy: &Policy,
    judgement: &Judgement,
) -> Vec<Finding> {
    let mut hints = Vec::new();
    let from_files = matches!(anchors.source, AnchorSource::Files(_));
    let held: Vec<&'static KnownRoot> = anchors.certs.iter().filter_map(KnownRoot::find).collect();

    if judgement.has_error(Code::UnknownIssuer) {
        let top = &chain.certs[*judgement.path.last().unwrap_or(&chain.leaf)];
        let known_issuer = KNOWN_ROOTS.iter().find(|k| {
            let root = k.cert();
            top.names_issuer(root) && top.signature_check(root).is_ok()
        });
        match known_issuer {
            Some(root) if from_files => {
                let holds = if held.is_empty() {
                    "no Amazon root".to_string()
                } else {
                    format!(
                        "only {}",
                        held.iter().map(|k| k.label).collect::<Vec<_>>().join(", ")
                    )
                };
                hints.push(Finding::new(Code::MissingRoot, format!(
                        "this chain ends at {}; your CA file holds {holds}: add {}",
                        root.label, root.file
                    ),
                ));
            }
            Some(root) if root.file == LEGACY_VERISIGN => hints.push(Finding::new(Code::LegacyEndpoint, "this chain ends at the VeriSign Class 3 G5 root of the retired iot:Data endpoints: use the ATS endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and the Amazon roots".to_string(),
            )),
            _ if top.is_ca() && !top.self_signed() => hints.push(Finding::new(Code::UntrustedRoot, format!(
                    "the chain leads to \"{}\", which is not among the trusted anchors ({}): use the CA file the endpoint's chain needs",
                    top.issuer_display_name(),
                    anchors.describe()
                ),
            )),
            _ if !top.self_signed() && top.issuer_der != top.subject_der => {
                let was = if judgement.path.len() == 1 && chain.certs.len() == 1 {
                    "only the leaf was given"
                } else {
                    "it is not among the certificates given"
                };
                let known = crate::trust::known_issuer_of(top);
                let which = match &known {
                    Some((_, root)) => format!(" (an Amazon intermediate under {})", root.label),
                    None => String::new(),
                };
                hints.push(Finding::new(Code::MissingIntermediate, format!(
                        "the intermediate \"{}\"{which} that issued {} is missing: {was}; a server must send it after its leaf (offline: add it to the files given)",
                        top.issuer_display_name(),
                        top.display_name()
                    ),
                ));
                if let Some((_, root)) = known {
                    let held_root = held.iter().any(|k| k.file == root.file);
                    if from_files && !held_root {
                        hints.push(Finding::new(Code::MissingRoot, format!(
                                "this chain leads to {}; your CA file does not hold it: add {}",
                                root.label, root.file
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if held.iter().any(|k| k.file == LEGACY_VERISIGN) && !judgement.valid() {
        hints.push(Finding::new(Code::LegacyRoot, "your CA file holds the VeriSign Class 3 G5 root of the retired iot:Data endpoints; ATS endpoints (<prefix>-ats.iot.<region>.amazonaws.com) need Amazon Root CA 1 (RSA) and 3 (ECC): use AmazonRootCA1.pem and AmazonRootCA3.pem".to_string(),
        ));
    }
    if judgement.has_error(Code::NotYetValid) && clock_looks_unset(policy) {
        hints.push(Finding::new(Code::ClockUnset, format!(
                "the device clock looks unset ({}): set it (SNTP) before connecting; certificates are not yet valid at that time",
                rfc3339(policy.at)
            ),
        ));
    }
    if judgement.has_error(Code::NameMismatch) {
        if let Some(host) = &policy.host {
            if host.parse::<std::net::IpAddr>().is_ok() {
                hints.push(Finding::new(Code::IpLiteral, "an IP address cannot match the endpoint's certificate: use the endpoint's name (iotcheck endpoint: --connect ADDR dials the address while the name is verified)".to_string(),
                ));
            }
        }
    }
    if matches!(judgement.end, PathEnd::Anchor(_)) && judgement.valid() && from_files {
        let rsa = held.iter().any(|k| k.file == "AmazonRootCA1.pem");
        let ecc = held.iter().any(|k| k.file == "AmazonRootCA3.pem");
        if rsa != ecc {
            let (has, lacks, file) = if rsa {
                ("Amazon Root CA 1 (RSA)", "ECC", "AmazonRootCA3.pem")
            } else {
                ("Amazon Root CA 3 (ECC)", "RSA", "AmazonRootCA1.pem")
            };
            hints.push(Finding::new(Code::SingleRoot, format!("your CA file holds only {has}: a device that is served the {lacks} chain will fail; AWS advises adding {file}"),
            ));
        }
    }
    hints
}

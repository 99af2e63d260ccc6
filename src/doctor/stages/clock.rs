//! `clock`: the device's clock (or `--at`) inside the validity of every served leaf (a
//! server's own certificate is valid now, so the real time lies inside each window); before
//! 2000 it is unset; with nothing served, behind when every certificate the device holds (two
//! or more) is not yet valid. An unset or late clock makes every certificate look not yet
//! valid: the verdict then names the clock, not the stages that show its symptoms.

use super::{Earlier, Stage, StageId};
use crate::doctor::facts::{CaFiles, Facts, Validity};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};
use crate::verify::{classify, EndpointKind};
use crate::when::{rfc3339, Y2K};

pub fn judge(facts: &Facts, _earlier: &Earlier) -> Stage {
    let served = facts
        .network
        .as_ref()
        .map(|n| n.served_validities())
        .unwrap_or_default();
    if let Some(stage) = of(facts.at, &served, &held(facts), 0.0) {
        return stage;
    }
    match &facts.network {
        None => Stage::blocked(
            StageId::Clock,
            StageId::Config,
            "no endpoint to take the time from",
        ),
        Some(network) => Stage::blocked(
            StageId::Clock,
            network.blocker().unwrap_or(StageId::Tls),
            "no certificate was served to compare the clock with",
        ),
    }
}

/// The certificates the device holds: its own, and its CA file's.
pub fn held(facts: &Facts) -> Vec<Validity> {
    let mut held: Vec<Validity> = facts
        .credentials
        .device
        .iter()
        .map(|cert| Validity::of(cert, "the device certificate"))
        .collect();
    if let CaFiles::Read(roots) = &facts.trust.files {
        held.extend(roots.iter().map(|root| Validity {
            label: "the root CA file".into(),
            subject: root.name.clone(),
            not_before: root.not_before,
            not_after: root.not_after,
        }));
    }
    held
}

/// How the clock stands against the certificates.
#[derive(Clone, Debug)]
pub enum Drift<'a> {
    /// Before 2000.
    Unset,
    /// Before a served leaf became valid (or before every certificate held did).
    Behind(&'a Validity),
    /// After a served leaf expired.
    Ahead(&'a Validity),
}

impl Drift<'_> {
    /// The clock makes certificates look not yet valid: it is the cause of those failures.
    pub fn is_early(&self) -> bool {
        matches!(self, Drift::Unset | Drift::Behind(_))
    }
}

/// Where the clock `at` stands: against the served leaves when there are any, else against
/// the certificates held (every one of two or more not yet valid). None: nothing says it is
/// wrong.
pub fn drift<'a>(at: i64, served: &'a [Validity], held: &'a [Validity]) -> Option<Drift<'a>> {
    if at < Y2K {
        return Some(Drift::Unset);
    }
    if served.is_empty() {
        return (held.len() >= 2 && held.iter().all(|v| at < v.not_before))
            .then(|| held.iter().min_by_key(|v| v.not_before))
            .flatten()
            .map(Drift::Behind);
    }
    let earliest_end = served.iter().min_by_key(|s| s.not_after)?;
    let latest_start = served.iter().max_by_key(|s| s.not_before)?;
    if at < latest_start.not_before {
        Some(Drift::Behind(latest_start))
    } else if at > earliest_end.not_after {
        Some(Drift::Ahead(earliest_end))
    } else {
        None
    }
}

/// The stage from the clock and the certificates; None when there is nothing to compare
/// the clock with and it looks set.
pub fn of(at: i64, served: &[Validity], held: &[Validity], duration_ms: f64) -> Option<Stage> {
    let mut findings = Vec::new();
    match drift(at, served, held) {
        Some(Drift::Unset) => {
            findings.push(Finding::new(
                Code::ClockSkew,
                format!("the clock says {}, before 2000: it is not set", rfc3339(at)),
            ));
            findings.push(Finding::new(
                Code::ClockUnset,
                "the device clock looks unset: certificates are not valid at that time; set it (NTP or SNTP) before connecting",
            ));
        }
        Some(Drift::Behind(start)) if served.is_empty() => findings.push(Finding::new(
            Code::ClockSkew,
            format!(
                "the clock says {}, before any of the {} certificates the device holds became valid (the earliest, {} in {}, at {}): the clock is behind",
                rfc3339(at),
                held.len(),
                start.subject,
                start.label,
                rfc3339(start.not_before)
            ),
        )),
        Some(Drift::Behind(start)) => findings.push(Finding::new(
            Code::ClockSkew,
            format!(
                "the clock says {}, before {} ({}) became valid at {}: the clock is behind",
                rfc3339(at),
                start.subject,
                start.label,
                rfc3339(start.not_before)
            ),
        )),
        Some(Drift::Ahead(end)) => findings.push(Finding::new(
            Code::ClockSkew,
            format!(
                "the clock says {}, after {} ({}) expired at {}: the clock is ahead, or the server serves an expired certificate",
                rfc3339(at),
                end.subject,
                end.label,
                rfc3339(end.not_after)
            ),
        )),
        None if served.is_empty() => return None,
        None => {}
    }
    Some(Stage::judged(StageId::Clock, findings, duration_ms))
}

/// The codes an early clock causes: a certificate not yet valid, wherever it is judged.
pub const SYMPTOMS: &[Code] = &[Code::NotYetValid];

/// Whether the failure of `stage` is the symptom of an early clock (unset, or behind) that
/// the clock stage found: every error it holds is one the clock explains.
pub fn explains(clock: &Stage, stage: &Stage, evidence: &Evidence) -> bool {
    clock.failed()
        && stage.id != StageId::Clock
        && drift(evidence.at, &evidence.served, &evidence.held).is_some_and(|d| d.is_early())
        && stage.error_codes().all(|code| SYMPTOMS.contains(&code))
}

pub fn advice(_stage: &Stage, evidence: &Evidence) -> String {
    let custom = evidence
        .endpoint
        .as_deref()
        .is_some_and(|e| classify(e).kind == EndpointKind::CustomDomain);
    match drift(evidence.at, &evidence.served, &evidence.held) {
        Some(Drift::Unset) => format!(
            "Set the device's clock first: it says {}, so every certificate looks not yet valid; enable NTP or SNTP and let it sync before the device connects.",
            rfc3339(evidence.at)
        ),
        Some(Drift::Behind(start)) => format!(
            "Set the device's clock first: it is behind (it says {}, before {} became valid at {}); set it from NTP or SNTP before connecting.",
            rfc3339(evidence.at),
            start.subject,
            rfc3339(start.not_before)
        ),
        Some(Drift::Ahead(end)) => {
            let otherwise = if custom {
                expired_custom_domain(evidence.endpoint.as_deref().unwrap_or("the custom domain"))
            } else {
                "the server serves an expired certificate and is not AWS IoT".to_string()
            };
            format!(
                "The device's clock is ahead of the server's certificate, which expired at {} by it (it says {}): set the clock from NTP or SNTP; if the clock is right, {otherwise}.",
                rfc3339(end.not_after),
                rfc3339(evidence.at)
            )
        }
        None => "Set the device's clock (enable NTP or SNTP before connecting), then run doctor again.".into(),
    }
}

/// What an expired server certificate means on a custom domain: the certificate is the
/// customer's own, in AWS Certificate Manager. Source: AWS IoT Core developer guide,
/// "Managing domain configurations", rotating certificates in custom domains (an ACM
/// certificate renews itself; an imported one is re-imported under the same ARN, which AWS
/// IoT Core picks up).
pub fn expired_custom_domain(name: &str) -> String {
    format!(
        "the server certificate of the custom domain {name} has expired: it is your own (in AWS Certificate Manager), not AWS IoT's; renew it, or re-import a new one into ACM under the same ARN, and AWS IoT Core serves it"
    )
}

/// The sentence that follows the clock's advice when later stages failed only by it.
pub fn symptoms_note(stages: &[StageId]) -> String {
    let names: Vec<&str> = stages.iter().map(|s| s.as_str()).collect();
    let (list, noun, verb) = match names.as_slice() {
        [] => return String::new(),
        [one] => (one.to_string(), "failure", "follows"),
        [rest @ .., last] => (
            format!("{} and {last}", rest.join(", ")),
            "failures",
            "follow",
        ),
    };
    format!(" The {noun} of {list} (certificates not yet valid) {verb} from it.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::failed;
    use crate::doctor::stages::Status;

    fn validity(not_before: i64, not_after: i64) -> Validity {
        Validity {
            label: "port 8883".into(),
            subject: "*.iot.eu-west-1.amazonaws.com".into(),
            not_before,
            not_after,
        }
    }

    #[test]
    fn the_clock_is_judged_against_what_is_served_and_what_is_held() {
        let served = [validity(1_700_000_000, 1_800_000_000)];
        let held = [
            validity(1_600_000_000, 1_900_000_000),
            validity(1_650_000_000, 1_900_000_000),
        ];
        // (at, served, held, status: None when there is nothing to compare with, words)
        type Case<'a> = (i64, &'a [Validity], &'a [Validity], Option<Status>, &'a str);
        let cases: [Case; 7] = [
            (1_750_000_000, &served, &[], Some(Status::Ok), ""),
            (
                1_600_000_000,
                &served,
                &[],
                Some(Status::Fail),
                "the clock is behind",
            ),
            (
                1_900_000_000,
                &served,
                &[],
                Some(Status::Fail),
                "the clock is ahead",
            ),
            (0, &[], &[], Some(Status::Fail), "before 2000"),
            (1_750_000_000, &[], &[], None, ""),
            // Nothing served: two certificates held, both not yet valid.
            (
                1_500_000_000,
                &[],
                &held,
                Some(Status::Fail),
                "before any of the 2 certificates",
            ),
            // One not yet valid is the certificate's question, not the clock's.
            (1_620_000_000, &[], &held, None, ""),
        ];
        for (at, served, held, status, words) in cases {
            let stage = of(at, served, held, 0.0);
            assert_eq!(stage.as_ref().map(|s| s.status), status, "at {at}");
            if let Some(stage) = stage.filter(|s| s.failed()) {
                assert_eq!(stage.findings[0].code, Code::ClockSkew);
                assert!(
                    stage.findings[0].message.contains(words),
                    "{}",
                    stage.findings[0].message
                );
            }
        }
        let unset = of(0, &[], &[], 0.0).unwrap();
        assert!(unset.has(Code::ClockUnset));
    }

    #[test]
    fn an_early_clock_explains_certificates_not_yet_valid_and_nothing_else() {
        let clock = failed(StageId::Clock, Code::ClockSkew);
        let unset = Evidence {
            at: 0,
            ..Evidence::default()
        };
        let credentials = failed(StageId::Credentials, Code::NotYetValid);
        assert!(explains(&clock, &credentials, &unset));
        assert!(!explains(
            &clock,
            &failed(StageId::Credentials, Code::KeyMismatch),
            &unset
        ));
        let ahead = Evidence {
            at: 1_900_000_000,
            served: vec![validity(1_700_000_000, 1_800_000_000)],
            ..Evidence::default()
        };
        assert!(!explains(&clock, &credentials, &ahead));
        let ok_clock = Stage::judged(StageId::Clock, vec![], 0.0);
        assert!(!explains(&ok_clock, &credentials, &unset));
    }

    #[test]
    fn the_advice_sets_the_clock_first_and_knows_a_custom_domain() {
        let stage = failed(StageId::Clock, Code::ClockSkew);
        let clock = |at: i64, endpoint: &str| Evidence {
            at,
            endpoint: Some(endpoint.into()),
            served: vec![validity(1_700_000_000, 1_800_000_000)],
            ..Evidence::default()
        };
        let aws = "abc-ats.iot.eu-west-1.amazonaws.com";
        let unset = advice(&stage, &clock(0, aws));
        assert!(
            unset.starts_with("Set the device's clock first: it says 1970-01-01T00:00:00Z"),
            "{unset}"
        );
        assert!(unset.contains("SNTP"), "{unset}");
        assert!(advice(&stage, &clock(1_600_000_000, aws)).contains("it is behind"));
        let ahead = advice(&stage, &clock(1_900_000_000, aws));
        assert!(ahead.contains("is ahead"), "{ahead}");
        assert!(ahead.ends_with("is not AWS IoT."), "{ahead}");
        let custom = advice(&stage, &clock(1_900_000_000, "mqtt.example.com"));
        assert!(
            custom.contains("the server certificate of the custom domain mqtt.example.com has expired: it is your own"),
            "{custom}"
        );
        assert!(!custom.contains("is not AWS IoT"), "{custom}");
    }

    #[test]
    fn the_symptoms_are_named() {
        assert_eq!(
            symptoms_note(&[StageId::Credentials]),
            " The failure of credentials (certificates not yet valid) follows from it."
        );
        assert_eq!(
            symptoms_note(&[StageId::Credentials, StageId::Tls]),
            " The failures of credentials and tls (certificates not yet valid) follow from it."
        );
        assert_eq!(symptoms_note(&[]), "");
    }
}

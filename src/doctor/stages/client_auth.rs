//! `client_auth`: a handshake as the device makes it, its certificate presented only over a
//! chain that verified (as a device does): accepted, or rejected by an alert.

use super::route::{self, Context, Engine};
use super::{Earlier, Gathered, Stage, StageId};
use crate::alerts::{advice as alert_advice, AlertStage};
use crate::doctor::facts::{DeviceTransport, Facts, NetworkFacts};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};

pub fn judge(facts: &Facts, earlier: &Earlier) -> Stage {
    let id = StageId::ClientAuth;
    if facts.transport != DeviceTransport::Tls {
        // Over a WebSocket or with a custom authorizer the device presents no certificate.
        return Stage::skipped(
            id,
            format!(
                "the device connects over {}: no certificate is presented (the mqtt stage holds the answer to its credentials)",
                facts.transport.words()
            ),
        );
    }
    let network = match before_identity(id, facts) {
        Ok(network) => network,
        Err(stage) => return stage,
    };
    let mut findings = Gathered::default();
    let mut ran = false;
    let mut ms: f64 = 0.0;
    for port in network.reached() {
        let Some(device) = &port.device else {
            continue;
        };
        let served = match &device.result {
            Ok(served) => served,
            Err(e) => {
                ran = true;
                findings.add(
                    Finding::new(Code::NoTlsSession, format!("port {}: {e}", port.port)),
                    "",
                );
                continue;
            }
        };
        if !served.chain.verified() || served.probe.client_auth.withheld {
            continue;
        }
        ran = true;
        let t = &served.probe.timings;
        ms = ms.max(t.handshake + t.post_handshake.unwrap_or(0.0));
        let label = format!("port {}", port.port);
        for f in routed(served) {
            findings.add(f.clone(), &label);
        }
    }
    if ran {
        Stage::judged(id, findings.findings(false), ms)
    } else {
        Stage::blocked(
            id,
            chain_blocker(earlier),
            "the served chain did not verify, so the device certificate was not sent (as a device does not send it)",
        )
    }
}

/// The connection findings of the device's handshake that are this stage's.
pub fn routed(served: &crate::doctor::facts::Served) -> impl Iterator<Item = &Finding> {
    let context = Context::of_chain(&served.chain.findings, served.probe.client_auth.requested);
    route::routed(
        &served.connection,
        Engine::Connection,
        context,
        StageId::ClientAuth,
    )
}

/// The network, when the device's handshakes could run at all; else the stage `id` blocked
/// by what kept them from running (shared with `mqtt`).
pub fn before_identity(id: StageId, facts: &Facts) -> Result<&NetworkFacts, Stage> {
    let Some(network) = &facts.network else {
        return Err(Stage::blocked(id, StageId::Config, "no endpoint is named"));
    };
    if let Some(blocker) = network.blocker() {
        return Err(Stage::blocked(
            id,
            blocker,
            "no port accepted a TCP connection",
        ));
    }
    if facts.credentials.identity.is_none() && facts.transport == DeviceTransport::Tls {
        return Err(Stage::blocked(
            id,
            StageId::Credentials,
            "no usable device certificate and key to present",
        ));
    }
    Ok(network)
}

/// Why the device's identity was not sent over a port: the chain did not verify, because of
/// the CA file, the clock, or what was served.
pub fn chain_blocker(earlier: &Earlier) -> StageId {
    if earlier.failed(StageId::Trust) {
        StageId::Trust
    } else if earlier.failed(StageId::Clock) {
        StageId::Clock
    } else {
        StageId::Tls
    }
}

pub fn advice(stage: &Stage, evidence: &Evidence) -> String {
    let id = evidence
        .certificate_id
        .as_deref()
        .map_or(String::from("<certificate id>"), |id| id.to_string());
    let check = format!(
        "check it with aws iot describe-certificate --certificate-id {id} in the endpoint's account and region"
    );
    match (stage.lead(), evidence.alerts.first()) {
        (Some(Code::ClientCertRejected), Some(alert)) => {
            let meaning = alert_advice(alert, AlertStage::ClientAuth).unwrap_or(
                "the certificate is not registered in this account and region, is inactive, or its CA is not registered",
            );
            format!("The server rejected the device certificate with the alert {alert} ({meaning}): {check}, register and activate it (or register its CA), or install the certificate that is.")
        }
        (Some(Code::ClientCertRejected), None) => format!("The server closed the connection after the device certificate: it is likely not registered in this account and region, inactive, or its CA is not registered; {check}."),
        (Some(Code::NoTlsSession), _) => "The device's own handshake did not come up (the client_auth findings say how) although the others did: check the device's certificate and key are the ones this endpoint expects.".into(),
        _ => format!("Register and activate the device certificate in the endpoint's account and region ({check}), or install the certificate that is registered."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::facts::Handshake;
    use crate::doctor::stages::testing::{
        facts, failed, identity, port, served_ok, served_unverified,
    };
    use crate::doctor::stages::Status;

    #[test]
    fn the_stage_follows_the_devices_handshake() {
        let rejected = || {
            let mut h = served_ok(
                vec![],
                vec![Finding::new(Code::ClientCertRejected, "alert")],
            );
            if let Ok(s) = &mut h.result {
                s.probe.client_auth.requested = true;
            }
            h
        };
        // (the device's handshake, earlier failures, status, depends_on, codes)
        type Case = (Handshake, Vec<Stage>, Status, Option<StageId>, Vec<Code>);
        let cases: Vec<Case> = vec![
            (served_ok(vec![], vec![]), vec![], Status::Ok, None, vec![]),
            (
                rejected(),
                vec![],
                Status::Fail,
                None,
                vec![Code::ClientCertRejected],
            ),
            // Not sent over a chain that did not verify: blocked by what made it fail.
            (
                served_unverified(),
                vec![],
                Status::Skipped,
                Some(StageId::Tls),
                vec![],
            ),
            (
                served_unverified(),
                vec![failed(StageId::Trust, Code::UnknownIssuer)],
                Status::Skipped,
                Some(StageId::Trust),
                vec![],
            ),
            (
                served_unverified(),
                vec![failed(StageId::Clock, Code::ClockSkew)],
                Status::Skipped,
                Some(StageId::Clock),
                vec![],
            ),
        ];
        for (device, earlier, status, depends_on, codes) in cases {
            let mut f = facts();
            f.credentials.identity = Some(identity());
            let mut network = port(8883, vec![served_ok(vec![], vec![])]);
            network.ports[0].device = Some(device);
            f.network = Some(network);
            let stage = judge(&f, &Earlier(&earlier));
            assert_eq!(stage.status, status, "{stage:?}");
            assert_eq!(stage.depends_on, depends_on);
            assert_eq!(
                stage.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
                codes
            );
        }
        // Without an identity to present: blocked by credentials.
        let mut f = facts();
        f.network = Some(port(8883, vec![served_ok(vec![], vec![])]));
        assert_eq!(
            judge(&f, &Earlier(&[])).depends_on,
            Some(StageId::Credentials)
        );
    }

    #[test]
    fn the_advice_names_the_alert_and_its_causes() {
        let evidence = Evidence {
            certificate_id: Some("ab12".into()),
            alerts: vec!["unknown_ca".into()],
            ..Evidence::default()
        };
        let text = advice(
            &failed(StageId::ClientAuth, Code::ClientCertRejected),
            &evidence,
        );
        assert!(text.contains("with the alert unknown_ca"), "{text}");
        assert!(text.contains("issuer is not registered"), "{text}");
        assert!(text.contains("--certificate-id ab12"), "{text}");
        let bad = Evidence {
            alerts: vec!["bad_certificate".into()],
            ..evidence
        };
        let text = advice(&failed(StageId::ClientAuth, Code::ClientCertRejected), &bad);
        assert!(text.contains("not registered in this account and region, or is inactive"));
    }
}

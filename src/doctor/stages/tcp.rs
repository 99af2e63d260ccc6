//! `tcp`: each port accepts a TCP connection: open, refused, or silently dropped (bounded by
//! `--timeout`); skipped through a proxy, which connects.

use super::{Earlier, Stage, StageId};
use crate::doctor::facts::Facts;
use crate::doctor::verdict::{Evidence, TcpState};
use crate::finding::{Code, Finding};
use crate::net::NetError;

pub fn judge(facts: &Facts, earlier: &Earlier) -> Stage {
    let id = StageId::Tcp;
    let Some(network) = &facts.network else {
        return Stage::blocked(id, StageId::Config, "no endpoint is named");
    };
    if earlier.failed(StageId::Dns) {
        return Stage::blocked(id, StageId::Dns, "the name did not resolve");
    }
    if network.resolved.is_none() {
        return Stage::skipped(
            id,
            "the device connects through an HTTP proxy: the tls stage's probes go through it",
        );
    }
    let findings = network
        .ports
        .iter()
        .filter_map(|port| match &port.tcp {
            Some(Err(e)) => Some(finding(port.port, e)),
            _ => None,
        })
        .collect();
    let ms = network.ports.iter().map(|p| p.tcp_ms).fold(0.0, f64::max);
    Stage::judged(id, findings, ms)
}

/// The finding of a port that did not accept.
fn finding(port: u16, error: &NetError) -> Finding {
    let code = match error {
        NetError::Timeout { .. } => Code::TcpTimeout,
        _ => Code::TcpRefused,
    };
    Finding::new(code, format!("port {port}: {error}"))
}

pub fn advice(_stage: &Stage, evidence: &Evidence) -> String {
    let with = |state: TcpState| -> Vec<String> {
        evidence
            .ports
            .iter()
            .filter(|p| p.tcp == Some(state))
            .map(|p| p.port.to_string())
            .collect()
    };
    let (open, refused, dropped) = (
        with(TcpState::Open),
        with(TcpState::Refused),
        with(TcpState::Dropped),
    );
    let list = |ports: &[String]| {
        let word = if ports.len() == 1 { "port" } else { "ports" };
        format!("{word} {}", ports.join(", "))
    };
    if !open.is_empty() {
        let failed: Vec<String> = refused.iter().chain(&dropped).cloned().collect();
        let how = match (refused.is_empty(), dropped.is_empty()) {
            (false, true) => "refused",
            (true, false) => "silently dropped",
            _ => "refused or dropped",
        };
        return format!(
            "Only {} accepted; {} {how}: open {} in the firewall for outbound TCP to the endpoint, or configure the device for {} (443 needs ALPN x-amzn-mqtt-ca for MQTT).",
            list(&open),
            list(&failed),
            if failed.len() == 1 { "it" } else { "them" },
            list(&open)
        );
    }
    match (refused.is_empty(), dropped.is_empty()) {
        (false, true) => format!(
            "Every port was refused ({}): nothing of AWS IoT listens at the address dialed, or a firewall rejects the connections; check the endpoint (and --connect), then the firewall.",
            list(&refused)
        ),
        (true, false) => format!(
            "Every port was silently dropped ({}): a firewall blocks outbound TCP to the endpoint; open 8883 or 443, or give the device an HTTP proxy the network allows.",
            list(&dropped)
        ),
        _ => "No port accepted TCP (some refused, some dropped): check the address dialed and the firewall for outbound TCP to the endpoint on 8883, 443 and 8443.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::facts::PortFacts;
    use crate::doctor::stages::testing::{facts, failed, network, refused, timed_out};
    use crate::doctor::verdict::PortEvidence;

    #[test]
    fn each_port_that_did_not_accept_is_named() {
        let mut f = facts();
        let mut closed = PortFacts::untried(8883);
        closed.tcp = Some(Err(refused()));
        let mut silent = PortFacts::untried(443);
        silent.tcp = Some(Err(timed_out()));
        f.network = Some(network(Some(Ok(vec![])), vec![closed, silent]));
        let stage = judge(&f, &Earlier(&[]));
        let codes: Vec<Code> = stage.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::TcpRefused, Code::TcpTimeout]);
        assert!(stage.findings[0].message.starts_with("port 8883: "));
        // After a failed lookup, or through a proxy, it does not run.
        let dns = [failed(StageId::Dns, Code::DnsFailed)];
        assert_eq!(judge(&f, &Earlier(&dns)).depends_on, Some(StageId::Dns));
        f.network = Some(network(None, vec![]));
        assert_eq!(
            judge(&f, &Earlier(&[]))
                .reason
                .as_deref()
                .map(|r| r.contains("proxy")),
            Some(true)
        );
    }

    #[test]
    fn the_advice_tells_refused_from_dropped_and_all_from_some() {
        let ports = |states: &[(u16, TcpState)]| Evidence {
            ports: states
                .iter()
                .map(|&(port, state)| PortEvidence {
                    port,
                    tcp: Some(state),
                    no_tls: None,
                })
                .collect(),
            ..Evidence::default()
        };
        let stage = failed(StageId::Tcp, Code::TcpRefused);
        let cases = [
            (
                &[(8883, TcpState::Refused), (443, TcpState::Refused)][..],
                "Every port was refused (ports 8883, 443)",
            ),
            (
                &[(8883, TcpState::Dropped), (443, TcpState::Dropped)][..],
                "Every port was silently dropped",
            ),
            (
                &[(8883, TcpState::Dropped), (443, TcpState::Open)][..],
                "Only port 443 accepted; port 8883 silently dropped",
            ),
            (
                &[(8883, TcpState::Dropped), (443, TcpState::Refused)][..],
                "No port accepted TCP (some refused, some dropped)",
            ),
        ];
        for (states, start) in cases {
            let text = advice(&stage, &ports(states));
            assert!(text.starts_with(start), "{text}");
        }
        let dropped = advice(&stage, &ports(&[(8883, TcpState::Dropped)]));
        assert!(dropped.contains("HTTP proxy"), "{dropped}");
        let some = advice(
            &stage,
            &ports(&[(8883, TcpState::Dropped), (443, TcpState::Open)]),
        );
        assert!(some.contains("x-amzn-mqtt-ca"), "{some}");
    }
}

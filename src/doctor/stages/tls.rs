//! `tls`: on each open port, with the ALPN that port needs, the handshakes offering only RSA
//! and only ECDSA signatures come up, and each chain served is valid for the endpoint's
//! name: the chain verifier's findings that are not the CA file's (`trust`), the chain's
//! size, and a handshake that failed without a client certificate being asked for.

use super::route::{self, Context, Engine};
use super::{Earlier, Gathered, Stage, StageId};
use crate::doctor::facts::Facts;
use crate::doctor::verdict::{Evidence, NoTls, PortEvidence};
use crate::finding::{Code, Finding};
use crate::verify::{classify, EndpointKind};

pub fn judge(facts: &Facts, _earlier: &Earlier) -> Stage {
    let id = StageId::Tls;
    let Some(network) = &facts.network else {
        return Stage::blocked(id, StageId::Config, "no endpoint is named");
    };
    if let Some(blocker) = network.blocker() {
        return Stage::blocked(id, blocker, "no port accepted a TCP connection");
    }
    let mut findings = Gathered::default();
    let mut ms: f64 = 0.0;
    for port in network.reached() {
        let label = format!("port {}", port.port);
        ms = port.anonymous().map(|h| h.ms).fold(ms, f64::max);
        if let Some(error) = port.no_tls() {
            findings.add(
                Finding::new(Code::NoTlsSession, format!("port {}: {error}", port.port)),
                "",
            );
            continue;
        }
        for handshake in port.handshakes() {
            let Ok(served) = &handshake.result else {
                continue;
            };
            let requested = served.probe.client_auth.requested;
            let chain = Context::of_chain(&served.chain.findings, requested);
            for f in route::routed(&served.chain.findings, Engine::Chain, chain, id) {
                findings.add(f.clone(), &label);
            }
            for f in route::routed(&served.connection, Engine::Connection, chain, id) {
                findings.add(f.clone(), &label);
            }
        }
    }
    Stage::judged(id, findings.findings(false), ms)
}

pub fn advice(stage: &Stage, evidence: &Evidence) -> String {
    let name = evidence.endpoint.as_deref().unwrap_or("the endpoint");
    let failing: Vec<&PortEvidence> = evidence
        .ports
        .iter()
        .filter(|p| p.no_tls.is_some())
        .collect();
    let custom = classify(name).kind == EndpointKind::CustomDomain;
    match stage.lead() {
        Some(Code::NoTlsSession) => {
            let port = failing.first().map(|p| p.port);
            match (port, failing.first().and_then(|p| p.no_tls)) {
                (Some(443), Some(NoTls::Silent)) => "Port 443 accepted TCP but stayed silent: AWS IoT answers MQTT there only with ALPN x-amzn-mqtt-ca (configure the device's TLS stack to send it), or a middlebox holds the connection.".into(),
                (Some(port), Some(NoTls::Silent)) => format!("Port {port} accepted TCP but never answered the TLS handshake: a firewall or middlebox holds the connection, or the address dialed is not AWS IoT's; check the path to {name}."),
                (Some(port), Some(NoTls::NotTls)) => format!("Port {port} answered with something that is not TLS (a captive portal, a proxy or another service): check the address dialed and the network's proxy for {name}."),
                (Some(port), Some(NoTls::Closed)) => format!("Port {port} closed the connection during the TLS handshake: a firewall or middlebox cuts TLS to {name}, or the server refuses the TLS versions or SNI offered."),
                _ => format!("No TLS session came up with {name}: check that the endpoint and port are AWS IoT's (443 needs ALPN x-amzn-mqtt-ca) and that no middlebox intercepts TLS."),
            }
        }
        Some(Code::NameMismatch) => format!("The served certificate is not valid for {name}: use the endpoint aws iot describe-endpoint --endpoint-type iot:Data-ATS gives, and check that nothing in the path intercepts TLS."),
        Some(Code::Expired) if custom => format!(
            "The server's certificate has expired at the device's time: check the device's clock; if it is right, {}.",
            super::clock::expired_custom_domain(name)
        ),
        Some(Code::Expired | Code::NotYetValid) => "The server serves a certificate that is not valid at the device's time: check the device's clock; if it is right, something in the path that is not AWS IoT answers.".into(),
        Some(Code::HandshakeFailed) => format!("The TLS handshake with {name} failed after the server's certificate (the tls findings say how): check that the device's TLS stack and what answers agree on versions and algorithms, and that nothing intercepts TLS."),
        _ => format!("The server's chain does not verify for {name}: use the endpoint from aws iot describe-endpoint --endpoint-type iot:Data-ATS and check what intercepts the connection."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::facts::PortFacts;
    use crate::doctor::stages::testing::{facts, failed, network, port, served_ok, timed_out};
    use crate::doctor::stages::Status;
    use crate::doctor::verdict::TcpState;

    #[test]
    fn the_stage_takes_what_the_served_chains_and_connections_show() {
        // (chain findings, connection findings, certificate requested, codes of the stage)
        let cases = [
            (vec![], vec![], false, vec![]),
            (
                vec![Code::NameMismatch],
                vec![],
                false,
                vec![Code::NameMismatch],
            ),
            // The CA file's question goes to trust.
            (vec![Code::UnknownIssuer], vec![], false, vec![]),
            (
                vec![Code::UnknownIssuer, Code::MissingIntermediate],
                vec![],
                false,
                vec![Code::UnknownIssuer, Code::MissingIntermediate],
            ),
            (
                vec![],
                vec![Code::LargeChain],
                false,
                vec![Code::LargeChain],
            ),
            (
                vec![],
                vec![Code::HandshakeFailed],
                false,
                vec![Code::HandshakeFailed],
            ),
            // Asked for a certificate, the failed handshake is client_auth's question.
            (vec![], vec![Code::HandshakeFailed], true, vec![]),
            (vec![], vec![Code::MqttRefused], false, vec![]),
        ];
        for (chain, connection, requested, want) in cases {
            let make = |codes: &[Code]| codes.iter().map(|c| Finding::new(*c, "x")).collect();
            let mut handshake = served_ok(make(&chain), make(&connection));
            if let Ok(served) = &mut handshake.result {
                served.probe.client_auth.requested = requested;
            }
            let mut f = facts();
            f.network = Some(port(8883, vec![handshake]));
            let stage = judge(&f, &Earlier(&[]));
            let mut got: Vec<Code> = stage.findings.iter().map(|f| f.code).collect();
            got.sort();
            let mut want = want;
            want.sort();
            assert_eq!(got, want, "{chain:?} {connection:?} requested {requested}");
        }
    }

    #[test]
    fn a_port_without_any_tls_session_says_how() {
        let mut silent = PortFacts::untried(443);
        silent.tcp = Some(Ok("127.0.0.1:443".parse().unwrap()));
        silent.rsa = Some(crate::doctor::facts::Handshake {
            result: Err(timed_out()),
            ms: 1.0,
        });
        silent.ecdsa = Some(crate::doctor::facts::Handshake {
            result: Err(timed_out()),
            ms: 1.0,
        });
        let mut f = facts();
        f.network = Some(network(Some(Ok(vec![])), vec![silent]));
        let stage = judge(&f, &Earlier(&[]));
        assert_eq!(stage.status, Status::Fail);
        assert_eq!(stage.findings[0].code, Code::NoTlsSession);
        assert!(stage.findings[0].message.starts_with("port 443: "));
        // No port reached: blocked by tcp.
        f.network = Some(network(Some(Ok(vec![])), vec![PortFacts::untried(8883)]));
        assert_eq!(judge(&f, &Earlier(&[])).depends_on, Some(StageId::Tcp));
    }

    #[test]
    fn the_advice_follows_how_the_port_failed() {
        let port = |endpoint: &str, port: u16, how: NoTls| Evidence {
            endpoint: Some(endpoint.into()),
            ports: vec![PortEvidence {
                port,
                tcp: Some(TcpState::Open),
                no_tls: Some(how),
            }],
            ..Evidence::default()
        };
        let aws = "abc-ats.iot.eu-west-1.amazonaws.com";
        let stage = failed(StageId::Tls, Code::NoTlsSession);
        assert!(advice(&stage, &port(aws, 443, NoTls::Silent)).contains("ALPN x-amzn-mqtt-ca"));
        let silent = advice(&stage, &port(aws, 8883, NoTls::Silent));
        assert!(
            silent.contains("never answered the TLS handshake"),
            "{silent}"
        );
        assert!(advice(&stage, &port(aws, 8883, NoTls::NotTls)).contains("not TLS"));
        assert!(advice(&stage, &port(aws, 8883, NoTls::Closed)).contains("closed the connection"));
        let name = advice(
            &failed(StageId::Tls, Code::NameMismatch),
            &port(aws, 8883, NoTls::Other),
        );
        assert!(
            name.contains("not valid for abc-ats.iot.eu-west-1.amazonaws.com"),
            "{name}"
        );
        // An expired server certificate: AWS IoT never serves one; a custom domain's is the
        // customer's own.
        let expired = failed(StageId::Tls, Code::Expired);
        let text = advice(&expired, &port(aws, 8883, NoTls::Other));
        assert!(text.contains("not AWS IoT answers"), "{text}");
        let text = advice(&expired, &port("mqtt.example.com", 8883, NoTls::Other));
        assert!(
            text.contains("custom domain mqtt.example.com has expired: it is your own"),
            "{text}"
        );
        assert!(text.contains("re-import"), "{text}");
        assert!(!text.contains("not AWS IoT answers"), "{text}");
    }
}

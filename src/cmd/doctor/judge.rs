//! From what `doctor` gathered to its stages: the network stages, the identity stages
//! (client_auth, mqtt), the account stage, and the evidence the advice follows.

use super::*;

// ------------------------------------------------------------------------------------------
// the network stages

/// trust, clock, dns, tcp, tls, client_auth and mqtt, from what the network showed.
pub(super) fn network_stages(
    network: &Network,
    trust: &Trust,
    trust_offline_ms: f64,
    credentials: &Credentials,
    settings: &Settings,
) -> Vec<Stage> {
    // dns
    let dns = match &network.resolved {
        None => Stage::skipped(
            StageId::Dns,
            "the device connects through an HTTP proxy: the proxy resolves the endpoint",
        ),
        Some(Ok(_)) => Stage::judged(StageId::Dns, Vec::new(), network.resolve_ms),
        Some(Err(e)) => Stage::judged(
            StageId::Dns,
            vec![stages::dns_finding(
                network.view.dial.as_deref().unwrap_or(""),
                e,
            )],
            network.resolve_ms,
        ),
    };

    // tcp
    let tcp = if dns.failed() {
        Stage::blocked(StageId::Tcp, StageId::Dns, "the name did not resolve")
    } else if network.resolved.is_none() {
        Stage::skipped(
            StageId::Tcp,
            "the device connects through an HTTP proxy: the tls stage's probes go through it",
        )
    } else {
        let findings = network
            .ports
            .iter()
            .filter_map(|run| match &run.tcp {
                Some(Err(e)) => Some(stages::tcp_finding(run.port, e)),
                _ => None,
            })
            .collect();
        let ms = network.ports.iter().map(|r| r.tcp_ms).fold(0.0, f64::max);
        Stage::judged(StageId::Tcp, findings, ms)
    };
    let reached: Vec<&PortRun> = network
        .ports
        .iter()
        .filter(|r| r.rsa.is_some() || r.ecdsa.is_some())
        .collect();

    // tls and the served chains' trust findings
    let mut tls_findings = Gathered::default();
    let mut trust_findings = Gathered::default();
    let mut served = Vec::new();
    let mut tls_ms: f64 = 0.0;
    for run in &reached {
        let label = format!("port {}", run.port);
        let families = [&run.rsa, &run.ecdsa];
        let outcomes: Vec<&Handshake> = families.iter().filter_map(|h| h.as_ref()).collect();
        tls_ms = outcomes.iter().map(|h| h.ms).fold(tls_ms, f64::max);
        if outcomes.iter().all(|h| h.result.is_err()) {
            if let Some(Err(e)) = outcomes.first().map(|h| &h.result) {
                tls_findings.add(stages::no_tls_finding(run.port, e), "");
            }
            continue;
        }
        let all = families.into_iter().chain([&run.device]).flatten();
        for h in all {
            let Ok((probe, chain)) = &h.result else {
                continue;
            };
            for f in &chain.findings {
                if stages::is_trust_finding(f.code, &chain.findings) {
                    trust_findings.add(f.clone(), "");
                } else {
                    tls_findings.add(f.clone(), &label);
                }
            }
            if let Some(leaf) = probe
                .served
                .first()
                .and_then(|der| Cert::from_der(der, "served").ok())
            {
                served.push(ServedValidity {
                    label: label.clone(),
                    subject: leaf.display_name().to_string(),
                    not_before: leaf.not_before,
                    not_after: leaf.not_after,
                });
            }
            let without_identity = probe.client_auth.requested && !probe.client_auth.sent;
            for f in connection_findings(&Connection {
                probe,
                chain_verified: chain.is_valid(),
                served_bytes: chain.total_bytes,
                insecure: false,
            }) {
                let tls_level = match f.code {
                    Code::LargeChain => true,
                    // Without the device's certificate a server that requires one ends the
                    // handshake: that is the client_auth stage's question, asked there.
                    Code::HandshakeFailed => !without_identity && !probe.client_auth.requested,
                    _ => false,
                };
                if tls_level {
                    tls_findings.add(f, &label);
                }
            }
        }
    }
    let network_blocker = if dns.failed() {
        Some(StageId::Dns)
    } else if reached.is_empty() && network.resolved.is_some() {
        Some(StageId::Tcp)
    } else {
        None
    };
    let tls = match network_blocker {
        Some(blocker) => Stage::blocked(StageId::Tls, blocker, "no port accepted a TCP connection"),
        None => Stage::judged(StageId::Tls, tls_findings.findings(false), tls_ms),
    };

    let trust_stage = match &trust.blocked {
        Some(stage) => stage.clone(),
        None => {
            let mut findings = trust.findings.clone();
            findings.extend(trust_findings.findings(true));
            Stage::judged(StageId::Trust, findings, trust_offline_ms)
        }
    };

    let clock = match stages::clock_stage(settings.at, &served, 0.0) {
        Some(stage) => stage,
        None => Stage::blocked(
            StageId::Clock,
            network_blocker.unwrap_or(StageId::Tls),
            "no certificate was served to compare the clock with",
        ),
    };

    // Why the device's identity was not sent over a port: the chain did not verify.
    let chain_blocker = if trust_stage.failed() {
        StageId::Trust
    } else if clock.failed() {
        StageId::Clock
    } else {
        StageId::Tls
    };
    let (client_auth, mqtt) =
        identity_stages(&reached, network_blocker, chain_blocker, credentials);
    vec![trust_stage, clock, dns, tcp, tls, client_auth, mqtt]
}

/// client_auth and mqtt, from the device's handshakes.
pub(super) fn identity_stages(
    reached: &[&PortRun],
    network_blocker: Option<StageId>,
    chain_blocker: StageId,
    credentials: &Credentials,
) -> (Stage, Stage) {
    if let Some(blocker) = network_blocker {
        let reason = "no port accepted a TCP connection";
        return (
            Stage::blocked(StageId::ClientAuth, blocker, reason),
            Stage::blocked(StageId::Mqtt, blocker, reason),
        );
    }
    if credentials.identity.is_none() {
        let earlier = credentials.stage.depends_on.unwrap_or(StageId::Credentials);
        let reason = "no usable device certificate and key to present";
        return (
            Stage::blocked(StageId::ClientAuth, earlier, reason),
            Stage::blocked(StageId::Mqtt, earlier, reason),
        );
    }
    let mut auth = Gathered::default();
    let mut mqtt = Gathered::default();
    let (mut auth_ran, mut mqtt_ran, mut mqtt_ports) = (false, false, false);
    let mut mqtt_blocker = None;
    let (mut auth_ms, mut mqtt_ms): (f64, f64) = (0.0, 0.0);
    for run in reached {
        mqtt_ports |= run.mqtt;
        let Some(device) = &run.device else {
            continue;
        };
        let label = format!("port {}", run.port);
        let (probe, chain) = match &device.result {
            Ok(done) => done,
            Err(e) => {
                auth_ran = true;
                auth.add(stages::no_tls_finding(run.port, e), "");
                continue;
            }
        };
        if !chain.is_valid() || probe.client_auth.withheld {
            mqtt_blocker.get_or_insert(chain_blocker);
            continue;
        }
        auth_ran = true;
        let t = &probe.timings;
        auth_ms = auth_ms.max(t.handshake + t.post_handshake.unwrap_or(0.0));
        let findings = connection_findings(&Connection {
            probe,
            chain_verified: true,
            served_bytes: chain.total_bytes,
            insecure: false,
        });
        let mut rejected = false;
        for f in findings {
            match f.code {
                Code::ClientCertRejected | Code::ClientCertNotSent | Code::HandshakeFailed => {
                    rejected |= f.is_error();
                    auth.add(f, &label);
                }
                // MQTT is the next stage's; the chain's size is the tls stage's.
                _ => {}
            }
        }
        match &probe.mqtt {
            None => {}
            Some(MqttOutcome::NotSent { .. }) if rejected => {
                mqtt_blocker.get_or_insert(StageId::ClientAuth);
            }
            Some(MqttOutcome::NotSent { reason }) => {
                mqtt_ran = true;
                auth.add(
                    Finding::new(
                        Code::MqttNotSent,
                        format!("MQTT CONNECT was not sent: {reason}"),
                    ),
                    &label,
                );
            }
            Some(_) => {
                mqtt_ran = true;
                mqtt_ms = mqtt_ms.max(probe.timings.mqtt.unwrap_or(0.0));
                for f in connection_findings(&Connection {
                    probe,
                    chain_verified: true,
                    served_bytes: chain.total_bytes,
                    insecure: false,
                }) {
                    if matches!(
                        f.code,
                        Code::MqttRefused
                            | Code::MqttClosed
                            | Code::MqttTimeout
                            | Code::MqttUnexpected
                    ) {
                        mqtt.add(f, &label);
                    }
                }
            }
        }
    }
    let client_auth = if auth_ran {
        Stage::judged(StageId::ClientAuth, auth.findings(false), auth_ms)
    } else {
        Stage::blocked(
            StageId::ClientAuth,
            chain_blocker,
            "the served chain did not verify, so the device certificate was not sent (as a device does not send it)",
        )
    };
    let mqtt = if mqtt_ran {
        Stage::judged(StageId::Mqtt, mqtt.findings(false), mqtt_ms)
    } else if !mqtt_ports {
        Stage::skipped(
            StageId::Mqtt,
            "no MQTT port among the ports checked (8443 is HTTPS)",
        )
    } else if let Some(blocker) = mqtt_blocker {
        let reason = if blocker == StageId::ClientAuth {
            "the device certificate was rejected, so no CONNECT could be sent"
        } else {
            "the served chain did not verify, so no CONNECT was sent"
        };
        Stage::blocked(StageId::Mqtt, blocker, reason)
    } else {
        Stage::skipped(
            StageId::Mqtt,
            "no client id: give --client-id or --thing (the certificate has no CN)",
        )
    };
    (client_auth, mqtt)
}

// ------------------------------------------------------------------------------------------
// account

pub(super) fn account_stage(
    settings: &Settings,
    device: &DeviceSettings,
    credentials: &Credentials,
    files: &Stage,
    client_id: Option<&str>,
) -> Stage {
    if !settings.account {
        return Stage::skipped(StageId::Account, "--no-account");
    }
    if !cfg!(feature = "aws") {
        return Stage::skipped(
            StageId::Account,
            "this iotcheck was built without AWS support (cargo feature aws)",
        );
    }
    let Some(cert) = &credentials.device else {
        let earlier = credentials
            .stage
            .depends_on
            .or(files.failed().then_some(StageId::Files))
            .unwrap_or(StageId::Credentials);
        return Stage::blocked(
            StageId::Account,
            earlier,
            "no readable device certificate to ask about",
        );
    };
    let Some(client_id) = client_id else {
        return Stage::skipped(
            StageId::Account,
            "no client id: give --client-id or --thing (the certificate has no CN)",
        );
    };
    let region = device.region.as_ref().map(|r| r.value.clone()).or_else(|| {
        device
            .endpoint
            .as_ref()
            .and_then(|e| classify(&e.value).region)
    });
    let aws_settings = AwsSettings {
        region,
        profile: None,
        timeout: settings.timeout,
    };
    let clock = Instant::now();
    match aws::account_facts(&aws_settings, &cert.sha256, client_id) {
        Ok(facts) => {
            let judgement = judge_account(
                &facts,
                cert,
                &Questions {
                    client_id: client_id.to_string(),
                    thing: device.thing.as_ref().map(|t| t.value.clone()),
                    publish: Vec::new(),
                    subscribe: Vec::new(),
                },
            );
            Stage::judged(StageId::Account, judgement.findings, millis(clock))
        }
        Err(e) => Stage {
            duration_ms: round(millis(clock)),
            ..Stage::skipped(StageId::Account, format!("AWS was not asked: {e}"))
        },
    }
}

// ------------------------------------------------------------------------------------------
// the evidence the advice follows

/// The facts the advice sentence follows: where the served chains lead, what each port did,
/// the server's alerts and the broker's answers.
pub(super) fn evidence(
    device: &DeviceSettings,
    files: &[FileFacts],
    trust: &Trust,
    credentials: &Credentials,
    network: Option<&Network>,
    client_id: Option<String>,
    at: i64,
) -> Evidence {
    let mut evidence = Evidence {
        client: match device.client {
            Client::DeviceClient => Some("the AWS IoT Device Client"),
            Client::Greengrass => Some("the AWS IoT Greengrass nucleus"),
            Client::Flags => None,
        },
        endpoint: device.endpoint.as_ref().map(|e| e.value.clone()),
        client_id,
        certificate_id: credentials.device.as_ref().map(|c| c.sha256.clone()),
        ca_files: device
            .ca
            .iter()
            .map(|f| f.path.value.display().to_string())
            .collect(),
        roots_held: trust
            .anchors
            .certs
            .iter()
            .filter_map(KnownRoot::find)
            .map(|k| k.file)
            .collect(),
        files: files.to_vec(),
        at,
        ..Evidence::default()
    };
    let Some(network) = network else {
        return evidence;
    };
    evidence.resolve_timed_out = matches!(network.resolved, Some(Err(NetError::Timeout { .. })));
    for run in &network.ports {
        let handshakes: Vec<&Handshake> = [&run.rsa, &run.ecdsa, &run.device]
            .into_iter()
            .flatten()
            .collect();
        let anonymous = [&run.rsa, &run.ecdsa].into_iter().flatten();
        let no_tls = anonymous
            .clone()
            .all(|h| h.result.is_err())
            .then(|| anonymous.filter_map(|h| h.result.as_ref().err()).next())
            .flatten()
            .map(NoTls::of);
        evidence.ports.push(PortEvidence {
            port: run.port,
            tcp: run.tcp.as_ref().map(TcpState::of),
            no_tls,
        });
        for h in handshakes {
            let Ok((probe, _)) = &h.result else {
                continue;
            };
            if let Some(end) = stages::chain_end(&probe.served) {
                if !evidence.chain_ends.contains(&end) {
                    evidence.chain_ends.push(end);
                }
            }
            if let Some(served) = probe
                .served
                .first()
                .and_then(|der| Cert::from_der(der, "served").ok())
            {
                evidence.served.push(ServedValidity {
                    label: format!("port {}", run.port),
                    subject: served.display_name().to_string(),
                    not_before: served.not_before,
                    not_after: served.not_after,
                });
            }
            if let Some(alert) = &probe.client_auth.rejection {
                if probe.client_auth.sent && !evidence.alerts.contains(alert) {
                    evidence.alerts.push(alert.clone());
                }
            }
            if let Some(MqttOutcome::Refused { code, .. }) = &probe.mqtt {
                evidence.mqtt_refusals.push(*code);
            }
        }
    }
    evidence
}

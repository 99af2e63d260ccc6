//! `doctor`'s probes: the name resolved once, then every port at once (TCP, then the
//! handshakes offering only RSA, only ECDSA, and the device's own with MQTT), one deadline each.

use super::*;

/// What the network showed: the resolution, and each port's probes.
pub(super) struct Network {
    /// Ok(addresses); None when the probes went through a proxy.
    pub(super) resolved: Option<Result<Vec<SocketAddr>, NetError>>,
    pub(super) resolve_ms: f64,
    pub(super) ports: Vec<PortRun>,
    pub(super) view: NetworkView,
}

pub(super) struct PortRun {
    pub(super) port: u16,
    pub(super) mqtt: bool,
    /// None: not tried (the name did not resolve) or through a proxy.
    pub(super) tcp: Option<Result<SocketAddr, NetError>>,
    pub(super) tcp_ms: f64,
    pub(super) rsa: Option<Handshake>,
    pub(super) ecdsa: Option<Handshake>,
    /// As the device connects: its identity, then MQTT on an MQTT port.
    pub(super) device: Option<Handshake>,
}

pub(super) struct Handshake {
    pub(super) result: Result<(Probe, ChainReport), NetError>,
    pub(super) ms: f64,
}

/// 443 carries MQTT with ALPN x-amzn-mqtt-ca, 8443 HTTPS; any other port (8883, or a local
/// port a test maps) MQTT without ALPN.
pub(super) fn port_protocol(port: u16) -> (&'static str, Vec<Vec<u8>>) {
    match port {
        443 => ("mqtt", vec![b"x-amzn-mqtt-ca".to_vec()]),
        8443 => ("https", Vec::new()),
        _ => ("mqtt", Vec::new()),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn network(
    settings: &Settings,
    device: &DeviceSettings,
    name: &str,
    anchors: &Anchors,
    policy: &Policy,
    identity: Option<&ClientIdentity>,
    client_id: Option<&str>,
) -> Network {
    let ports = device.ports.value.clone();
    let proxy = device.proxy.as_ref().map(|p| net::Proxy {
        host: p.value.host.clone(),
        port: p.value.port,
        credentials: p
            .value
            .username
            .clone()
            .map(|u| (u, p.value.password.clone().unwrap_or_default())),
    });
    let (dial_host, dial_port) = match &settings.connect {
        Some(text) => match net::split_host_port(text) {
            Ok((host, port)) => (host, port),
            Err(_) => (text.clone(), None),
        },
        None => (name.to_string(), None),
    };
    let sni = name
        .parse::<std::net::IpAddr>()
        .is_err()
        .then(|| name.to_string());

    // One deadline bounds each port's whole probe, the shared lookup included: a slow lookup
    // followed by a silent port ends by `--timeout`, not after a timeout per phase.
    let clock = Instant::now();
    let deadline = clock + settings.timeout;
    let resolved = match &proxy {
        Some(_) => None,
        None => Some(net::resolve(
            &dial_host,
            dial_port.or(ports.first().copied()).unwrap_or(8883),
            settings.timeout,
            deadline,
        )),
    };
    let resolve_ms = millis(clock);

    // MQTT CONNECT goes out on one port at a time: AWS IoT drops an earlier connection of the
    // same client id when another one connects. The handshakes before it run at once.
    let mqtt_turn = net::MqttTurn::default();
    let runs: Vec<PortRun> = std::thread::scope(|scope| {
        let handles: Vec<_> = ports
            .iter()
            .map(|&port| {
                let (resolved, proxy, sni, mqtt_turn) = (&resolved, &proxy, &sni, &mqtt_turn);
                scope.spawn(move || {
                    let (protocol, alpn) = port_protocol(port);
                    let base = ProbeSettings {
                        host: name.to_string(),
                        port,
                        connect_to: None,
                        sni: sni.clone(),
                        alpn,
                        timeout: settings.timeout,
                        deadline: Some(deadline),
                        proxy: proxy.clone(),
                        versions: TlsVersions::Both,
                        sig: SigFilter::Any,
                        client: None,
                        mqtt: None,
                        mqtt_turn: Some(mqtt_turn.clone()),
                    };
                    port_run(
                        base,
                        protocol == "mqtt",
                        resolved.as_ref(),
                        dial_port,
                        proxy.as_ref().map(|_| dial_host_for_proxy(settings, port)),
                        anchors,
                        policy,
                        identity,
                        client_id,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&ports)
            .map(|(h, &port)| {
                // A probe never panics on input; if one did, its port shows nothing.
                h.join().unwrap_or(PortRun {
                    port,
                    mqtt: false,
                    tcp: None,
                    tcp_ms: 0.0,
                    rsa: None,
                    ecdsa: None,
                    device: None,
                })
            })
            .collect()
    });

    let view = NetworkView {
        name: Some(name.to_string()),
        dial: Some(dial_host.clone()),
        proxy: proxy.as_ref().map(|p| format!("{}:{}", p.host, p.port)),
        addresses: match &resolved {
            Some(Ok(addresses)) => addresses.iter().map(|a| a.ip().to_string()).collect(),
            _ => Vec::new(),
        },
        ports: runs.iter().map(|run| port_view(run, client_id)).collect(),
    };
    Network {
        resolved,
        resolve_ms,
        ports: runs,
        view,
    }
}

/// With a proxy, the probe asks it for `--connect` (when given) on the port, else the endpoint.
pub(super) fn dial_host_for_proxy(settings: &Settings, port: u16) -> Option<String> {
    settings
        .connect
        .as_ref()
        .map(|c| match net::split_host_port(c) {
            Ok((host, Some(p))) => authority(&host, p),
            Ok((host, None)) => authority(&host, port),
            Err(_) => c.clone(),
        })
}

pub(super) fn authority(host: &str, port: u16) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One port: TCP, then the three handshakes at once.
#[allow(clippy::too_many_arguments)]
pub(super) fn port_run(
    base: ProbeSettings,
    mqtt_port: bool,
    resolved: Option<&Result<Vec<SocketAddr>, NetError>>,
    dial_port: Option<u16>,
    proxy_target: Option<Option<String>>,
    anchors: &Anchors,
    policy: &Policy,
    identity: Option<&ClientIdentity>,
    client_id: Option<&str>,
) -> PortRun {
    let port = base.port;
    let mut run = PortRun {
        port,
        mqtt: mqtt_port,
        tcp: None,
        tcp_ms: 0.0,
        rsa: None,
        ecdsa: None,
        device: None,
    };
    let connect_to = match (resolved, proxy_target) {
        (_, Some(target)) => target,
        (Some(Ok(addresses)), None) => {
            let port = dial_port.unwrap_or(port);
            let addresses: Vec<SocketAddr> = addresses
                .iter()
                .map(|a| SocketAddr::new(a.ip(), port))
                .collect();
            let clock = Instant::now();
            let deadline = base.deadline.unwrap_or_else(|| clock + base.timeout);
            let tcp = net::connect(&addresses, base.timeout, deadline);
            run.tcp_ms = millis(clock);
            let accepted = tcp.as_ref().ok().copied();
            run.tcp = Some(tcp);
            match accepted {
                // The probes dial the address that accepted: no second lookup.
                Some(address) => Some(address.to_string()),
                None => return run,
            }
        }
        (Some(Err(_)) | None, None) => return run,
    };
    let probe = |sig: SigFilter, device: bool| {
        let mut settings = ProbeSettings {
            connect_to: connect_to.clone(),
            sig,
            ..base.clone()
        };
        if device {
            settings.client = identity.cloned();
            settings.mqtt = match (mqtt_port, client_id) {
                (true, Some(id)) => Some(MqttSettings {
                    client_id: id.to_string(),
                    keep_alive_secs: 30,
                }),
                _ => None,
            };
        }
        let clock = Instant::now();
        let result = served::handshake(&settings, anchors, policy, false)
            .map(|h| (h.probe, chain_report(&h.chain, anchors, policy)));
        Handshake {
            result,
            ms: millis(clock),
        }
    };
    std::thread::scope(|scope| {
        let rsa = scope.spawn(|| probe(SigFilter::Rsa, false));
        let ecdsa = scope.spawn(|| probe(SigFilter::Ecdsa, false));
        let device = identity.map(|_| scope.spawn(|| probe(SigFilter::Any, true)));
        run.rsa = rsa.join().ok();
        run.ecdsa = ecdsa.join().ok();
        run.device = device.and_then(|d| d.join().ok());
    });
    run
}

pub(super) fn port_view(run: &PortRun, client_id: Option<&str>) -> PortView {
    let (protocol, alpn) = port_protocol(run.port);
    let tcp = run.tcp.as_ref().map(|tcp| TcpView {
        open: tcp.is_ok(),
        address: tcp.as_ref().ok().map(SocketAddr::to_string),
        error: tcp.as_ref().err().map(NetError::to_string),
        millis: round(run.tcp_ms),
    });
    let handshakes = [
        ("rsa", &run.rsa),
        ("ecdsa", &run.ecdsa),
        ("device", &run.device),
    ]
    .into_iter()
    .filter_map(|(sig, h)| {
        let h = h.as_ref()?;
        Some(match &h.result {
            Ok((probe, chain)) => {
                let findings = connection_findings(&Connection {
                    probe,
                    chain_verified: chain.is_valid(),
                    served_bytes: chain.total_bytes,
                    insecure: false,
                });
                let id = (sig == "device").then_some(client_id).flatten();
                PortHandshake::Done(Box::new(HandshakeReport::new(
                    sig,
                    chain.clone(),
                    probe,
                    id,
                    findings,
                )))
            }
            Err(e) => PortHandshake::Failed {
                sig: sig.to_string(),
                error: HandshakeError {
                    phase: e.phase(),
                    message: e.to_string(),
                },
            },
        })
    })
    .collect();
    PortView {
        port: run.port,
        protocol,
        alpn_offered: alpn
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        tcp,
        handshakes,
    }
}

//! The probes: the name resolved once, then every port at once (TCP, then the handshakes
//! offering only RSA, only ECDSA, and the device's own with MQTT), one deadline each.

use std::net::SocketAddr;
use std::time::Instant;

use super::{millis, probe, Plan};
use crate::doctor::config::DeviceSettings;
use crate::doctor::facts::{
    port_protocol_over, DeviceTransport, Handshake, NetworkFacts, PortFacts,
};
use crate::net::{
    self, ClientIdentity, MqttSettings, NetError, ProbeSettings, SigFilter, TlsVersions,
};
use crate::trust::Anchors;
use crate::verify::Policy;

pub(super) fn facts(
    plan: &Plan,
    device: &DeviceSettings,
    name: &str,
    anchors: &Anchors,
    policy: &Policy,
    identity: Option<&ClientIdentity>,
    client_id: Option<&str>,
) -> NetworkFacts {
    let ports = device.ports.value.clone();
    let mqtt = client_id.map(|id| plan.mqtt.settings(id));
    let proxy = super::proxy(device);
    let (dial_host, dial_port) = match &plan.connect {
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
    let deadline = clock + plan.timeout;
    let resolved = match &proxy {
        Some(_) => None,
        None => Some(net::resolve(
            &dial_host,
            dial_port.or(ports.first().copied()).unwrap_or(8883),
            plan.timeout,
            deadline,
        )),
    };
    let resolve_ms = millis(clock);

    // MQTT CONNECT goes out on one port at a time: AWS IoT drops an earlier connection of the
    // same client id when another one connects. The handshakes before it run at once.
    let mqtt_turn = net::MqttTurn::default();
    let runs: Vec<PortFacts> = std::thread::scope(|scope| {
        let handles: Vec<_> = ports
            .iter()
            .map(|&port| {
                let (resolved, proxy, sni, mqtt_turn) = (&resolved, &proxy, &sni, &mqtt_turn);
                let mqtt = &mqtt;
                scope.spawn(move || {
                    let (_, alpn) = port_protocol_over(port, &plan.device_transport);
                    let base = ProbeSettings {
                        host: name.to_string(),
                        port,
                        connect_to: None,
                        sni: sni.clone(),
                        alpn,
                        timeout: plan.timeout,
                        deadline: Some(deadline),
                        proxy: proxy.clone(),
                        versions: TlsVersions::Both,
                        sig: SigFilter::Any,
                        client: None,
                        mqtt: None,
                        mqtt_turn: Some(mqtt_turn.clone()),
                        transport: Default::default(),
                        https: None,
                    };
                    let target = match proxy {
                        Some(_) => Target::Proxy(dial_host_for_proxy(plan, port)),
                        None => Target::Resolved(resolved.as_ref(), dial_port),
                    };
                    let device = Device {
                        identity,
                        mqtt: mqtt.as_ref(),
                        plan,
                    };
                    port_facts(base, target, anchors, policy, device)
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&ports)
            .map(|(h, &port)| {
                // A probe never panics on input; if one did, its port shows nothing.
                h.join()
                    .unwrap_or_else(|_| PortFacts::untried_over(port, &plan.device_transport))
            })
            .collect()
    });

    NetworkFacts {
        name: name.to_string(),
        dial: dial_host,
        proxy: proxy.as_ref().map(|p| format!("{}:{}", p.host, p.port)),
        resolved,
        resolve_ms,
        ports: runs,
    }
}

/// Where a port's probes go.
enum Target<'a> {
    /// Through the proxy, asking it for this authority (None: the endpoint).
    Proxy(Option<String>),
    /// To the addresses the name resolved to (on the `--connect` port, when given).
    Resolved(Option<&'a Result<Vec<SocketAddr>, NetError>>, Option<u16>),
}

/// With a proxy, the probe asks it for `--connect` (when given) on the port, else the endpoint.
fn dial_host_for_proxy(plan: &Plan, port: u16) -> Option<String> {
    plan.connect
        .as_ref()
        .map(|c| match net::split_host_port(c) {
            Ok((host, Some(p))) => authority(&host, p),
            Ok((host, None)) => authority(&host, port),
            Err(_) => c.clone(),
        })
}

fn authority(host: &str, port: u16) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// How the device connects once the chain verified: its identity (on TLS), its MQTT, and the
/// transport that carries it.
struct Device<'a> {
    identity: Option<&'a ClientIdentity>,
    mqtt: Option<&'a MqttSettings>,
    plan: &'a Plan,
}

/// One port: TCP, then the three handshakes at once (the device's: with its certificate on
/// TLS, without one over a WebSocket or with a custom authorizer).
fn port_facts(
    base: ProbeSettings,
    target: Target<'_>,
    anchors: &Anchors,
    policy: &Policy,
    device: Device<'_>,
) -> PortFacts {
    let port = base.port;
    let over_tls = device.plan.device_transport == DeviceTransport::Tls;
    let mut run = PortFacts::untried_over(port, &device.plan.device_transport);
    let mqtt_port = run.mqtt;
    let connect_to = match target {
        Target::Proxy(authority) => authority,
        Target::Resolved(Some(Ok(addresses)), dial_port) => {
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
        Target::Resolved(_, _) => return run,
    };
    let handshake = |sig: SigFilter, as_device: bool| {
        let mut settings = ProbeSettings {
            connect_to: connect_to.clone(),
            sig,
            ..base.clone()
        };
        if as_device {
            settings.client = device.identity.filter(|_| over_tls).cloned();
            settings.mqtt = device.mqtt.filter(|_| mqtt_port).cloned();
            settings.transport = device.plan.transport.clone();
        }
        let clock = Instant::now();
        let result = probe::probe(&settings, anchors, policy);
        Handshake {
            result,
            ms: millis(clock),
        }
    };
    std::thread::scope(|scope| {
        let rsa = scope.spawn(|| handshake(SigFilter::Rsa, false));
        let ecdsa = scope.spawn(|| handshake(SigFilter::Ecdsa, false));
        let as_device = (device.identity.is_some() || !over_tls)
            .then(|| scope.spawn(|| handshake(SigFilter::Any, true)));
        run.rsa = rsa.join().ok();
        run.ecdsa = ecdsa.join().ok();
        run.device = as_device.and_then(|d| d.join().ok());
    });
    run
}

//! The device's HTTPS doors beside MQTT, probed as it uses them: the credentials provider
//! (the request Greengrass's token exchange service makes, with the role alias and the thing
//! name) and Greengrass's data plane (a handshake with the device's identity, ALPN
//! x-amzn-http-ca on 443). Each is one probe of the one engine, run beside the ports' probes.

use std::time::Instant;

use super::{millis, probe, Plan};
use crate::aws::{self, AwsSettings};
use crate::doctor::config::DeviceSettings;
use crate::doctor::facts::{DoorFacts, DoorOutcome};
use crate::net::{self, ClientIdentity, HttpsRequest, ProbeSettings, SigFilter, TlsVersions};
use crate::trust::Anchors;
use crate::verify::Policy;

/// The credentials provider's port: AWS IoT serves it on 443 only.
const CREDENTIALS_PORT: u16 = 443;

/// What every door's probe goes with: the plan, the device, its trust, the policy its chains
/// are judged under and its identity.
#[derive(Clone, Copy)]
pub(super) struct Doors<'a> {
    pub plan: &'a Plan,
    pub device: &'a DeviceSettings,
    pub anchors: &'a Anchors,
    pub policy: &'a Policy,
    pub identity: Option<&'a ClientIdentity>,
}

/// The credentials provider, when a role alias is named.
pub(super) fn credentials_provider(doors: Doors<'_>) -> Option<DoorFacts> {
    let Doors {
        plan,
        device,
        identity,
        ..
    } = doors;
    let provider = device.credentials_provider.as_ref()?;
    let clock = Instant::now();
    let (endpoint, source) = match &provider.endpoint {
        Some(e) => (Ok(e.value.clone()), crate::doctor::config::origin_words(&e.origin)),
        None if plan.account => {
            let settings = AwsSettings {
                region: device.region.as_ref().map(|r| r.value.clone()),
                profile: None,
                timeout: plan.timeout,
            };
            (
                aws::credentials_endpoint(&settings)
                    .map(|(host, _)| host)
                    .map_err(|e| format!("the account's iot:CredentialProvider endpoint could not be asked: {e}")),
                "DescribeEndpoint (iot:CredentialProvider)".to_string(),
            )
        }
        None => (
            Err("no credentials endpoint: set iotCredEndpoint or give --credentials-endpoint (or let the account be asked)".to_string()),
            String::new(),
        ),
    };
    let door = |host: String, port: u16, outcome: DoorOutcome| DoorFacts {
        host,
        port,
        source: source.clone(),
        outcome,
        ms: millis(clock),
    };
    let endpoint = match endpoint {
        Ok(e) => e,
        Err(why) => {
            return Some(door(
                String::new(),
                CREDENTIALS_PORT,
                DoorOutcome::NotProbed(why),
            ))
        }
    };
    let (host, port) = match net::split_host_port(&endpoint) {
        Ok((host, port)) => (host, port.unwrap_or(CREDENTIALS_PORT)),
        Err(why) => {
            return Some(door(
                endpoint,
                CREDENTIALS_PORT,
                DoorOutcome::NotProbed(why),
            ))
        }
    };
    let thing = device
        .thing
        .as_ref()
        .map(|t| t.value.as_str())
        .filter(|t| !t.is_empty());
    let request = match HttpsRequest::credentials(&provider.role_alias.value, thing) {
        Ok(request) => request,
        Err(why) => return Some(door(host, port, DoorOutcome::NotProbed(why))),
    };
    let Some(identity) = identity else {
        return Some(door(host, port, DoorOutcome::NoIdentity));
    };
    let outcome = probe_door(doors, &host, port, Vec::new(), identity, Some(request));
    Some(door(host, port, outcome))
}

/// Greengrass's data plane, when the configuration is a nucleus's.
pub(super) fn data_plane(doors: Doors<'_>) -> Option<DoorFacts> {
    let plane = doors.device.data_plane.as_ref()?;
    let clock = Instant::now();
    let alpn = if plane.port == 443 {
        vec![b"x-amzn-http-ca".to_vec()]
    } else {
        Vec::new()
    };
    let outcome = match doors.identity {
        None => DoorOutcome::NoIdentity,
        Some(identity) => probe_door(doors, &plane.host, plane.port, alpn, identity, None),
    };
    Some(DoorFacts {
        host: plane.host.clone(),
        port: plane.port,
        source: crate::doctor::config::origin_words(&plane.origin),
        outcome,
        ms: millis(clock),
    })
}

/// One handshake with the device's identity (and the request, when one is given) to
/// `host:port`, dialled at `--connect`'s address when given, through the device's proxy.
fn probe_door(
    doors: Doors<'_>,
    host: &str,
    port: u16,
    alpn: Vec<Vec<u8>>,
    identity: &ClientIdentity,
    https: Option<HttpsRequest>,
) -> DoorOutcome {
    let Doors {
        plan,
        device,
        anchors,
        policy,
        ..
    } = doors;
    let proxy = super::proxy(device);
    // `--connect ADDR[:PORT]`: the address only; each door keeps its own port.
    let connect_to = plan
        .connect
        .as_ref()
        .map(|c| match net::split_host_port(c) {
            Ok((address, _)) if address.contains(':') => format!("[{address}]:{port}"),
            Ok((address, _)) => format!("{address}:{port}"),
            Err(_) => c.clone(),
        });
    let settings = ProbeSettings {
        host: host.to_string(),
        port,
        connect_to,
        sni: host
            .parse::<std::net::IpAddr>()
            .is_err()
            .then(|| host.to_string()),
        alpn,
        timeout: plan.timeout,
        deadline: None,
        proxy,
        versions: TlsVersions::Both,
        sig: SigFilter::Any,
        client: Some(identity.clone()),
        mqtt: None,
        mqtt_turn: None,
        transport: Default::default(),
        https,
    };
    let policy = Policy {
        host: Some(host.to_string()),
        ..policy.clone()
    };
    DoorOutcome::Probed(Box::new(probe::probe(&settings, anchors, &policy)))
}

//! Everything `doctor` learns, and all of its I/O: the files as the file system shows them,
//! the credentials read and linted, the CA files read, every port probed as the device would
//! connect, and the account asked meanwhile. What comes out is [`Facts`]: plain data the
//! stages judge without touching anything.

use std::time::{Duration, Instant};

use crate::doctor::config::DeviceSettings;
use crate::doctor::facts::{Facts, LocalMillis};
use crate::verify::Policy;

mod account;
mod credentials;
mod doors;
mod files;
mod network;
mod probe;
mod trust;

/// What the gathering needs beyond the device's settings.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `--connect`: dial this address (optionally with a port, when one port is checked).
    pub connect: Option<String>,
    /// One deadline for each port's probe as a whole: resolve, connect, handshakes, MQTT.
    pub timeout: Duration,
    /// The instant certificates are judged at, unix seconds.
    pub at: i64,
    /// The expires_soon window, in days.
    pub warn_days: u32,
    /// Ask AWS about the certificate (off with `--no-account`).
    pub account: bool,
    /// What the device's MQTT session does after CONNECT.
    pub mqtt: MqttPlan,
    /// How the device's MQTT travels (`--transport`), resolved: the WebSocket's URL signed or
    /// the authorizer's headers; the custom authorizer's user name is in `mqtt`.
    pub transport: crate::net::Transport,
    /// The same, as the stages speak of it.
    pub device_transport: crate::doctor::facts::DeviceTransport,
}

/// The MQTT version of the device's CONNECT, and the topics to subscribe and publish to
/// after it. Topics come from `--subscribe` and `--publish`; a caller that knows the
/// device's features (the topics its client uses) adds them here. Nothing is published
/// unless a topic is listed.
#[derive(Clone, Debug, Default)]
pub struct MqttPlan {
    pub version: crate::net::MqttVersion,
    /// Why this version: "--mqtt-version", the configuration key that set it, or the default.
    pub version_origin: String,
    pub subscribe: Vec<String>,
    pub publish: Vec<String>,
    /// `--transport custom-auth`: the authorizer whose parameters the CONNECT's user name
    /// carries (its token is a secret: its `Debug` never shows it).
    pub authorizer: Option<crate::net::Authorizer>,
    /// What the configuration's features added: the features, the filters subscribed to,
    /// and the topics they publish to, which are not published (only `--publish` publishes).
    pub features: FeatureTopics,
}

/// The topics of the client's features (`policy::features`), as the MQTT exchange uses them.
#[derive(Clone, Debug, Default)]
pub struct FeatureTopics {
    pub features: Vec<String>,
    pub subscribed: Vec<String>,
    pub not_published: Vec<String>,
}

impl MqttPlan {
    /// This plan, with a SUBSCRIBE for each topic filter the features subscribe to (after
    /// the ones given); the topics they publish to are noted, never published.
    pub fn with_features(
        &self,
        features: &[crate::policy::features::Feature],
        client_id: &str,
        thing: &str,
    ) -> MqttPlan {
        use crate::policy::Action;
        let mut plan = self.clone();
        for need in crate::policy::features::needs(features, client_id, thing) {
            let list = match need.action {
                Action::Subscribe => &mut plan.features.subscribed,
                Action::Publish => &mut plan.features.not_published,
                _ => continue,
            };
            if list.contains(&need.name) {
                continue;
            }
            list.push(need.name.clone());
            if need.action == Action::Subscribe && !plan.subscribe.contains(&need.name) {
                plan.subscribe.push(need.name.clone());
            }
            if !plan.features.features.contains(&need.feature) {
                plan.features.features.push(need.feature.clone());
            }
        }
        plan
    }

    /// The CONNECT the device with `client_id` sends, and what follows it.
    pub fn settings(&self, client_id: &str) -> crate::net::MqttSettings {
        crate::net::MqttSettings {
            version: self.version,
            subscribe: self.subscribe.clone(),
            publish: self.publish.clone(),
            username: self
                .authorizer
                .as_ref()
                .map(crate::net::Authorizer::username),
            ..crate::net::MqttSettings::new(client_id, 30)
        }
    }
}

/// Gathers every fact about the device `device` describes; `config_ms` is how long reading
/// its configuration took.
pub fn gather(device: DeviceSettings, config_ms: f64, plan: &Plan) -> Facts {
    let clock = Instant::now();
    let files = files::facts(&device);
    let files_ms = millis(clock);

    let clock = Instant::now();
    let credentials = credentials::facts(&device, &files, plan.at, plan.warn_days);
    let credentials_ms = millis(clock);

    let clock = Instant::now();
    let trust = trust::facts(&device, &files);
    let trust_ms = millis(clock);

    let client_id = device
        .client_id
        .as_ref()
        .map(|c| c.value.clone())
        .or_else(|| {
            credentials
                .device
                .as_ref()
                .and_then(|d| d.subject_cn.clone())
        });
    // The topics the client's features use are subscribed to like `--subscribe`'s.
    let plan = &Plan {
        mqtt: match &client_id {
            Some(id) => {
                let thing = device.thing.as_ref().map_or(id.as_str(), |t| &t.value);
                plan.mqtt.with_features(&device.features, id, thing)
            }
            None => plan.mqtt.clone(),
        },
        ..plan.clone()
    };
    let endpoint = device.endpoint.as_ref().map(|e| e.value.clone());
    let policy = Policy {
        at: plan.at,
        host: endpoint.clone(),
        device_not_before: credentials.device.as_ref().map(|d| d.not_before),
        warn_days: plan.warn_days,
    };

    // The account is asked while the network is probed; the credentials provider and the
    // data plane are probed beside the ports.
    let (network, account, credentials_provider, data_plane) = std::thread::scope(|scope| {
        let doors = doors::Doors {
            plan,
            device: &device,
            anchors: &trust.anchors,
            policy: &policy,
            identity: credentials.identity.as_ref(),
        };
        let provider = scope.spawn(move || doors::credentials_provider(doors));
        let plane = scope.spawn(move || doors::data_plane(doors));
        let account = scope.spawn(|| {
            account::facts(
                plan,
                &device,
                credentials.device.as_ref(),
                client_id.as_deref(),
            )
        });
        let network = endpoint.as_deref().map(|name| {
            network::facts(
                plan,
                &device,
                name,
                &trust.anchors,
                &policy,
                credentials.identity.as_ref(),
                client_id.as_deref(),
            )
        });
        let account = account
            .join()
            .unwrap_or(crate::doctor::facts::AccountFacts::Stopped);
        // A probe never panics on input; if one did, its door shows nothing.
        let provider = provider.join().ok().flatten();
        let plane = plane.join().ok().flatten();
        (network, account, provider, plane)
    });

    Facts {
        device,
        at: plan.at,
        warn_days: plan.warn_days,
        policy,
        client_id,
        mqtt: plan.mqtt.clone(),
        transport: plan.device_transport.clone(),
        files,
        credentials,
        trust,
        network,
        credentials_provider,
        data_plane,
        account,
        millis: LocalMillis {
            config: config_ms,
            files: files_ms,
            credentials: credentials_ms,
            trust: trust_ms,
        },
    }
}

/// The device's HTTP CONNECT proxy, as the probes take it.
fn proxy(device: &DeviceSettings) -> Option<crate::net::Proxy> {
    device.proxy.as_ref().map(|p| crate::net::Proxy {
        host: p.value.host.clone(),
        port: p.value.port,
        credentials: p
            .value
            .username
            .clone()
            .map(|u| (u, p.value.password.clone().unwrap_or_default())),
    })
}

/// Milliseconds since `started`.
pub fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

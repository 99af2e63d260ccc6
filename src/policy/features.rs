//! What a device's features need of its policies: the exact actions and topics the AWS IoT
//! Device Client's features and an AWS IoT Greengrass v2 core use, read from their source at
//! pinned versions (each need says where), as data. [`requests`] turns a list of features
//! into the requests to evaluate for a thing.
//!
//! Sources:
//! - awslabs/aws-iot-device-client at 2e20e2149673d0bab2ed3880a475cfaff3c53102 (v1.10.1-4):
//!   the features call the AWS IoT Device SDK v2's service clients (IotJobsClient,
//!   IotShadowClient, IotIdentityClient, IotSecureTunnelingClient, ReportTask), whose topics
//!   are those of the MQTT APIs (jobs, shadow, fleet provisioning, secure tunneling, Device
//!   Defender); the call sites are named here.
//! - aws-greengrass/aws-greengrass-nucleus at a28341c41509bb52b0596212992cf5e6e5c57327
//!   (v2.17.0-27).

use super::{Action, Context, Request};

/// Where the Device Client's source is pinned.
pub const DEVICE_CLIENT: &str = "aws-iot-device-client@2e20e21";
/// Where the Greengrass nucleus's source is pinned.
pub const NUCLEUS: &str = "aws-greengrass-nucleus@a28341c";

/// One feature, with what it is configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Device Client jobs (on unless `jobs.enabled` is false).
    Jobs,
    /// Device Client secure tunneling (on unless `tunneling.enabled` is false).
    Tunneling,
    /// The classic (unnamed) shadow, as the SDK samples use it.
    Shadow,
    /// A named shadow: the Device Client's sample shadow (`sample-shadow.shadow-name`), or
    /// `shadow:NAME`.
    NamedShadow(String),
    /// The Device Client's config shadow, named `DeviceClientConfigShadow`.
    ConfigShadow,
    DeviceDefender,
    /// Fleet provisioning by claim, with the template's name; with a CSR
    /// (`fleet-provisioning.csr-file`) or without (CreateKeysAndCertificate).
    FleetProvisioning {
        template: String,
        csr: bool,
    },
    /// Sensor publish: the topics the sensors publish to.
    SensorPublish(Vec<String>),
    /// The pub/sub sample: its publish and subscribe topics.
    PubSub {
        publish: Option<String>,
        subscribe: Option<String>,
    },
    /// A Greengrass v2 core device, with its token exchange role alias when known.
    GreengrassCore {
        role_alias: Option<String>,
    },
}

/// One need of a feature: an action on a resource, and where the source says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub feature: String,
    pub action: Action,
    /// The client id, topic or topic filter (or role alias).
    pub name: String,
    /// File and line in the pinned source.
    pub source: String,
    /// Whether policies of thing groups count for it (not for Greengrass data-plane actions).
    pub thing_groups_count: bool,
}

impl Feature {
    /// The name `--feature` takes and findings show.
    pub fn name(&self) -> String {
        match self {
            Feature::Jobs => "jobs".into(),
            Feature::Tunneling => "tunneling".into(),
            Feature::Shadow => "shadow".into(),
            Feature::NamedShadow(name) => format!("shadow:{name}"),
            Feature::ConfigShadow => "config-shadow".into(),
            Feature::DeviceDefender => "device-defender".into(),
            Feature::FleetProvisioning { template, csr } => {
                format!(
                    "fleet-provisioning:{template}{}",
                    if *csr { " (CSR)" } else { "" }
                )
            }
            Feature::SensorPublish(_) => "sensor-publish".into(),
            Feature::PubSub { .. } => "pub-sub".into(),
            Feature::GreengrassCore { .. } => "greengrass".into(),
        }
    }

    /// A claim certificate provisions things: no thing is attached to it, so its policy
    /// cannot use the thing variables.
    pub fn is_claim(&self) -> bool {
        matches!(self, Feature::FleetProvisioning { .. })
    }

    /// The Greengrass core: AWS does not support thing variables in core-device policies.
    pub fn is_greengrass(&self) -> bool {
        matches!(self, Feature::GreengrassCore { .. })
    }
}

/// The names `--feature` takes, for the error that refuses another.
pub const FEATURE_NAMES: &str = "jobs, tunneling, shadow, shadow:NAME, config-shadow, \
device-defender, fleet-provisioning:TEMPLATE, fleet-provisioning-csr:TEMPLATE, \
pub-sub:PUBLISH_TOPIC:SUBSCRIBE_TOPIC, greengrass, greengrass:ROLE_ALIAS";

/// Parses `--feature` values (comma-separated lists allowed).
pub fn parse(list: &[String]) -> Result<Vec<Feature>, String> {
    let mut features = Vec::new();
    for item in list.iter().flat_map(|l| l.split(',')).map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let (head, rest) = match item.split_once(':') {
            Some((h, r)) => (h, Some(r)),
            None => (item, None),
        };
        let feature = match (head, rest) {
            ("jobs", None) => Feature::Jobs,
            ("tunneling", None) => Feature::Tunneling,
            ("shadow", None) => Feature::Shadow,
            ("shadow", Some(name)) if !name.is_empty() => Feature::NamedShadow(name.into()),
            ("config-shadow", None) => Feature::ConfigShadow,
            ("device-defender", None) => Feature::DeviceDefender,
            ("fleet-provisioning", Some(t)) if !t.is_empty() => Feature::FleetProvisioning {
                template: t.into(),
                csr: false,
            },
            ("fleet-provisioning-csr", Some(t)) if !t.is_empty() => Feature::FleetProvisioning {
                template: t.into(),
                csr: true,
            },
            ("pub-sub", Some(topics)) => {
                let (publish, subscribe) = topics.split_once(':').unwrap_or((topics, ""));
                Feature::PubSub {
                    publish: (!publish.is_empty()).then(|| publish.to_string()),
                    subscribe: (!subscribe.is_empty()).then(|| subscribe.to_string()),
                }
            }
            ("greengrass", None) => Feature::GreengrassCore { role_alias: None },
            ("greengrass", Some(alias)) if !alias.is_empty() => Feature::GreengrassCore {
                role_alias: Some(alias.into()),
            },
            _ => {
                return Err(format!(
                    "--feature {item:?}: not a feature iotcheck knows; it knows {FEATURE_NAMES}"
                ))
            }
        };
        if !features.contains(&feature) {
            features.push(feature);
        }
    }
    Ok(features)
}

/// The features a client's configuration turns on (the tree the doctor's readers parse):
/// the Device Client's JSON config (`source/config/Config.h` at the pinned version: jobs and
/// tunneling are on unless `enabled` is false, the others off unless it is true), or a
/// Greengrass nucleus `config.yaml` (a core device, with the nucleus's `iotRoleAlias`).
pub fn from_config(
    root: &serde_json::Map<String, serde_json::Value>,
    greengrass: bool,
) -> Vec<Feature> {
    use serde_json::Value;
    if greengrass {
        let alias = root
            .get("services")
            .and_then(|s| s.get("aws.greengrass.Nucleus"))
            .and_then(|n| n.get("configuration"))
            .and_then(|c| c.get("iotRoleAlias"))
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        return vec![Feature::GreengrassCore { role_alias: alias }];
    }
    let section = |key: &str| root.get(key).and_then(Value::as_object);
    let enabled = |object: Option<&serde_json::Map<String, Value>>, default: bool| {
        object
            .and_then(|o| o.get("enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    let text = |object: Option<&serde_json::Map<String, Value>>, key: &str| {
        object
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut features = Vec::new();
    if enabled(section("jobs"), true) {
        features.push(Feature::Jobs);
    }
    if enabled(section("tunneling"), true) {
        features.push(Feature::Tunneling);
    }
    let sample = section("sample-shadow");
    if enabled(sample, false) {
        if let Some(name) = text(sample, "shadow-name") {
            features.push(Feature::NamedShadow(name));
        }
    }
    if enabled(section("config-shadow"), false) {
        features.push(Feature::ConfigShadow);
    }
    if enabled(section("device-defender"), false) {
        features.push(Feature::DeviceDefender);
    }
    let fleet = section("fleet-provisioning");
    if enabled(fleet, false) {
        if let Some(template) = text(fleet, "template-name") {
            features.push(Feature::FleetProvisioning {
                template,
                csr: text(fleet, "csr-file").is_some(),
            });
        }
    }
    let pub_sub = section("samples")
        .and_then(|s| s.get("pub-sub"))
        .and_then(Value::as_object);
    if enabled(pub_sub, false) {
        features.push(Feature::PubSub {
            publish: text(pub_sub, "publish-topic"),
            subscribe: text(pub_sub, "subscribe-topic"),
        });
    }
    let sensor = section("sensor-publish");
    let topics: Vec<String> = sensor
        .and_then(|s| s.get("sensors"))
        .and_then(Value::as_array)
        .map(|sensors| {
            sensors
                .iter()
                .filter_map(Value::as_object)
                .filter(|s| enabled(Some(s), true))
                .flat_map(|s| {
                    [
                        "mqtt_topic",
                        "mqtt_dead_letter_topic",
                        "mqtt_heartbeat_topic",
                    ]
                    .into_iter()
                    .filter_map(move |key| text(Some(s), key))
                })
                .collect()
        })
        .unwrap_or_default();
    if !topics.is_empty() {
        features.push(Feature::SensorPublish(topics));
    }
    features
}

/// What the features need, for a device with this client id and thing name.
pub fn needs(features: &[Feature], client_id: &str, thing: &str) -> Vec<Need> {
    let mut needs = Vec::new();
    for feature in features {
        let name = feature.name();
        let mut add = |action: Action, resource: String, source: String| {
            needs.push(Need {
                feature: name.clone(),
                action,
                name: resource,
                source,
                thing_groups_count: true,
            })
        };
        let dc = |file: &str, line: u32| format!("{DEVICE_CLIENT} {file}:{line}");
        let gg = |file: &str, line: u32| {
            format!("{NUCLEUS} src/main/java/com/aws/greengrass/{file}:{line}")
        };
        // Subscribe to a filter, and receive on its topics: a `+` level (any job id) is
        // asked as `*`, which a policy's `*` matches and a literal id does not.
        let sub_receive =
            |add: &mut dyn FnMut(Action, String, String), topic: String, source: String| {
                add(Action::Subscribe, topic.clone(), source.clone());
                add(Action::Receive, topic.replace('+', "*"), source);
            };
        if !feature.is_greengrass() {
            add(
                Action::Connect,
                client_id.to_string(),
                dc("source/SharedCrtResourceManager.cpp", 468),
            );
        }
        match feature {
            Feature::Jobs => {
                let jobs = format!("$aws/things/{thing}/jobs");
                let src = "source/jobs/JobsFeature.cpp";
                sub_receive(&mut add, format!("{jobs}/notify-next"), dc(src, 162));
                sub_receive(&mut add, format!("{jobs}/$next/get/accepted"), dc(src, 140));
                sub_receive(&mut add, format!("{jobs}/$next/get/rejected"), dc(src, 145));
                sub_receive(
                    &mut add,
                    format!("{jobs}/$next/start-next/accepted"),
                    dc(src, 140),
                );
                sub_receive(
                    &mut add,
                    format!("{jobs}/$next/start-next/rejected"),
                    dc(src, 145),
                );
                sub_receive(&mut add, format!("{jobs}/+/update/accepted"), dc(src, 175));
                sub_receive(&mut add, format!("{jobs}/+/update/rejected"), dc(src, 198));
                add(
                    Action::Publish,
                    format!("{jobs}/$next/start-next"),
                    dc(src, 125),
                );
                add(Action::Publish, format!("{jobs}/*/update"), dc(src, 470));
            }
            Feature::Tunneling => {
                sub_receive(
                    &mut add,
                    format!("$aws/things/{thing}/tunnels/notify"),
                    dc("source/tunneling/SecureTunnelingFeature.cpp", 161),
                );
            }
            Feature::Shadow => {
                let shadow = format!("$aws/things/{thing}/shadow");
                shadow_needs(
                    &mut add,
                    &shadow,
                    "the SDK samples' classic shadow (IotShadowClient)".into(),
                );
            }
            Feature::NamedShadow(name) => {
                let shadow = format!("$aws/things/{thing}/shadow/name/{name}");
                let src = "source/shadow/SampleShadowFeature.cpp";
                sub_receive(&mut add, format!("{shadow}/update/accepted"), dc(src, 292));
                sub_receive(&mut add, format!("{shadow}/update/rejected"), dc(src, 299));
                sub_receive(&mut add, format!("{shadow}/update/documents"), dc(src, 310));
                sub_receive(&mut add, format!("{shadow}/update/delta"), dc(src, 321));
                add(Action::Publish, format!("{shadow}/update"), dc(src, 400));
            }
            Feature::ConfigShadow => {
                let shadow = format!("$aws/things/{thing}/shadow/name/DeviceClientConfigShadow");
                let src = "source/shadow/ConfigShadow.cpp";
                sub_receive(&mut add, format!("{shadow}/get/accepted"), dc(src, 161));
                sub_receive(&mut add, format!("{shadow}/get/rejected"), dc(src, 167));
                sub_receive(&mut add, format!("{shadow}/update/accepted"), dc(src, 194));
                sub_receive(&mut add, format!("{shadow}/update/rejected"), dc(src, 200));
                add(Action::Publish, format!("{shadow}/get"), dc(src, 234));
                add(Action::Publish, format!("{shadow}/update"), dc(src, 448));
            }
            Feature::DeviceDefender => {
                let metrics = format!("$aws/things/{thing}/defender/metrics/json");
                let src = "source/devicedefender/DeviceDefenderFeature.cpp";
                add(Action::Publish, metrics.clone(), dc(src, 92));
                sub_receive(&mut add, format!("{metrics}/accepted"), dc(src, 114));
                sub_receive(&mut add, format!("{metrics}/rejected"), dc(src, 119));
            }
            Feature::FleetProvisioning { template, csr } => {
                let src = "source/fleetprovisioning/FleetProvisioning.cpp";
                if *csr {
                    let base = "$aws/certificates/create-from-csr/json";
                    sub_receive(&mut add, format!("{base}/accepted"), dc(src, 350));
                    sub_receive(&mut add, format!("{base}/rejected"), dc(src, 353));
                    add(Action::Publish, base.to_string(), dc(src, 377));
                } else {
                    let base = "$aws/certificates/create/json";
                    sub_receive(&mut add, format!("{base}/accepted"), dc(src, 209));
                    sub_receive(&mut add, format!("{base}/rejected"), dc(src, 212));
                    add(Action::Publish, base.to_string(), dc(src, 235));
                }
                let base = format!("$aws/provisioning-templates/{template}/provision/json");
                sub_receive(&mut add, format!("{base}/accepted"), dc(src, 479));
                sub_receive(&mut add, format!("{base}/rejected"), dc(src, 482));
                add(Action::Publish, base, dc(src, 520));
            }
            Feature::SensorPublish(topics) => {
                for topic in topics {
                    add(
                        Action::Publish,
                        topic.clone(),
                        dc("source/sensor-publish/Sensor.cpp", 400),
                    );
                }
            }
            Feature::PubSub { publish, subscribe } => {
                let src = "source/samples/pubsub/PubSubFeature.cpp";
                if let Some(topic) = publish {
                    add(Action::Publish, topic.clone(), dc(src, 257));
                }
                if let Some(topic) = subscribe {
                    add(Action::Subscribe, topic.clone(), dc(src, 280));
                    if !topic.contains(['+', '#']) {
                        add(Action::Receive, topic.clone(), dc(src, 280));
                    }
                }
            }
            Feature::GreengrassCore { role_alias } => {
                let mqtt = "mqttclient/MqttClient.java";
                add(Action::Connect, thing.to_string(), gg(mqtt, 1012));
                add(Action::Connect, format!("{thing}#2"), gg(mqtt, 1013));
                add(
                    Action::Publish,
                    format!("$aws/things/{thing}/greengrassv2/health/json"),
                    gg("status/FleetStatusService.java", 84),
                );
                add(
                    Action::Publish,
                    format!("$aws/things/{thing}/greengrass/health/json"),
                    gg("telemetry/TelemetryAgent.java", 43),
                );
                let jobs = format!("$aws/things/{thing}/jobs");
                let wrapper = "deployment/IotJobsClientWrapper.java";
                let ns = "namespace-aws-gg-deployment";
                sub_receive(&mut add, format!("{jobs}/notify-{ns}"), gg(wrapper, 56));
                add(
                    Action::Publish,
                    format!("{jobs}/$next/{ns}/get"),
                    gg(wrapper, 50),
                );
                sub_receive(
                    &mut add,
                    format!("{jobs}/$next/{ns}/get/accepted"),
                    gg(wrapper, 52),
                );
                sub_receive(
                    &mut add,
                    format!("{jobs}/$next/{ns}/get/rejected"),
                    gg(wrapper, 54),
                );
                add(
                    Action::Publish,
                    format!("{jobs}/*/{ns}/update"),
                    gg(wrapper, 44),
                );
                sub_receive(
                    &mut add,
                    format!("{jobs}/+/{ns}/update/accepted"),
                    gg(wrapper, 46),
                );
                sub_receive(
                    &mut add,
                    format!("{jobs}/+/{ns}/update/rejected"),
                    gg(wrapper, 48),
                );
                let shadow =
                    format!("$aws/things/{thing}/shadow/name/AWSManagedGreengrassV2Deployment");
                let listener = "deployment/ShadowDeploymentListener.java";
                add(
                    Action::Publish,
                    format!("{shadow}/update"),
                    gg(listener, 103),
                );
                add(Action::Publish, format!("{shadow}/get"), gg(listener, 329));
                sub_receive(
                    &mut add,
                    format!("{shadow}/update/accepted"),
                    gg(listener, 96),
                );
                sub_receive(
                    &mut add,
                    format!("{shadow}/update/rejected"),
                    gg(listener, 98),
                );
                sub_receive(
                    &mut add,
                    format!("{shadow}/get/accepted"),
                    gg(listener, 100),
                );
                for (action, file, line) in [
                    (
                        Action::GreengrassResolveComponentCandidates,
                        "componentmanager/ComponentServiceHelper.java",
                        92,
                    ),
                    (
                        Action::GreengrassGetComponentVersionArtifact,
                        "componentmanager/builtins/GreengrassRepositoryDownloader.java",
                        243,
                    ),
                    (
                        Action::GreengrassGetDeploymentConfiguration,
                        "deployment/DeploymentDocumentDownloader.java",
                        201,
                    ),
                    (
                        Action::GreengrassListThingGroupsForCoreDevice,
                        "deployment/ThingGroupHelper.java",
                        83,
                    ),
                ] {
                    add(action, "*".into(), gg(file, line));
                }
                if let Some(alias) = role_alias {
                    add(
                        Action::AssumeRoleWithCertificate,
                        alias.clone(),
                        gg("tes/CredentialRequestHandler.java", 149),
                    );
                }
            }
        }
    }
    for need in &mut needs {
        // "Thing group policies don't grant access to AWS IoT Greengrass data plane
        // operations" (Greengrass's device authentication page).
        need.thing_groups_count = !need.action.is_greengrass_data_plane();
    }
    // Each (action, resource) once, at its first need.
    let mut seen = std::collections::HashSet::new();
    needs.retain(|n| seen.insert((n.feature.clone(), n.action, n.name.clone())));
    needs
}

/// The classic shadow's topics (get, update, delete with their answers, delta, documents).
fn shadow_needs(add: &mut dyn FnMut(Action, String, String), shadow: &str, source: String) {
    let mut sub_receive = |topic: String| {
        add(Action::Subscribe, topic.clone(), source.clone());
        add(Action::Receive, topic, source.clone());
    };
    let mut topics = Vec::new();
    for op in ["get", "update", "delete"] {
        for outcome in ["accepted", "rejected"] {
            topics.push(format!("{shadow}/{op}/{outcome}"));
        }
    }
    topics.push(format!("{shadow}/update/delta"));
    topics.push(format!("{shadow}/update/documents"));
    for topic in topics {
        sub_receive(topic);
    }
    for op in ["get", "update", "delete"] {
        add(Action::Publish, format!("{shadow}/{op}"), source.clone());
    }
}

/// The requests of the needs, in the context.
pub fn requests(needs: &[Need], context: &Context) -> Vec<Request> {
    needs
        .iter()
        .map(|n| Request::new(n.action, &n.name, context))
        .collect()
}

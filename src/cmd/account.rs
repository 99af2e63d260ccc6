//! `iotcheck account`: read the device certificate, ask AWS IoT what it knows about it
//! (`aws`), judge it (`verify::account`, evaluating the policies offline), report.

use crate::aws::{self, AwsSettings};
use crate::chain::Cert;
use crate::doctor::config::read;
use crate::error::{Error, InputError};
use crate::outcome::Outcome;
use crate::policy::features;
use crate::report::account::{self as view, AccountReport};
use crate::report::json;
use crate::source::{self, Input};
use crate::verify::account::{judge, Questions};
use std::path::Path;

/// The thing name a configuration names: the Device Client's `thing-name`, Greengrass's
/// `system.thingName`.
fn thing_of(root: &serde_json::Map<String, serde_json::Value>, greengrass: bool) -> Option<String> {
    let value = if greengrass {
        root.get("system").and_then(|s| s.get("thingName"))
    } else {
        root.get("thing-name")
    };
    value
        .and_then(serde_json::Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

#[derive(Clone)]
pub struct Settings {
    pub cert: Input,
    pub client_id: Option<String>,
    pub thing: Option<String>,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    /// `--feature`, as given.
    pub features: Vec<String>,
    /// `--config FILE`.
    pub config: Option<String>,
    pub suggest_policy: bool,
    pub role_alias: Option<String>,
    /// `--endpoint`: the host and port the device connects to.
    pub endpoint: Option<(String, u16)>,
    pub domain_configuration: Option<String>,
    pub aws: AwsSettings,
    pub json: bool,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let mut features = features::parse(&settings.features).map_err(Error::Usage)?;
    let mut config_thing = None;
    if let Some(path) = &settings.config {
        let file = read::read(Path::new(path), path)?;
        let greengrass = file.format == read::Format::Greengrass;
        if !matches!(
            file.format,
            read::Format::DeviceClient | read::Format::Greengrass
        ) {
            return Err(InputError::new(
                path.clone(),
                "--config takes the Device Client's aws-iot-device-client.conf or a Greengrass config.yaml".to_string(),
            )
            .into());
        }
        config_thing = thing_of(&file.root, greengrass);
        for feature in features::from_config(&file.root, greengrass) {
            if !features.contains(&feature) {
                features.push(feature);
            }
        }
    }
    let thing = settings.thing.clone().or(config_thing);
    let settings = &Settings {
        thing,
        ..settings.clone()
    };
    let objects = source::read_certificates(&settings.cert)?;
    let cert = Cert::from_der(&objects[0].der, objects[0].origin(objects.len())).map_err(|e| {
        InputError::new(
            settings.cert.name(),
            format!("not a valid certificate ({e})"),
        )
    })?;
    let (client_id, client_id_from) = client_id(settings, &cert)?;
    let domain = match (&settings.domain_configuration, &settings.endpoint) {
        (Some(name), _) => Some(aws::DomainQuery::Named(name.clone())),
        (None, Some((host, _))) => Some(aws::DomainQuery::Host(host.clone())),
        (None, None) => None,
    };
    let more = aws::More {
        role_alias: settings.role_alias.clone(),
        domain,
    };
    let facts = aws::account_facts_with(&settings.aws, &cert.sha256, &client_id, &more)?;
    let questions = Questions {
        client_id: client_id.clone(),
        thing: settings.thing.clone(),
        publish: settings.publish.clone(),
        subscribe: settings.subscribe.clone(),
        features,
        suggest: settings.suggest_policy,
        role_alias: settings.role_alias.clone(),
        port: settings.endpoint.as_ref().map(|(_, port)| *port),
    };
    let judgement = judge(&facts, &cert, &questions);
    let report = AccountReport::build(
        &facts,
        judgement,
        &cert,
        &settings.cert.name(),
        &client_id,
        client_id_from,
    );
    let stdout = if settings.json {
        json::to_line(&report)
    } else {
        view::render(&report)
    };
    Ok(Outcome::new(stdout, report.verdict.passed()))
}

/// `--client-id`, else `--thing`, else the certificate's CN, as `endpoint --mqtt` does.
fn client_id(settings: &Settings, cert: &Cert) -> Result<(String, &'static str), Error> {
    let (id, from) = match (&settings.client_id, &settings.thing, &cert.subject_cn) {
        (Some(id), _, _) => (id.clone(), "--client-id"),
        (None, Some(thing), _) => (thing.clone(), "--thing"),
        (None, None, Some(cn)) => (cn.clone(), "certificate CN"),
        (None, None, None) => {
            return Err(Error::Usage(
                "the certificate has no CN: give --client-id (or --thing)".into(),
            ))
        }
    };
    if id.is_empty() || id.len() > 128 {
        return Err(Error::Usage(format!(
            "MQTT client id of {} bytes: AWS IoT takes 1 to 128 bytes; give --client-id",
            id.len()
        )));
    }
    Ok((id, from))
}

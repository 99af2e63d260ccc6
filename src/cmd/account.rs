//! `iotcheck account`: read the device certificate, ask AWS IoT what it knows about it
//! (`aws`), judge it (`verify::account`, evaluating the policies offline), report.

use crate::aws::{self, AwsSettings};
use crate::chain::Cert;
use crate::error::{Error, InputError};
use crate::outcome::Outcome;
use crate::report::account::{self as view, AccountReport};
use crate::report::json;
use crate::source::{self, Input};
use crate::verify::account::{judge, Questions};

pub struct Settings {
    pub cert: Input,
    pub client_id: Option<String>,
    pub thing: Option<String>,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    pub role_alias: Option<String>,
    pub aws: AwsSettings,
    pub json: bool,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let objects = source::read_certificates(&settings.cert)?;
    let cert = Cert::from_der(&objects[0].der, objects[0].origin(objects.len())).map_err(|e| {
        InputError::new(
            settings.cert.name(),
            format!("not a valid certificate ({e})"),
        )
    })?;
    let (client_id, client_id_from) = client_id(settings, &cert)?;
    let more = aws::More {
        role_alias: settings.role_alias.clone(),
    };
    let facts = aws::account_facts_with(&settings.aws, &cert.sha256, &client_id, &more)?;
    let questions = Questions {
        client_id: client_id.clone(),
        thing: settings.thing.clone(),
        publish: settings.publish.clone(),
        subscribe: settings.subscribe.clone(),
        role_alias: settings.role_alias.clone(),
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

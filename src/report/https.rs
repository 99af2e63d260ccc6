//! The view of a device's HTTP request over its verified TLS session (the credentials
//! provider's, HTTPS publish's): what was asked and what was answered. It holds no secret: the
//! probe kept only a credentials answer's expiry and four characters of its access key id.

use serde::Serialize;

use crate::net::{Https, HttpsOutcome, HttpsPurpose};

#[derive(Clone, Debug, Serialize)]
pub struct HttpsView {
    /// "credentials" or "publish".
    pub purpose: &'static str,
    /// The request line's method and target, e.g. "GET /role-aliases/A/credentials".
    pub request: String,
    pub role_alias: Option<String>,
    /// The x-amzn-iot-thingname header sent.
    pub thing_name: Option<String>,
    pub topic: Option<String>,
    /// "answered", "timeout", "closed", "malformed", "too_large" or "not_sent".
    pub outcome: &'static str,
    pub status: Option<u16>,
    pub reason: Option<String>,
    /// The x-amzn-ErrorType header.
    pub error_type: Option<String>,
    /// The JSON body's message.
    pub message: Option<String>,
    pub request_id: Option<String>,
    /// A redirect's Location (never followed).
    pub location: Option<String>,
    /// Credentials: their expiry, as the provider wrote it.
    pub expiration: Option<String>,
    /// Credentials: the last four characters of the access key id.
    pub access_key_id_last4: Option<String>,
    pub body_bytes: Option<usize>,
    /// Why there is no (usable) answer, in words.
    pub detail: Option<String>,
    pub millis: Option<f64>,
}

impl HttpsView {
    /// The view of an exchange; `request` is its method and target.
    pub fn of(https: &Https, request: String) -> HttpsView {
        let (purpose, role_alias, thing_name, topic) = match &https.purpose {
            HttpsPurpose::Credentials { role_alias, thing } => {
                ("credentials", Some(role_alias.clone()), thing.clone(), None)
            }
            HttpsPurpose::Publish { topic } => ("publish", None, None, Some(topic.clone())),
        };
        let mut view = HttpsView {
            purpose,
            request,
            role_alias,
            thing_name,
            topic,
            outcome: "answered",
            status: None,
            reason: None,
            error_type: None,
            message: None,
            request_id: None,
            location: None,
            expiration: None,
            access_key_id_last4: None,
            body_bytes: None,
            detail: None,
            millis: None,
        };
        let round = |ms: f64| Some((ms * 100.0).round() / 100.0);
        match &https.outcome {
            HttpsOutcome::Answered(a) => {
                view.status = Some(a.status);
                view.reason = (!a.reason.is_empty()).then(|| a.reason.clone());
                view.error_type = a.error_type.clone();
                view.message = a.message.clone();
                view.request_id = a.request_id.clone();
                view.location = a.location.clone();
                if let Some(c) = &a.credentials {
                    view.expiration = c.expiration.clone();
                    view.access_key_id_last4 = c.access_key_suffix.clone();
                }
                view.body_bytes = Some(a.body_bytes);
                view.detail = a.body_problem.clone();
                view.millis = round(a.millis);
            }
            HttpsOutcome::TimedOut { millis, received } => {
                view.outcome = "timeout";
                view.detail = Some(format!("{received} bytes of an answer by the deadline"));
                view.millis = round(*millis);
            }
            HttpsOutcome::Closed { millis, detail } => {
                view.outcome = "closed";
                view.detail = Some(detail.clone());
                view.millis = round(*millis);
            }
            HttpsOutcome::Malformed { millis, detail } => {
                view.outcome = "malformed";
                view.detail = Some(detail.clone());
                view.millis = round(*millis);
            }
            HttpsOutcome::TooLarge { millis, detail } => {
                view.outcome = "too_large";
                view.detail = Some(detail.clone());
                view.millis = round(*millis);
            }
            HttpsOutcome::NotSent { reason } => {
                view.outcome = "not_sent";
                view.detail = Some(reason.clone());
            }
        }
        view
    }

    /// One line for a person: the status and what came with it.
    pub fn words(&self) -> String {
        match (self.outcome, self.status) {
            ("answered", Some(status)) => {
                let mut text = status.to_string();
                if let Some(reason) = &self.reason {
                    text.push(' ');
                    text.push_str(reason);
                }
                if let Some(kind) = &self.error_type {
                    text.push_str(&format!(", {kind}"));
                }
                if let Some(message) = &self.message {
                    text.push_str(&format!(": {message:?}"));
                }
                if let Some(expiration) = &self.expiration {
                    text.push_str(&format!(", credentials expire {expiration}"));
                }
                if let Some(last4) = &self.access_key_id_last4 {
                    text.push_str(&format!(", access key id …{last4}"));
                }
                text
            }
            (outcome, _) => format!(
                "{}: {}",
                outcome.replace('_', " "),
                self.detail.as_deref().unwrap_or("")
            ),
        }
    }
}

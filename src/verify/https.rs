//! What an HTTP answer over the device's TLS session means on AWS IoT: the credentials
//! provider's (`GET /role-aliases/<alias>/credentials`) and HTTPS publish's
//! (`POST /topics/<topic>?qos=1`). One finding per distinct failure; a success gives none.
//!
//! The credentials provider's answers are those the AWS IoT developer guide ("Authorizing
//! direct calls to AWS services") documents and the awslabs credential-provider session
//! helper's development notes tabulate: 403 `AccessDeniedException` with "Certificate is
//! invalid on this endpoint", "Invalid thing name passed" or "Access Denied"; 404 "Role alias
//! does not exist"; 400 "Unable to assume the role, or the role to assume does not exist" and
//! "The requested CredentialDurationSeconds exceeds the MaxSessionDuration set for the role";
//! 200 with `{"credentials": {accessKeyId, secretAccessKey, sessionToken, expiration}}`.

use crate::finding::{Code, Finding};
use crate::net::{HttpAnswer, Https, HttpsOutcome, HttpsPurpose};

/// The findings of one HTTP exchange; none when it succeeded.
pub fn findings(https: &Https) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let HttpsPurpose::Credentials { thing: None, .. } = &https.purpose {
        findings.push(Finding::new(
            Code::CredentialsNoThingName,
            "no x-amzn-iot-thingname header was sent (--thing): a role alias whose policies use credentials-iot:ThingName, or an IoT policy with thing variables, needs it; Greengrass sends its thing name",
        ));
    }
    let answer = match &https.outcome {
        HttpsOutcome::Answered(answer) => answer,
        HttpsOutcome::NotSent { reason } => {
            let (code, what) = match https.purpose {
                HttpsPurpose::Credentials { .. } => {
                    (Code::CredentialsNotSent, "the credentials request")
                }
                HttpsPurpose::Publish { .. } => (Code::PublishNotSent, "the HTTPS publish"),
            };
            findings.push(Finding::new(code, format!("{what} was not sent: {reason}")));
            return findings;
        }
        HttpsOutcome::TimedOut { received, .. } => {
            findings.push(Finding::new(
                Code::HttpTimeout,
                if *received == 0 {
                    "the server took the request but sent no answer within the timeout".to_string()
                } else {
                    format!("the server sent {received} bytes but no complete answer within the timeout (a slow drip, or a body shorter than announced)")
                },
            ));
            return findings;
        }
        HttpsOutcome::Closed { detail, .. } => {
            findings.push(Finding::new(
                Code::HttpClosed,
                format!("no answer to the request: {detail}"),
            ));
            return findings;
        }
        HttpsOutcome::Malformed { detail, .. } => {
            findings.push(Finding::new(Code::HttpMalformed, detail.clone()));
            return findings;
        }
        HttpsOutcome::TooLarge { detail, .. } => {
            findings.push(Finding::new(
                Code::HttpTooLarge,
                format!("{detail}: the rest of the answer was not read"),
            ));
            return findings;
        }
    };
    if (300..400).contains(&answer.status) {
        findings.push(Finding::new(
            Code::HttpRedirect,
            format!(
                "the server answered {} with a redirect{}: not followed; AWS IoT never redirects, so this is not the AWS IoT endpoint (a captive portal or proxy?)",
                status_words(answer),
                answer
                    .location
                    .as_deref()
                    .map(|l| format!(" to {l}"))
                    .unwrap_or_default()
            ),
        ));
        return findings;
    }
    findings.extend(match &https.purpose {
        HttpsPurpose::Credentials { role_alias, thing } => {
            credentials_finding(answer, role_alias, thing.as_deref())
        }
        HttpsPurpose::Publish { topic } => publish_finding(answer, topic),
    });
    findings
}

/// The credentials provider's answer, judged.
fn credentials_finding(answer: &HttpAnswer, alias: &str, thing: Option<&str>) -> Option<Finding> {
    let message = answer.message.as_deref().unwrap_or("");
    let said = said(answer);
    let lower = message.to_ascii_lowercase();
    let finding = match answer.status {
        200..=299 => {
            let problem = answer.body_problem.as_deref().or_else(|| {
                answer
                    .credentials
                    .is_none()
                    .then_some("the answer has no \"credentials\" object")
            })?;
            Finding::new(
                Code::CredentialsAnswerInvalid,
                format!("the credentials provider answered {} but {problem}: a device's SDK fails to read it", status_words(answer)),
            )
        }
        403 if lower.contains("certificate is invalid") => Finding::new(
            Code::CredentialsCertInvalid,
            format!("{said}: the certificate is not registered and ACTIVE in the account and region of this credentials endpoint, or the name asked for (SNI) is not the account's credentials endpoint (aws iot describe-endpoint --endpoint-type iot:CredentialProvider)"),
        ),
        403 if lower.contains("thing name") => Finding::new(
            Code::CredentialsThingInvalid,
            format!(
                "{said}: the thing {} is not attached to the certificate (aws iot attach-thing-principal), or the name is not the thing's",
                thing.map(|t| format!("{t:?} named in x-amzn-iot-thingname")).unwrap_or_else(|| "named".to_string())
            ),
        ),
        403 if lower.contains("access denied") => Finding::new(
            Code::CredentialsAccessDenied,
            format!("{said}: no policy attached to the certificate allows iot:AssumeRoleWithCertificate on arn:aws:iot:REGION:ACCOUNT:rolealias/{alias} (the service says this before it says whether the alias exists)"),
        ),
        403 => Finding::new(
            Code::CredentialsForbidden,
            format!("{said}: the credentials provider refused the certificate or the request"),
        ),
        404 => Finding::new(
            Code::CredentialsAliasNotFound,
            format!("{said}: the role alias {alias:?} does not exist in this account and region (aws iot describe-role-alias --role-alias {alias}); the path must be /role-aliases/<alias>/credentials"),
        ),
        400 if lower.contains("credentialdurationseconds") || lower.contains("maxsessionduration") => Finding::new(
            Code::CredentialsDurationTooLong,
            format!("{said}: the role alias's credentialDurationSeconds is above the role's MaxSessionDuration; lower the alias's duration (aws iot update-role-alias --credential-duration-seconds) or raise the role's (aws iam update-role --max-session-duration)"),
        ),
        400 if lower.contains("assume the role") || lower.contains("does not exist") => Finding::new(
            Code::CredentialsRoleUnassumable,
            format!("{said}: the role the alias names does not exist, or its trust policy does not let credentials.iot.amazonaws.com call sts:AssumeRole (the service gives the same answer for both; `iotcheck account` tells them apart)"),
        ),
        _ => Finding::new(
            Code::CredentialsRefused,
            format!("{said}: not an answer the credentials provider documents for a device's request{}", server_side(answer.status)),
        ),
    };
    Some(finding)
}

/// HTTPS publish's answer, judged.
fn publish_finding(answer: &HttpAnswer, topic: &str) -> Option<Finding> {
    let said = said(answer);
    let finding = match answer.status {
        200..=299 => return None,
        403 => Finding::new(
            Code::PublishForbidden,
            format!("{said}: no policy attached to the certificate allows iot:Publish on arn:aws:iot:REGION:ACCOUNT:topic/{topic} (or the certificate is not registered and active here)"),
        ),
        404 => Finding::new(
            Code::PublishNotFound,
            format!("{said}: the path or host is wrong; AWS IoT takes POST /topics/<topic>?qos=1 on the account's iot:Data-ATS endpoint (8443, or 443 with ALPN x-amzn-http-ca)"),
        ),
        _ => Finding::new(
            Code::PublishRefused,
            format!("{said}{}", publish_status_meaning(answer.status)),
        ),
    };
    Some(finding)
}

fn publish_status_meaning(status: u16) -> String {
    match status {
        400 => ": the topic or the request is invalid (a topic starting with $ that is not reserved for this use, a wildcard, an empty level)".to_string(),
        401 => ": the request was not authenticated (no client certificate reached the server)".to_string(),
        413 => ": the payload exceeds AWS IoT's 128 KB message limit".to_string(),
        429 => ": throttled (a publish rate or account limit)".to_string(),
        _ => server_side(status),
    }
}

fn server_side(status: u16) -> String {
    if (500..600).contains(&status) {
        "; a 5xx is the service's own failure: retry, and check the AWS Health Dashboard"
            .to_string()
    } else {
        String::new()
    }
}

/// "the server answered 403 Forbidden (AccessDeniedException: Access Denied)".
fn said(answer: &HttpAnswer) -> String {
    let mut detail = Vec::new();
    if let Some(kind) = &answer.error_type {
        detail.push(kind.clone());
    }
    if let Some(message) = &answer.message {
        detail.push(format!("{message:?}"));
    }
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({})", detail.join(": "))
    };
    format!("the server answered {}{detail}", status_words(answer))
}

fn status_words(answer: &HttpAnswer) -> String {
    if answer.reason.is_empty() {
        answer.status.to_string()
    } else {
        format!("{} {}", answer.status, answer.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(status: u16, message: &str) -> Https {
        Https {
            purpose: HttpsPurpose::Credentials {
                role_alias: "GreengrassCoreTokenExchangeRoleAlias".to_string(),
                thing: Some("Sensor1".to_string()),
            },
            outcome: HttpsOutcome::Answered(Box::new(HttpAnswer {
                status,
                reason: String::new(),
                error_type: (status == 403).then(|| "AccessDeniedException".to_string()),
                location: None,
                content_type: Some("application/json".to_string()),
                request_id: None,
                message: (!message.is_empty()).then(|| message.to_string()),
                credentials: None,
                body_problem: None,
                body_bytes: 10,
                millis: 1.0,
            })),
        }
    }

    fn codes(https: &Https) -> Vec<Code> {
        findings(https).iter().map(|f| f.code).collect()
    }

    /// Each row of the awslabs session helper's table of answers, with its code.
    #[test]
    fn each_documented_answer_has_its_code() {
        for (status, message, code) in [
            (403, "Certificate is invalid on this endpoint", Code::CredentialsCertInvalid),
            (403, "Invalid thing name passed", Code::CredentialsThingInvalid),
            (403, "Access Denied", Code::CredentialsAccessDenied),
            (403, "Something new", Code::CredentialsForbidden),
            (404, "Role alias does not exist", Code::CredentialsAliasNotFound),
            (400, "Unable to assume the role, or the role to assume does not exist", Code::CredentialsRoleUnassumable),
            (400, "The requested CredentialDurationSeconds exceeds the MaxSessionDuration set for the role", Code::CredentialsDurationTooLong),
            (500, "", Code::CredentialsRefused),
            (302, "", Code::HttpRedirect),
        ] {
            assert_eq!(codes(&credentials(status, message)), vec![code], "{status} {message}");
        }
    }

    #[test]
    fn a_success_without_credentials_is_invalid() {
        assert_eq!(
            codes(&credentials(200, "")),
            vec![Code::CredentialsAnswerInvalid]
        );
    }
}

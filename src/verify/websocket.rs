//! The answer to the WebSocket upgrade (`--transport wss`), judged: each way AWS IoT refuses
//! it, with what to do. The 403 bodies are AWS's SigV4 wording (the AWS General Reference,
//! "Troubleshoot Signature Version 4 errors"): "The request signature we calculated does
//! not match the signature you provided", "Signature expired: ... is now earlier than ...",
//! "Signature not yet current", "The security token included in the request is invalid".

use crate::finding::{Code, Finding};
use crate::net::UpgradeOutcome;

/// The upgrade's finding; None when the server switched protocols.
pub fn upgrade_finding(outcome: &UpgradeOutcome) -> Option<Finding> {
    let finding = match outcome {
        UpgradeOutcome::Switched { .. } => return None,
        UpgradeOutcome::Refused {
            status: 403,
            error_type,
            body,
            ..
        } => forbidden(error_type.as_deref(), body),
        UpgradeOutcome::Refused {
            status,
            reason,
            body,
            ..
        } => Finding::new(
            Code::WsUpgradeRefused,
            format!(
                "the server answered the WebSocket upgrade with {status} {reason}{}: {}",
                quoted(body),
                status_advice(*status)
            ),
        ),
        UpgradeOutcome::Failed { detail, .. } => Finding::new(
            Code::WsUpgradeFailed,
            format!("the WebSocket upgrade failed: {detail}"),
        ),
        UpgradeOutcome::TimedOut { .. } => Finding::new(
            Code::WsUpgradeTimeout,
            "no complete answer to the WebSocket upgrade within the timeout: the server is silent or drips its answer (AWS IoT answers at once)",
        ),
        UpgradeOutcome::NotSent { reason } => Finding::new(
            Code::WsUpgradeNotSent,
            format!("the WebSocket upgrade was not asked for: {reason}"),
        ),
    };
    Some(finding)
}

fn forbidden(error_type: Option<&str>, body: &str) -> Finding {
    let lower = body.to_ascii_lowercase();
    let said = quoted(body);
    if lower.contains("signature expired") || lower.contains("not yet current") {
        Finding::new(
            Code::WsSignatureExpired,
            format!("the WebSocket upgrade was refused (403){said}: the signature's time is outside AWS's window; the device's clock is wrong (set it with NTP) or the URL was signed too long ago"),
        )
    } else if lower.contains("does not match") {
        Finding::new(
            Code::WsSignatureMismatch,
            format!("the WebSocket upgrade was refused (403){said}: the signature does not match; check the secret access key, the signing region (it must be the endpoint's), the service `iotdevicegateway`, and that the session token is appended after signing, not signed"),
        )
    } else if lower.contains("security token")
        || lower.contains("token") && lower.contains("expired")
    {
        Finding::new(
            Code::WsSecurityToken,
            format!("the WebSocket upgrade was refused (403){said}: temporary credentials need their session token in X-Amz-Security-Token, and it must not have expired; refresh the credentials"),
        )
    } else {
        Finding::new(
            Code::WsForbidden,
            format!(
                "the WebSocket upgrade was refused (403{}){said}: the credentials were not accepted; check they belong to the endpoint's account and region, and that their IAM policy allows iot:Connect",
                error_type.map(|kind| format!(", {kind}")).unwrap_or_default()
            ),
        )
    }
}

fn status_advice(status: u16) -> &'static str {
    match status {
        426 => "the server wants another protocol version or upgrade: AWS IoT takes WebSocket version 13 with the subprotocol mqtt",
        404 => "the path is wrong: AWS IoT serves MQTT over WebSocket at /mqtt",
        400 => "the request is malformed for this server: a proxy in between, or not an AWS IoT endpoint",
        401 => "the server wants authentication: on AWS IoT, a SigV4-signed URL or a custom authorizer's headers",
        _ => "not an answer AWS IoT gives to a valid upgrade: a proxy in between, or not an AWS IoT endpoint",
    }
}

/// The server's words, quoted, or nothing when the body was empty.
fn quoted(body: &str) -> String {
    const LIMIT: usize = 300;
    if body.is_empty() {
        return String::new();
    }
    let clipped: String = body.chars().take(LIMIT).collect();
    let more = if body.chars().count() > LIMIT {
        "..."
    } else {
        ""
    };
    format!(" saying {clipped:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, body: &str) -> UpgradeOutcome {
        UpgradeOutcome::Refused {
            status,
            reason: "Forbidden".into(),
            error_type: Some("ForbiddenException:".into()),
            body: body.into(),
            millis: 1.0,
        }
    }

    #[test]
    fn each_refusal_has_its_code() {
        let cases = [
            (
                403,
                r#"{"message":"Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z"}"#,
                Code::WsSignatureExpired,
            ),
            (
                403,
                r#"{"message":"The request signature we calculated does not match the signature you provided."}"#,
                Code::WsSignatureMismatch,
            ),
            (
                403,
                r#"{"message":"The security token included in the request is invalid."}"#,
                Code::WsSecurityToken,
            ),
            (403, "", Code::WsForbidden),
            (426, "", Code::WsUpgradeRefused),
        ];
        for (status, body, code) in cases {
            let finding = upgrade_finding(&refused(status, body)).expect("a finding");
            assert_eq!(finding.code, code, "{body}");
        }
        let switched = UpgradeOutcome::Switched {
            millis: 1.0,
            subprotocol: Some("mqtt".into()),
        };
        assert!(upgrade_finding(&switched).is_none());
    }
}

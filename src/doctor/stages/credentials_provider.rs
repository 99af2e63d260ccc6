//! `credentials_provider`: the request a device makes for AWS credentials with its certificate
//! (Greengrass's token exchange service: `iotCredEndpoint`, `iotRoleAlias`, the thing name), as
//! the credentials provider answered it. Each documented answer has its own code
//! (docs/credentials.md); the secret key and the token never reach the facts.

use super::route::{self, Context, Engine};
use super::{Earlier, Stage, StageId};
use crate::doctor::facts::{DoorFacts, DoorOutcome, Facts};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};

pub fn judge(facts: &Facts, earlier: &Earlier) -> Stage {
    let id = StageId::CredentialsProvider;
    let Some(door) = &facts.credentials_provider else {
        return Stage::skipped(
            id,
            "no role alias: Greengrass names it in iotRoleAlias; give --role-alias to check the credentials provider",
        );
    };
    door_stage(id, door, earlier, |served| {
        let context = Context::of_chain(&served.chain.findings, served.probe.client_auth.requested);
        route::routed(&served.connection, Engine::Connection, context, id)
            .cloned()
            .collect()
    })
}

/// The stage of a door (shared with `data_plane`): not probed, blocked by the credentials,
/// no TLS session, a chain that did not verify, a rejected certificate; else `judged` of
/// what the connection showed.
pub fn door_stage(
    id: StageId,
    door: &DoorFacts,
    earlier: &Earlier,
    judged: impl Fn(&crate::doctor::facts::Served) -> Vec<Finding>,
) -> Stage {
    let failure = match id {
        StageId::DataPlane => Code::DataPlaneFailed,
        _ => Code::CredentialsUnreachable,
    };
    let at = format!("{}:{}", door.host, door.port);
    let served = match &door.outcome {
        DoorOutcome::NotProbed(why) => return Stage::skipped(id, why.clone()),
        DoorOutcome::NoIdentity => {
            let blocker = if earlier.failed(StageId::Files) {
                StageId::Files
            } else {
                StageId::Credentials
            };
            return Stage::blocked(
                id,
                blocker,
                "the device certificate and key cannot be used, so nothing was presented",
            );
        }
        DoorOutcome::Probed(probed) => match probed.as_ref() {
            Err(error) => {
                return Stage::judged(
                    id,
                    vec![Finding::new(failure, format!("{at}: {error}"))],
                    door.ms,
                )
            }
            Ok(served) => served,
        },
    };
    if !served.chain.verified() {
        let lead = served
            .chain
            .findings
            .iter()
            .find(|f| f.is_error())
            .map(|f| format!("{} ({})", f.message, f.code.as_str()))
            .unwrap_or_else(|| "no path to a trusted anchor".to_string());
        return Stage::judged(
            id,
            vec![Finding::new(
                failure,
                format!("{at}: the served chain did not verify against the device's root CA file, so the device certificate was not presented: {lead}"),
            )],
            door.ms,
        );
    }
    let auth = &served.probe.client_auth;
    if let Some(alert) = &auth.rejection {
        return Stage::judged(
            id,
            vec![Finding::new(
                failure,
                format!(
                    "{at}: the server rejected the device certificate with alert {alert}: {}",
                    crate::verify::alert_meaning(alert)
                ),
            )],
            door.ms,
        );
    }
    if let Some(error) = &served.probe.handshake_error {
        return Stage::judged(
            id,
            vec![Finding::new(
                failure,
                format!("{at}: the TLS session failed: {error}"),
            )],
            door.ms,
        );
    }
    Stage::judged(id, judged(served), door.ms)
}

pub fn advice(stage: &Stage, evidence: &Evidence) -> String {
    let certificate = evidence
        .certificate_id
        .as_deref()
        .map(|id| format!(" (certificate {id})"))
        .unwrap_or_default();
    let message = stage
        .key_finding()
        .map(|f| f.message.as_str())
        .unwrap_or_default();
    // The account, when asked, tells apart what one answer of the service stands for.
    let account = evidence
        .account
        .iter()
        .find(|f| super::account::role_code(f.code));
    if let (Some(found), Some(code)) = (account, stage.lead()) {
        if matches!(
            code,
            Code::CredentialsAccessDenied
                | Code::CredentialsAliasNotFound
                | Code::CredentialsRoleUnassumable
                | Code::CredentialsDurationTooLong
        ) {
            return format!(
                "{} (The account stage found it: {}.)",
                super::account::role_advice(found.code, evidence),
                found.code.as_str()
            );
        }
    }
    match stage.lead() {
        Some(Code::CredentialsCertInvalid) => format!("Register and activate the device certificate{certificate} in the account and region of the credentials endpoint, and set iotCredEndpoint to that account's `aws iot describe-endpoint --endpoint-type iot:CredentialProvider`."),
        Some(Code::CredentialsThingInvalid) => format!("Attach the thing the device names to its certificate{certificate} (`aws iot attach-thing-principal --thing-name <thing> --principal <certificate ARN>`), or set system.thingName to the attached thing."),
        Some(Code::CredentialsAccessDenied) => "Add iot:AssumeRoleWithCertificate on the role alias's ARN (arn:aws:iot:<region>:<account>:rolealias/<alias>) to a policy attached to the device certificate.".to_string(),
        Some(Code::CredentialsAliasNotFound) => "Create the role alias in this account and region (`aws iot create-role-alias`), or set iotRoleAlias to one that exists (`aws iot list-role-aliases`).".to_string(),
        Some(Code::CredentialsRoleUnassumable) => "Make sure the role the alias names exists and that its trust policy lets the service principal credentials.iot.amazonaws.com call sts:AssumeRole (`iotcheck account` tells which).".to_string(),
        Some(Code::CredentialsDurationTooLong) => "Lower the role alias's credentialDurationSeconds to at most the role's MaxSessionDuration, or raise the role's (`aws iam update-role --max-session-duration`).".to_string(),
        Some(Code::CredentialsUnreachable) => format!("The device cannot get AWS credentials: {message}. Check iotCredEndpoint (the account's iot:CredentialProvider endpoint, port 443), the network path to it, and the root CA file."),
        Some(Code::HttpRedirect | Code::HttpMalformed | Code::HttpTooLarge | Code::HttpTimeout | Code::HttpClosed) => format!("What answered at the credentials endpoint is not the AWS IoT credentials provider ({message}): check iotCredEndpoint and any proxy or firewall that intercepts HTTPS."),
        _ => format!("The credentials provider refused the request: {message}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{facts, served_ok};
    use crate::doctor::stages::Status;

    fn with(outcome: DoorOutcome) -> Stage {
        let mut f = facts();
        f.credentials_provider = Some(DoorFacts {
            host: "c1.credentials.iot.eu-west-1.amazonaws.com".into(),
            port: 443,
            source: "test".into(),
            outcome,
            ms: 1.0,
        });
        judge(&f, &Earlier(&[]))
    }

    #[test]
    fn the_stage_follows_the_answer() {
        let stage = with(DoorOutcome::NotProbed("no endpoint".into()));
        assert_eq!(stage.status, Status::Skipped);
        let ok = served_ok(vec![], vec![]);
        assert_eq!(
            with(DoorOutcome::Probed(Box::new(ok.result))).status,
            Status::Ok
        );
        let denied = served_ok(
            vec![],
            vec![Finding::new(Code::CredentialsAccessDenied, "x")],
        );
        let stage = with(DoorOutcome::Probed(Box::new(denied.result)));
        assert_eq!(stage.lead(), Some(Code::CredentialsAccessDenied));
        let mut f = facts();
        f.credentials_provider = None;
        assert_eq!(judge(&f, &Earlier(&[])).status, Status::Skipped);
    }
}

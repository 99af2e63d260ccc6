//! `account`: the `account` command's findings on the device certificate (registered,
//! active, a policy allowing `iot:Connect`), when AWS could be asked.

use super::{round, Earlier, Stage, StageId};
use crate::doctor::facts::{AccountFacts, Facts};
use crate::doctor::verdict::Evidence;
use crate::finding::Code;

pub fn judge(facts: &Facts, earlier: &Earlier) -> Stage {
    let id = StageId::Account;
    let no_client_id = "no client id: give --client-id or --thing (the certificate has no CN)";
    match &facts.account {
        AccountFacts::Off => Stage::skipped(id, "--no-account"),
        AccountFacts::NotBuilt => Stage::skipped(
            id,
            "this iotcheck was built without AWS support (cargo feature aws)",
        ),
        AccountFacts::NoCertificate => {
            let credentials = earlier.get(StageId::Credentials);
            let before = credentials
                .and_then(|s| s.depends_on)
                .or(earlier.failed(StageId::Files).then_some(StageId::Files))
                .unwrap_or(StageId::Credentials);
            Stage::blocked(id, before, "no readable device certificate to ask about")
        }
        AccountFacts::NoClientId => Stage::skipped(id, no_client_id),
        AccountFacts::Asked { findings, ms } => Stage::judged(id, findings.clone(), *ms),
        AccountFacts::NotAsked { error, ms } => Stage {
            duration_ms: round(*ms),
            ..Stage::skipped(id, format!("AWS was not asked: {error}"))
        },
        AccountFacts::NoAnswer { error, ms } => Stage {
            duration_ms: round(*ms),
            ..Stage::skipped(
                id,
                format!("AWS was asked, but gave no answer to judge: {error}"),
            )
        },
        AccountFacts::Stopped => Stage::skipped(id, "the account check stopped unexpectedly"),
    }
}

pub fn advice(stage: &Stage, evidence: &Evidence) -> String {
    let id = evidence
        .certificate_id
        .as_deref()
        .map_or(String::from("<certificate id>"), |id| id.to_string());
    let client = evidence
        .client_id
        .as_deref()
        .unwrap_or("the device's client id");
    match stage.lead() {
        Some(Code::CertNotRegistered) => "The device certificate is not registered in this account and region: register it (aws iot register-certificate-without-ca, or register-certificate with its CA) and activate it, or check the account and region the device uses.".into(),
        Some(Code::CertInactive) => format!("The device certificate is registered but inactive: aws iot update-certificate --certificate-id {id} --new-status ACTIVE."),
        Some(Code::CertPendingActivation) => format!("The device certificate waits for activation: aws iot update-certificate --certificate-id {id} --new-status ACTIVE."),
        Some(Code::CertRevoked) => "The device certificate is revoked in AWS IoT: issue, register and install a new one.".into(),
        Some(Code::CertPendingTransfer) => "The device certificate is being transferred to another account: accept or cancel the transfer (aws iot accept-certificate-transfer / cancel-certificate-transfer).".into(),
        Some(Code::CaInactive) => "The CA that issued the device certificate is registered but inactive: activate it (aws iot update-ca-certificate --new-status ACTIVE).".into(),
        Some(Code::NoPolicy) => format!("No policy is attached to the device certificate: attach one that allows iot:Connect for the client id {client} (aws iot attach-policy --target <certificate arn>)."),
        Some(Code::PolicyDeniesConnect) => format!("The certificate's policies do not allow iot:Connect for the client id {client}: allow arn:aws:iot:<region>:<account>:client/{client}, or connect with an id they allow."),
        Some(Code::PolicyDeniesPublish | Code::PolicyDeniesSubscribe | Code::PolicyDeniesReceive) => "The certificate's policies deny a topic the device uses (the account findings name it): allow it in the policy attached to the certificate.".into(),
        Some(code) if role_code(code) => role_advice(code, evidence),
        Some(Code::DomainConfigMissing) => "No domain configuration of this account serves the endpoint the device uses: set the device's endpoint to the account's (aws iot describe-endpoint --endpoint-type iot:Data-ATS) or to a domain configured in this account and region.".into(),
        Some(Code::DomainDisabled) => "The endpoint's domain configuration is disabled: enable it (aws iot update-domain-configuration --domain-configuration-status ENABLED) or point the device at an enabled endpoint.".into(),
        Some(Code::DomainAuthMismatch | Code::DomainProtocolMismatch | Code::DomainServiceMismatch) => "The endpoint's domain configuration does not take a device that connects the way this one does (the account findings say how it differs): point the device at a domain configured for X.509 certificates and its protocol, or update this one (aws iot update-domain-configuration).".into(),
        Some(Code::DomainCertInvalid) => "The endpoint's domain configuration has no valid server certificate: import or renew it in ACM and update the domain configuration's server certificates.".into(),
        _ => "Fix what the account findings name in AWS IoT (certificate status, attached policy, thing), then run doctor again.".into(),
    }
}

/// The codes of the role alias the device asks the credentials provider for.
pub fn role_code(code: Code) -> bool {
    matches!(
        code,
        Code::RoleAliasMissing
            | Code::RoleMissing
            | Code::RoleTrustMissing
            | Code::RoleSessionTooShort
            | Code::PolicyDeniesAssumeRole
    )
}

/// What fixes the role alias's failure `code`, naming the alias and where the device sets it.
pub fn role_advice(code: Code, evidence: &Evidence) -> String {
    let (alias, key) = evidence
        .role_alias
        .as_ref()
        .map_or(("<alias>", "the role alias setting"), |(alias, key)| {
            (alias.as_str(), key.as_str())
        });
    match code {
        Code::RoleAliasMissing => format!("The role alias {alias} does not exist in this account and region: create it (aws iot create-role-alias --role-alias {alias} --role-arn <role ARN>), or set {key} to one that exists (aws iot list-role-aliases)."),
        Code::RoleMissing => format!("The IAM role the role alias {alias} names does not exist: create it with a trust policy for credentials.iot.amazonaws.com, or point the alias at a role that exists (aws iot update-role-alias --role-alias {alias} --role-arn <role ARN>)."),
        Code::RoleTrustMissing => format!("The role of the alias {alias} does not trust the credentials provider: add a trust policy statement that lets the service principal credentials.iot.amazonaws.com call sts:AssumeRole (aws iam update-assume-role-policy)."),
        Code::RoleSessionTooShort => format!("The role alias {alias} asks for credentials longer than its role's maximum session duration: lower it (aws iot update-role-alias --role-alias {alias} --credential-duration-seconds 3600) or raise the role's (aws iam update-role --max-session-duration)."),
        _ => format!("No policy of the device certificate allows iot:AssumeRoleWithCertificate on the role alias {alias}: allow it on arn:aws:iot:<region>:<account>:rolealias/{alias} in a policy attached to the certificate."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{facts, failed};
    use crate::doctor::stages::Status;
    use crate::finding::Finding;

    #[test]
    fn the_stage_says_why_aws_was_not_asked_or_gave_no_answer() {
        let cases = [
            (AccountFacts::Off, Status::Skipped, None),
            (
                AccountFacts::NoCertificate,
                Status::Skipped,
                Some(StageId::Credentials),
            ),
            (AccountFacts::NoClientId, Status::Skipped, None),
            (
                AccountFacts::NotAsked {
                    error: "no credentials".into(),
                    ms: 2.0,
                },
                Status::Skipped,
                None,
            ),
            (
                AccountFacts::Asked {
                    findings: vec![Finding::new(Code::CertInactive, "inactive")],
                    ms: 2.0,
                },
                Status::Fail,
                None,
            ),
        ];
        for (account, status, depends_on) in cases {
            let mut f = facts();
            f.account = account;
            let stage = judge(&f, &Earlier(&[]));
            assert_eq!(stage.status, status);
            assert_eq!(stage.depends_on, depends_on);
        }
        // Not asked, and asked without an answer to judge, are worded apart.
        let reason = |account| {
            let mut f = facts();
            f.account = account;
            judge(&f, &Earlier(&[])).reason.unwrap_or_default()
        };
        assert_eq!(
            reason(AccountFacts::NotAsked {
                error: "no AWS credentials".into(),
                ms: 1.0,
            }),
            "AWS was not asked: no AWS credentials"
        );
        let unreadable = "the answer from DescribeCertificate could not be read: not JSON";
        assert_eq!(
            reason(AccountFacts::NoAnswer {
                error: unreadable.into(),
                ms: 1.0,
            }),
            format!("AWS was asked, but gave no answer to judge: {unreadable}")
        );
        // No certificate because the files stage failed: blocked by files.
        let mut f = facts();
        f.account = AccountFacts::NoCertificate;
        let files = [failed(StageId::Files, Code::FileMissing)];
        assert_eq!(judge(&f, &Earlier(&files)).depends_on, Some(StageId::Files));
    }

    #[test]
    fn the_advice_follows_the_account_finding() {
        let id = Evidence {
            certificate_id: Some("ab12".into()),
            ..Evidence::default()
        };
        assert!(advice(&failed(StageId::Account, Code::CertInactive), &id)
            .contains("update-certificate --certificate-id ab12 --new-status ACTIVE"));
        assert!(
            advice(&failed(StageId::Account, Code::CertNotRegistered), &id)
                .contains("not registered in this account and region")
        );
    }

    #[test]
    fn each_role_alias_and_domain_failure_has_its_own_advice() {
        let greengrass = Evidence {
            role_alias: Some(("TokenExchangeRoleAlias".into(), "iotRoleAlias".into())),
            ..Evidence::default()
        };
        let cases = [
            (
                Code::RoleAliasMissing,
                "set iotRoleAlias to one that exists",
            ),
            (
                Code::RoleMissing,
                "aws iot update-role-alias --role-alias TokenExchangeRoleAlias",
            ),
            (Code::RoleTrustMissing, "aws iam update-assume-role-policy"),
            (Code::RoleSessionTooShort, "--max-session-duration"),
            (
                Code::PolicyDeniesAssumeRole,
                "rolealias/TokenExchangeRoleAlias",
            ),
            (Code::DomainConfigMissing, "iot:Data-ATS"),
            (
                Code::DomainDisabled,
                "--domain-configuration-status ENABLED",
            ),
            (
                Code::DomainProtocolMismatch,
                "a domain configured for X.509",
            ),
            (Code::DomainCertInvalid, "ACM"),
        ];
        let mut seen = Vec::new();
        for (code, words) in cases {
            let said = advice(&failed(StageId::Account, code), &greengrass);
            assert!(said.contains(words), "{code}: {words:?} in {said}");
            assert!(!seen.contains(&said), "{code}");
            seen.push(said);
        }
    }

    #[test]
    fn the_credentials_providers_advice_names_the_accounts_cause() {
        use crate::doctor::stages::credentials_provider;
        // One 400 for a missing role and for a trust policy without the service: the account's
        // finding decides which fix is advised.
        let stage = failed(
            StageId::CredentialsProvider,
            Code::CredentialsRoleUnassumable,
        );
        for (found, words) in [
            (Code::RoleMissing, "does not exist"),
            (
                Code::RoleTrustMissing,
                "does not trust the credentials provider",
            ),
        ] {
            let evidence = Evidence {
                role_alias: Some(("alias".into(), "--role-alias".into())),
                account: vec![Finding::new(found, "x")],
                ..Evidence::default()
            };
            let said = credentials_provider::advice(&stage, &evidence);
            assert!(said.contains(words), "{found}: {said}");
            assert!(said.contains(found.as_str()), "{said}");
        }
        // Without the account, the service's answer alone.
        let said = credentials_provider::advice(&stage, &Evidence::default());
        assert!(said.contains("iotcheck account"), "{said}");
    }
}

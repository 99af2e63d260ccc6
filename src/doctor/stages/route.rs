//! The one table that routes a finding of a shared engine (the device lint, the chain
//! verifier, the connection's judgement) to the stage that reports it. A stage takes the
//! findings routed to it; a finding routed nowhere is one another stage judges in its own
//! way (the files stage holds modes to the client's rule) or one a blocked stage explains.

use super::StageId;
use crate::finding::{Code, Finding};

/// Where a finding goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    To(StageId),
    /// `trust` (the CA file lacks what the chain leads to), unless the server left out an
    /// intermediate: then the unknown issuer is the server's fault, `tls`'s.
    TrustUnlessIntermediateMissing,
    /// `client_auth` when the server asked for a client certificate (it ended the handshake
    /// over the device's identity), else `tls`.
    ClientAuthIfRequested,
    /// No stage: another judges it its own way, or a blocked stage says why.
    Nowhere,
}

/// The engines a finding can come from, each with the stage its unlisted codes go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The device lint (`verify::device`): `credentials`.
    Lint,
    /// The chain verifier on a served chain: `tls`.
    Chain,
    /// The connection's judgement (`verify::connection_findings`): nowhere.
    Connection,
}

impl Engine {
    fn fallback(self) -> Option<StageId> {
        match self {
            Engine::Lint => Some(StageId::Credentials),
            Engine::Chain => Some(StageId::Tls),
            Engine::Connection => None,
        }
    }
}

/// The routes, by code. One row per code that does not go where its engine's codes go.
pub const ROUTES: &[(Code, Route)] = &[
    // The device lint: the files stage knows the client's rule for modes; the device CA note
    // speaks of the `device` command's `--ca`, not of the root CA file the doctor reads.
    (Code::KeyPermissions, Route::Nowhere),
    (Code::KeyPermissionsUnknown, Route::Nowhere),
    (Code::DeviceCaNotChecked, Route::Nowhere),
    // A served chain: what the CA file lacks is trust's; names, validity and the served
    // chain's shape stay tls's.
    (Code::UnknownIssuer, Route::TrustUnlessIntermediateMissing),
    (Code::MissingRoot, Route::To(StageId::Trust)),
    (Code::UntrustedRoot, Route::To(StageId::Trust)),
    (Code::LegacyRoot, Route::To(StageId::Trust)),
    (Code::LegacyEndpoint, Route::To(StageId::Trust)),
    (Code::SingleRoot, Route::To(StageId::Trust)),
    (Code::IntermediateAnchor, Route::To(StageId::Trust)),
    (Code::AnchorOutsideValidity, Route::To(StageId::Trust)),
    (Code::NoAnchors, Route::To(StageId::Trust)),
    // The connection.
    (Code::LargeChain, Route::To(StageId::Tls)),
    (Code::HandshakeFailed, Route::ClientAuthIfRequested),
    (Code::ClientCertRejected, Route::To(StageId::ClientAuth)),
    (Code::ClientCertNotSent, Route::To(StageId::ClientAuth)),
    (Code::MqttRefused, Route::To(StageId::Mqtt)),
    (Code::MqttClosed, Route::To(StageId::Mqtt)),
    (Code::MqttTimeout, Route::To(StageId::Mqtt)),
    (Code::MqttUnexpected, Route::To(StageId::Mqtt)),
    (Code::MqttNotSent, Route::To(StageId::Mqtt)),
    (Code::WsSignatureMismatch, Route::To(StageId::Mqtt)),
    (Code::WsSignatureExpired, Route::To(StageId::Mqtt)),
    (Code::WsSecurityToken, Route::To(StageId::Mqtt)),
    (Code::WsForbidden, Route::To(StageId::Mqtt)),
    (Code::WsUpgradeRefused, Route::To(StageId::Mqtt)),
    (Code::WsUpgradeFailed, Route::To(StageId::Mqtt)),
    (Code::WsUpgradeTimeout, Route::To(StageId::Mqtt)),
    (Code::WsUpgradeNotSent, Route::To(StageId::Mqtt)),
    (Code::MqttNotAuthorized, Route::To(StageId::Mqtt)),
    (Code::MqttBadCredentials, Route::To(StageId::Mqtt)),
    (Code::MqttClientIdInvalid, Route::To(StageId::Mqtt)),
    (Code::MqttThrottled, Route::To(StageId::Mqtt)),
    (Code::MqttSessionTakenOver, Route::To(StageId::Mqtt)),
    (Code::MqttDisconnected, Route::To(StageId::Mqtt)),
    (Code::MqttSubscribeRefused, Route::To(StageId::Mqtt)),
    (Code::MqttPublishRefused, Route::To(StageId::Mqtt)),
    (Code::MqttOperationClosed, Route::To(StageId::Mqtt)),
    (Code::MqttAckTimeout, Route::To(StageId::Mqtt)),
    (Code::MqttAckUnexpected, Route::To(StageId::Mqtt)),
    (Code::MqttVersion, Route::To(StageId::Mqtt)),
    (Code::MqttFeatureTopics, Route::To(StageId::Mqtt)),
    // The client_auth and mqtt stages are blocked by the chain that did not verify, and say so.
    (Code::ClientCertWithheld, Route::Nowhere),
    // The credentials provider's answer to the device's request.
    (
        Code::CredentialsCertInvalid,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsThingInvalid,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsAccessDenied,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsForbidden,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsAliasNotFound,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsRoleUnassumable,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsDurationTooLong,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsRefused,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsAnswerInvalid,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsUnreachable,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsNotSent,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsWrongEndpoint,
        Route::To(StageId::CredentialsProvider),
    ),
    (
        Code::CredentialsNoThingName,
        Route::To(StageId::CredentialsProvider),
    ),
    // HTTP failures: only the credentials provider's request is HTTP in the doctor.
    (Code::HttpRedirect, Route::To(StageId::CredentialsProvider)),
    (Code::HttpMalformed, Route::To(StageId::CredentialsProvider)),
    (Code::HttpTooLarge, Route::To(StageId::CredentialsProvider)),
    (Code::HttpTimeout, Route::To(StageId::CredentialsProvider)),
    (Code::HttpClosed, Route::To(StageId::CredentialsProvider)),
    (Code::DataPlaneFailed, Route::To(StageId::DataPlane)),
];

/// The facts a conditional route looks at.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    /// The served chain lacks an intermediate (`missing_intermediate` among its findings).
    pub intermediate_missing: bool,
    /// The server asked for a client certificate.
    pub certificate_requested: bool,
}

impl Context {
    /// The context of a served chain's findings.
    pub fn of_chain(findings: &[Finding], certificate_requested: bool) -> Context {
        Context {
            intermediate_missing: findings.iter().any(|f| f.code == Code::MissingIntermediate),
            certificate_requested,
        }
    }
}

/// The stage a finding of `engine` with `code` goes to, if any.
pub fn stage_of(code: Code, engine: Engine, context: Context) -> Option<StageId> {
    let route = ROUTES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, route)| *route);
    match route {
        None => engine.fallback(),
        Some(Route::To(stage)) => Some(stage),
        Some(Route::Nowhere) => None,
        Some(Route::TrustUnlessIntermediateMissing) => Some(if context.intermediate_missing {
            StageId::Tls
        } else {
            StageId::Trust
        }),
        Some(Route::ClientAuthIfRequested) => Some(if context.certificate_requested {
            StageId::ClientAuth
        } else {
            StageId::Tls
        }),
    }
}

/// The findings of `engine` among `findings` that go to `stage`.
pub fn routed<'a>(
    findings: &'a [Finding],
    engine: Engine,
    context: Context,
    stage: StageId,
) -> impl Iterator<Item = &'a Finding> + 'a {
    findings
        .iter()
        .filter(move |f| stage_of(f.code, engine, context) == Some(stage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_has_one_row() {
        for (i, (code, _)) in ROUTES.iter().enumerate() {
            assert!(
                ROUTES[i + 1..].iter().all(|(c, _)| c != code),
                "{code} has two rows"
            );
        }
    }

    #[test]
    fn codes_go_where_the_table_says() {
        let none = Context::default();
        let cases = [
            (
                Code::KeyMismatch,
                Engine::Lint,
                none,
                Some(StageId::Credentials),
            ),
            (Code::KeyPermissions, Engine::Lint, none, None),
            (Code::NameMismatch, Engine::Chain, none, Some(StageId::Tls)),
            (Code::Expired, Engine::Chain, none, Some(StageId::Tls)),
            (Code::MissingRoot, Engine::Chain, none, Some(StageId::Trust)),
            (
                Code::UnknownIssuer,
                Engine::Chain,
                none,
                Some(StageId::Trust),
            ),
            (
                Code::UnknownIssuer,
                Engine::Chain,
                Context {
                    intermediate_missing: true,
                    ..none
                },
                Some(StageId::Tls),
            ),
            (
                Code::HandshakeFailed,
                Engine::Connection,
                none,
                Some(StageId::Tls),
            ),
            (
                Code::HandshakeFailed,
                Engine::Connection,
                Context {
                    certificate_requested: true,
                    ..none
                },
                Some(StageId::ClientAuth),
            ),
            (
                Code::MqttNotSent,
                Engine::Connection,
                none,
                Some(StageId::Mqtt),
            ),
            (Code::ClientCertWithheld, Engine::Connection, none, None),
            (Code::Insecure, Engine::Connection, none, None),
        ];
        for (code, engine, context, want) in cases {
            assert_eq!(
                stage_of(code, engine, context),
                want,
                "{code} from {engine:?}"
            );
        }
    }
}

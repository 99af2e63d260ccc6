//! AWS IoT Core policy evaluation: pure, offline, no I/O. A policy document is parsed into
//! [`Document`]; a [`Request`] (an action on a resource ARN) is evaluated against one or more
//! documents in a [`Context`] (the client id, the thing the connection resolves to, the
//! certificate's attributes) into a [`Decision`] that names the statement that decides.
//!
//! The rules are AWS's, as documented for IoT Core policies (which follow IAM's grammar):
//! - an explicit `Deny` wins over any `Allow`; nothing allowed means denied
//!   (<https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html>);
//! - `Action`/`NotAction`, `Resource`/`NotResource` take a string or a list, with `*` and `?`
//!   wildcards; MQTT's `+` and `#` have no special meaning in a policy
//!   (<https://docs.aws.amazon.com/iot/latest/developerguide/pub-sub-policy.html>);
//! - policy variables resolve only in documents of version `2012-10-17`; the thing variables
//!   resolve only when the client id is the name of a thing attached to the certificate
//!   (<https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html>);
//! - the certificate variables are listed in
//!   <https://docs.aws.amazon.com/iot/latest/developerguide/cert-policy-variables.html>;
//! - condition operators and their treatment of absent keys follow IAM's
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>).
//!
//! Whatever cannot be evaluated offline (an unknown condition key or operator, a variable
//! that depends on the live connection such as `aws:SourceIp`) makes the answer
//! [`Outcome::CannotTell`]: never a guess.

mod condition;
mod context;
mod document;
mod eval;
pub mod features;
mod pattern;
pub mod suggest;

#[cfg(test)]
mod documented;
#[cfg(test)]
mod tests;

pub use context::{
    decimal, Absence, Context, Substitution, Thing, CERTIFICATE_ARRAY_LIMIT,
    CERTIFICATE_STRING_LIMIT, CERTIFICATE_VARIABLES, CERTIFICATE_WILDCARDS,
};
pub use document::{Document, Effect, Statement};
pub use eval::{evaluate, too_broad, Decision, Outcome, StatementRef};

/// The MQTT actions a device needs; each is checked on its own resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Connect,
    Publish,
    Subscribe,
    Receive,
    /// The credentials provider's: a device exchanging its certificate for the role a role
    /// alias names.
    AssumeRoleWithCertificate,
    /// The Greengrass data-plane actions a core device calls over HTTPS; they take no
    /// resource (AWS's minimal core-device policy allows them on `*`).
    GreengrassResolveComponentCandidates,
    GreengrassGetComponentVersionArtifact,
    GreengrassGetDeploymentConfiguration,
    GreengrassListThingGroupsForCoreDevice,
}

impl Action {
    /// The IAM action name, e.g. `iot:Connect`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Connect => "iot:Connect",
            Action::Publish => "iot:Publish",
            Action::Subscribe => "iot:Subscribe",
            Action::Receive => "iot:Receive",
            Action::AssumeRoleWithCertificate => "iot:AssumeRoleWithCertificate",
            Action::GreengrassResolveComponentCandidates => "greengrass:ResolveComponentCandidates",
            Action::GreengrassGetComponentVersionArtifact => {
                "greengrass:GetComponentVersionArtifact"
            }
            Action::GreengrassGetDeploymentConfiguration => "greengrass:GetDeploymentConfiguration",
            Action::GreengrassListThingGroupsForCoreDevice => {
                "greengrass:ListThingGroupsForCoreDevice"
            }
        }
    }

    /// The resource type the action is authorised on: `client/`, `topic/`, `topicfilter/` or
    /// `rolealias/`.
    pub fn resource_type(self) -> &'static str {
        match self {
            Action::Connect => "client",
            Action::Publish | Action::Receive => "topic",
            Action::Subscribe => "topicfilter",
            Action::AssumeRoleWithCertificate => "rolealias",
            _ => "",
        }
    }

    /// The Greengrass data-plane actions: no resource, and thing groups' policies do not
    /// grant them.
    pub fn is_greengrass_data_plane(self) -> bool {
        matches!(
            self,
            Action::GreengrassResolveComponentCandidates
                | Action::GreengrassGetComponentVersionArtifact
                | Action::GreengrassGetDeploymentConfiguration
                | Action::GreengrassListThingGroupsForCoreDevice
        )
    }
}

/// Actions that take no resource: a statement allows them on `*` (and `policy_too_broad`
/// does not count that `*` as broad).
pub const RESOURCELESS_ACTIONS: &[&str] = &[
    "greengrass:ResolveComponentCandidates",
    "greengrass:GetComponentVersionArtifact",
    "greengrass:GetDeploymentConfiguration",
    "greengrass:ListThingGroupsForCoreDevice",
];

/// One question: may this action be done on this resource (a client id, topic or filter)?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub action: Action,
    /// The client id, topic or topic filter, without the ARN prefix.
    pub name: String,
    /// The full resource ARN, `arn:PARTITION:iot:REGION:ACCOUNT:TYPE/NAME`.
    pub resource: String,
}

impl Request {
    pub fn new(action: Action, name: &str, context: &Context) -> Request {
        if action.is_greengrass_data_plane() {
            return Request {
                action,
                name: name.to_string(),
                resource: "*".to_string(),
            };
        }
        Request {
            action,
            name: name.to_string(),
            resource: format!(
                "arn:{}:iot:{}:{}:{}/{}",
                context.partition,
                context.region,
                context.account,
                action.resource_type(),
                name
            ),
        }
    }
}

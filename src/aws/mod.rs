//! The AWS edge: the only code that talks to AWS, through the AWS SDK for Rust with the
//! standard credential and region chain (`aws-config`). Like `net/`, async inside, a
//! synchronous facade outside: each call builds a current-thread runtime for its duration.
//!
//! Read-only calls only: DescribeCertificate, DescribeCACertificate, ListPrincipalThings,
//! ListThingPrincipalsV2, DescribeThing, ListThingGroupsForThing, DescribeThingGroup,
//! ListAttachedPolicies, GetPolicy, DescribeEndpoint, DescribeRoleAlias, IAM's GetRole,
//! ListDomainConfigurations and DescribeDomainConfiguration. Everything is bounded by
//! one timeout; credential and region resolution by a few seconds of it, so that a machine
//! with nothing configured does not wait on instance metadata.
//!
//! Built only with the cargo feature `aws` (on by default); without it, every call says so. What it
//! learns is plain facts ([`AccountFacts`]), defined here and judged by `verify::account`.

#[cfg(feature = "aws")]
mod client;
mod domains;
#[cfg(feature = "aws")]
mod guard;
mod roles;
#[cfg(feature = "aws")]
mod signing;

pub use domains::{DomainConfiguration, DomainFacts, DomainQuery, ServerCertificate};
pub use roles::{role_name, Role, RoleAlias, RoleAliasFacts, RoleLookup};

use std::fmt;
use std::time::Duration;

use crate::policy::Thing;

/// What the account says about a certificate, as fetched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountFacts {
    pub region: String,
    /// None: DescribeCertificate found no certificate with this id.
    pub certificate: Option<Registration>,
    /// The CA the certificate was registered under, when it is one the account registered.
    pub ca: Option<CaRegistration>,
    /// Things attached to the certificate; type and attributes only for the one described.
    pub things: Vec<Thing>,
    /// Policies attached to the certificate, with their default version's document; then
    /// those of the thing groups of the thing the connection resolves to.
    pub policies: Vec<PolicyText>,
    /// What could not be asked (the credentials may not list thing groups, ...): each makes
    /// the answer incomplete, in words.
    pub unasked: Vec<String>,
    /// With [`More::role_alias`]: the alias and its role.
    pub role_alias: Option<RoleAliasFacts>,
    /// With [`More::domain`]: the domain configuration asked for.
    pub domain: Option<DomainFacts>,
}

/// What else to ask the account, beyond the certificate.
#[derive(Clone, Debug, Default)]
pub struct More {
    /// A role alias the device asks the credentials provider for (DescribeRoleAlias, GetRole).
    pub role_alias: Option<String>,
    /// The domain configuration of the endpoint (DescribeDomainConfiguration).
    pub domain: Option<DomainQuery>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    pub arn: String,
    /// ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION.
    pub status: String,
    /// RFC 3339, when AWS said.
    pub created: Option<String>,
    pub ca_certificate_id: Option<String>,
    /// DEFAULT or SNI_ONLY, when AWS said.
    pub mode: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaRegistration {
    pub id: String,
    pub status: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyText {
    pub name: String,
    pub document: String,
    /// Why GetPolicy's answer could not be read (too large, nested too deep, not the shape of
    /// the answer), when it could not: the policy is then one whose effect cannot be told,
    /// never one that allows or denies nothing.
    pub unreadable: Option<String>,
    /// None: attached to the certificate. Some: attached to a thing group the connection's
    /// thing belongs to, directly or through a child group.
    pub thing_group: Option<GroupSource>,
}

/// Where a thing group's policy comes from: AWS applies the policies of every group a thing
/// belongs to, and of their parent groups, when the connection resolves to the thing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupSource {
    /// The group the policy is attached to.
    pub group: String,
    /// The thing.
    pub thing: String,
    /// The group the thing is a member of, through which `group` applies (the same group
    /// when the thing is a direct member).
    pub member_of: String,
}

/// Where and how long to ask AWS; resolved from the command line.
#[derive(Clone, Debug)]
pub struct AwsSettings {
    /// Overrides the standard chain's region.
    pub region: Option<String>,
    /// Overrides AWS_PROFILE.
    pub profile: Option<String>,
    /// For everything asked of AWS, credentials included.
    pub timeout: Duration,
}

/// Why AWS could not be asked. The first three are the user's setup (exit 2), the others
/// the API's answer or its absence (exit 3). No variant carries a secret.
#[derive(Debug)]
pub enum AwsError {
    /// No credentials in the standard chain (or the profile named has none).
    NoCredentials(String),
    NoRegion,
    /// This build has no AWS support.
    NotBuilt,
    /// The API could not be reached (connect, DNS, TLS).
    Unreachable {
        action: &'static str,
        detail: String,
    },
    Timeout {
        action: &'static str,
        seconds: f64,
    },
    Throttled {
        action: &'static str,
    },
    /// The credentials may not call this action.
    AccessDenied {
        action: &'static str,
        detail: String,
    },
    /// An answer arrived but cannot be read: not JSON, not the shape of the operation's
    /// answer, too large, nested too deep, or pages that loop. Never taken for a fact about
    /// the account.
    Unreadable {
        action: &'static str,
        detail: String,
    },
    /// Any other answer of the API.
    Service {
        action: &'static str,
        code: String,
        detail: String,
    },
}

impl AwsError {
    /// 2 for the user's setup, 3 for the API.
    pub fn exit_code(&self) -> i32 {
        match self {
            AwsError::NoCredentials(_) | AwsError::NoRegion | AwsError::NotBuilt => 2,
            _ => 3,
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AwsError::NoCredentials(why) => write!(
                f,
                "no AWS credentials ({why}): set AWS_PROFILE or give --profile, run `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            ),
            AwsError::NoRegion => write!(
                f,
                "no AWS region: give --region, set AWS_REGION, or set one for the profile with `aws configure`"
            ),
            AwsError::NotBuilt => write!(
                f,
                "this iotcheck was built without AWS support (cargo feature `aws`): use a build with it (`endpoint` takes a HOST without it)"
            ),
            AwsError::Unreachable { action, detail } => write!(
                f,
                "AWS API unreachable for {action}: {detail}: check the network, a proxy, or AWS_ENDPOINT_URL"
            ),
            AwsError::Timeout { action, seconds } => write!(
                f,
                "AWS API: {action} did not answer within {seconds} s (--timeout)"
            ),
            AwsError::Throttled { action } => write!(
                f,
                "AWS API: {action} was throttled: try again in a moment"
            ),
            AwsError::AccessDenied { action, detail } => write!(
                f,
                "AWS API: access denied for {action}: the credentials' IAM policy must allow {action} (docs/account.md lists the minimal policy){}",
                if detail.is_empty() { String::new() } else { format!(" ({detail})") }
            ),
            AwsError::Unreadable { action, detail } => write!(
                f,
                "AWS API: the answer from {action} could not be read: {detail}: check AWS_ENDPOINT_URL and any proxy in between"
            ),
            AwsError::Service {
                action,
                code,
                detail,
            } => write!(f, "AWS API: {action} failed: {code}: {detail}"),
        }
    }
}

impl std::error::Error for AwsError {}

/// The account's facts about the certificate with this id (SHA-256 of its DER), and about
/// the thing `client_id` names if one is attached.
pub fn account_facts(
    settings: &AwsSettings,
    certificate_id: &str,
    client_id: &str,
) -> Result<AccountFacts, AwsError> {
    account_facts_with(settings, certificate_id, client_id, &More::default())
}

/// [`account_facts`], and what `more` asks besides, in one exchange with AWS.
pub fn account_facts_with(
    settings: &AwsSettings,
    certificate_id: &str,
    client_id: &str,
    more: &More,
) -> Result<AccountFacts, AwsError> {
    #[cfg(feature = "aws")]
    {
        client::account_facts(settings, certificate_id, client_id, more)
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = (settings, certificate_id, client_id, more);
        Err(AwsError::NotBuilt)
    }
}

/// The account's `iot:Data-ATS` endpoint (DescribeEndpoint) and the region asked.
pub fn data_endpoint(settings: &AwsSettings) -> Result<(String, String), AwsError> {
    #[cfg(feature = "aws")]
    {
        client::data_endpoint(settings)
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = settings;
        Err(AwsError::NotBuilt)
    }
}

/// Credentials from the standard chain for signing a WebSocket URL, and the chain's region
/// when it has one.
pub fn signing_credentials(
    settings: &AwsSettings,
) -> Result<(crate::net::AwsCredentials, Option<String>), AwsError> {
    #[cfg(feature = "aws")]
    {
        signing::signing_credentials(settings)
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = settings;
        Err(AwsError::NotBuilt)
    }
}

/// The account's `iot:CredentialProvider` endpoint (DescribeEndpoint) and the region asked.
pub fn credentials_endpoint(settings: &AwsSettings) -> Result<(String, String), AwsError> {
    #[cfg(feature = "aws")]
    {
        client::endpoint_of_type(settings, "iot:CredentialProvider")
    }
    #[cfg(not(feature = "aws"))]
    {
        let _ = settings;
        Err(AwsError::NotBuilt)
    }
}

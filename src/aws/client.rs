//! The SDK calls, and the one translation of SDK errors into [`AwsError`].

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iot::config::http::HttpResponse;
use aws_sdk_iot::config::ProvideCredentials;
use aws_sdk_iot::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iot::Client;

use super::guard::{AnswerGuard, AnswerRefused};
use super::{
    AccountFacts, AwsError, AwsSettings, CaRegistration, GroupSource, More, PolicyText,
    Registration,
};
use crate::policy::Thing;

/// The longest credential and region resolution may take: enough for a real instance
/// metadata service, short enough that a machine with nothing configured answers at once.
const RESOLUTION: Duration = Duration::from_secs(4);

/// The most pages one listing may take. A certificate is attached to a few things and at
/// most 10 policies; a thousand pages is an API that does not end.
const MAX_PAGES: usize = 1000;

pub(super) fn account_facts(
    settings: &AwsSettings,
    certificate_id: &str,
    client_id: &str,
    more: &More,
) -> Result<AccountFacts, AwsError> {
    run(settings, async {
        let (config, region) = configure(settings).await?;
        let client = client(&config);
        let mut facts = AccountFacts {
            region,
            ..AccountFacts::default()
        };
        let described = client
            .describe_certificate()
            .certificate_id(certificate_id)
            .send()
            .await;
        let description = match described {
            Ok(out) => out.certificate_description,
            Err(e) if not_found(&e) => {
                ask_more(&config, &client, more, settings, &mut facts).await?;
                return Ok(facts);
            }
            Err(e) => return Err(translate("iot:DescribeCertificate", e, settings)),
        };
        // An answer without the description is no answer: were it taken for "not
        // registered", a broken endpoint would be reported as a fact about the account.
        let Some(description) = description else {
            return Err(AwsError::Unreadable {
                action: "iot:DescribeCertificate",
                detail: "it holds no certificateDescription".into(),
            });
        };
        // What the answer names is asked about in the next requests: a value no AWS answer
        // holds (megabytes, control characters) would make the SDK refuse to build them.
        let arn = description.certificate_arn.clone().unwrap_or_default();
        request_value(
            "iot:DescribeCertificate",
            "certificateArn",
            &arn,
            2048,
            |c| c.is_ascii_graphic(),
        )?;
        let ca_certificate_id = description.ca_certificate_id.clone();
        if let Some(id) = &ca_certificate_id {
            request_value("iot:DescribeCertificate", "caCertificateId", id, 64, |c| {
                c.is_ascii_hexdigit()
            })?;
        }
        // Every text kept from an answer is clipped (`server_text`); the calls below use the
        // values as the API gave them.
        facts.certificate = Some(Registration {
            arn: server_text(&arn),
            status: description
                .status
                .as_ref()
                .map(|s| server_text(s.as_str()))
                .unwrap_or_default(),
            created: description.creation_date.as_ref().and_then(|d| {
                d.fmt(aws_sdk_iot::primitives::DateTimeFormat::DateTime)
                    .ok()
            }),
            ca_certificate_id: ca_certificate_id.as_deref().map(server_text),
            mode: description
                .certificate_mode
                .as_ref()
                .map(|m| server_text(m.as_str())),
        });
        if let Some(ca_id) = ca_certificate_id {
            let ca = client
                .describe_ca_certificate()
                .certificate_id(&ca_id)
                .send()
                .await;
            match ca {
                Ok(out) => {
                    let status = out
                        .certificate_description
                        .and_then(|d| d.status)
                        .map(|s| server_text(s.as_str()))
                        .ok_or_else(|| AwsError::Unreadable {
                            action: "iot:DescribeCACertificate",
                            detail: "it holds no certificateDescription with a status".into(),
                        })?;
                    facts.ca = Some(CaRegistration {
                        id: server_text(&ca_id),
                        status,
                    });
                }
                // A CA this account did not register (an AWS-issued certificate's): none to judge.
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(translate("iot:DescribeCACertificate", e, settings)),
            }
        }

        let mut next = None;
        let mut pages = Pages::new("iot:ListPrincipalThings");
        loop {
            let out = client
                .list_principal_things()
                .principal(&arn)
                .set_next_token(next)
                .send()
                .await
                .map_err(|e| translate("iot:ListPrincipalThings", e, settings))?;
            for name in out.things.unwrap_or_default() {
                facts.things.push(Thing {
                    name: server_text(&name),
                    ..Thing::default()
                });
            }
            next = pages.next(out.next_token)?;
            if next.is_none() {
                break;
            }
        }
        // Which of them are attached exclusively (ListThingPrincipalsV2's principal type):
        // the thing variables then resolve to that thing whatever the client id. Credentials
        // that may not ask leave the association unknown, in words.
        for index in 0..facts.things.len().min(MAX_EXCLUSIVE_ASKS) {
            let out = client
                .list_thing_principals_v2()
                .thing_name(&facts.things[index].name)
                .send()
                .await;
            match out {
                Ok(out) => {
                    facts.things[index].exclusive = out
                        .thing_principal_objects
                        .unwrap_or_default()
                        .iter()
                        .any(|o| {
                            o.principal == arn
                                && o.thing_principal_type.as_ref().map(|t| t.as_str())
                                    == Some("EXCLUSIVE_THING")
                        });
                }
                Err(e) => optional("iot:ListThingPrincipalsV2", e, settings, &mut facts)?,
            }
        }
        // The thing the connection resolves to: its type and attributes feed the thing
        // variables, its groups' policies apply.
        let resolved = facts
            .things
            .iter()
            .position(|t| t.name == client_id)
            .or_else(|| facts.things.iter().position(|t| t.exclusive));
        if let Some(index) = resolved {
            let thing = &mut facts.things[index];
            let out = client
                .describe_thing()
                .thing_name(&thing.name)
                .send()
                .await
                .map_err(|e| translate("iot:DescribeThing", e, settings))?;
            thing.type_name = out.thing_type_name.as_deref().map(server_text);
            thing.attributes = out
                .attributes
                .unwrap_or_default()
                .iter()
                .map(|(k, v)| (server_text(k), server_text(v)))
                .collect();
        }
        let thing_name = resolved.map(|i| facts.things[i].name.clone());
        let groups = match &thing_name {
            Some(thing) => thing_groups(&client, thing, settings, &mut facts).await?,
            None => Vec::new(),
        };

        let names = attached_policies(&client, &arn, settings).await?;
        for name in names {
            let (document, unreadable) = policy_document(&client, &name, settings).await?;
            facts.policies.push(PolicyText {
                name: server_text(&name),
                document,
                unreadable,
                thing_group: None,
            });
        }
        for (group, source) in groups {
            let names = match attached_policies(&client, &group, settings).await {
                Ok(names) => names,
                Err(AwsError::AccessDenied { .. }) => {
                    facts.unasked.push(format!(
                        "the policies of thing group {} (iot:ListAttachedPolicies was refused to these credentials)",
                        source.group
                    ));
                    continue;
                }
                Err(e) => return Err(e),
            };
            for name in names {
                let (document, unreadable) = policy_document(&client, &name, settings).await?;
                facts.policies.push(PolicyText {
                    name: server_text(&name),
                    document,
                    unreadable,
                    thing_group: Some(source.clone()),
                });
            }
        }
        ask_more(&config, &client, more, settings, &mut facts).await?;
        Ok(facts)
    })
}

/// At most this many things are asked about exclusive association: a certificate attached
/// to more is not attached exclusively to any.
const MAX_EXCLUSIVE_ASKS: usize = 16;

/// At most this many thing groups (with their parents) are followed.
const MAX_GROUPS: usize = 100;

/// A refusal of a call whose answer only completes the picture: noted, not fatal.
fn optional<E: ProvideErrorMetadata + std::error::Error + 'static>(
    action: &'static str,
    error: SdkError<E, HttpResponse>,
    settings: &AwsSettings,
    facts: &mut AccountFacts,
) -> Result<(), AwsError> {
    match translate(action, error, settings) {
        AwsError::AccessDenied { .. } => {
            facts
                .unasked
                .push(format!("{action} was refused to these credentials"));
            Ok(())
        }
        AwsError::Service { code, .. } => {
            facts
                .unasked
                .push(format!("{action} answered {}", server_text(&code)));
            Ok(())
        }
        other => Err(other),
    }
}

/// The names of the policies attached to a target (certificate or thing group ARN).
async fn attached_policies(
    client: &Client,
    target: &str,
    settings: &AwsSettings,
) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut marker = None;
    let mut pages = Pages::new("iot:ListAttachedPolicies");
    loop {
        let out = client
            .list_attached_policies()
            .target(target)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| translate("iot:ListAttachedPolicies", e, settings))?;
        for name in out
            .policies
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.policy_name)
        {
            // AWS's policy names: 1 to 128 of [A-Za-z0-9_+=,.@-].
            request_value("iot:ListAttachedPolicies", "policyName", &name, 128, |c| {
                c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
            })?;
            names.push(name);
        }
        marker = pages.next(out.next_marker)?;
        if marker.is_none() {
            break;
        }
    }
    Ok(names)
}

/// A policy's document, or (empty, why) when its answer could not be read: one policy too
/// large or nested too deep (the answer guard's bounds) leaves the others to be evaluated,
/// and the evaluation says it cannot tell rather than ending the run.
async fn policy_document(
    client: &Client,
    name: &str,
    settings: &AwsSettings,
) -> Result<(String, Option<String>), AwsError> {
    let out = client
        .get_policy()
        .policy_name(name)
        .send()
        .await
        .map_err(|e| translate("iot:GetPolicy", e, settings));
    match out {
        Ok(out) => Ok((out.policy_document.unwrap_or_default(), None)),
        Err(AwsError::Unreadable { detail, .. }) => Ok((String::new(), Some(detail))),
        Err(e) => Err(e),
    }
}

/// The thing groups a thing belongs to, and their parents up to the root: each group's ARN
/// with where it comes from. Refusals are noted in `facts.unasked`.
async fn thing_groups(
    client: &Client,
    thing: &str,
    settings: &AwsSettings,
    facts: &mut AccountFacts,
) -> Result<Vec<(String, GroupSource)>, AwsError> {
    let mut direct = Vec::new();
    let mut next = None;
    let mut pages = Pages::new("iot:ListThingGroupsForThing");
    loop {
        let out = client
            .list_thing_groups_for_thing()
            .thing_name(thing)
            .set_next_token(next)
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                optional("iot:ListThingGroupsForThing", e, settings, facts)?;
                return Ok(Vec::new());
            }
        };
        for group in out.thing_groups.unwrap_or_default() {
            if let (Some(name), Some(arn)) = (group.group_name, group.group_arn) {
                request_value("iot:ListThingGroupsForThing", "groupArn", &arn, 2048, |c| {
                    c.is_ascii_graphic()
                })?;
                direct.push((name, arn));
            }
        }
        next = pages.next(out.next_token)?;
        if next.is_none() || direct.len() >= MAX_GROUPS {
            break;
        }
    }
    let mut seen = HashSet::new();
    let mut groups = Vec::new();
    for (name, arn) in direct {
        let source = |group: &str| GroupSource {
            group: server_text(group),
            thing: server_text(thing),
            member_of: server_text(&name),
        };
        if seen.insert(arn.clone()) {
            groups.push((arn.clone(), source(&name)));
        }
        let described = client
            .describe_thing_group()
            .thing_group_name(&name)
            .send()
            .await;
        let described = match described {
            Ok(out) => out,
            Err(e) => {
                optional("iot:DescribeThingGroup", e, settings, facts)?;
                continue;
            }
        };
        let parents = described
            .thing_group_metadata
            .and_then(|m| m.root_to_parent_thing_groups)
            .unwrap_or_default();
        for parent in parents {
            if let (Some(parent_name), Some(parent_arn)) = (parent.group_name, parent.group_arn) {
                request_value(
                    "iot:DescribeThingGroup",
                    "groupArn",
                    &parent_arn,
                    2048,
                    |c| c.is_ascii_graphic(),
                )?;
                if seen.insert(parent_arn.clone()) && groups.len() < MAX_GROUPS {
                    groups.push((parent_arn, source(&parent_name)));
                }
            }
        }
    }
    Ok(groups)
}

/// What [`More`] asks besides the certificate.
async fn ask_more(
    config: &SdkConfig,
    client: &Client,
    more: &More,
    settings: &AwsSettings,
    facts: &mut AccountFacts,
) -> Result<(), AwsError> {
    if let Some(alias) = &more.role_alias {
        facts.role_alias =
            Some(super::roles::sdk::role_alias(config, client, alias, settings).await?);
    }
    if let Some(query) = &more.domain {
        facts.domain = Some(super::domains::sdk::domain(client, query, settings).await?);
    }
    Ok(())
}

pub(super) fn data_endpoint(settings: &AwsSettings) -> Result<(String, String), AwsError> {
    endpoint_of_type(settings, "iot:Data-ATS")
}

/// The account's endpoint of `endpoint_type` (DescribeEndpoint) and the region asked.
pub(super) fn endpoint_of_type(
    settings: &AwsSettings,
    endpoint_type: &'static str,
) -> Result<(String, String), AwsError> {
    run(settings, async {
        let (config, region) = configure(settings).await?;
        let out = client(&config)
            .describe_endpoint()
            .endpoint_type(endpoint_type)
            .send()
            .await
            .map_err(|e| translate("iot:DescribeEndpoint", e, settings))?;
        let host = out.endpoint_address.unwrap_or_default();
        if host.is_empty() {
            return Err(AwsError::Unreadable {
                action: "iot:DescribeEndpoint",
                detail: "it names no endpointAddress".into(),
            });
        }
        Ok((host, region))
    })
}

/// Checks a value an answer gave before it is sent back in a request: at most `max` bytes,
/// none empty, every character `allowed`.
pub(super) fn request_value(
    action: &'static str,
    what: &str,
    value: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), AwsError> {
    if !value.is_empty() && value.len() <= max && value.chars().all(allowed) {
        return Ok(());
    }
    Err(AwsError::Unreadable {
        action,
        detail: format!(
            "it gives a {what} of {} bytes that no AWS answer holds (at most {max}, of the characters AWS allows)",
            value.len()
        ),
    })
}

/// A text taken from an answer, clipped with a visible mark: a hostile server's megabyte
/// name must not become a megabyte report.
pub(super) fn server_text(text: &str) -> String {
    crate::quote::clip_server(text).into_owned()
}

/// The IoT client, every answer of which passes the guard on size and nesting.
fn client(config: &SdkConfig) -> Client {
    let config = aws_sdk_iot::config::Builder::from(config)
        .interceptor(AnswerGuard)
        .build();
    Client::from_conf(config)
}

/// The pagination of one listing: the tokens seen, so that a server handing back a token
/// it gave before (which would loop until the timeout) is caught at once, and the count.
pub(super) struct Pages {
    action: &'static str,
    seen: HashSet<String>,
}

impl Pages {
    pub(super) fn new(action: &'static str) -> Pages {
        Pages {
            action,
            seen: HashSet::new(),
        }
    }

    /// The token to ask the next page with; None when the listing is complete.
    pub(super) fn next(&mut self, token: Option<String>) -> Result<Option<String>, AwsError> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if self.seen.len() + 1 >= MAX_PAGES {
            return Err(AwsError::Unreadable {
                action: self.action,
                detail: format!("the listing did not end within {MAX_PAGES} pages"),
            });
        }
        if !self.seen.insert(token.clone()) {
            return Err(AwsError::Unreadable {
                action: self.action,
                detail: format!(
                    "page {} hands back the pagination token of an earlier page, so the listing would never end",
                    self.seen.len() + 1
                ),
            });
        }
        Ok(Some(token))
    }
}

/// Runs one exchange with AWS on a current-thread runtime, within the settings' timeout.
fn run<T>(
    settings: &AwsSettings,
    work: impl std::future::Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AwsError::Unreachable {
            action: "the AWS API",
            detail: format!("no async runtime ({e})"),
        })?;
    runtime.block_on(async {
        match tokio::time::timeout(settings.timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(AwsError::Timeout {
                action: "the AWS API",
                seconds: settings.timeout.as_secs_f64(),
            }),
        }
    })
}

/// The standard chain's configuration with the overrides; fails fast without a region or
/// credentials.
async fn configure(settings: &AwsSettings) -> Result<(SdkConfig, String), AwsError> {
    let started = Instant::now();
    let budget = RESOLUTION.min(settings.timeout);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(settings.timeout.min(Duration::from_secs(3)))
                .operation_timeout(settings.timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2));
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    let config = tokio::time::timeout(budget, loader.load())
        .await
        .map_err(|_| AwsError::NoRegion)?;
    let region = config
        .region()
        .map(|r| r.to_string())
        .ok_or(AwsError::NoRegion)?;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| AwsError::NoCredentials("no credential provider".into()))?;
    let left = budget.saturating_sub(started.elapsed());
    match tokio::time::timeout(left, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok((config, region)),
        Ok(Err(e)) => Err(AwsError::NoCredentials(credentials_words(&e))),
        Err(_) => Err(AwsError::NoCredentials(format!(
            "none found within {} s",
            budget.as_secs_f64()
        ))),
    }
}

/// What the credential chain said (its words name providers, never a credential).
fn credentials_words(error: &dyn std::error::Error) -> String {
    let words = error.to_string();
    if words.is_empty() {
        "the credential chain found none".to_string()
    } else {
        words
    }
}

pub(super) fn not_found<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    matches!(error, SdkError::ServiceError(e) if e.err().code() == Some("ResourceNotFoundException"))
}

/// The one translation of SDK errors.
pub(super) fn translate<E: ProvideErrorMetadata + std::error::Error + 'static>(
    action: &'static str,
    error: SdkError<E, HttpResponse>,
    settings: &AwsSettings,
) -> AwsError {
    match &error {
        SdkError::TimeoutError(_) => AwsError::Timeout {
            action,
            seconds: settings.timeout.as_secs_f64(),
        },
        SdkError::DispatchFailure(failure) => {
            if failure.is_timeout() {
                AwsError::Timeout {
                    action,
                    seconds: settings.timeout.as_secs_f64(),
                }
            } else {
                AwsError::Unreachable {
                    action,
                    detail: chain_words(&error),
                }
            }
        }
        SdkError::ResponseError(_) => AwsError::Unreadable {
            action,
            detail: match refusal(&error) {
                Some(refused) => refused.to_string(),
                None => chain_words(&error),
            },
        },
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status();
            // A success the SDK could not deserialize (not JSON, not the operation's shape),
            // or an error without AWS's error code (a proxy's or a web server's page): what
            // arrived is not an answer of the API.
            if status.is_success() || e.code().is_none() {
                // The SDK wraps the deserializer's words in "unhandled error": its source says it.
                let why = match std::error::Error::source(e) {
                    Some(source) => chain_words(source),
                    None => chain_words(e),
                };
                return AwsError::Unreadable {
                    action,
                    detail: format!("HTTP {} ({why})", status.as_u16()),
                };
            }
            let code = e.code().unwrap_or("unknown").to_string();
            let detail = e.message().unwrap_or_default().to_string();
            if code.contains("Throttl") || code == "TooManyRequestsException" {
                AwsError::Throttled { action }
            } else if code.contains("AccessDenied") || code.contains("Unauthorized") {
                AwsError::AccessDenied { action, detail }
            } else {
                AwsError::Service {
                    action,
                    code,
                    detail,
                }
            }
        }
        _ => AwsError::Unreachable {
            action,
            detail: chain_words(&error),
        },
    }
}

/// The guard's refusal, when that is why the answer was not read.
fn refusal<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e AnswerRefused> {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<AnswerRefused>() {
            return Some(refused);
        }
        source = e.source();
    }
    None
}

/// An error and its sources, in one line.
fn chain_words(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !words.contains(&text) {
            words.push_str(": ");
            words.push_str(&text);
        }
        source = e.source();
    }
    words
}

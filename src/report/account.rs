//! The `account` report: the certificate as AWS IoT registered it, the things and policies
//! attached to it, each request's decision with the statement that decides, and the
//! findings; serialised as JSON as it is, and drawn as text.

use std::fmt::Write;

use serde::Serialize;

use super::{human, SCHEMA_VERSION};
use crate::aws::{
    AccountFacts, DomainConfiguration, DomainFacts, DomainQuery, RoleAliasFacts, RoleLookup,
};
use crate::chain::Cert;
use crate::finding::{Finding, Severity, Verdict};
use crate::policy::{Action, Outcome, StatementRef, Substitution};
use crate::verify::account::{AccountJudgement, Check};
use crate::verify::roles::{Trust, CREDENTIALS_SERVICE};

/// `account --json`, and what the text shows.
#[derive(Serialize)]
pub struct AccountReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub verdict: Verdict,
    pub region: String,
    pub client_id: String,
    /// Where the client id came from: "--client-id", "--thing" or "certificate CN".
    pub client_id_from: &'static str,
    pub certificate: CertificateView,
    pub things: Vec<ThingView>,
    pub policies: Vec<PolicyView>,
    /// Each request against all the attached policies together.
    pub checks: Vec<CheckView>,
    /// With `--role-alias`: the alias and the IAM role it names.
    pub role_alias: Option<RoleAliasView>,
    /// With `--endpoint` or `--domain-configuration`: the domain configuration.
    pub domain_configuration: Option<DomainView>,
    pub findings: Vec<Finding>,
    /// With `--suggest-policy`, else null.
    pub suggested_policy: Option<SuggestedPolicyView>,
}

/// The domain configuration asked for: how it was looked for, then its fields as the account
/// gave them (`aws::DomainConfiguration`; each null when not found or not said).
#[derive(Serialize)]
pub struct DomainView {
    /// How it was looked for: "name" (`--domain-configuration`) or "host" (`--endpoint`).
    pub by: &'static str,
    /// The name or host looked for.
    pub asked: String,
    pub found: bool,
    /// How many configurations were described to find it.
    pub described: usize,
    #[serde(flatten)]
    pub configuration: DomainConfiguration,
}

impl DomainView {
    fn of(facts: &DomainFacts) -> DomainView {
        let (by, asked) = match &facts.query {
            DomainQuery::Named(name) => ("name", name.clone()),
            DomainQuery::Host(host) => ("host", host.clone()),
        };
        DomainView {
            by,
            asked,
            found: facts.configuration.is_some(),
            described: facts.described,
            configuration: facts.configuration.clone().unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
pub struct RoleAliasView {
    pub name: String,
    /// DescribeRoleAlias found it.
    pub exists: bool,
    pub arn: Option<String>,
    pub role_arn: Option<String>,
    pub credential_duration_seconds: Option<i32>,
    /// None when there is no alias to read a role from.
    pub role: Option<RoleView>,
}

#[derive(Serialize)]
pub struct RoleView {
    /// IAM GetRole found it; None when IAM could not be asked.
    pub exists: Option<bool>,
    pub name: Option<String>,
    pub max_session_duration: Option<i32>,
    /// The trust policy lets credentials.iot.amazonaws.com call sts:AssumeRole: true, false,
    /// or None when it cannot be told.
    pub trusts_credentials_provider: Option<bool>,
    /// Why, in words: the statement that allows, what is missing, or why it cannot be told.
    pub trust: Option<String>,
    /// Why IAM could not be asked.
    pub error: Option<String>,
}

impl RoleAliasView {
    fn of(facts: &RoleAliasFacts, trust: Option<&Trust>) -> RoleAliasView {
        let alias = facts.alias.as_ref();
        let role = alias.map(|_| match &facts.role {
            RoleLookup::Found(role) => RoleView {
                exists: Some(true),
                name: Some(role.name.clone()),
                max_session_duration: role.max_session_duration,
                trusts_credentials_provider: match trust {
                    Some(Trust::Allowed(_)) => Some(true),
                    Some(Trust::Denied(_)) => Some(false),
                    _ => None,
                },
                trust: trust.map(|t| match t {
                    Trust::Allowed(number) => {
                        format!("statement {number} lets {CREDENTIALS_SERVICE} call sts:AssumeRole")
                    }
                    Trust::Denied(why) | Trust::CannotTell(why) => why.clone(),
                }),
                error: None,
            },
            RoleLookup::Missing => RoleView {
                exists: Some(false),
                ..RoleView::unknown()
            },
            RoleLookup::Failed(why) => RoleView {
                error: Some(why.clone()),
                ..RoleView::unknown()
            },
            RoleLookup::NotAsked => RoleView::unknown(),
        });
        RoleAliasView {
            name: facts.name.clone(),
            exists: alias.is_some(),
            arn: alias.map(|a| a.arn.clone()),
            role_arn: alias.map(|a| a.role_arn.clone()),
            credential_duration_seconds: alias.and_then(|a| a.credential_duration_seconds),
            role,
        }
    }
}

impl RoleView {
    fn unknown() -> RoleView {
        RoleView {
            exists: None,
            name: None,
            max_session_duration: None,
            trusts_credentials_provider: None,
            trust: None,
            error: None,
        }
    }
}

#[derive(Serialize)]
pub struct CertificateView {
    /// The certificate id: SHA-256 of its DER, lowercase hex.
    pub id: String,
    pub file: String,
    pub subject: String,
    pub registered: bool,
    pub arn: Option<String>,
    pub status: Option<String>,
    pub created: Option<String>,
    /// DEFAULT or SNI_ONLY, when AWS said.
    pub mode: Option<String>,
    /// The CA it was registered under, when the account registered that CA.
    pub ca: Option<CaView>,
}

#[derive(Serialize)]
pub struct CaView {
    pub id: String,
    pub status: String,
}

#[derive(Serialize)]
pub struct ThingView {
    pub name: String,
    /// Known for the thing the client id names (DescribeThing), else None.
    pub thing_type: Option<String>,
    pub is_client_id: bool,
    /// Attached with `EXCLUSIVE_THING`: the thing variables resolve to it whatever the client id.
    pub exclusive: bool,
}

#[derive(Serialize)]
pub struct PolicyView {
    pub name: String,
    pub readable: bool,
    pub error: Option<String>,
    /// This policy alone: true, false, or None when it cannot be told (or read).
    pub allows_connect: Option<bool>,
    /// Each request against this policy alone.
    pub checks: Vec<CheckView>,
}

#[derive(Serialize)]
pub struct CheckView {
    pub action: &'static str,
    /// The client id, topic or topic filter.
    pub name: String,
    pub resource: String,
    pub outcome: Outcome,
    pub explicit_deny: bool,
    pub decided_by: Option<StatementRef>,
    pub reason: String,
    /// The deciding statement's policy variables and what AWS puts in their place.
    pub substitutions: Vec<Substitution>,
    /// With `--feature`/`--config`: the feature that needs this request (null: asked on the
    /// command line), and where the client's source makes it.
    pub feature: Option<String>,
    pub source: Option<String>,
}

/// `--suggest-policy`: the policy that would work.
#[derive(Serialize)]
pub struct SuggestedPolicyView {
    /// The policy document.
    pub document: serde_json::Value,
    /// Its characters without whitespace (AWS's limit is 2,048).
    pub length: usize,
    /// Exact resources were replaced by subtree wildcards to fit the limit.
    pub widened: bool,
    /// `${iot:Connection.Thing.ThingName}` stands for the thing.
    pub thing_variable: bool,
    /// What the evaluator would still not allow under it for this connection (empty: all).
    pub not_allowed: Vec<String>,
}

impl CheckView {
    fn of(check: &Check) -> CheckView {
        CheckView {
            action: check.request.action.name(),
            name: check.request.name.clone(),
            resource: check.request.resource.clone(),
            outcome: check.decision.outcome,
            explicit_deny: check.decision.explicit_deny,
            decided_by: check.decision.decided_by.clone(),
            reason: check.decision.reason.clone(),
            substitutions: check.decision.substitutions.clone(),
            feature: check.need.as_ref().map(|(feature, _)| feature.clone()),
            source: check.need.as_ref().map(|(_, source)| source.clone()),
        }
    }
}

impl AccountReport {
    pub fn build(
        facts: &AccountFacts,
        judgement: AccountJudgement,
        cert: &Cert,
        file: &str,
        client_id: &str,
        client_id_from: &'static str,
    ) -> AccountReport {
        let registration = facts.certificate.as_ref();
        AccountReport {
            schema_version: SCHEMA_VERSION,
            command: "account",
            verdict: judgement.verdict,
            region: facts.region.clone(),
            client_id: client_id.to_string(),
            client_id_from,
            certificate: CertificateView {
                id: cert.sha256.clone(),
                file: file.to_string(),
                subject: cert.subject.clone(),
                registered: registration.is_some(),
                arn: registration.map(|r| r.arn.clone()),
                status: registration.map(|r| r.status.clone()),
                created: registration.and_then(|r| r.created.clone()),
                mode: registration.and_then(|r| r.mode.clone()),
                ca: facts.ca.as_ref().map(|ca| CaView {
                    id: ca.id.clone(),
                    status: ca.status.clone(),
                }),
            },
            things: facts
                .things
                .iter()
                .map(|t| ThingView {
                    name: t.name.clone(),
                    thing_type: t.type_name.clone(),
                    is_client_id: t.name == client_id,
                    exclusive: t.exclusive,
                })
                .collect(),
            policies: judgement
                .policies
                .iter()
                .map(|p| PolicyView {
                    name: p.name.clone(),
                    readable: p.unreadable.is_none(),
                    error: p.unreadable.clone(),
                    allows_connect: p
                        .checks
                        .iter()
                        .find(|c| c.request.action == Action::Connect)
                        .and_then(|c| match c.decision.outcome {
                            Outcome::Allowed => Some(true),
                            Outcome::Denied => Some(false),
                            Outcome::CannotTell => None,
                        }),
                    checks: p.checks.iter().map(CheckView::of).collect(),
                })
                .collect(),
            checks: judgement.checks.iter().map(CheckView::of).collect(),
            suggested_policy: judgement.suggestion.map(|s| SuggestedPolicyView {
                length: s.suggestion.length,
                widened: s.suggestion.widened,
                thing_variable: s.suggestion.thing_variable,
                document: s.suggestion.document,
                not_allowed: s.not_allowed,
            }),
            role_alias: facts
                .role_alias
                .as_ref()
                .map(|alias| RoleAliasView::of(alias, judgement.role_trust.as_ref())),
            domain_configuration: facts.domain.as_ref().map(DomainView::of),
            findings: judgement.findings,
        }
    }
}

pub fn render(report: &AccountReport) -> String {
    let mut out = String::new();
    let findings = &report.findings;
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    // Findings are sorted by severity: with an error, the first finding is the lead error.
    let (word, detail) = match findings.first() {
        Some(lead) if errors > 0 => (
            human::bad("ERRORS"),
            format!(
                "{errors} error(s), {warnings} warning(s), lead: {}",
                lead.code
            ),
        ),
        _ => (human::ok("OK"), format!("no errors, {warnings} warning(s)")),
    };
    let _ = writeln!(
        out,
        "{word}  {}  {}",
        human::clean(&report.client_id),
        human::dim(&detail)
    );
    let cert = &report.certificate;
    human::field(&mut out, 0, "region", &human::clean(&report.region));
    human::field(
        &mut out,
        0,
        "client id",
        &format!(
            "{}  (from {})",
            human::clean(&report.client_id),
            report.client_id_from
        ),
    );
    out.push('\n');
    human::field(&mut out, 0, "certificate", &human::clean(&cert.subject));
    human::field(&mut out, 3, "id", &cert.id);
    human::field(&mut out, 3, "file", &human::clean(&cert.file));
    match (&cert.arn, &cert.status) {
        (Some(arn), Some(status)) => {
            let status = if status == "ACTIVE" {
                human::ok(status)
            } else {
                human::bad(status)
            };
            human::field(&mut out, 3, "status", &status);
            human::field(&mut out, 3, "arn", &human::clean(arn));
            if let Some(created) = &cert.created {
                human::field(&mut out, 3, "created", &human::clean(created));
            }
            if let Some(mode) = &cert.mode {
                human::field(&mut out, 3, "mode", &human::clean(mode));
            }
            let ca = match &cert.ca {
                Some(ca) => format!("{} ({})", ca.id, ca.status),
                None => {
                    "no CA of this account (registered without one, or an AWS-issued certificate)"
                        .to_string()
                }
            };
            human::field(&mut out, 3, "ca", &human::clean(&ca));
        }
        _ => human::field(&mut out, 3, "status", &human::bad("not registered")),
    }
    if cert.registered {
        let things: Vec<String> = report
            .things
            .iter()
            .map(|t| {
                let mut s = human::clean(&t.name);
                if let Some(kind) = &t.thing_type {
                    s.push_str(&format!(" (type {})", human::clean(kind)));
                }
                if t.is_client_id {
                    s.push_str(" = client id");
                }
                s
            })
            .collect();
        out.push('\n');
        human::field(
            &mut out,
            0,
            "things",
            &if things.is_empty() {
                human::warn("none attached")
            } else {
                things.join(", ")
            },
        );
        let policies: Vec<String> = report
            .policies
            .iter()
            .map(|p| {
                let connect = match (p.readable, p.allows_connect) {
                    (false, _) => human::warn("unreadable"),
                    (true, Some(true)) => human::ok("allows connect"),
                    (true, Some(false)) => human::dim("does not allow connect"),
                    (true, None) => human::warn("connect: cannot tell"),
                };
                format!("{} ({connect})", human::clean(&p.name))
            })
            .collect();
        human::field(
            &mut out,
            0,
            "policies",
            &if policies.is_empty() {
                human::bad("none attached")
            } else {
                policies.join(", ")
            },
        );
    }
    if let Some(alias) = &report.role_alias {
        out.push('\n');
        role_alias(&mut out, alias);
    }
    if let Some(domain) = &report.domain_configuration {
        out.push('\n');
        domain_configuration(&mut out, domain);
    }
    if !report.checks.is_empty() {
        out.push('\n');
        for check in report.checks.iter().filter(|c| c.feature.is_none()) {
            let mark = match check.outcome {
                Outcome::Allowed => human::ok("✓"),
                Outcome::Denied => human::bad("✗"),
                Outcome::CannotTell => human::warn("?"),
            };
            let _ = writeln!(
                out,
                "{mark} {:<14} {}",
                check.action,
                human::clean(&check.name)
            );
            let _ = writeln!(out, "  {}", human::dim(&human::clean(&check.reason)));
        }
        render_features(&mut out, &report.checks);
    }
    human::findings(&mut out, findings);
    if let Some(suggested) = &report.suggested_policy {
        render_suggestion(&mut out, suggested);
    }
    out
}

/// Each feature's needs in one line, and the ones not allowed below it.
fn render_features(out: &mut String, checks: &[CheckView]) {
    let mut names: Vec<&str> = Vec::new();
    for check in checks {
        if let Some(feature) = check.feature.as_deref() {
            if !names.contains(&feature) {
                names.push(feature);
            }
        }
    }
    for name in names {
        let of: Vec<&CheckView> = checks
            .iter()
            .filter(|c| c.feature.as_deref() == Some(name))
            .collect();
        let allowed = of.iter().filter(|c| c.outcome == Outcome::Allowed).count();
        let mark = if allowed == of.len() {
            human::ok("✓")
        } else {
            human::bad("✗")
        };
        let _ = writeln!(
            out,
            "{mark} feature {:<20} {allowed} of {} actions allowed",
            human::clean(name),
            of.len()
        );
        for check in of.iter().filter(|c| c.outcome != Outcome::Allowed) {
            let _ = writeln!(
                out,
                "    {} {} {}",
                match check.outcome {
                    Outcome::CannotTell => human::warn("?"),
                    _ => human::bad("✗"),
                },
                check.action,
                human::clean(&check.name)
            );
        }
    }
}

fn render_suggestion(out: &mut String, suggested: &SuggestedPolicyView) {
    let _ = writeln!(
        out,
        "\nsuggested policy ({} characters without whitespace{}): a starting point to review, not to apply blindly",
        suggested.length,
        if suggested.widened {
            "; subtree wildcards to fit AWS's 2,048"
        } else {
            ""
        }
    );
    let text = serde_json::to_string_pretty(&suggested.document).unwrap_or_default();
    for line in text.lines() {
        let _ = writeln!(out, "{}", human::clean(line));
    }
    for what in &suggested.not_allowed {
        let _ = writeln!(
            out,
            "{}",
            human::warn(&human::clean(&format!("not allowed under it: {what}")))
        );
    }
}

/// The role alias and its role, a few lines.
fn role_alias(out: &mut String, alias: &RoleAliasView) {
    human::field(out, 0, "role alias", &human::clean(&alias.name));
    let (Some(arn), Some(role_arn)) = (&alias.arn, &alias.role_arn) else {
        human::field(out, 3, "status", &human::bad("not found"));
        return;
    };
    human::field(out, 3, "arn", &human::clean(arn));
    human::field(out, 3, "role", &human::clean(role_arn));
    let Some(role) = &alias.role else {
        return;
    };
    match (role.exists, &role.error) {
        (Some(false), _) => human::field(out, 3, "iam", &human::bad("no such role")),
        (None, Some(error)) => human::field(
            out,
            3,
            "iam",
            &human::warn(&format!("not asked: {}", human::clean(error))),
        ),
        _ => {
            let trust = role.trust.as_deref().map(human::clean).unwrap_or_default();
            let trust = match role.trusts_credentials_provider {
                Some(true) => human::ok(&trust),
                Some(false) => human::bad(&trust),
                None => human::warn(&trust),
            };
            human::field(out, 3, "trust", &trust);
            let duration = alias.credential_duration_seconds.unwrap_or(3600);
            let maximum = role.max_session_duration.unwrap_or(3600);
            let words = format!("{duration} s (the role allows up to {maximum} s)");
            let words = if duration > maximum {
                human::bad(&words)
            } else {
                words
            };
            human::field(out, 3, "duration", &words);
        }
    }
}

/// The domain configuration, a few lines; what AWS (or an emulator) left out is not shown.
fn domain_configuration(out: &mut String, view: &DomainView) {
    let domain = &view.configuration;
    if !view.found {
        let domain = view;
        let words = match domain.by {
            "name" => "no such domain configuration".to_string(),
            _ => format!(
                "none of the {} domain configuration(s) serves {}",
                domain.described,
                human::clean(&domain.asked)
            ),
        };
        human::field(out, 0, "domain", &human::warn(&words));
        return;
    }
    let name = &domain.name;
    let title = match &domain.domain_name {
        Some(host) => format!("{} ({})", human::clean(name), human::clean(host)),
        None => human::clean(name),
    };
    human::field(out, 0, "domain", &title);
    if let Some(status) = &domain.status {
        let status = if status == "ENABLED" {
            human::ok(status)
        } else {
            human::bad(status)
        };
        human::field(out, 3, "status", &status);
    }
    for (label, value) in [
        ("service", &domain.service_type),
        ("auth", &domain.authentication_type),
        ("protocol", &domain.application_protocol),
        ("tls policy", &domain.tls_policy),
        ("authorizer", &domain.authorizer),
    ] {
        if let Some(value) = value {
            human::field(out, 3, label, &human::clean(value));
        }
    }
    for certificate in &domain.server_certificates {
        let status = certificate.status.as_deref().unwrap_or("status not said");
        human::field(
            out,
            3,
            "certificate",
            &format!(
                "{} ({})",
                human::clean(&certificate.arn),
                human::clean(status)
            ),
        );
    }
}

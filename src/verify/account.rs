//! The account's side of a device: what AWS IoT says about its certificate (registered,
//! status, CA), the things and policies attached to it, and whether those policies let the
//! client id connect, publish, subscribe and receive. Judged from plain facts that the
//! AWS edge (`aws/`) fetched; the policies are evaluated offline by `policy`.

use std::collections::BTreeMap;

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::X509Name;

use crate::aws::{AccountFacts, Registration};
use crate::chain::Cert;
use crate::finding::{sort, Code, Finding, Verdict};
use crate::policy::features::{self, Feature, Need};
use crate::policy::suggest::{self, Suggestion};
use crate::policy::{self, Action, Context, Decision, Document, Outcome, Request, Thing};
use crate::verify::{domains, roles};

/// What to ask of the policies.
#[derive(Clone, Debug, Default)]
pub struct Questions {
    pub client_id: String,
    /// `--thing`, when given: the thing the device is meant to be.
    pub thing: Option<String>,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    /// `--feature` / `--config`: what the device's features need is checked too.
    pub features: Vec<Feature>,
    /// `--suggest-policy`: build the policy that would allow all of it.
    pub suggest: bool,
    /// A role alias the device asks the credentials provider for: checks
    /// iot:AssumeRoleWithCertificate on it.
    pub role_alias: Option<String>,
    /// The port the device connects on (the domain configuration is judged for it): 8883
    /// when not said.
    pub port: Option<u16>,
}

/// One request and what the policies decide for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub request: Request,
    pub decision: Decision,
    /// The feature that needs it, and where its source says so (None: asked on the
    /// command line).
    pub need: Option<(String, String)>,
}

/// One attached policy, judged on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyJudgement {
    pub name: String,
    /// Why the document could not be read, if it could not.
    pub unreadable: Option<String>,
    /// Each request against this policy alone.
    pub checks: Vec<Check>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccountJudgement {
    pub verdict: Verdict,
    /// Each request against all the attached policies together.
    pub checks: Vec<Check>,
    pub policies: Vec<PolicyJudgement>,
    /// With a role alias whose role IAM described: what its trust policy says of the
    /// credentials provider.
    pub role_trust: Option<roles::Trust>,
    pub findings: Vec<Finding>,
    /// With `--suggest-policy`.
    pub suggestion: Option<SuggestedPolicy>,
}

/// The policy that would work, and whether the evaluator allows every need under it.
#[derive(Clone, Debug, PartialEq)]
pub struct SuggestedPolicy {
    pub suggestion: Suggestion,
    /// Needs the suggestion would not allow for this connection (e.g. a client id that is
    /// not the thing's name, with the thing-name variable), in words.
    pub not_allowed: Vec<String>,
}

/// The requests a device makes: Connect for the client id; Publish for each topic;
/// Subscribe for each filter, and Receive on it when it names one topic (a filter with `+`
/// or `#` receives on topics iotcheck cannot list).
pub fn requests(questions: &Questions, context: &Context) -> Vec<Request> {
    let mut requests = vec![Request::new(Action::Connect, &questions.client_id, context)];
    for topic in &questions.publish {
        requests.push(Request::new(Action::Publish, topic, context));
    }
    for filter in &questions.subscribe {
        requests.push(Request::new(Action::Subscribe, filter, context));
    }
    for filter in &questions.subscribe {
        if !filter.contains(['+', '#']) {
            requests.push(Request::new(Action::Receive, filter, context));
        }
    }
    if let Some(alias) = &questions.role_alias {
        requests.push(Request::new(
            Action::AssumeRoleWithCertificate,
            alias,
            context,
        ));
    }
    requests
}

pub fn judge(facts: &AccountFacts, cert: &Cert, questions: &Questions) -> AccountJudgement {
    let mut findings = Vec::new();
    let mut role_trust = None;
    if let Some(alias) = &facts.role_alias {
        findings.extend(roles::findings(alias, &facts.region));
        role_trust = roles::role_trust(alias);
    }
    if let Some(domain) = &facts.domain {
        findings.extend(domains::findings(
            domain,
            &facts.region,
            questions.port.unwrap_or(8883),
        ));
    }
    let Some(registration) = &facts.certificate else {
        findings.push(Finding::new(
            Code::CertNotRegistered,
            format!(
                "no certificate with id {} is registered in this account in region {}: check that the credentials are for the device's account, that the region is the endpoint's (--region), or register it (aws iot register-certificate-without-ca --certificate-pem file://CERT --status ACTIVE, or register-certificate --ca-certificate-pem with its CA)",
                cert.sha256, facts.region
            ),
        ));
        sort(&mut findings);
        return AccountJudgement {
            verdict: Verdict::of(&findings),
            checks: Vec::new(),
            policies: Vec::new(),
            role_trust,
            findings,
            suggestion: None,
        };
    };
    findings.extend(status_finding(&registration.status, &registration.arn));
    if let Some(ca) = &facts.ca {
        if ca.status != "ACTIVE" {
            findings.push(Finding::new(
                Code::CaInactive,
                format!(
                    "the CA {} the certificate was registered under is {}: AWS IoT refuses certificates of an inactive CA (aws iot update-ca-certificate --certificate-id {} --new-status ACTIVE)",
                    ca.id, ca.status, ca.id
                ),
            ));
        }
    }
    let context = context(facts, registration, cert, &questions.client_id);
    findings.extend(thing_findings(facts, questions, &registration.arn));

    // The certificate's policies; those of thing groups when the connection resolves to the
    // group's thing (AWS applies them to the thing, not to the certificate).
    let applied: Vec<&crate::aws::PolicyText> = facts
        .policies
        .iter()
        .filter(|p| match &p.thing_group {
            None => true,
            Some(source) => context
                .thing
                .as_ref()
                .is_some_and(|t| t.name == source.thing),
        })
        .collect();
    let documents: Vec<(String, Result<Document, String>)> = applied
        .iter()
        .map(|p| {
            let document = match &p.unreadable {
                Some(why) => Err(format!(
                    "the answer of iot:GetPolicy could not be read: {why}"
                )),
                None => Document::parse(&p.document),
            };
            (policy_label(p), document)
        })
        .collect();
    let from_group: Vec<bool> = applied.iter().map(|p| p.thing_group.is_some()).collect();
    for what in &facts.unasked {
        findings.push(Finding::new(
            Code::PolicyUnknown,
            format!("not asked: {what}; the answer below may miss policies or the thing's exclusive association"),
        ));
    }
    let readable: Vec<(&str, &Document)> = documents
        .iter()
        .filter_map(|(name, d)| d.as_ref().ok().map(|d| (name.as_str(), d)))
        .collect();
    let unreadable: Vec<&str> = documents
        .iter()
        .filter(|(_, d)| d.is_err())
        .map(|(name, _)| name.as_str())
        .collect();
    for (name, document) in &documents {
        match document {
            Ok(document) => {
                for (index, what) in policy::too_broad(document) {
                    findings.push(Finding::new(
                        Code::PolicyTooBroad,
                        format!(
                            "statement {} of policy {name} allows {what}: a stolen device key could do anything in the account's AWS IoT; allow only the device's own client id and topics",
                            index + 1
                        ),
                    ));
                }
            }
            Err(why) => findings.push(Finding::new(
                Code::PolicyUnknown,
                format!("policy {name} cannot be read ({why}): what it allows cannot be told"),
            )),
        }
    }

    let requests = requests(questions, &context);
    let mut checks = Vec::new();
    if facts.policies.is_empty() {
        findings.push(Finding::new(
            Code::NoPolicy,
            format!(
                "no policy is attached to the certificate: AWS IoT closes the connection after CONNECT (aws iot attach-policy --policy-name POLICY --target {})",
                registration.arn
            ),
        ));
    } else {
        for request in &requests {
            let mut decision = policy::evaluate(&readable, request, &context);
            // A policy that cannot be read could allow what the others do not, or deny.
            if !unreadable.is_empty() && !decision.explicit_deny {
                decision.outcome = Outcome::CannotTell;
                decision.reason = format!(
                    "{}; but policy {} cannot be read",
                    decision.reason,
                    unreadable.join(", ")
                );
            }
            findings.extend(decision_finding(request, &decision));
            checks.push(Check {
                request: request.clone(),
                decision,
                need: None,
            });
        }
    }
    // What the features need: each need evaluated; the Greengrass data-plane actions
    // without the thing groups' policies, which do not grant them.
    let thing_name = questions
        .thing
        .clone()
        .or_else(|| context.thing.as_ref().map(|t| t.name.clone()))
        .unwrap_or_else(|| questions.client_id.clone());
    let needs = features::needs(&questions.features, &questions.client_id, &thing_name);
    if !facts.policies.is_empty() {
        let without_groups: Vec<(&str, &Document)> = documents
            .iter()
            .zip(&from_group)
            .filter(|(_, group)| !**group)
            .filter_map(|((name, d), _)| d.as_ref().ok().map(|d| (name.as_str(), d)))
            .collect();
        for need in &needs {
            let request = Request::new(need.action, &need.name, &context);
            // Asked for directly (a topic given, the role alias): judged once, above.
            if requests
                .iter()
                .any(|r| r.action == request.action && r.resource == request.resource)
            {
                continue;
            }
            let policies = if need.thing_groups_count {
                &readable
            } else {
                &without_groups
            };
            let mut decision = policy::evaluate(policies, &request, &context);
            if !unreadable.is_empty() && !decision.explicit_deny {
                decision.outcome = Outcome::CannotTell;
                decision.reason = format!(
                    "{}; but policy {} cannot be read",
                    decision.reason,
                    unreadable.join(", ")
                );
            }
            if decision.outcome != Outcome::Allowed
                && !need.thing_groups_count
                && policy::evaluate(&readable, &request, &context).outcome == Outcome::Allowed
            {
                decision.reason.push_str(
                    "; a thing group's policy allows it, but thing-group policies do not grant the Greengrass data-plane operations: attach the statement to the core device's certificate",
                );
            }
            findings.extend(need_finding(need, &request, &decision));
            checks.push(Check {
                request,
                decision,
                need: Some((need.feature.clone(), need.source.clone())),
            });
        }
    }
    let suggestion = questions
        .suggest
        .then(|| suggested(questions, &needs, &context, facts, &thing_name));
    let policies = documents
        .iter()
        .map(|(name, document)| PolicyJudgement {
            name: name.clone(),
            unreadable: document.as_ref().err().cloned(),
            checks: match document {
                Ok(document) => requests
                    .iter()
                    .map(|request| Check {
                        request: request.clone(),
                        decision: policy::evaluate(&[(name, document)], request, &context),
                        need: None,
                    })
                    .collect(),
                Err(_) => Vec::new(),
            },
        })
        .collect();
    sort(&mut findings);
    AccountJudgement {
        verdict: Verdict::of(&findings),
        checks,
        policies,
        role_trust,
        findings,
        suggestion,
    }
}

/// A denied (or untellable) need: the feature, the action, the topic, the source line, and
/// the statement that denies or the one that is missing.
fn need_finding(need: &Need, request: &Request, decision: &Decision) -> Option<Finding> {
    let (code, verb) = match decision.outcome {
        Outcome::Allowed => return None,
        Outcome::Denied => (Code::FeatureDenied, "is denied"),
        Outcome::CannotTell => (Code::PolicyUnknown, "cannot be told allowed"),
    };
    let missing = if decision.explicit_deny || decision.outcome == Outcome::CannotTell {
        String::new()
    } else {
        format!(
            "; missing: a statement allowing {} on {}",
            need.action.name(),
            request.resource
        )
    };
    Some(Finding::new(
        code,
        format!(
            "feature {}: {} on {} {verb} ({}{}){missing}; the feature needs it at {}",
            need.feature,
            need.action.name(),
            need.name,
            decision.reason,
            substitutions_words(decision),
            need.source
        ),
    ))
}

/// The suggested policy for the features and the questions, checked with the evaluator.
fn suggested(
    questions: &Questions,
    feature_needs: &[Need],
    context: &Context,
    facts: &AccountFacts,
    thing_name: &str,
) -> SuggestedPolicy {
    let asked = |action: Action, name: &str| Need {
        feature: "asked".into(),
        action,
        name: name.to_string(),
        source: "the command line".into(),
        thing_groups_count: true,
    };
    let mut needs = vec![asked(Action::Connect, &questions.client_id)];
    needs.extend(questions.publish.iter().map(|t| asked(Action::Publish, t)));
    for filter in &questions.subscribe {
        needs.push(asked(Action::Subscribe, filter));
        if !filter.contains(['+', '#']) {
            needs.push(asked(Action::Receive, filter));
        }
    }
    needs.extend(feature_needs.iter().cloned());
    // The thing-name variable where one thing per certificate is the pattern: not for a
    // Greengrass core (AWS does not support thing variables in core-device policies), not
    // for a claim certificate (no thing is attached to it).
    let thing_variable = !facts.things.is_empty()
        && !questions
            .features
            .iter()
            .any(|f| f.is_greengrass() || f.is_claim());
    let suggestion = suggest::suggest(&needs, context, thing_name, thing_variable);
    let mut not_allowed = Vec::new();
    match Document::parse(&suggestion.document.to_string()) {
        Ok(document) => {
            // As the device will connect: the thing resolved when the variable is used.
            let mut as_device = context.clone();
            if thing_variable && as_device.thing.is_none() {
                as_device.thing = Some(Thing {
                    name: thing_name.to_string(),
                    ..Thing::default()
                });
            }
            for need in &needs {
                let request = Request::new(need.action, &need.name, &as_device);
                let decision = policy::evaluate(&[("suggested", &document)], &request, &as_device);
                if decision.outcome != Outcome::Allowed {
                    not_allowed.push(format!(
                        "{} on {}: {}",
                        need.action.name(),
                        need.name,
                        decision.reason
                    ));
                }
            }
            if !policy::too_broad(&document).is_empty() {
                not_allowed.push("the suggestion has a statement policy_too_broad flags".into());
            }
        }
        Err(why) => not_allowed.push(format!("the suggestion does not parse ({why})")),
    }
    if suggestion.length > suggest::POLICY_LIMIT {
        not_allowed.push(format!(
            "the suggestion is {} characters without whitespace, over AWS's {}",
            suggestion.length,
            suggest::POLICY_LIMIT
        ));
    }
    SuggestedPolicy {
        suggestion,
        not_allowed,
    }
}

/// A policy's name as reports show it: with the thing group it comes from, if it does.
pub fn policy_label(policy: &crate::aws::PolicyText) -> String {
    match &policy.thing_group {
        None => policy.name.clone(),
        Some(source) if source.group == source.member_of => {
            format!("{} (thing group {})", policy.name, source.group)
        }
        Some(source) => format!(
            "{} (thing group {}, parent of {})",
            policy.name, source.group, source.member_of
        ),
    }
}

fn status_finding(status: &str, arn: &str) -> Option<Finding> {
    let id = arn.rsplit('/').next().unwrap_or(arn);
    let (code, message) = match status {
        "ACTIVE" => return None,
        "INACTIVE" | "REGISTER_INACTIVE" => (
            Code::CertInactive,
            format!("the certificate is {status}: AWS IoT refuses it in the TLS handshake (aws iot update-certificate --certificate-id {id} --new-status ACTIVE)"),
        ),
        "REVOKED" => (
            Code::CertRevoked,
            "the certificate is REVOKED: it can never be used again; issue and register a new one".to_string(),
        ),
        "PENDING_TRANSFER" => (
            Code::CertPendingTransfer,
            "the certificate is PENDING_TRANSFER to another account: the receiving account must accept the transfer (aws iot accept-certificate-transfer), or this account cancel it (aws iot cancel-certificate-transfer)".to_string(),
        ),
        "PENDING_ACTIVATION" => (
            Code::CertPendingActivation,
            format!("the certificate is PENDING_ACTIVATION: activate it (aws iot update-certificate --certificate-id {id} --new-status ACTIVE)"),
        ),
        other => (
            Code::CertInactive,
            format!("the certificate's status is {other}, not ACTIVE: AWS IoT accepts only ACTIVE certificates"),
        ),
    };
    Some(Finding::new(code, message))
}

fn thing_findings(facts: &AccountFacts, questions: &Questions, arn: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let names: Vec<&str> = facts.things.iter().map(|t| t.name.as_str()).collect();
    match &questions.thing {
        Some(thing) if !names.contains(&thing.as_str()) => findings.push(Finding::new(
            Code::ThingNotAttached,
            format!(
                "the thing {thing:?} is not attached to the certificate{}: aws iot attach-thing-principal --thing-name {thing} --principal {arn}",
                attached_list(&names)
            ),
        )),
        None if names.is_empty() => findings.push(Finding::new(
            Code::ThingNotAttached,
            format!(
                "no thing is attached to the certificate: thing policy variables do not resolve, and shadows and jobs need one (aws iot attach-thing-principal --thing-name NAME --principal {arn})"
            ),
        )),
        _ => {}
    }
    let exclusive = facts.things.iter().any(|t| t.exclusive);
    if !names.is_empty() && !names.contains(&questions.client_id.as_str()) && !exclusive {
        findings.push(Finding::new(
            Code::ClientIdNotThing,
            format!(
                "the client id {:?} is not the name of a thing attached to the certificate ({}): the thing policy variables (${{iot:Connection.Thing.ThingName}}, ...) do not resolve for this connection; connect with the thing's name as client id",
                questions.client_id,
                names.join(", ")
            ),
        ));
    }
    findings
}

fn attached_list(names: &[&str]) -> String {
    if names.is_empty() {
        " (no thing is)".to_string()
    } else {
        format!(" (attached: {})", names.join(", "))
    }
}

/// The substitutions of a decision in words: `${iot:ClientId} = "x"`, with any note.
pub fn substitutions_words(decision: &Decision) -> String {
    let words: Vec<String> = decision
        .substitutions
        .iter()
        .map(|s| {
            let value = match &s.value {
                Some(v) => format!("{v:?}"),
                None => "no value".to_string(),
            };
            match &s.note {
                Some(note) => format!("${{{}}} = {value} ({note})", s.variable),
                None => format!("${{{}}} = {value}", s.variable),
            }
        })
        .collect();
    if words.is_empty() {
        String::new()
    } else {
        format!(" [with {}]", words.join(", "))
    }
}

fn decision_finding(request: &Request, decision: &Decision) -> Option<Finding> {
    let code = match (decision.outcome, request.action) {
        (Outcome::Allowed, _) => return None,
        (Outcome::CannotTell, _) => Code::PolicyUnknown,
        (Outcome::Denied, Action::Connect) => Code::PolicyDeniesConnect,
        (Outcome::Denied, Action::Publish) => Code::PolicyDeniesPublish,
        (Outcome::Denied, Action::Subscribe) => Code::PolicyDeniesSubscribe,
        (Outcome::Denied, Action::Receive) => Code::PolicyDeniesReceive,
        (Outcome::Denied, Action::AssumeRoleWithCertificate) => Code::PolicyDeniesAssumeRole,
        (Outcome::Denied, _) => Code::FeatureDenied,
    };
    let message = match decision.outcome {
        Outcome::CannotTell => format!(
            "whether {} on {} is allowed cannot be told offline: {}{}",
            request.action.name(),
            request.name,
            decision.reason,
            substitutions_words(decision)
        ),
        _ => {
            let mut message = format!(
                "{}: {}{}",
                request.action.name(),
                decision.reason,
                substitutions_words(decision)
            );
            match request.action {
                Action::Connect => {
                    message.push_str(" (AWS IoT closes the connection right after CONNECT)")
                }
                Action::AssumeRoleWithCertificate => message.push_str(
                    " (the credentials provider answers 403 Access Denied, before it looks for the alias)",
                ),
                _ => {}
            }
            message
        }
    };
    Some(Finding::new(code, message))
}

/// The policy context: account and region from the certificate's ARN, the thing the client
/// id names (when it is attached), the certificate's variables.
fn context(
    facts: &AccountFacts,
    registration: &Registration,
    cert: &Cert,
    client_id: &str,
) -> Context {
    // arn:PARTITION:iot:REGION:ACCOUNT:cert/ID
    let parts: Vec<&str> = registration.arn.split(':').collect();
    let part = |i: usize, default: &str| parts.get(i).copied().unwrap_or(default).to_string();
    Context {
        partition: part(1, "aws"),
        region: part(3, &facts.region),
        account: part(4, ""),
        client_id: client_id.to_string(),
        thing: connection_thing(facts, client_id).cloned(),
        attached_things: facts.things.iter().map(|t| t.name.clone()).collect(),
        certificate: certificate_variables(cert),
    }
}

/// The thing a connection resolves to: the attached thing named by the client id; else the
/// thing the certificate is attached to exclusively ("If non-exclusive thing association is in
/// place, [...] the value of clientId [...] must exactly match the thing name").
pub fn connection_thing<'f>(facts: &'f AccountFacts, client_id: &str) -> Option<&'f Thing> {
    facts
        .things
        .iter()
        .find(|t| t.name == client_id)
        .or_else(|| facts.things.iter().find(|t| t.exclusive))
}

/// The certificate's policy variables: its id, subject and issuer attributes, subject
/// alternative names.
pub fn certificate_variables(cert: &Cert) -> BTreeMap<String, Vec<String>> {
    let mut variables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    variables.insert("iot:CertificateId".into(), vec![cert.sha256.clone()]);
    // "AWS IoT Core treats the certificate serial number as the string representation of a
    // decimal integer."
    variables.insert(
        "iot:Certificate.SerialNumber".into(),
        vec![policy::decimal(&cert.serial_raw)],
    );
    for (side, der) in [("Subject", &cert.subject_der), ("Issuer", &cert.issuer_der)] {
        let Ok((_, name)) = X509Name::from_der(der) else {
            continue;
        };
        for attribute in name.iter_attributes() {
            let Some(short) = attribute_name(&attribute.attr_type().to_id_string()) else {
                continue;
            };
            if let Ok(value) = attribute.as_str() {
                variables
                    .entry(format!("iot:Certificate.{side}.{short}"))
                    .or_default()
                    .push(value.to_string());
            }
        }
    }
    for san in &cert.sans {
        let short = match san.kind {
            "dns" => "DNSName",
            "ip" => "IPAddress",
            "email" => "RFC822Name",
            "uri" => "UniformResourceIdentifier",
            _ => continue,
        };
        variables
            .entry(format!("iot:Certificate.Subject.AlternativeName.{short}"))
            .or_default()
            .push(san.value.clone());
    }
    if let Ok((_, parsed)) = X509Certificate::from_der(&cert.der) {
        for extension in parsed.extensions() {
            let ParsedExtension::IssuerAlternativeName(names) = extension.parsed_extension() else {
                continue;
            };
            for name in &names.general_names {
                let (short, value) = match name {
                    GeneralName::DNSName(d) => ("DNSName", d.to_string()),
                    GeneralName::RFC822Name(e) => ("RFC822Name", e.to_string()),
                    GeneralName::URI(u) => ("UniformResourceIdentifier", u.to_string()),
                    GeneralName::IPAddress(bytes) => match ip_text(bytes) {
                        Some(ip) => ("IPAddress", ip),
                        None => continue,
                    },
                    _ => continue,
                };
                variables
                    .entry(format!("iot:Certificate.Issuer.AlternativeName.{short}"))
                    .or_default()
                    .push(value);
            }
        }
    }
    variables
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

/// The names AWS IoT gives the X.520 attributes, by OID.
fn attribute_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CommonName",
        "2.5.4.4" => "Surname",
        "2.5.4.5" => "SerialNumber",
        "2.5.4.6" => "Country",
        "2.5.4.8" => "State",
        "2.5.4.10" => "Organization",
        "2.5.4.11" => "OrganizationalUnit",
        "2.5.4.12" => "Title",
        "2.5.4.42" => "GivenName",
        "2.5.4.43" => "Initials",
        "2.5.4.44" => "GenerationQualifier",
        "2.5.4.46" => "DistinguishedNameQualifier",
        "2.5.4.65" => "Pseudonym",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{CaRegistration, PolicyText};

    const DEVICE: &str = include_str!("../../fixtures/device/ec.pem");
    const ARN: &str = "arn:aws:iot:eu-west-1:123456789012:cert/abc";

    fn device() -> Cert {
        let block = ::pem::parse(DEVICE).expect("fixture PEM");
        Cert::from_der(block.contents(), "ec.pem").expect("fixture certificate")
    }

    fn facts(status: &str, policies: &[(&str, &str)]) -> AccountFacts {
        AccountFacts {
            region: "eu-west-1".into(),
            certificate: Some(Registration {
                arn: ARN.into(),
                status: status.into(),
                ..Registration::default()
            }),
            ca: None,
            things: vec![Thing {
                name: "TestThing-ec".into(),
                ..Thing::default()
            }],
            policies: policies
                .iter()
                .map(|(name, document)| PolicyText {
                    name: name.to_string(),
                    document: document.to_string(),
                    unreadable: None,
                    thing_group: None,
                })
                .collect(),
            unasked: Vec::new(),
            role_alias: None,
            domain: None,
        }
    }

    fn questions(client_id: &str) -> Questions {
        Questions {
            client_id: client_id.into(),
            ..Questions::default()
        }
    }

    fn codes(judgement: &AccountJudgement) -> Vec<Code> {
        judgement.findings.iter().map(|f| f.code).collect()
    }

    const CONNECT_AS_THING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:eu-west-1:123456789012:client/${iot:Connection.Thing.ThingName}"}]}"#;

    #[test]
    fn an_inactive_ca_fails_the_device() {
        let mut facts = facts("ACTIVE", &[("P", CONNECT_AS_THING)]);
        facts.ca = Some(CaRegistration {
            id: "ca1".into(),
            status: "INACTIVE".into(),
        });
        let judgement = judge(&facts, &device(), &questions("TestThing-ec"));
        assert_eq!(codes(&judgement), [Code::CaInactive]);
        assert_eq!(judgement.verdict, Verdict::Fail);
        facts.ca.as_mut().unwrap().status = "ACTIVE".into();
        let judgement = judge(&facts, &device(), &questions("TestThing-ec"));
        assert!(codes(&judgement).is_empty(), "{:?}", judgement.findings);
    }

    #[test]
    fn register_inactive_is_inactive() {
        let judgement = judge(
            &facts("REGISTER_INACTIVE", &[("P", CONNECT_AS_THING)]),
            &device(),
            &questions("TestThing-ec"),
        );
        assert_eq!(codes(&judgement), [Code::CertInactive]);
    }

    #[test]
    fn an_unreadable_policy_makes_a_denial_cannot_tell() {
        let judgement = judge(
            &facts("ACTIVE", &[("Broken", "{not json"), ("Other", NO_CONNECT)]),
            &device(),
            &questions("TestThing-ec"),
        );
        assert_eq!(
            codes(&judgement),
            [Code::PolicyUnknown, Code::PolicyUnknown],
            "{:?}",
            judgement.findings
        );
        assert_eq!(judgement.checks[0].decision.outcome, Outcome::CannotTell);
        assert_eq!(judgement.verdict, Verdict::Ok);
        assert!(judgement.policies[0].unreadable.is_some());
    }

    const NO_CONNECT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:eu-west-1:123456789012:topic/t"}]}"#;

    #[test]
    fn certificate_variables_come_from_the_certificate() {
        let variables = certificate_variables(&device());
        assert_eq!(
            variables["iot:Certificate.Subject.CommonName"],
            ["TestThing-ec"]
        );
        assert_eq!(
            variables["iot:Certificate.Issuer.CommonName"],
            ["iotcheck Test Device CA"]
        );
        assert_eq!(variables["iot:CertificateId"], [device().sha256]);
    }

    #[test]
    fn receive_is_asked_only_of_filters_that_name_one_topic() {
        let context = Context {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "1".into(),
            ..Context::default()
        };
        let q = Questions {
            client_id: "c".into(),
            subscribe: vec!["a/b".into(), "a/+".into(), "a/#".into()],
            ..Questions::default()
        };
        let asked: Vec<(Action, String)> = requests(&q, &context)
            .into_iter()
            .map(|r| (r.action, r.name))
            .collect();
        assert_eq!(
            asked,
            [
                (Action::Connect, "c".to_string()),
                (Action::Subscribe, "a/b".to_string()),
                (Action::Subscribe, "a/+".to_string()),
                (Action::Subscribe, "a/#".to_string()),
                (Action::Receive, "a/b".to_string()),
            ]
        );
    }
}

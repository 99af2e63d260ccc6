//! Evaluation: which statements apply to a request, and what they decide together. An
//! explicit Deny wins; otherwise an Allow allows; otherwise the request is denied. A statement
//! that cannot be evaluated offline makes the answer "cannot tell" wherever it could change it.

use serde::Serialize;

use super::condition::{self, Truth};
use super::context::{Absence, Context, Substitution};
use super::document::{Document, Effect, Statement};
use super::pattern::{compile_noting, glob, matches, Compiled};
use super::Request;

/// The answer to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
    CannotTell,
}

/// A statement, by policy name and position (from 1 in words; `index` is from 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    pub policy: String,
    pub index: usize,
    pub sid: Option<String>,
}

impl StatementRef {
    fn of(policy: &str, statement: &Statement) -> StatementRef {
        StatementRef {
            policy: policy.to_string(),
            index: statement.index,
            sid: statement.sid.clone(),
        }
    }

    /// "statement 2 (Sid \"x\") of policy P".
    pub fn describe(&self) -> String {
        match &self.sid {
            Some(sid) => format!(
                "statement {} ({sid:?}) of policy {}",
                self.index + 1,
                self.policy
            ),
            None => format!("statement {} of policy {}", self.index + 1, self.policy),
        }
    }
}

/// What the policies decide for one request, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    /// The Deny that denies, the Allow that allows, or the statement that cannot be told.
    pub decided_by: Option<StatementRef>,
    pub explicit_deny: bool,
    /// An Allow statement would apply but for the thing variables, which do not resolve
    /// because the client id is not the name of a thing attached to the certificate.
    pub thing_not_resolved: bool,
    /// In words: what decides, and why.
    pub reason: String,
    /// The variables of the deciding statement (or of the Allow that would have applied),
    /// and what AWS puts in their place for this connection.
    pub substitutions: Vec<Substitution>,
}

/// Whether a statement applies to the request.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Applies {
    Yes,
    /// No; with the absent variable that kept it from applying, if one did.
    No(Option<Absence>),
    Unknown(String),
}

/// Evaluates a request against the policies attached to a principal, together.
pub fn evaluate(policies: &[(&str, &Document)], request: &Request, context: &Context) -> Decision {
    let action = request.action.name();
    let mut allowed_by = None;
    let mut allow_unknown = None;
    let mut deny_unknown = None;
    let mut near_miss: Option<(StatementRef, Absence)> = None;
    let mut noted: Vec<(StatementRef, Vec<Substitution>)> = Vec::new();
    for (name, document) in policies {
        for statement in &document.statements {
            let reference = StatementRef::of(name, statement);
            let mut notes = Vec::new();
            let applied = applies(statement, document.variables, request, context, &mut notes);
            if !notes.is_empty() && !matches!(applied, Applies::No(None)) {
                notes.sort();
                notes.dedup();
                noted.push((reference.clone(), notes.clone()));
            }
            match (statement.effect, applied) {
                (Effect::Deny, Applies::Yes) => {
                    return Decision {
                        substitutions: notes,
                        reason: format!(
                            "{} denies {action} on {} explicitly (an explicit Deny wins over any Allow)",
                            reference.describe(),
                            request.resource
                        ),
                        outcome: Outcome::Denied,
                        decided_by: Some(reference),
                        explicit_deny: true,
                        thing_not_resolved: false,
                    }
                }
                (Effect::Deny, Applies::Unknown(why)) => {
                    deny_unknown.get_or_insert((reference, why));
                }
                (Effect::Allow, Applies::Yes) => {
                    allowed_by.get_or_insert(reference);
                }
                (Effect::Allow, Applies::Unknown(why)) => {
                    allow_unknown.get_or_insert((reference, why));
                }
                (Effect::Allow, Applies::No(Some(absence))) => {
                    // Thing variables explain more denials than any other absence.
                    let better = match &near_miss {
                        None => true,
                        Some((_, held)) => {
                            absence == Absence::ThingNotResolved
                                && *held != Absence::ThingNotResolved
                        }
                    };
                    if better {
                        near_miss = Some((reference, absence));
                    }
                }
                _ => {}
            }
        }
    }
    let notes_of = |reference: &StatementRef| {
        noted
            .iter()
            .find(|(r, _)| r == reference)
            .map(|(_, notes)| notes.clone())
            .unwrap_or_default()
    };
    let cannot_tell = |(reference, why): (StatementRef, String), what: &str| Decision {
        reason: format!("{} {what}: {why}", reference.describe()),
        substitutions: notes_of(&reference),
        outcome: Outcome::CannotTell,
        decided_by: Some(reference),
        explicit_deny: false,
        thing_not_resolved: false,
    };
    match (allowed_by, deny_unknown, allow_unknown) {
        (Some(_), Some(deny), _) => cannot_tell(
            deny,
            &format!("might deny {action} on {}", request.resource),
        ),
        (Some(reference), None, _) => Decision {
            reason: format!(
                "{} allows {action} on {}",
                reference.describe(),
                request.resource
            ),
            outcome: Outcome::Allowed,
            substitutions: notes_of(&reference),
            decided_by: Some(reference),
            explicit_deny: false,
            thing_not_resolved: false,
        },
        (None, _, Some(allow)) => cannot_tell(
            allow,
            &format!("might allow {action} on {}", request.resource),
        ),
        (None, _, None) => {
            let mut reason = format!("no statement allows {action} on {}", request.resource);
            let thing_not_resolved = matches!(&near_miss, Some((_, Absence::ThingNotResolved)));
            if let Some((reference, absence)) = &near_miss {
                reason.push_str(&format!(
                    "; {} would, but {}",
                    reference.describe(),
                    absence.describe(context)
                ));
            }
            Decision {
                outcome: Outcome::Denied,
                substitutions: near_miss
                    .as_ref()
                    .map(|(reference, _)| notes_of(reference))
                    .unwrap_or_default(),
                decided_by: near_miss.map(|(reference, _)| reference),
                explicit_deny: false,
                thing_not_resolved,
                reason,
            }
        }
    }
}

fn applies(
    statement: &Statement,
    variables: bool,
    request: &Request,
    context: &Context,
    notes: &mut Vec<Substitution>,
) -> Applies {
    // Actions take no variables and compare without regard to case, as in IAM.
    let action_listed = statement
        .actions
        .values
        .iter()
        .any(|pattern| glob(pattern, request.action.name(), true));
    if action_listed == statement.actions.negated {
        return Applies::No(None);
    }
    let mut resource_matched = false;
    let mut resource_unknown = None;
    let mut resource_absent = None;
    if request.action.is_greengrass_data_plane() {
        // No resource to match: `*` applies; a narrower pattern names resources iotcheck
        // does not model.
        let star = statement.resources.values.iter().any(|p| p == "*");
        return match (statement.resources.negated, star) {
            (false, true) => conditions_apply(statement, variables, context, notes),
            (true, true) => Applies::No(None),
            _ => Applies::Unknown(format!(
                "the statement names resources for {}, which iotcheck does not model (AWS's minimal Greengrass policy allows it on *)",
                request.action.name()
            )),
        };
    }
    for pattern in &statement.resources.values {
        match compile_noting(pattern, context, variables, true, notes) {
            Compiled::Tokens(tokens) => {
                if matches(&tokens, &request.resource, false) {
                    resource_matched = true;
                }
            }
            Compiled::Absent(why) => {
                resource_absent.get_or_insert(why);
            }
            Compiled::Unknown(why) => {
                resource_unknown.get_or_insert(why);
            }
        }
    }
    let resource = match (
        statement.resources.negated,
        resource_matched,
        resource_unknown,
    ) {
        (false, true, _) => Applies::Yes,
        (true, true, _) => return Applies::No(None),
        (_, false, Some(why)) => Applies::Unknown(why),
        (false, false, None) => return Applies::No(resource_absent),
        (true, false, None) => Applies::Yes,
    };
    let conditions = conditions_apply(statement, variables, context, notes);
    if let Applies::No(why) = conditions {
        return Applies::No(why);
    }
    match (resource, conditions) {
        (Applies::Yes, Applies::Yes) => Applies::Yes,
        (Applies::Unknown(why), _) | (_, Applies::Unknown(why)) => Applies::Unknown(why),
        (other, _) => other,
    }
}

fn conditions_apply(
    statement: &Statement,
    variables: bool,
    context: &Context,
    notes: &mut Vec<Substitution>,
) -> Applies {
    let mut conditions = Applies::Yes;
    for c in &statement.conditions {
        match condition::evaluate(c, context, variables, notes) {
            Truth::True => {}
            Truth::False(why) => return Applies::No(why),
            Truth::Unknown(why) => {
                if conditions == Applies::Yes {
                    conditions = Applies::Unknown(why);
                }
            }
        }
    }
    conditions
}

/// Allow statements broader than a device needs: every action (`*`, `iot:*`, or any
/// `NotAction`) or every resource (`*`, or `arn:...:iot:REGION:ACCOUNT:*`), the patterns
/// Device Defender's "overly permissive policy" audit flags. Each with what it allows.
pub fn too_broad(document: &Document) -> Vec<(usize, String)> {
    document
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .filter_map(|s| {
            let mut what = Vec::new();
            if s.actions.negated {
                what.push("every action but those it names (NotAction)".to_string());
            } else if let Some(a) = s
                .actions
                .values
                .iter()
                .find(|a| *a == "*" || a.eq_ignore_ascii_case("iot:*"))
            {
                what.push(format!("every action ({a})"));
            }
            // `*` is the only resource of actions that take none.
            let resourceless = !s.actions.negated
                && s.actions.values.iter().all(|a| {
                    super::RESOURCELESS_ACTIONS
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(a))
                });
            if s.resources.negated {
                what.push("every resource but those it names (NotResource)".to_string());
            } else if resourceless {
            } else if let Some(r) = s
                .resources
                .values
                .iter()
                .find(|r| *r == "*" || r.split(':').nth(5).is_some_and(|rest| rest == "*"))
            {
                what.push(format!("every resource ({r})"));
            }
            (!what.is_empty()).then(|| (s.index, what.join(" on ")))
        })
        .collect()
}

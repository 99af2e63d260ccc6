//! The role alias a device asks the AWS IoT credentials provider for, judged from what the
//! account holds: the alias exists, the IAM role it names exists, the role's trust policy lets
//! `credentials.iot.amazonaws.com` assume it, and the role's maximum session duration covers
//! the credentials' duration the alias asks for. (Whether the certificate's policies allow
//! `iot:AssumeRoleWithCertificate` on the alias is one of the account's policy checks.)
//!
//! What the credentials provider answers for each is in the AWS IoT developer guide,
//! "Authorizing direct calls to AWS services using AWS IoT Core credential provider":
//! 404 for an alias that does not exist, 400 for a role that is missing or does not trust the
//! service (the same answer for both: only the account tells them apart).

use serde_json::Value;

use crate::aws::{RoleAliasFacts, RoleLookup};
use crate::finding::{Code, Finding};

/// The service principal of the AWS IoT credentials provider.
pub const CREDENTIALS_SERVICE: &str = "credentials.iot.amazonaws.com";

/// What a trust policy says about the credentials provider assuming the role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// A statement allows it (the 1-based index of the first that does).
    Allowed(usize),
    /// No statement allows it, or one denies it: the words say which.
    Denied(String),
    /// It depends on what iotcheck cannot evaluate (a condition, NotPrincipal), or the
    /// document cannot be read.
    CannotTell(String),
}

/// What the trust policy of the alias's role says, when IAM described the role.
pub fn role_trust(facts: &RoleAliasFacts) -> Option<Trust> {
    match &facts.role {
        RoleLookup::Found(role) => Some(match &role.trust_policy {
            Ok(document) => trust(document),
            Err(why) => Trust::CannotTell(why.clone()),
        }),
        _ => None,
    }
}

/// The findings on the alias and its role.
pub fn findings(facts: &RoleAliasFacts, region: &str) -> Vec<Finding> {
    let name = &facts.name;
    let Some(alias) = &facts.alias else {
        return vec![Finding::new(
            Code::RoleAliasMissing,
            format!(
                "no role alias {name} in this account in region {region}: the credentials provider answers 404 for it; create it (aws iot create-role-alias --role-alias {name} --role-arn ROLE_ARN), or give the alias the device uses, in the endpoint's region"
            ),
        )];
    };
    let role = match &facts.role {
        RoleLookup::Found(role) => role,
        RoleLookup::Missing => {
            return vec![Finding::new(
                Code::RoleMissing,
                format!(
                    "the role alias {name} names the role {}, which does not exist in IAM: the credentials provider answers 400 (aws iot update-role-alias --role-alias {name} --role-arn ROLE_ARN, or create the role)",
                    alias.role_arn
                ),
            )]
        }
        RoleLookup::Failed(why) => {
            return vec![Finding::new(
                Code::RoleUnknown,
                format!(
                    "IAM could not be asked about the role {} of the alias {name} ({why}): whether the credentials provider may assume it cannot be told; allow iam:GetRole to the credentials iotcheck runs with",
                    alias.role_arn
                ),
            )]
        }
        RoleLookup::NotAsked => return Vec::new(),
    };
    let mut findings = Vec::new();
    let statement = format!(
        r#"{{"Effect":"Allow","Principal":{{"Service":"{CREDENTIALS_SERVICE}"}},"Action":"sts:AssumeRole"}}"#
    );
    match role_trust(facts) {
        Some(Trust::Allowed(_)) | None => {}
        Some(Trust::Denied(why)) => findings.push(Finding::new(
            Code::RoleTrustMissing,
            format!(
                "the trust policy of the role {} does not let {CREDENTIALS_SERVICE} assume it ({why}): the credentials provider answers 400; add the statement {statement} (aws iam update-assume-role-policy --role-name {})",
                role.name, role.name
            ),
        )),
        Some(Trust::CannotTell(why)) => findings.push(Finding::new(
            Code::RoleUnknown,
            format!(
                "whether the trust policy of the role {} lets {CREDENTIALS_SERVICE} assume it cannot be told: {why}",
                role.name
            ),
        )),
    }
    // IAM's default maximum is one hour; the alias's default duration is one hour too.
    let duration = alias.credential_duration_seconds.unwrap_or(3600);
    let maximum = role.max_session_duration.unwrap_or(3600);
    if duration > maximum {
        findings.push(Finding::new(
            Code::RoleSessionTooShort,
            format!(
                "the role alias {name} asks for credentials of {duration} s, over the {maximum} s the role {} allows (its maximum session duration): the credentials provider cannot hand them out; raise the role's maximum (aws iam update-role --role-name {} --max-session-duration {duration}) or lower the alias's (aws iot update-role-alias --role-alias {name} --credential-duration-seconds {maximum})",
                role.name, role.name
            ),
        ));
    }
    findings
}

/// Whether a trust policy (JSON) lets the credentials provider call `sts:AssumeRole`, by IAM's
/// rules: an explicit Deny wins, nothing allowed is denied; `Principal` `*` or
/// `{"Service": NAME or [NAMES]}`; `Action`/`NotAction` as a string or a list, with `*` and
/// `?` wildcards, case-insensitive.
pub fn trust(document: &str) -> Trust {
    let value: Value = match serde_json::from_str(document) {
        Ok(value) => value,
        Err(e) => return Trust::CannotTell(format!("the trust policy is not JSON ({e})")),
    };
    let statements = match value.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Trust::CannotTell("the trust policy has no Statement".into()),
    };
    let mut allowed = None;
    let mut unsure = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let number = index + 1;
        let effect = statement.get("Effect").and_then(Value::as_str);
        match principal(statement) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(why) => {
                unsure.push(format!("statement {number}: {why}"));
                continue;
            }
        }
        match assumes(statement) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(why) => {
                unsure.push(format!("statement {number}: {why}"));
                continue;
            }
        }
        let condition = statement
            .get("Condition")
            .is_some_and(|c| c.as_object().is_none_or(|c| !c.is_empty()));
        match (effect, condition) {
            (Some("Deny"), false) => {
                return Trust::Denied(format!(
                    "statement {number} denies sts:AssumeRole to it explicitly"
                ))
            }
            (Some("Allow"), false) => {
                allowed.get_or_insert(number);
            }
            (Some("Allow" | "Deny"), true) => unsure.push(format!(
                "statement {number} applies under a Condition iotcheck does not evaluate"
            )),
            _ => unsure.push(format!("statement {number} has no Effect of Allow or Deny")),
        }
    }
    match (allowed, unsure.is_empty()) {
        (Some(number), true) => Trust::Allowed(number),
        (_, false) => Trust::CannotTell(unsure.join("; ")),
        (None, true) => Trust::Denied(format!(
            "no statement allows sts:AssumeRole to the service principal {CREDENTIALS_SERVICE}"
        )),
    }
}

/// Whether the statement's principal takes in the credentials provider.
fn principal(statement: &Value) -> Result<bool, String> {
    if statement.get("NotPrincipal").is_some() {
        return Err("NotPrincipal is not evaluated by iotcheck".into());
    }
    match statement.get("Principal") {
        Some(Value::String(any)) => Ok(any == "*"),
        Some(Value::Object(map)) => {
            if map.get("AWS").and_then(Value::as_str) == Some("*") {
                return Ok(true);
            }
            Ok(match map.get("Service") {
                Some(Value::String(one)) => one == CREDENTIALS_SERVICE,
                Some(Value::Array(many)) => {
                    many.iter().any(|s| s.as_str() == Some(CREDENTIALS_SERVICE))
                }
                _ => false,
            })
        }
        Some(_) => Err("its Principal is neither \"*\" nor an object".into()),
        None => Err("it has no Principal".into()),
    }
}

/// Whether the statement's Action (or NotAction) takes in `sts:AssumeRole`.
fn assumes(statement: &Value) -> Result<bool, String> {
    let (actions, negated) = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(a), None) => (a, false),
        (None, Some(a)) => (a, true),
        _ => return Err("it needs exactly one of Action and NotAction".into()),
    };
    let patterns: Vec<&str> = match actions {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => return Err("its Action is neither a string nor a list".into()),
    };
    let listed = patterns
        .iter()
        .any(|p| glob(&p.to_ascii_lowercase(), "sts:assumerole"));
    Ok(listed != negated)
}

/// `*` (any run) and `?` (one character) against `text`, iteratively (no backtracking
/// blow-up on `a*a*a*…`).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{Role, RoleAlias};

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"credentials.iot.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    #[test]
    fn the_documented_trust_policy_allows_the_credentials_provider() {
        assert_eq!(trust(TRUST), Trust::Allowed(1));
        // A list of services, a single statement object, a wildcard action.
        let listed = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","credentials.iot.amazonaws.com"]},"Action":["sts:Assume*"]}}"#;
        assert_eq!(trust(listed), Trust::Allowed(1));
        assert_eq!(
            trust(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"}]}"#),
            Trust::Allowed(1)
        );
    }

    #[test]
    fn another_service_or_action_is_denied_and_an_explicit_deny_wins() {
        let other = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(matches!(trust(other), Trust::Denied(_)));
        let tag = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"credentials.iot.amazonaws.com"},"Action":"sts:TagSession"}]}"#;
        assert!(matches!(trust(tag), Trust::Denied(_)));
        let denied = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"credentials.iot.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","NotAction":"sts:TagSession"}]}"#;
        assert_eq!(
            trust(denied),
            Trust::Denied("statement 2 denies sts:AssumeRole to it explicitly".into())
        );
    }

    #[test]
    fn what_is_not_evaluated_is_cannot_tell() {
        let conditional = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"credentials.iot.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#;
        assert!(matches!(trust(conditional), Trust::CannotTell(w) if w.contains("Condition")));
        assert!(matches!(trust("{not json"), Trust::CannotTell(_)));
        assert!(matches!(trust("[]"), Trust::CannotTell(_)));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(trust(&deep), Trust::CannotTell(_)));
    }

    #[test]
    fn globs_match_without_backtracking_blowup() {
        assert!(glob("sts:*", "sts:assumerole"));
        assert!(glob("sts:assume?ole", "sts:assumerole"));
        assert!(!glob("sts:assume", "sts:assumerole"));
        let pattern = format!("{}b", "a*".repeat(2000));
        assert!(!glob(&pattern, &"a".repeat(4000)));
    }

    fn facts(duration: i32, maximum: i32, trust_policy: &str) -> RoleAliasFacts {
        RoleAliasFacts {
            name: "TokenExchangeRoleAlias".into(),
            alias: Some(RoleAlias {
                arn: "arn:aws:iot:eu-west-1:123456789012:rolealias/TokenExchangeRoleAlias".into(),
                role_arn: "arn:aws:iam::123456789012:role/TokenExchangeRole".into(),
                credential_duration_seconds: Some(duration),
            }),
            role: RoleLookup::Found(Role {
                arn: "arn:aws:iam::123456789012:role/TokenExchangeRole".into(),
                name: "TokenExchangeRole".into(),
                trust_policy: Ok(trust_policy.into()),
                max_session_duration: Some(maximum),
            }),
        }
    }

    fn codes(facts: &RoleAliasFacts) -> Vec<Code> {
        findings(facts, "eu-west-1")
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn each_failure_of_the_alias_has_its_code() {
        assert!(codes(&facts(3600, 3600, TRUST)).is_empty());
        assert_eq!(
            codes(&facts(7200, 3600, TRUST)),
            [Code::RoleSessionTooShort]
        );
        assert_eq!(
            codes(&facts(3600, 3600, r#"{"Statement":[]}"#)),
            [Code::RoleTrustMissing]
        );
        let mut missing = facts(3600, 3600, TRUST);
        missing.role = RoleLookup::Missing;
        assert_eq!(codes(&missing), [Code::RoleMissing]);
        missing.role = RoleLookup::Failed("access denied".into());
        assert_eq!(codes(&missing), [Code::RoleUnknown]);
        missing.alias = None;
        assert_eq!(codes(&missing), [Code::RoleAliasMissing]);
    }
}

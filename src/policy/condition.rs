//! Condition operators: the String, Arn, Bool, Null and Numeric families, with `IfExists`
//! and the `ForAnyValue:`/`ForAllValues:` set qualifiers. Any other operator (Date, IP
//! address, Binary) is not evaluable offline and makes the condition unknown.

use super::context::{canonical_key, Absence, Context, Resolved, Substitution};
use super::document::Condition;
use super::pattern::{compile_noting, matches, Compiled, Token};

/// A condition's truth: true, false (with the absence that made it false, if one did), or
/// unknown (why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False(Option<Absence>),
    Unknown(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    StringExact,
    StringIgnoreCase,
    /// StringLike, ArnLike, ArnEquals: `*` and `?` are wildcards.
    Like,
    Bool,
    Numeric(Compare),
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compare {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Compare {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Compare::Equal => a == b,
            Compare::Less => a < b,
            Compare::LessOrEqual => a <= b,
            Compare::Greater => a > b,
            Compare::GreaterOrEqual => a >= b,
        }
    }
}

/// The operator without qualifiers: family, and whether it is negated.
fn operator(base: &str) -> Option<(Family, bool)> {
    Some(match base {
        "StringEquals" => (Family::StringExact, false),
        "StringNotEquals" => (Family::StringExact, true),
        "StringEqualsIgnoreCase" => (Family::StringIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Family::StringIgnoreCase, true),
        "StringLike" | "ArnLike" | "ArnEquals" => (Family::Like, false),
        "StringNotLike" | "ArnNotLike" | "ArnNotEquals" => (Family::Like, true),
        "Bool" => (Family::Bool, false),
        "Null" => (Family::Null, false),
        "NumericEquals" => (Family::Numeric(Compare::Equal), false),
        "NumericNotEquals" => (Family::Numeric(Compare::Equal), true),
        "NumericLessThan" => (Family::Numeric(Compare::Less), false),
        "NumericLessThanEquals" => (Family::Numeric(Compare::LessOrEqual), false),
        "NumericGreaterThan" => (Family::Numeric(Compare::Greater), false),
        "NumericGreaterThanEquals" => (Family::Numeric(Compare::GreaterOrEqual), false),
        _ => return None,
    })
}

pub(crate) fn evaluate(
    condition: &Condition,
    context: &Context,
    variables: bool,
    notes: &mut Vec<Substitution>,
) -> Truth {
    let key = canonical_key(&condition.key);
    match evaluate_key(condition, &key, context, variables, notes) {
        // IsAttached is false when the connection resolves to no attached thing: say why.
        Truth::False(None)
            if key == "iot:Connection.Thing.IsAttached" && context.thing.is_none() =>
        {
            Truth::False(Some(Absence::ThingNotResolved))
        }
        other => other,
    }
}

fn evaluate_key(
    condition: &Condition,
    key: &str,
    context: &Context,
    variables: bool,
    notes: &mut Vec<Substitution>,
) -> Truth {
    let (for_all, rest) = if let Some(r) = condition.operator.strip_prefix("ForAllValues:") {
        (true, r)
    } else {
        (
            false,
            condition
                .operator
                .strip_prefix("ForAnyValue:")
                .unwrap_or(&condition.operator),
        )
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let present: Result<Vec<String>, Absence> = match context.resolve(key) {
        Resolved::Unknown(why) => return Truth::Unknown(why),
        Resolved::Absent(why) => Err(why),
        Resolved::Values(values) => Ok(values),
    };
    let Some((family, negated)) = operator(base) else {
        return Truth::Unknown(format!(
            "the condition operator {} (on {}) is not evaluated by iotcheck",
            condition.operator, condition.key
        ));
    };
    if family == Family::Null {
        let wants_null = condition
            .values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true"));
        return truth(present.is_err() == wants_null, present.err());
    }
    let found = match present {
        Ok(values) => values,
        // An absent key: IfExists and the negated operators hold, the others do not.
        Err(why) => return truth(if_exists || negated, Some(why)),
    };
    let wildcards = family == Family::Like;
    let mut expected: Vec<Vec<Token>> = Vec::new();
    let mut unknown = None;
    for value in &condition.values {
        match compile_noting(value, context, variables, wildcards, notes) {
            Compiled::Tokens(tokens) => expected.push(tokens),
            Compiled::Absent(_) => {}
            Compiled::Unknown(why) => {
                unknown.get_or_insert(why);
            }
        }
    }
    let one_matches = |actual: &str| expected.iter().any(|tokens| test(family, tokens, actual));
    let held = if for_all {
        if let Some(why) = unknown {
            return Truth::Unknown(why);
        }
        found.iter().all(|v| one_matches(v) != negated)
    } else {
        let any = found.iter().any(|v| one_matches(v));
        match (any, unknown) {
            (true, _) => !negated,
            (false, Some(why)) => return Truth::Unknown(why),
            (false, None) => negated,
        }
    };
    truth(held, None)
}

fn truth(held: bool, why: Option<Absence>) -> Truth {
    if held {
        Truth::True
    } else {
        Truth::False(why)
    }
}

/// Compares one value from the context with one expected value of the policy.
fn test(family: Family, expected: &[Token], actual: &str) -> bool {
    let text = || -> String {
        expected
            .iter()
            .map(|t| match t {
                Token::Char(c) => *c,
                Token::Star => '*',
                Token::One => '?',
            })
            .collect()
    };
    match family {
        Family::StringExact => matches(expected, actual, false),
        Family::StringIgnoreCase => matches(expected, actual, true),
        Family::Like => matches(expected, actual, false),
        Family::Bool => text().eq_ignore_ascii_case(actual),
        Family::Numeric(compare) => match (actual.parse::<f64>(), text().parse::<f64>()) {
            (Ok(a), Ok(b)) => compare.holds(a, b),
            _ => false,
        },
        Family::Null => false,
    }
}

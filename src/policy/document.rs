//! A policy document as AWS IoT stores it: `Version`, and `Statement` (one object or a list)
//! of `Effect`, `Action`/`NotAction`, `Resource`/`NotResource` and `Condition`.

use serde_json::Value;

/// A parsed policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Policy variables resolve only in version `2012-10-17` documents; in older ones (and
    /// without a version) `${...}` is literal text.
    pub variables: bool,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, or its negation (`NotAction`, `NotResource`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patterns {
    pub negated: bool,
    pub values: Vec<String>,
}

/// One condition: operator (as written, e.g. `ForAnyValue:StringLikeIfExists`), key, values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// Position in the document, from 0.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Patterns,
    pub resources: Patterns,
    pub conditions: Vec<Condition>,
}

impl Document {
    /// Parses a policy document. An error says what is wrong in words.
    pub fn parse(text: &str) -> Result<Document, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        let object = value
            .as_object()
            .ok_or("the document is not a JSON object")?;
        let variables = object.get("Version").and_then(Value::as_str) == Some("2012-10-17");
        let statements = match object.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => return Err("Statement is neither an object nor a list".into()),
            None => return Err("the document has no Statement".into()),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, s)| {
                Statement::parse(index, s).map_err(|e| format!("statement {}: {e}", index + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Document {
            variables,
            statements,
        })
    }
}

impl Statement {
    fn parse(index: usize, value: &Value) -> Result<Statement, String> {
        let object = value.as_object().ok_or("not a JSON object")?;
        let effect = match object.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            Some(other) => return Err(format!("Effect {other:?} is neither Allow nor Deny")),
            None => return Err("no Effect".into()),
        };
        let actions = patterns(object, "Action", "NotAction")?;
        let resources = patterns(object, "Resource", "NotResource")?;
        let mut conditions = Vec::new();
        if let Some(block) = object.get("Condition") {
            let operators = block.as_object().ok_or("Condition is not an object")?;
            for (operator, keys) in operators {
                let keys = keys
                    .as_object()
                    .ok_or_else(|| format!("Condition {operator} is not an object"))?;
                for (key, values) in keys {
                    conditions.push(Condition {
                        operator: operator.clone(),
                        key: key.clone(),
                        values: strings(values)
                            .ok_or_else(|| format!("Condition {operator} {key}: bad values"))?,
                    });
                }
            }
        }
        Ok(Statement {
            index,
            // The statement id is shown in reports, and the document came from a server.
            sid: object
                .get("Sid")
                .and_then(Value::as_str)
                .map(|sid| crate::quote::clip_server(sid).into_owned()),
            effect,
            actions,
            resources,
            conditions,
        })
    }
}

/// `Action` or `NotAction` (exactly one of them).
fn patterns(
    object: &serde_json::Map<String, Value>,
    positive: &str,
    negative: &str,
) -> Result<Patterns, String> {
    let (negated, value) = match (object.get(positive), object.get(negative)) {
        (Some(v), None) => (false, v),
        (None, Some(v)) => (true, v),
        (Some(_), Some(_)) => return Err(format!("both {positive} and {negative}")),
        (None, None) => return Err(format!("neither {positive} nor {negative}")),
    };
    let values = strings(value).ok_or_else(|| format!("{positive}: not a string or list"))?;
    Ok(Patterns { negated, values })
}

/// A string, or a list of strings; booleans and numbers (condition values) as text.
fn strings(value: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(list) => list.iter().map(one).collect(),
        other => one(other).map(|s| vec![s]),
    }
}

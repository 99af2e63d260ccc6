//! The cause families (`families.toml`, hand-written): what a kind of failure means in AWS IoT
//! terms, its ranked causes with what tells them apart, the checks and the commands that
//! confirm them, and the keyword rules that recognise a line no table knows.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{normalise, Cause};

/// The families as shipped.
pub const FAMILIES_TOML: &str = include_str!("families.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Families {
    #[serde(rename = "family")]
    pub families: Vec<Family>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    pub id: String,
    pub title: String,
    /// Its messages wrap a reason given elsewhere: the specific reason ranks before them.
    #[serde(default)]
    pub wrapper: bool,
    /// For a wrapper: the families whose messages give its reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explained_by: Vec<String>,
    /// Keyword rules, lowercase, on word boundaries; a trailing `*` lets the word go on.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Commands beside iotcheck that confirm the causes.
    #[serde(default)]
    pub confirm: Vec<String>,
    /// Ranked, most likely first.
    #[serde(rename = "cause")]
    pub causes: Vec<Cause>,
}

impl Families {
    pub fn parse(text: &str) -> Result<Families, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The index of a family id.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.families.iter().position(|f| f.id == id)
    }

    /// Everything wrong with the families, one line each; empty when they are sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut ids = HashSet::new();
        let mut rules = HashSet::new();
        for f in &self.families {
            let at = format!("family {:?}", f.id);
            if !ids.insert(f.id.as_str()) {
                problems.push(format!("{at}: duplicate id"));
            }
            if f.title.trim().is_empty() {
                problems.push(format!("{at}: no title"));
            }
            if f.causes.is_empty() {
                problems.push(format!("{at}: no cause"));
            }
            for c in &f.causes {
                if c.checks.is_empty() {
                    problems.push(format!("{at}: a cause without a check"));
                }
                if c.distinguish.as_deref().is_none_or(|d| d.trim().is_empty()) {
                    problems.push(format!("{at}: a cause without what distinguishes it"));
                }
            }
            for other in &f.explained_by {
                if self.index(other).is_none() {
                    problems.push(format!("{at}: explained by an unknown family {other:?}"));
                }
            }
            if !f.explained_by.is_empty() && !f.wrapper {
                problems.push(format!("{at}: only a wrapper is explained by others"));
            }
            for rule in &f.rules {
                let word = rule.trim_end_matches('*');
                if normalise(word) != word || word.trim().len() < 3 {
                    problems.push(format!(
                        "{at}: rule {rule:?} is not a lowercase word of 3 or more"
                    ));
                }
                if !rules.insert(word) {
                    problems.push(format!("{at}: rule {rule:?} is in two families"));
                }
            }
        }
        problems
    }
}

//! The knowledge of `explain`: the stacks' own error tables (generated from their sources,
//! `tables/`), the hand-written entries that override or add to them (`catalogue.toml`), and
//! the cause families both point to (`families.toml`): what a failure means in AWS IoT terms,
//! its ranked causes, the checks that confirm them. All of it is data compiled in and parsed
//! once; this module holds its model, its validation, the matcher and the ranking. Pure: no
//! I/O.

pub mod context;
pub mod families;
pub mod knowledge;
pub mod matcher;
pub mod rank;
pub mod tables;

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use context::Context;
pub use families::{Families, Family};
pub use knowledge::{knowledge, Knowledge, Known, RecognisedBy};
pub use matcher::{normalise, Hit, Matcher, Scan, Seen};

/// The catalogue as shipped.
const CATALOGUE_TOML: &str = include_str!("catalogue.toml");

/// An iotcheck check that confirms or rules out a cause: a stable name in JSON, a concrete
/// command line in the human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The served chain against the device's CA file.
    VerifyChain,
    /// Connect to the endpoint like the device: name, port, reachability, served chain.
    Endpoint,
    /// Mutual TLS with the device's files, then MQTT CONNECT.
    Mqtt,
    /// The device's certificate and key files, offline.
    Device,
    /// The certificate's registration, status and policy in the AWS account.
    Account,
    /// The device's clock against the certificates' validity.
    Clock,
    /// The connection through the site's HTTP proxy.
    Proxy,
    /// Port 443 with the ALPN protocol AWS IoT expects.
    Alpn,
    /// With and without SNI.
    Sni,
    /// The device's whole configuration, stage by stage.
    Doctor,
}

impl Check {
    pub const ALL: &'static [Check] = &[
        Check::VerifyChain,
        Check::Endpoint,
        Check::Mqtt,
        Check::Device,
        Check::Account,
        Check::Clock,
        Check::Proxy,
        Check::Alpn,
        Check::Sni,
        Check::Doctor,
    ];

    /// The stable name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::VerifyChain => "verify-chain",
            Check::Endpoint => "endpoint",
            Check::Mqtt => "mqtt",
            Check::Device => "device",
            Check::Account => "account",
            Check::Clock => "clock",
            Check::Proxy => "proxy",
            Check::Alpn => "alpn",
            Check::Sni => "sni",
            Check::Doctor => "doctor",
        }
    }
}

/// The whole catalogue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The stacks, in the order they are listed: id and display name.
    pub stacks: Vec<Stack>,
    #[serde(rename = "entry")]
    pub entries: Vec<Entry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    pub id: String,
    pub name: String,
}

/// One known message.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable and unique: `STACK-what`.
    pub id: String,
    /// A stack id of [`Catalogue::stacks`].
    pub stack: String,
    /// The id of its cause family (`families.toml`).
    pub family: String,
    /// Whether the message wraps a reason given elsewhere; the family's setting when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<bool>,
    /// What the message says, in words (with its symbolic name and code, if it has them).
    pub message: String,
    /// Literal texts, any of which recognises the message: its symbolic name, its text, its
    /// code. Matched after [`normalise`]: case and the spelling of numbers do not matter.
    #[serde(rename = "match", default)]
    pub literals: Vec<String>,
    /// Regular expressions for what literals cannot say, each run only on lines that hold its
    /// trigger literal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<Pattern>,
    /// The likely causes, most likely first, when they differ from the family's (an
    /// override); empty: the family's causes.
    #[serde(rename = "cause", default)]
    pub causes: Vec<Cause>,
    /// A real line as the stack prints it; the tests hold every entry to its example.
    pub example: String,
    /// Where the knowledge came from: issue threads, documentation, source files (URLs).
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// A literal that every match of `regex` contains: the fast scan looks for it.
    pub trigger: String,
    /// A regular expression over the normalised line.
    pub regex: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// The cause in AWS IoT terms.
    pub cause: String,
    /// What tells it apart from the other causes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinguish: Option<String>,
    /// The checks that confirm or rule it out, most telling first.
    pub checks: Vec<Check>,
}

/// The checks of all causes, in cause order, each once.
pub fn checks_of(causes: &[Cause]) -> Vec<Check> {
    let mut all = Vec::new();
    for check in causes.iter().flat_map(|c| &c.checks) {
        if !all.contains(check) {
            all.push(*check);
        }
    }
    all
}

impl Catalogue {
    /// Parses catalogue text. Only the shipped catalogue is parsed in the tool; tests parse
    /// others.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The display name of a stack id.
    pub fn stack_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.stacks
            .iter()
            .find(|s| s.id == id)
            .map_or(id, |s| s.name.as_str())
    }

    /// Everything wrong with the catalogue, one line each; empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let stacks: HashSet<&str> = self.stacks.iter().map(|s| s.id.as_str()).collect();
        let mut ids = HashSet::new();
        for e in &self.entries {
            let at = format!("entry {:?}", e.id);
            if !ids.insert(e.id.as_str()) {
                problems.push(format!("{at}: duplicate id"));
            }
            if !e.id.starts_with(&format!("{}-", e.stack)) {
                problems.push(format!("{at}: the id does not start with its stack"));
            }
            if !stacks.contains(e.stack.as_str()) {
                problems.push(format!("{at}: unknown stack {:?}", e.stack));
            }
            if e.literals.is_empty() && e.patterns.is_empty() {
                problems.push(format!("{at}: nothing to match"));
            }
            for literal in &e.literals {
                if normalise(literal).trim().chars().count() < 4 {
                    problems.push(format!("{at}: literal {literal:?} is too short"));
                }
            }
            for p in &e.patterns {
                if let Err(err) = regex::Regex::new(&p.regex) {
                    problems.push(format!("{at}: pattern {:?}: {err}", p.regex));
                }
                if normalise(&p.trigger).trim().chars().count() < 4 {
                    problems.push(format!("{at}: trigger {:?} is too short", p.trigger));
                }
            }
            for c in &e.causes {
                if c.checks.is_empty() {
                    problems.push(format!("{at}: a cause without a check"));
                }
                if c.cause.trim().is_empty() {
                    problems.push(format!("{at}: an empty cause"));
                }
            }
            if e.sources.is_empty() {
                problems.push(format!("{at}: no source"));
            }
            for s in &e.sources {
                if !s.starts_with("https://") || s.contains(char::is_whitespace) {
                    problems.push(format!("{at}: source {s:?} is not an https URL"));
                }
            }
            if e.example.trim().is_empty() || e.message.trim().is_empty() {
                problems.push(format!("{at}: empty example or message"));
            }
        }
        problems
    }
}

/// The hand-written catalogue as shipped, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The shipped text is fixed at build time and parsed by a test
        // (`the_catalogue_is_sound`), so a failure here cannot reach a user.
        Catalogue::parse(CATALOGUE_TOML).expect("the shipped catalogue parses")
    })
}

/// The matcher over everything known, built on first use.
pub fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(|| {
        // Every pattern compiles: `the_catalogue_is_sound` holds the shipped data to it.
        Matcher::new(&knowledge().known).expect("the shipped catalogue's patterns compile")
    })
}

#[cfg(test)]
mod tests;

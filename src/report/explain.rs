//! The `explain` report: the recognised messages with their causes and checks (JSON), and
//! the same as text, each check turned into the iotcheck command line that runs it, filled
//! with what the text revealed.

use std::fmt::Write;

use serde::Serialize;

use super::human::{bad, clean, dim, field, ok, warn};
use super::SCHEMA_VERSION;
use crate::explain::knowledge::Origin;
use crate::explain::{Catalogue, Check, Context, Knowledge, RecognisedBy, Seen};
use crate::quote::shell_quote;

/// `explain --json`.
#[derive(Debug, Serialize)]
pub struct ExplainReport {
    pub schema_version: u32,
    pub command: &'static str,
    /// The most specific reason first (see `explain::rank`).
    pub matches: Vec<MatchView>,
    /// What the text revealed of the device's setup; the printed checks use it.
    pub revealed: Context,
}

#[derive(Debug, Serialize)]
pub struct MatchView {
    pub id: String,
    pub stack: String,
    pub stack_name: String,
    pub message: String,
    /// `table` (a known message of a stack) or `family_rule` (only a keyword of the family:
    /// generic).
    pub recognised_by: RecognisedBy,
    /// The cause family and its title.
    pub family: String,
    pub family_title: String,
    /// The message wraps a reason given elsewhere (ranked after a specific reason).
    pub wrapper: bool,
    /// The line it was (first) recognised on.
    pub text: String,
    /// The line ends inside the known text: it was recognised although cut short.
    pub partial: bool,
    /// With `--log`: the 1-based line of the first occurrence, and on how many lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    pub causes: Vec<CauseView>,
    /// Every cause's checks, once each, most telling first.
    pub checks: Vec<Check>,
    /// Commands beside iotcheck that confirm the family's causes.
    pub confirm: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct CauseView {
    pub cause: String,
    /// What tells it apart from the other causes, when the knowledge says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinguish: Option<String>,
    pub checks: Vec<Check>,
}

/// Recognised lines longer than this are shortened in the report.
const TEXT_CHARS: usize = 300;

impl ExplainReport {
    pub fn build(
        catalogue: &Catalogue,
        knowledge: &Knowledge,
        seen: &[Seen],
        revealed: Context,
        from_log: bool,
    ) -> ExplainReport {
        let matches = seen
            .iter()
            .map(|s| {
                let k = &knowledge.known[s.entry];
                let family = &knowledge.families.families[k.family];
                let text: String = s.text.trim().chars().take(TEXT_CHARS).collect();
                MatchView {
                    id: k.id.clone(),
                    stack: k.stack.clone(),
                    stack_name: catalogue.stack_name(&k.stack).to_string(),
                    message: k.message.clone(),
                    recognised_by: k.by,
                    family: family.id.clone(),
                    family_title: family.title.clone(),
                    wrapper: k.wrapper,
                    text,
                    partial: s.partial,
                    line: from_log.then_some(s.line),
                    count: from_log.then_some(s.count),
                    causes: knowledge
                        .causes(k)
                        .iter()
                        .map(|c| CauseView {
                            cause: c.cause.clone(),
                            distinguish: c.distinguish.clone(),
                            checks: c.checks.clone(),
                        })
                        .collect(),
                    checks: knowledge.checks(k),
                    confirm: family.confirm.clone(),
                    sources: knowledge.sources(k),
                }
            })
            .collect();
        ExplainReport {
            schema_version: SCHEMA_VERSION,
            command: "explain",
            matches,
            revealed,
        }
    }
}

/// The command line that runs a check, filled with what the text revealed.
pub fn command_line(check: Check, revealed: &Context) -> String {
    let host = revealed.host.as_deref().map_or(
        "<prefix>-ats.iot.<region>.amazonaws.com".to_string(),
        shell_quote,
    );
    let port = revealed.port.unwrap_or(8883);
    let file = |f: &Option<String>, placeholder: &str| {
        f.as_deref().map_or(placeholder.to_string(), shell_quote)
    };
    let ca = file(&revealed.ca_file, "<caPath>");
    let cert = file(&revealed.cert_file, "<certPath>");
    let key = file(&revealed.key_file, "<keyPath>");
    let line = match check {
        Check::VerifyChain => format!("iotcheck endpoint {host}:{port} --ca {ca}"),
        Check::Endpoint => format!("iotcheck endpoint {host}:{port}"),
        Check::Mqtt => {
            let id = revealed
                .client_id
                .as_deref()
                .map(|id| format!(" --client-id {}", shell_quote(id)))
                .unwrap_or_default();
            format!(
                "iotcheck endpoint {host}:{port} --ca {ca} --cert {cert} --key {key} --mqtt{id}"
            )
        }
        Check::Device => format!("iotcheck device --cert {cert} --key {key}"),
        Check::Account => {
            let id = revealed
                .client_id
                .as_deref()
                .map(|id| format!(" --client-id {}", shell_quote(id)))
                .unwrap_or_default();
            format!("iotcheck account --cert {cert}{id}")
        }
        Check::Clock => format!("iotcheck endpoint {host}:{port} --ca {ca} --at <device time>"),
        Check::Proxy => format!("iotcheck endpoint {host}:443 --proxy http://<proxy>:<port>"),
        Check::Alpn => format!("iotcheck endpoint {host}:443 --alpn x-amzn-mqtt-ca"),
        Check::Sni => format!("iotcheck endpoint {host}:{port} --no-sni"),
        Check::Doctor => "iotcheck doctor --config <device config file>".to_string(),
    };
    line
}

/// What a check tells, in a few words.
fn purpose(check: Check) -> &'static str {
    match check {
        Check::VerifyChain => "the served chain against the device's CA file",
        Check::Endpoint => "the endpoint's name, port and served chain",
        Check::Mqtt => "mutual TLS with the device's files, then MQTT CONNECT",
        Check::Device => "the certificate and key files",
        Check::Account => "registration, status and policy in the account",
        Check::Clock => "with the device's clock",
        Check::Proxy => "through the site's proxy",
        Check::Alpn => "port 443 with ALPN",
        Check::Sni => "without SNI, as the device may connect",
        Check::Doctor => "the device's whole configuration",
    }
}

fn check_line(out: &mut String, indent: usize, check: Check, revealed: &Context) {
    let line = command_line(check, revealed);
    let note = format!("  ({})", purpose(check));
    let _ = writeln!(
        out,
        "{:indent$}{} {}{}",
        "",
        dim("→"),
        clean(&line),
        dim(&note),
        indent = indent
    );
}

pub fn render(report: &ExplainReport) -> String {
    let mut out = String::new();
    if report.matches.is_empty() {
        let _ = writeln!(
            out,
            "{}  no message iotcheck knows (iotcheck explain --list shows them all)",
            bad("UNKNOWN")
        );
        let _ = writeln!(
            out,
            "\nthe device's whole configuration, stage by stage, is the next step:"
        );
        check_line(&mut out, 2, Check::Doctor, &report.revealed);
        return out;
    }
    let mut stacks: Vec<&str> = Vec::new();
    for m in &report.matches {
        if !stacks.contains(&m.stack_name.as_str()) {
            stacks.push(&m.stack_name);
        }
    }
    let _ = writeln!(
        out,
        "{}  {} known message(s)  {}",
        ok("RECOGNISED"),
        report.matches.len(),
        dim(&stacks.join(", "))
    );
    for m in &report.matches {
        out.push('\n');
        let place = match (m.line, m.count) {
            (Some(line), Some(1)) => format!("  line {line}"),
            (Some(line), Some(count)) => format!("  first at line {line}, on {count} lines"),
            _ => String::new(),
        };
        let _ = writeln!(out, "{}  {}{}", warn(&m.id), m.stack_name, dim(&place));
        field(&mut out, 3, "message", &m.message);
        let how = match m.recognised_by {
            RecognisedBy::Table => "a known message of the stack",
            RecognisedBy::FamilyRule => "a keyword of the family only: a generic match",
        };
        field(
            &mut out,
            3,
            "family",
            &format!("{} ({})  {}", m.family_title, m.family, dim(how)),
        );
        let cut = if m.partial { "  (cut short)" } else { "" };
        field(
            &mut out,
            3,
            "seen",
            &format!("{}{}", clean(&m.text), dim(cut)),
        );
        for (rank, cause) in m.causes.iter().enumerate() {
            let _ = writeln!(out, "   {}. {}", rank + 1, cause.cause);
            if let Some(distinguish) = &cause.distinguish {
                let _ = writeln!(
                    out,
                    "      {}",
                    dim(&format!("tells it apart: {distinguish}"))
                );
            }
            for &check in &cause.checks {
                check_line(&mut out, 6, check, &report.revealed);
            }
        }
        for (i, command) in m.confirm.iter().enumerate() {
            field(&mut out, 3, if i == 0 { "confirm" } else { "" }, command);
        }
        for (i, source) in m.sources.iter().enumerate() {
            field(&mut out, 3, if i == 0 { "sources" } else { "" }, source);
        }
    }
    if let Some(first) = report.matches.first().and_then(|m| m.checks.first()) {
        let _ = writeln!(out, "\nstart with:");
        check_line(&mut out, 2, *first, &report.revealed);
    }
    out
}

/// `explain --list --json`: everything known.
#[derive(Debug, Serialize)]
pub struct ListReport<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub stacks: Vec<StackView<'a>>,
    pub families: Vec<FamilyView<'a>>,
    pub entries: Vec<EntryView<'a>>,
}

#[derive(Debug, Serialize)]
pub struct StackView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub entries: usize,
}

#[derive(Debug, Serialize)]
pub struct FamilyView<'a> {
    #[serde(flatten)]
    pub family: &'a crate::explain::Family,
    pub entries: usize,
}

#[derive(Debug, Serialize)]
pub struct EntryView<'a> {
    pub id: &'a str,
    pub stack: &'a str,
    pub family: &'a str,
    pub recognised_by: RecognisedBy,
    pub wrapper: bool,
    pub message: &'a str,
    /// A real line, for a hand-written entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<&'a str>,
    #[serde(rename = "match")]
    pub literals: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub patterns: &'a [crate::explain::Pattern],
    pub checks: Vec<Check>,
    pub sources: Vec<String>,
}

impl ListReport<'_> {
    pub fn build<'a>(catalogue: &'a Catalogue, knowledge: &'a Knowledge) -> ListReport<'a> {
        let families = &knowledge.families.families;
        ListReport {
            schema_version: SCHEMA_VERSION,
            command: "explain",
            stacks: catalogue
                .stacks
                .iter()
                .map(|s| StackView {
                    id: &s.id,
                    name: &s.name,
                    entries: knowledge.known.iter().filter(|k| k.stack == s.id).count(),
                })
                .collect(),
            families: families
                .iter()
                .enumerate()
                .map(|(i, family)| FamilyView {
                    family,
                    entries: knowledge
                        .known
                        .iter()
                        .filter(|k| k.family == i && k.by == RecognisedBy::Table)
                        .count(),
                })
                .collect(),
            entries: knowledge
                .known
                .iter()
                .filter(|k| k.by == RecognisedBy::Table)
                .map(|k| EntryView {
                    id: &k.id,
                    stack: &k.stack,
                    family: &families[k.family].id,
                    recognised_by: k.by,
                    wrapper: k.wrapper,
                    message: &k.message,
                    example: match k.origin {
                        Origin::Entry(i) => Some(catalogue.entries[i].example.as_str()),
                        _ => None,
                    },
                    literals: &k.literals,
                    patterns: &k.patterns,
                    checks: knowledge.checks(k),
                    sources: knowledge.sources(k),
                })
                .collect(),
        }
    }
}

pub fn render_list(report: &ListReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} known messages of {} stacks in {} cause families",
        report.entries.len(),
        report.stacks.len(),
        report.families.len()
    );
    let _ = writeln!(out, "\n{}", ok("cause families"));
    for f in &report.families {
        let _ = writeln!(
            out,
            "  {}  {}  {}",
            warn(&f.family.id),
            f.family.title,
            dim(&format!("({} messages)", f.entries))
        );
    }
    for stack in &report.stacks {
        let _ = writeln!(out, "\n{}  ({})", ok(stack.name), stack.entries);
        for e in report.entries.iter().filter(|e| e.stack == stack.id) {
            let checks: Vec<&str> = e.checks.iter().map(|c| c.as_str()).collect();
            let _ = writeln!(out, "  {}  {}", warn(e.id), e.message);
            field(&mut out, 4, "family", e.family);
            field(&mut out, 4, "checks", &checks.join(", "));
            for (i, source) in e.sources.iter().enumerate() {
                field(&mut out, 4, if i == 0 { "sources" } else { "" }, source);
            }
        }
    }
    out
}

//! `endpoint` over several targets: each target's result (its endpoint report, or why it could
//! not be probed), the summary, and their renderings: human text in the order given, or JSON
//! lines (one per target, then the summary). Each target's result is rendered on its own, as
//! soon as it is known; the summary keeps one small entry per target.

use std::fmt::Write;

use serde::Serialize;

use super::endpoint::{self as view, EndpointReport};
use super::{human, json};
use crate::error::Error;
use crate::finding::{Code, Verdict};

/// How the results of several targets are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManyOutput {
    /// Each target's whole report, then the summary.
    Text,
    /// Each target's verdict line and findings, then the summary.
    Brief,
    /// Nothing: the exit code is the answer.
    Quiet,
    /// One JSON object a line per target, then the summary line.
    JsonLines,
}

/// A target that could not be probed: no certificate was seen (the network), or a local step
/// (`--save`) failed.
#[derive(Clone, Debug, Serialize)]
pub struct TargetError {
    /// The network phase (`connect`, `tls_handshake`, ...) or the local step (`save`).
    pub phase: &'static str,
    pub message: String,
    /// The exit code this error alone would give: 3 for the network, 2 for local input.
    #[serde(skip)]
    pub exit_code: i32,
}

impl TargetError {
    /// Why a target could not be probed: the network phase, or the local step that failed.
    pub fn of(error: &Error) -> TargetError {
        TargetError {
            phase: match error {
                Error::Net(e) => e.phase(),
                Error::Write { .. } => "save",
                Error::Input(_) | Error::Usage(_) => "input",
                Error::Aws(_) => "aws",
            },
            message: error.to_string(),
            exit_code: error.exit_code(),
        }
    }
}

/// One target's result.
#[derive(Clone, Debug)]
pub struct TargetResult {
    /// `host:port` (`[v6]:port`), as probed.
    pub target: String,
    pub outcome: Result<EndpointReport, TargetError>,
}

impl TargetResult {
    pub fn new(target: String, outcome: Result<EndpointReport, TargetError>) -> TargetResult {
        TargetResult { target, outcome }
    }

    /// The exit code of this target alone: 0, 1, or its error's.
    pub fn exit_code(&self) -> i32 {
        match &self.outcome {
            Ok(report) if report.verdict.passed() => 0,
            Ok(_) => 1,
            Err(e) => e.exit_code,
        }
    }
}

/// The last JSON line, and the table that ends the text: one entry per target, added as each
/// target's result is shown.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    #[serde(rename = "type")]
    pub line_type: &'static str,
    pub schema_version: u32,
    pub command: &'static str,
    /// "ok" only when every target's verdict is "ok".
    pub verdict: Verdict,
    /// The highest of the targets' exit codes: the process's.
    pub exit_code: i32,
    pub counts: Counts,
    /// Targets given more than once, probed once at their first place.
    pub duplicates_dropped: usize,
    /// One entry per target, in the order given.
    pub targets: Vec<SummaryEntry>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    pub targets: usize,
    /// Verdict "ok".
    pub ok: usize,
    /// Verdict "fail": a check failed.
    pub failed: usize,
    /// Not probed to a verdict: the network, or a local step.
    pub errors: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct SummaryEntry {
    pub target: String,
    /// null when the target could not be probed (`error` says why).
    pub verdict: Option<Verdict>,
    pub exit_code: i32,
    /// The lead error's code when the verdict is "fail".
    pub lead: Option<Code>,
    pub error: Option<TargetError>,
    /// The report's headline, for the text's table.
    #[serde(skip)]
    headline: String,
}

impl Summary {
    pub fn new(duplicates_dropped: usize) -> Summary {
        Summary {
            line_type: "summary",
            schema_version: super::SCHEMA_VERSION,
            command: "endpoint",
            verdict: Verdict::Ok,
            exit_code: 0,
            counts: Counts::default(),
            duplicates_dropped,
            targets: Vec::new(),
        }
    }

    /// Counts a target's result and keeps its entry (not its report).
    pub fn add(&mut self, result: &TargetResult) {
        let counts = &mut self.counts;
        counts.targets += 1;
        match &result.outcome {
            Ok(report) if report.verdict.passed() => counts.ok += 1,
            Ok(_) => counts.failed += 1,
            Err(_) => counts.errors += 1,
        }
        let exit_code = result.exit_code();
        self.exit_code = self.exit_code.max(exit_code);
        if self.exit_code != 0 {
            self.verdict = Verdict::Fail;
        }
        self.targets.push(SummaryEntry {
            target: result.target.clone(),
            verdict: result.outcome.as_ref().ok().map(|report| report.verdict),
            exit_code,
            lead: result.outcome.as_ref().ok().and_then(lead_code),
            error: result.outcome.as_ref().err().cloned(),
            headline: result
                .outcome
                .as_ref()
                .map(view::headline)
                .unwrap_or_default(),
        });
    }
}

/// The lead error of a failed report: the endpoint's own, else the first failed handshake's.
fn lead_code(report: &EndpointReport) -> Option<Code> {
    if report.verdict.passed() {
        return None;
    }
    report
        .findings
        .iter()
        .find(|f| f.is_error())
        .or_else(|| report.handshakes.iter().find_map(|h| h.report.lead()))
        .map(|f| f.code)
}

/// `host:port`, or `[v6]:port`.
pub fn authority(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A target's JSON line: `endpoint --json`'s object with `type`, `target` and `exit_code`.
#[derive(Serialize)]
struct ReportLine<'a> {
    #[serde(rename = "type")]
    line_type: &'static str,
    target: &'a str,
    exit_code: i32,
    #[serde(flatten)]
    report: &'a EndpointReport,
}

/// The JSON line of a target that could not be probed.
#[derive(Serialize)]
struct ErrorLine<'a> {
    #[serde(rename = "type")]
    line_type: &'static str,
    schema_version: u32,
    command: &'static str,
    target: &'a str,
    exit_code: i32,
    error: &'a TargetError,
}

/// One target's rendering, shown as soon as it and every target before it are done: its
/// JSON line, or its report (its brief report, or an error line) and a blank line.
pub fn render_result(result: &TargetResult, output: ManyOutput) -> String {
    let mut out = String::new();
    match output {
        ManyOutput::Quiet => {}
        ManyOutput::JsonLines => out.push_str(&json_line(result)),
        ManyOutput::Text | ManyOutput::Brief => {
            match (&result.outcome, output) {
                (Ok(report), ManyOutput::Text) => out.push_str(&view::render(report)),
                (Ok(report), _) => out.push_str(&view::render_brief(report)),
                (Err(e), _) => error_line(&mut out, &result.target, e),
            }
            out.push('\n');
        }
    }
    out
}

/// What ends the output after every target: the summary line, or the summary table.
pub fn render_summary(summary: &Summary, output: ManyOutput) -> String {
    let mut out = String::new();
    match output {
        ManyOutput::Quiet => {}
        ManyOutput::JsonLines => out.push_str(&json::to_line(summary)),
        ManyOutput::Text | ManyOutput::Brief => table(&mut out, summary),
    }
    out
}

fn json_line(result: &TargetResult) -> String {
    let exit_code = result.exit_code();
    match &result.outcome {
        Ok(report) => json::to_line(&ReportLine {
            line_type: "report",
            target: &result.target,
            exit_code,
            report,
        }),
        Err(error) => json::to_line(&ErrorLine {
            line_type: "error",
            schema_version: super::SCHEMA_VERSION,
            command: "endpoint",
            target: &result.target,
            exit_code,
            error,
        }),
    }
}

/// `ERROR  host:port  phase: message`, where a report would be.
fn error_line(out: &mut String, target: &str, e: &TargetError) {
    let _ = writeln!(
        out,
        "{}  {}  {}",
        human::bad("ERROR"),
        human::clean(target),
        human::clean(&format!("{}: {}", e.phase, e.message))
    );
}

/// The table that ends the text: the counts, then one line per target in the order given.
fn table(out: &mut String, s: &Summary) {
    let c = &s.counts;
    let mut headline = format!(
        "{} target(s): {} ok, {} failed, {} error(s)",
        c.targets, c.ok, c.failed, c.errors
    );
    if s.duplicates_dropped > 0 {
        let _ = write!(
            headline,
            "; {} duplicate(s) probed once",
            s.duplicates_dropped
        );
    }
    let _ = writeln!(out, "SUMMARY  {headline}  (exit {})", s.exit_code);
    let width = s
        .targets
        .iter()
        .map(|e| human::clean(&e.target).chars().count())
        .max()
        .unwrap_or(0);
    for e in &s.targets {
        let (word, detail) = match (&e.verdict, &e.error) {
            (Some(Verdict::Ok), _) => (human::ok("VALID  "), e.headline.clone()),
            (Some(Verdict::Fail), _) => (human::bad("INVALID"), e.headline.clone()),
            (None, Some(error)) => (
                human::bad("ERROR  "),
                format!("{}: {}", error.phase, error.message),
            ),
            (None, None) => (human::bad("ERROR  "), String::new()),
        };
        let _ = writeln!(
            out,
            "  {word}  {:<width$}  {}",
            human::clean(&e.target),
            human::dim(&human::clean(&detail))
        );
    }
}

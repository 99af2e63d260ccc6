//! The `fleet` report: one view per file (a JSON line, or an element of `--json`'s `files`)
//! and the summary, rendered as text, as JSON and as a Prometheus textfile for
//! node_exporter.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::prometheus::Exposition;
use super::{human, json, TrustView, SCHEMA_VERSION};
use crate::finding::{Code, Finding, Severity, Verdict};
use crate::fleet::{FileVerdict, Summary};
use crate::trust::Anchors;
use crate::verify::Crls;
use crate::when::rfc3339;

/// One file: its device certificate's few facts, its verdict and findings.
#[derive(Serialize)]
pub struct FileView<'a> {
    pub file: &'a str,
    pub cn: Option<&'a str>,
    pub serial: Option<&'a str>,
    /// SHA-256 of the DER certificate.
    pub sha256: Option<&'a str>,
    pub not_after: Option<String>,
    /// The issuing CA's name.
    pub ca: Option<&'a str>,
    /// "EC P-256", "RSA 2048".
    pub key: Option<&'a str>,
    pub verdict: Verdict,
    pub findings: &'a [Finding],
}

impl<'a> FileView<'a> {
    pub fn of(file: &'a FileVerdict) -> FileView<'a> {
        let cert = file.certificate.as_ref();
        FileView {
            file: &file.file,
            cn: cert.and_then(|c| c.cn.as_deref()),
            serial: cert.map(|c| c.serial.as_str()),
            sha256: cert.map(|c| c.sha256.as_str()),
            not_after: cert.map(|c| rfc3339(c.not_after)),
            ca: cert.map(|c| c.issuer.as_str()),
            key: cert.map(|c| c.key.as_str()),
            verdict: file.verdict,
            findings: &file.findings,
        }
    }
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    schema_version: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

/// `--jsonl`: one file's line.
pub fn file_line(file: &FileVerdict) -> String {
    json::to_line(&Line {
        schema_version: SCHEMA_VERSION,
        kind: "file",
        body: &FileView::of(file),
    })
}

/// `--jsonl`: the closing summary line.
pub fn summary_line(summary: &SummaryView<'_>) -> String {
    json::to_line(&Line {
        schema_version: SCHEMA_VERSION,
        kind: "summary",
        body: summary,
    })
}

/// `--json`: the object's opening, before the first file.
pub fn json_head() -> String {
    format!("{{\"schema_version\":{SCHEMA_VERSION},\"command\":\"fleet\",\"files\":[")
}

/// `--json`: one element of `files` (after a comma, but for the first).
pub fn json_file(file: &FileVerdict, first: bool) -> String {
    let line = json::to_line(&FileView::of(file));
    let element = line.trim_end_matches('\n');
    if first {
        element.to_string()
    } else {
        format!(",{element}")
    }
}

/// `--json`: the object's end, with the summary.
pub fn json_tail(summary: &SummaryView<'_>) -> String {
    let line = json::to_line(summary);
    format!("],\"summary\":{}}}\n", line.trim_end_matches('\n'))
}

/// The summary of a run, as every output shows it.
#[derive(Serialize)]
pub struct SummaryView<'a> {
    pub command: &'static str,
    /// "fail" when a file has an error finding, or a CRL given cannot be used.
    pub verdict: Verdict,
    pub checked_at: String,
    #[serde(skip)]
    pub checked_at_secs: i64,
    pub warn_days: u32,
    pub trust: TrustView,
    pub crls: Vec<CrlView>,
    pub files: usize,
    pub certificates: usize,
    pub other_files: usize,
    pub failing: usize,
    pub symlinks_skipped: usize,
    /// Errors first, then by the number of files.
    pub by_code: Vec<CodeView>,
    pub by_ca: Vec<CaView>,
    pub expiry_by_month: Vec<MonthView>,
    /// About the run's inputs (the CRLs), not about one file.
    pub findings: &'a [Finding],
}

#[derive(Serialize)]
pub struct CrlView {
    pub file: String,
    pub issuer: String,
    pub this_update: String,
    pub next_update: String,
    pub revoked: usize,
    /// The CA given that signed it; null: none did, and it was not used.
    pub signed_by: Option<String>,
}

#[derive(Serialize)]
pub struct CodeView {
    pub code: Code,
    pub severity: Severity,
    pub files: usize,
    /// The first few, in path order.
    pub first_files: Vec<String>,
}

#[derive(Serialize)]
pub struct CaView {
    pub ca: String,
    pub certificates: usize,
    pub failing: usize,
    pub earliest_not_after: Option<String>,
    #[serde(skip)]
    pub earliest_not_after_secs: Option<i64>,
    /// Certificates still valid that expire within the warning window.
    pub expiring: usize,
    /// Certificates per finding code.
    pub findings: CodeCounts,
}

/// Counts per finding code, in the order of the codes' names; serialised as an object whose
/// keys are the codes.
pub struct CodeCounts(Vec<(Code, usize)>);

impl CodeCounts {
    pub fn of(counts: impl IntoIterator<Item = (Code, usize)>) -> CodeCounts {
        let mut counts: Vec<(Code, usize)> = counts.into_iter().collect();
        counts.sort_by_key(|(code, _)| code.as_str());
        CodeCounts(counts)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Code, usize)> + '_ {
        self.0.iter().copied()
    }
}

impl Serialize for CodeCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (code, n) in &self.0 {
            map.serialize_entry(code, n)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
pub struct MonthView {
    /// "2027-01".
    pub month: String,
    pub certificates: usize,
}

impl<'a> SummaryView<'a> {
    pub fn build(
        summary: &'a Summary,
        anchors: &Anchors,
        crls: &Crls,
        at: i64,
        warn_days: u32,
    ) -> SummaryView<'a> {
        SummaryView {
            command: "fleet",
            verdict: summary.verdict(),
            checked_at: rfc3339(at),
            checked_at_secs: at,
            warn_days,
            trust: TrustView::of(anchors),
            crls: crls
                .crls
                .iter()
                .map(|c| CrlView {
                    file: c.origin.clone(),
                    issuer: c.issuer.clone(),
                    this_update: rfc3339(c.this_update),
                    next_update: rfc3339(c.next_update),
                    revoked: c.revoked,
                    signed_by: c.signed_by.clone(),
                })
                .collect(),
            files: summary.files,
            certificates: summary.certificates,
            other_files: summary.other_files,
            failing: summary.failing,
            symlinks_skipped: summary.symlinks_skipped,
            by_code: summary
                .codes_by_weight()
                .into_iter()
                .map(|(code, count)| CodeView {
                    code,
                    severity: code.severity(),
                    files: count.files,
                    first_files: count.first_files.clone(),
                })
                .collect(),
            by_ca: summary
                .by_ca
                .iter()
                .map(|(ca, counts)| CaView {
                    ca: ca.clone(),
                    certificates: counts.certificates,
                    failing: counts.failing,
                    earliest_not_after: counts.earliest_not_after.map(rfc3339),
                    earliest_not_after_secs: counts.earliest_not_after,
                    expiring: counts.expiring,
                    findings: CodeCounts::of(counts.findings.iter().map(|(code, n)| (*code, *n))),
                })
                .collect(),
            expiry_by_month: summary
                .expiry_by_month
                .iter()
                .map(|((year, month), n)| MonthView {
                    month: format!("{year:04}-{month:02}"),
                    certificates: *n,
                })
                .collect(),
            findings: &summary.findings,
        }
    }
}

/// The human summary: the verdict line, what was judged, the findings by code with the first
/// files of each, the CAs, and notAfter by month.
pub fn render(view: &SummaryView<'_>) -> String {
    let mut out = String::new();
    let word = match view.verdict {
        Verdict::Ok => human::ok("OK"),
        Verdict::Fail => human::bad("FAIL"),
    };
    let _ = writeln!(
        out,
        "{word}  fleet  {}",
        human::dim(&format!(
            "{} file(s): {} certificate(s), {} failing; {} other file(s)",
            view.files, view.certificates, view.failing, view.other_files
        ))
    );
    human::field(
        &mut out,
        0,
        "checked at",
        &format!(
            "{}  (expires_soon within {} days)",
            view.checked_at, view.warn_days
        ),
    );
    let anchors = if view.trust.anchors.is_empty() {
        "no certificate".to_string()
    } else {
        crate::quote::few(&view.trust.anchors, crate::quote::FEW, ", ")
    };
    human::field(
        &mut out,
        0,
        "trusting",
        &human::clean(&format!("{} ({anchors})", view.trust.files.join(", "))),
    );
    for crl in &view.crls {
        let signed = match &crl.signed_by {
            Some(_) => String::new(),
            None => ", NOT signed by a CA given: not used".to_string(),
        };
        human::field(
            &mut out,
            0,
            "crl",
            &human::clean(&format!(
                "{}  {}, next update {}, {} revoked{signed}",
                crl.file, crl.issuer, crl.next_update, crl.revoked
            )),
        );
    }
    if view.symlinks_skipped > 0 {
        human::field(
            &mut out,
            0,
            "links",
            &format!(
                "{} symbolic link(s) inside the directories not followed",
                view.symlinks_skipped
            ),
        );
    }
    if !view.by_code.is_empty() {
        let _ = writeln!(out);
        let header = format!("{:<34}{:>6}  first files", "findings", "files");
        let _ = writeln!(out, "{}", human::dim(&header));
        for code in &view.by_code {
            let name = format!("{:<31}", code.code);
            let mark = match code.severity {
                Severity::Error => format!("{} {}", human::bad("✗"), human::bad(&name)),
                Severity::Warning => format!("{} {}", human::warn("!"), human::warn(&name)),
                Severity::Hint | Severity::Info => format!("· {name}"),
            };
            let more = if code.files > code.first_files.len() {
                ", …"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{mark} {:>6}  {}{more}",
                code.files,
                human::clean(&code.first_files.join(", "))
            );
        }
    }
    if !view.by_ca.is_empty() {
        let _ = writeln!(out);
        let header = format!(
            "{:<32} {:>12}  {:>7}  {:>8}  earliest notAfter",
            "issuing CA", "certificates", "failing", "expiring"
        );
        let _ = writeln!(out, "{}", human::dim(&header));
        for ca in &view.by_ca {
            let _ = writeln!(
                out,
                "  {:<30} {:>12}  {:>7}  {:>8}  {}",
                human::clean(&ca.ca),
                ca.certificates,
                ca.failing,
                ca.expiring,
                ca.earliest_not_after.as_deref().unwrap_or("-")
            );
        }
    }
    if !view.expiry_by_month.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", human::dim("notAfter by month"));
        let most = view
            .expiry_by_month
            .iter()
            .map(|m| m.certificates)
            .max()
            .unwrap_or(1)
            .max(1);
        for month in &view.expiry_by_month {
            // At least one block for any month with a certificate.
            let width = (month.certificates * 40).div_ceil(most);
            let _ = writeln!(
                out,
                "  {}  {:>7}  {}",
                month.month,
                month.certificates,
                "█".repeat(width)
            );
        }
    }
    if !view.findings.is_empty() {
        let _ = writeln!(out);
        human::finding_lines(&mut out, view.findings);
    }
    out
}

/// `--prometheus`: the same summary as a node_exporter textfile (text exposition format 0.0.4).
pub fn prometheus(view: &SummaryView<'_>) -> String {
    let mut x = Exposition::new();
    let mut family = |name: &str, help: &str, samples: Vec<(Vec<(&str, String)>, f64)>| {
        x.family(name, "gauge", help);
        for (labels, value) in samples {
            let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            x.sample(name, &labels, value);
        }
    };
    let ca = |name: &str| vec![("ca", name.to_string())];
    family(
        "iotcheck_fleet_certificates",
        "Device certificates judged, by issuing CA.",
        view.by_ca
            .iter()
            .map(|c| (ca(&c.ca), c.certificates as f64))
            .collect(),
    );
    family(
        "iotcheck_fleet_failing_certificates",
        "Device certificates with at least one error finding, by issuing CA.",
        view.by_ca
            .iter()
            .map(|c| (ca(&c.ca), c.failing as f64))
            .collect(),
    );
    family(
        "iotcheck_fleet_findings",
        "Device certificates with a finding, by issuing CA, finding code and severity.",
        view.by_ca
            .iter()
            .flat_map(|c| {
                c.findings.iter().map(move |(code, n)| {
                    (
                        vec![
                            ("ca", c.ca.to_string()),
                            ("code", code.as_str().to_string()),
                            ("severity", code.severity().as_str().to_string()),
                        ],
                        n as f64,
                    )
                })
            })
            .collect(),
    );
    family(
        "iotcheck_fleet_earliest_not_after_seconds",
        "The earliest notAfter among the issuing CA's device certificates, in Unix seconds.",
        view.by_ca
            .iter()
            .filter_map(|c| c.earliest_not_after_secs.map(|t| (ca(&c.ca), t as f64)))
            .collect(),
    );
    family(
        "iotcheck_fleet_expiring_certificates",
        "Device certificates still valid that expire within the warning window (--warn-days), by issuing CA.",
        view.by_ca
            .iter()
            .map(|c| {
                (
                    vec![
                        ("ca", c.ca.to_string()),
                        ("window_days", view.warn_days.to_string()),
                    ],
                    c.expiring as f64,
                )
            })
            .collect(),
    );
    family(
        "iotcheck_fleet_other_files",
        "Files under the paths that hold no certificate (file_not_certificate) or a damaged one.",
        vec![(Vec::new(), view.other_files as f64)],
    );
    family(
        "iotcheck_fleet_input_findings",
        "Findings about the run's own inputs (the CRLs given), by code and severity.",
        {
            let mut counts: BTreeMap<Code, usize> = BTreeMap::new();
            for f in view.findings {
                *counts.entry(f.code).or_default() += 1;
            }
            CodeCounts::of(counts)
                .iter()
                .map(|(code, n)| {
                    (
                        vec![
                            ("code", code.as_str().to_string()),
                            ("severity", code.severity().as_str().to_string()),
                        ],
                        n as f64,
                    )
                })
                .collect()
        },
    );
    family(
        "iotcheck_fleet_ok",
        "1 when no certificate has an error finding and every CRL given could be used, else 0.",
        vec![(Vec::new(), if view.verdict.passed() { 1.0 } else { 0.0 })],
    );
    family(
        "iotcheck_fleet_checked_at_seconds",
        "The instant the fleet was judged at (--at, or the time of the run), in Unix seconds.",
        vec![(Vec::new(), view.checked_at_secs as f64)],
    );
    x.finish()
}

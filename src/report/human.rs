//! Human text: compact, aligned, colored (red failures, yellow warnings, green ok). The only
//! user of `colored`; color is decided once by the caller and set here.

use std::fmt::Write;

use colored::Colorize;

use super::{CertView, ChainReport};
use crate::finding::{Code, Finding, Severity};

/// Turns color on or off for everything rendered after this call.
pub fn set_color(on: bool) {
    colored::control::set_override(on);
}

/// Makes text from outside (certificate fields, server strings) safe for a terminal: control
/// characters, escapes and bidi overrides are shown escaped, never interpreted.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || hidden_or_reordering(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters a terminal may act on or not show, beyond the C0 controls: DEL and the C1
/// controls (U+009B is a CSI on many terminals, U+0085 a line break), bidi marks, embeddings,
/// overrides and isolates, the line and paragraph separators, and zero-width characters.
pub(crate) fn hidden_or_reordering(c: char) -> bool {
    matches!(
        c,
        '\u{7F}'..='\u{9F}'
            | '\u{61C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

pub fn ok(text: &str) -> String {
    text.green().bold().to_string()
}

pub fn bad(text: &str) -> String {
    text.red().bold().to_string()
}

pub fn warn(text: &str) -> String {
    text.yellow().bold().to_string()
}

pub fn dim(text: &str) -> String {
    text.dimmed().to_string()
}

/// A labelled line: two spaces of indent per level, the label padded to a column.
pub fn field(out: &mut String, indent: usize, label: &str, value: &str) {
    let label = format!("{label:<14}");
    let _ = writeln!(
        out,
        "{:indent$}{}{}",
        "",
        dim(&label),
        value,
        indent = indent
    );
}

/// The verdict line: "VALID" in green or "INVALID" in red, then a short reason.
pub fn verdict_line(out: &mut String, subject: &str, valid: bool, detail: &str) {
    let word = if valid { ok("VALID") } else { bad("INVALID") };
    let _ = writeln!(out, "{word}  {}  {}", clean(subject), dim(detail));
}

/// `verify-chain`'s text: the verdict line, then the chain report.
pub fn verify_chain(report: &ChainReport) -> String {
    let mut out = verify_chain_verdict(report);
    chain_report(&mut out, report);
    out
}

/// `verify-chain --brief`: the verdict line and the findings.
pub fn verify_chain_brief(report: &ChainReport) -> String {
    let mut out = verify_chain_verdict(report);
    finding_lines(&mut out, &report.findings);
    out
}

fn verify_chain_verdict(report: &ChainReport) -> String {
    let mut out = String::new();
    let title = report
        .chain
        .get(report.leaf)
        .map_or("(no certificate)", |leaf| {
            leaf.subject_cn.as_deref().unwrap_or(&leaf.subject)
        });
    let errors = report.findings.iter().filter(|f| f.is_error()).count();
    let detail = match report.lead() {
        Some(lead) => format!("{errors} problem(s), lead: {}", lead.code),
        None => "a valid path exists".to_string(),
    };
    verdict_line(&mut out, title, report.is_valid(), &detail);
    out
}

/// The whole chain report: certificates, path, findings.
pub fn chain_report(out: &mut String, report: &ChainReport) {
    let name = match &report.host {
        Some(h) => format!("name {h} checked"),
        None => "no name checked".to_string(),
    };
    let trust = match report.trust.source {
        "embedded" => "embedded Amazon roots".to_string(),
        _ => report.trust.files.join(", "),
    };
    field(
        out,
        0,
        "verified at",
        &format!("{}  ({name})", report.verified_at),
    );
    field(out, 0, "trusting", &clean(&trust));
    out.push('\n');
    for cert in &report.chain {
        let marks = marks_for(report, cert.index);
        cert_block(out, cert, &marks);
    }
    path_line(out, report);
    findings(out, &report.findings);
}

/// Per-certificate status: the codes of problems that concern it.
fn marks_for(report: &ChainReport, index: usize) -> Vec<Code> {
    report
        .findings
        .iter()
        .filter(|f| f.is_error() && f.certificate() == Some(index))
        .map(|f| f.code)
        .collect()
}

pub fn cert_block(out: &mut String, cert: &CertView, problem_codes: &[Code]) {
    let status = if problem_codes.is_empty() {
        if cert.role == "unused" {
            warn("unused")
        } else {
            ok("ok")
        }
    } else {
        let codes: Vec<String> = problem_codes.iter().map(Code::to_string).collect();
        bad(&codes.join(", "))
    };
    let title = cert.subject_cn.as_deref().unwrap_or(&cert.subject);
    let _ = writeln!(
        out,
        "#{} {:<13} {}  {}",
        cert.index,
        cert.role,
        clean(title).bold(),
        status
    );
    cert_fields(out, cert);
}

pub fn cert_fields(out: &mut String, cert: &CertView) {
    let i = 3;
    field(out, i, "subject", &clean(&cert.subject));
    field(out, i, "issuer", &clean(&cert.issuer));
    field(out, i, "serial", &cert.serial);
    let days = if cert.days_left >= 0 {
        format!("{} days left", cert.days_left)
    } else {
        bad(&format!("expired {} days ago", -cert.days_left))
    };
    field(
        out,
        i,
        "validity",
        &format!("{} → {}  ({days})", cert.not_before, cert.not_after),
    );
    if !cert.sans.is_empty() {
        let sans: Vec<String> = cert.sans.iter().map(|s| clean(&s.value)).collect();
        field(out, i, "names", &sans.join(", "));
    }
    field(
        out,
        i,
        "key",
        &format!(
            "{}  signed {}",
            cert.public_key.describe(),
            clean(&cert.signature_algorithm)
        ),
    );
    let ca = match (cert.is_ca, cert.path_len) {
        (true, Some(n)) => format!("CA, pathlen {n}"),
        (true, None) => "CA".to_string(),
        (false, _) => "not a CA".to_string(),
    };
    let ku = cert
        .key_usage
        .as_ref()
        .map_or("-".to_string(), |k| k.join(", "));
    let eku = cert
        .extended_key_usage
        .as_ref()
        .map_or("-".to_string(), |k| k.join(", "));
    field(
        out,
        i,
        "usage",
        &format!("{ca}; key usage {ku}; extended {eku}"),
    );
    if cert.ski.is_some() || cert.aki.is_some() {
        field(
            out,
            i,
            "ski / aki",
            &format!(
                "{} / {}",
                cert.ski.as_deref().unwrap_or("-"),
                cert.aki.as_deref().unwrap_or("-")
            ),
        );
    }
    let self_signed = if cert.self_signed {
        ", self-signed"
    } else {
        ""
    };
    field(
        out,
        i,
        "sha256",
        &format!("{}  ({} bytes{self_signed})", cert.sha256, cert.der_bytes),
    );
    field(out, i, "from", &clean(&cert.origin));
}

fn path_line(out: &mut String, report: &ChainReport) {
    let mut steps: Vec<String> = report.path.iter().map(|i| format!("#{i}")).collect();
    match &report.anchor {
        Some(a) => {
            let name = a.subject_cn.as_deref().unwrap_or(&a.subject);
            steps.push(format!("{} [{}]", clean(name), clean(&a.source)));
        }
        None => steps.push(bad("(no trusted anchor)")),
    }
    out.push('\n');
    field(out, 0, "path", &steps.join(" → "));
    if let Some(a) = &report.anchor {
        field(out, 0, "anchor", &format!("sha256 {}", a.sha256));
    }
    field(
        out,
        0,
        "size",
        &format!(
            "{} bytes as given, {} distinct certificate(s)",
            report.total_bytes,
            report.chain.len()
        ),
    );
}

/// Findings in the given order, one line each: ✗ error (red), ! warning (yellow), → hint,
/// · note.
pub fn findings(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    out.push('\n');
    finding_lines(out, findings);
}

/// The finding lines alone, with no blank line before them.
pub fn finding_lines(out: &mut String, findings: &[Finding]) {
    for f in findings {
        // Padded before coloring, so that escape codes do not upset the column.
        let code = format!("{:<31}", f.code);
        let line = match f.severity {
            Severity::Error => format!("{} {}", bad("✗"), bad(&code)),
            Severity::Warning => format!("{} {}", warn("!"), warn(&code)),
            Severity::Hint => format!("{} {}", "→".cyan().bold(), code.cyan()),
            Severity::Info => format!("{} {}", "·".cyan().bold(), code.cyan()),
        };
        let _ = writeln!(out, "{line} {}", clean(&f.message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_are_escaped() {
        assert_eq!(clean("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(clean("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(clean("Amazon Root CA 1"), "Amazon Root CA 1");
    }
}

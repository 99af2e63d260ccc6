//! The `csr` report: the files written and the next step; the key is shown by its public
//! half's fingerprint only.

use std::fmt::Write;

use serde::Serialize;

use super::{human, KeyView};

/// `csr --json`, and what the text shows.
#[derive(Serialize)]
pub struct CsrReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub thing: String,
    pub key_file: String,
    pub csr_file: String,
    pub key_type: &'static str,
    pub public_key: KeyView,
    pub next_step: String,
}

pub fn render(report: &CsrReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}  key and CSR written",
        human::ok("CREATED"),
        human::clean(&report.thing)
    );
    human::field(
        &mut out,
        0,
        "key",
        &format!(
            "{}  (mode 0400, stays on the device)",
            human::clean(&report.key_file)
        ),
    );
    human::field(&mut out, 0, "csr", &human::clean(&report.csr_file));
    human::field(
        &mut out,
        0,
        "subject",
        &format!("CN={}", human::clean(&report.thing)),
    );
    human::field(
        &mut out,
        0,
        "public key",
        &format!(
            "{}  sha256 {}",
            report.public_key.describe(),
            report.public_key.sha256
        ),
    );
    let _ = writeln!(out, "\nnext step: {}", human::clean(&report.next_step));
    out
}

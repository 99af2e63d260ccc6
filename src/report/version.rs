//! What judged the chain: this build's version and commit, the TLS stack and its crypto
//! backend, and the embedded trust anchors; for `--version`, `iotcheck version` and its JSON,
//! so that a support ticket can say exactly which build gave a verdict.

use std::fmt::Write;
use std::sync::OnceLock;

use serde::Serialize;

use super::SCHEMA_VERSION;
use crate::trust::KNOWN_ROOTS;

/// `version --json`, and what the text shows.
#[derive(Clone, Debug, Serialize)]
pub struct VersionReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub version: &'static str,
    /// The git commit the binary was built from, or "unknown" (built outside a checkout).
    pub commit: &'static str,
    /// The target triple it was built for.
    pub target: &'static str,
    pub rustls: &'static str,
    pub rustls_webpki: &'static str,
    pub crypto: CryptoView,
    /// The roots trusted when no `--ca` is given.
    pub anchors: Vec<AnchorInfo>,
}

/// The crypto backend behind rustls, rustls-webpki and the key checks.
#[derive(Clone, Debug, Serialize)]
pub struct CryptoView {
    pub provider: &'static str,
    pub version: &'static str,
}

/// One embedded anchor.
#[derive(Clone, Debug, Serialize)]
pub struct AnchorInfo {
    pub name: String,
    pub file: &'static str,
    pub sha256: &'static str,
    pub not_after: String,
}

impl VersionReport {
    /// This binary's report: constants captured at build time and the embedded roots.
    pub fn current() -> VersionReport {
        VersionReport {
            schema_version: SCHEMA_VERSION,
            command: "version",
            version: env!("CARGO_PKG_VERSION"),
            commit: env!("IOTCHECK_GIT_COMMIT"),
            target: env!("IOTCHECK_TARGET"),
            rustls: env!("IOTCHECK_RUSTLS_VERSION"),
            rustls_webpki: env!("IOTCHECK_WEBPKI_VERSION"),
            crypto: CryptoView {
                // Every verifier and handshake uses rustls::crypto::aws_lc_rs explicitly.
                provider: "aws-lc-rs",
                version: env!("IOTCHECK_AWS_LC_RS_VERSION"),
            },
            anchors: KNOWN_ROOTS
                .iter()
                .filter(|k| k.default)
                .map(|k| AnchorInfo {
                    name: k.name.to_string(),
                    file: k.file,
                    sha256: k.sha256,
                    not_after: k.not_after.to_string(),
                })
                .collect(),
        }
    }
}

/// `-V`: the version and the commit, one line (clap puts the name before it).
pub const SHORT: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("IOTCHECK_GIT_COMMIT_SHORT"),
    ")"
);

/// `--version`: everything `iotcheck version` shows, after the name clap prints.
pub fn long() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let text = render(&VersionReport::current());
        // clap prints "iotcheck " and then this, and adds the final newline itself.
        text.strip_prefix("iotcheck ")
            .unwrap_or(&text)
            .trim_end()
            .to_string()
    })
}

/// The text of `iotcheck version`.
pub fn render(report: &VersionReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "iotcheck {}", report.version);
    let _ = writeln!(out, "commit        {}", report.commit);
    let _ = writeln!(out, "target        {}", report.target);
    let _ = writeln!(
        out,
        "tls           rustls {}, rustls-webpki {}, crypto {} {}",
        report.rustls, report.rustls_webpki, report.crypto.provider, report.crypto.version
    );
    let _ = writeln!(out, "anchors       embedded, trusted unless --ca is given:");
    for a in &report.anchors {
        let _ = writeln!(out, "  {} ({}), notAfter {}", a.name, a.file, a.not_after);
        let _ = writeln!(out, "    sha256 {}", a.sha256);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_five_default_anchors_and_the_tls_stack() {
        let report = VersionReport::current();
        assert_eq!(report.anchors.len(), 5);
        assert!(report.anchors.iter().all(|a| a.sha256.len() == 64));
        assert_ne!(report.rustls, "unknown");
        assert_ne!(report.rustls_webpki, "unknown");
        assert_ne!(report.crypto.version, "unknown");
        assert!(long().contains("Amazon Root CA 3"));
        assert!(!long().ends_with('\n'));
    }
}

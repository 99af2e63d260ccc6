//! Certificates as PEM text for `--pem`: what `openssl s_client -showcerts` and a `sed` were
//! used for. Certificates only: this renderer takes no other kind of object, so key material
//! cannot reach it.

use std::fmt::Write;

use ::pem::{EncodeConfig, LineEnding, Pem};

use super::ChainReport;

/// Each certificate (DER) as a CERTIFICATE block, in the order given, LF line endings.
pub fn certificates<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> String {
    let config = EncodeConfig::new().set_line_ending(LineEnding::LF);
    ders.into_iter()
        .map(|der| ::pem::encode_config(&Pem::new("CERTIFICATE", der.to_vec()), config))
        .collect()
}

/// The verified path from the leaf up to and including the anchor (a served copy of the
/// anchor appears once); None when no path verified.
pub fn path(report: &ChainReport) -> Option<String> {
    let (certs, anchor) = report.verified_path()?;
    let mut ders: Vec<&[u8]> = certs.iter().map(|c| c.der.as_slice()).collect();
    if !certs.iter().any(|c| c.sha256 == anchor.sha256) {
        ders.push(&anchor.der);
    }
    Some(certificates(ders))
}

/// The stderr line for `--pem --path` when nothing verified.
pub fn no_path_note() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "no path verified: --path prints nothing (without --path, --pem prints the certificates as given)"
    );
    out
}

/// The stderr lines of `inspect --pem`: how many certificates were printed and what was left
/// out (never printed, whatever it is).
pub fn inspect_note(printed: usize, left_out: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "inspect --pem: {printed} certificate(s) printed; certificates only, never key material"
    );
    for object in left_out {
        let _ = writeln!(out, "  not printed: {}", super::human::clean(object));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_plain_lf_pem_that_parse_back() {
        let text = certificates([[1u8, 2, 3].as_slice(), [4u8; 100].as_slice()]);
        assert!(!text.contains('\r'));
        let back = ::pem::parse_many(&text).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].tag(), "CERTIFICATE");
        assert_eq!(back[1].contents(), [4u8; 100]);
    }
}

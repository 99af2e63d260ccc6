//! `iotcheck inspect`: shows what files hold, without a trust decision. Never prints key
//! material: keys are described by type, size and public-key fingerprint, and `--pem` prints
//! certificates only.

use crate::error::Error;
use crate::outcome::Outcome;
use crate::report::inspect::{self, FileView, InspectReport};
use crate::report::{json, pem, SCHEMA_VERSION};
use crate::source::{self, Input, Kind};

pub struct Settings {
    pub inputs: Vec<Input>,
    /// For days-left figures only.
    pub at: i64,
    pub json: bool,
    /// Print the certificates as PEM (nothing else, ever).
    pub pem: bool,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let mut files = Vec::new();
    let mut certificates: Vec<Vec<u8>> = Vec::new();
    let mut left_out: Vec<String> = Vec::new();
    for input in &settings.inputs {
        let loaded = source::read(input)?;
        files.push(FileView::of(&loaded, settings.at)?);
        let count = loaded.objects.len();
        for object in loaded.objects {
            if object.kind == Kind::Certificate {
                certificates.push(object.der);
            } else {
                left_out.push(format!(
                    "{} ({})",
                    object.kind.describe(),
                    object.origin(count)
                ));
            }
        }
    }
    if settings.pem {
        let stdout = pem::certificates(certificates.iter().map(Vec::as_slice));
        let stderr = pem::inspect_note(certificates.len(), &left_out);
        return Ok(Outcome::new(stdout, true).with_stderr(stderr));
    }
    let report = InspectReport {
        schema_version: SCHEMA_VERSION,
        command: "inspect",
        files,
    };
    let stdout = if settings.json {
        json::to_line(&report)
    } else {
        inspect::render(&report)
    };
    Ok(Outcome::new(stdout, true))
}

//! `iotcheck inspect`: shows what files hold, without a trust decision. Never prints key
//! material: keys are described by type, size and public-key fingerprint.

use crate::app::Outcome;
use crate::error::Error;
use crate::report::inspect::{self, FileView, InspectReport};
use crate::report::{json, SCHEMA_VERSION};
use crate::source::{self, Input};

pub struct Settings {
    pub inputs: Vec<Input>,
    /// For days-left figures only.
    pub at: i64,
    pub json: bool,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let mut files = Vec::new();
    for input in &settings.inputs {
        let loaded = source::read(input)?;
        files.push(FileView::of(&loaded, settings.at)?);
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

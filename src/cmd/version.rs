//! `iotcheck version`: what judged the chain (version, commit, TLS stack, embedded anchors).

use crate::outcome::Outcome;
use crate::report::json;
use crate::report::version::{self, VersionReport};

pub fn run(json: bool) -> Outcome {
    let report = VersionReport::current();
    let stdout = if json {
        json::to_line(&report)
    } else {
        version::render(&report)
    };
    Outcome::new(stdout, true)
}

//! `iotcheck serve`: the Prometheus exporter (`serve`), run until SIGTERM.

use crate::error::Error;
use crate::outcome::Outcome;
pub use crate::serve::Settings;

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    crate::serve::run(settings)
}

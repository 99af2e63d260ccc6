//! `iotcheck csr`.

use std::path::PathBuf;

use crate::app::Outcome;
use crate::cli::KeyTypeChoice;
use crate::error::Error;

pub struct Settings {
    pub thing: String,
    pub key_type: KeyTypeChoice,
    pub out: PathBuf,
    pub json: bool,
}

pub fn run(_settings: &Settings) -> Result<Outcome, Error> {
    Err(Error::Usage("csr: not built yet".into()))
}

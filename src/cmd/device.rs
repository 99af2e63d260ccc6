//! `iotcheck device`.

use crate::app::Outcome;
use crate::error::Error;
use crate::source::Input;

pub struct Settings {
    pub cert: Input,
    pub key: Input,
    pub ca: Vec<Input>,
    pub thing: Option<String>,
    pub at: i64,
    pub json: bool,
}

pub fn run(_settings: &Settings) -> Result<Outcome, Error> {
    Err(Error::Usage("device: not built yet".into()))
}

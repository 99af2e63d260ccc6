//! `iotcheck endpoint`.

use crate::app::{Env, Outcome};
use crate::cli::EndpointArgs;
use crate::error::Error;

pub struct Settings;

pub fn settings(_args: EndpointArgs, _env: &Env) -> Result<Settings, Error> {
    Err(Error::Usage("endpoint: not built yet".into()))
}

pub fn run(_settings: &Settings) -> Result<Outcome, Error> {
    Err(Error::Usage("endpoint: not built yet".into()))
}

//! `doctor`: from a device's own configuration to the first failing stage. The configuration
//! readers live in [`config`]; the stages compose the existing engines (the device lint, the
//! chain verifier, the probe, the account checks) and add no second verifier.

pub mod config;
pub mod stages;

//! iotcheck: explains why a device cannot connect securely to AWS IoT Core.
//!
//! Data flows one way: settings → input (files or a network probe) → chain → verdict and
//! findings → report → rendering → exit code. Nothing below `main` reads the clock, the
//! environment or the terminal; the one exception is the AWS edge (`aws`), whose SDK reads the
//! standard AWS configuration (variables, config files) itself, and only for the commands that
//! ask AWS.

pub mod alerts;
pub mod app;
pub mod aws;
pub mod chain;
pub mod cli;
pub mod cmd;
pub mod doctor;
pub mod error;
pub mod explain;
pub mod finding;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
pub mod manual;
pub mod net;
pub mod output;
pub mod policy;
pub mod quote;
pub mod report;
pub mod source;
pub mod trust;
pub mod verify;
pub mod when;

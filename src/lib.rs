//! iotcheck: explains why a device cannot connect securely to AWS IoT Core.
//!
//! Data flows one way: settings → input (files or a network probe) → chain → verdict and
//! findings → report → rendering → exit code. Nothing below `main` reads the clock, the
//! environment or the terminal; the one exception is the AWS edge (`aws`), whose SDK reads the
//! standard AWS configuration (variables, config files) itself, and only for the commands that
//! ask AWS.
//!
//! # Layers
//!
//! The modules sit in layers, lowest first; a module names only modules of its own layer or
//! a lower one, and no two modules name each other, directly or around a cycle:
//!
//! 1. foundation: `finding` (the one finding model), `when`, `quote`, `alerts` (the TLS alert
//!    table), `error` (which wraps the edges' errors so that `?` converts them), `outcome`,
//!    `descriptors` (the open-file limit);
//! 2. input: `source` (bytes and labels), `net` (the network edge), `output` (files written);
//! 3. model: `chain`, `keys`, `trust`, `policy`, `identity`, `targets` (endpoint targets
//!    resolved), and `aws` (the AWS edge, which answers in the policy model's terms);
//! 4. judging: `verify`, `fleet`, `doctor`, `explain`;
//! 5. `report`: views and renderers only. A view may hold a judging module's types (a
//!    verdict, a judgement), never call its functions, and never parses or loads an input;
//! 6. commands: `cmd`, one module per command, none naming another; `serve`, the exporter
//!    that `serve` runs (an HTTP edge that calls the engines, as a command does);
//! 7. entry: `app`, `cli`, `manual`, `fuzzing`.
//!
//! A unit test (`src/layering.rs`) reads the source and holds it to these rules.

pub mod alerts;
pub mod app;
pub mod aws;
pub mod chain;
pub mod cli;
pub mod cmd;
pub mod descriptors;
pub mod doctor;
pub mod error;
pub mod explain;
pub mod finding;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
pub mod identity;
pub mod keys;
pub mod manual;
pub mod net;
pub mod outcome;
pub mod output;
pub mod policy;
pub mod quote;
pub mod report;
pub mod serve;
pub mod source;
pub mod targets;
pub mod trust;
pub mod verify;
pub mod when;

#[cfg(test)]
mod layering;

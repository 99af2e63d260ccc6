//! `doctor`: from a device's own configuration to the first failing stage, in one direction:
//!
//! - [`config`] reads the device's configuration (its client's files, the flags over them)
//!   into plain settings;
//! - [`gather`] does all the I/O: the files as the file system shows them, the credentials
//!   linted, the CA files read, every port probed as the device connects (through one seam
//!   to the probe-and-verify engine), the account asked meanwhile; it yields [`facts`];
//! - [`stages`] judges the facts, one pure file per stage, in the order a connection passes
//!   through them; one table routes the shared engines' findings to their stage;
//! - [`verdict`] names the first failing stage and the advice that stage writes from the
//!   evidence.
//!
//! The stages add no second verifier: their findings come from the existing engines (the
//! device lint, the chain verifier, the probe, the account checks) or from the few facts
//! only the doctor has (modes against a client's rule, the clock against what the server
//! serves, which port answered). To add a stage, see [`stages`].

pub mod config;
pub mod facts;
pub mod gather;
pub mod stages;
pub mod verdict;

//! The integration tests: one binary, one module per topic. Every test runs the built
//! `iotcheck` binary with a scrubbed environment and fixed times.

#[path = "support/peers.rs"]
mod peers;

#[path = "support/fleet_gen.rs"]
mod fleet_gen;

#[path = "support/fake_iot.rs"]
mod fake_iot;

#[path = "integration/common.rs"]
mod common;

#[path = "integration/verify_chain.rs"]
mod verify_chain;

#[path = "integration/inspect.rs"]
mod inspect;

#[path = "integration/device.rs"]
mod device;

#[path = "integration/csr.rs"]
mod csr;

#[path = "integration/conformance.rs"]
mod conformance;

#[path = "integration/snapshots.rs"]
mod snapshots;

#[path = "integration/robustness.rs"]
mod robustness;

#[path = "integration/endpoint.rs"]
mod endpoint;

#[path = "integration/credentials.rs"]
mod credentials;

#[path = "integration/endpoint_targets.rs"]
mod endpoint_targets;

#[path = "integration/mqtt.rs"]
mod mqtt;

#[path = "integration/mqtt5.rs"]
mod mqtt5;

#[path = "integration/inputs.rs"]
mod inputs;

#[path = "integration/complexity.rs"]
mod complexity;

#[path = "integration/terminal.rs"]
mod terminal;

#[path = "integration/usage.rs"]
mod usage;

#[path = "integration/explain.rs"]
mod explain;

#[path = "integration/output.rs"]
mod output;

#[path = "integration/packaging.rs"]
mod packaging;

#[path = "integration/docs.rs"]
mod docs;

#[path = "integration/account.rs"]
mod account;

#[path = "integration/account_roles.rs"]
mod account_roles;

#[path = "integration/account_domains.rs"]
mod account_domains;

#[path = "integration/aws_answers.rs"]
mod aws_answers;

#[path = "integration/doctor.rs"]
mod doctor;
#[path = "integration/fleet.rs"]
mod fleet;

#[path = "integration/policy.rs"]
mod policy;

#[path = "integration/serve.rs"]
mod serve;
#[path = "integration/wss.rs"]
mod wss;

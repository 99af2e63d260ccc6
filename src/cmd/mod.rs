//! One module per subcommand, named after it.

pub mod account;
pub mod csr;
pub mod device;
pub mod doctor;
pub mod endpoint;
pub mod explain;
pub mod fleet;
pub mod inspect;
pub mod serve;
pub mod verify_chain;
pub mod version;

//! The only async code: connect, handshake, capture the served chain.

/// Placeholder until the network layer lands.
#[derive(Debug, thiserror::Error)]
#[error("network")]
pub struct NetError;

//! The only async code: connect, handshake, capture the served chain.

//! iotcheck: explains why a device cannot connect securely to AWS IoT Core.

pub mod net;

//! Integration tests: `iotcheck verify-chain`.

#[allow(unused_imports)]
use crate::common::*;

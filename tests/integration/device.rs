//! Integration tests: `iotcheck device`.

#[allow(unused_imports)]
use crate::common::*;

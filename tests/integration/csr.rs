//! Integration tests: `iotcheck csr`.

#[allow(unused_imports)]
use crate::common::*;

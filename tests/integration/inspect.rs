//! Integration tests: `iotcheck inspect`.

#[allow(unused_imports)]
use crate::common::*;

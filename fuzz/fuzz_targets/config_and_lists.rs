#![no_main]
//! Fuzz target: `iotcheck::fuzzing::config_and_lists` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iotcheck::fuzzing::config_and_lists(data);
});

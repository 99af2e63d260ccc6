#![no_main]
//! Fuzz target: `iotcheck::fuzzing::input` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iotcheck::fuzzing::input(data);
});

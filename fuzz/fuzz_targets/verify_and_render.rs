#![no_main]
//! Fuzz target: `iotcheck::fuzzing::verify_and_render` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iotcheck::fuzzing::verify_and_render(data);
});

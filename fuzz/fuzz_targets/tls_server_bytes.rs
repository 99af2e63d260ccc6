#![no_main]
//! Fuzz target: `iotcheck::fuzzing::tls_server_bytes` on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iotcheck::fuzzing::tls_server_bytes(data);
});

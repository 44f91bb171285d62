//! Fuzz target `expiry`: see `multicard_api::fuzzing::expiry`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = multicard_api::fuzzing::expiry(data);
});

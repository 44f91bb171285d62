//! Fuzz target `responses`: see `multicard_api::fuzzing::responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = multicard_api::fuzzing::responses(data);
});

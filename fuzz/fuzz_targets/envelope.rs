//! Fuzz target `envelope`: see `multicard_api::fuzzing::envelope`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = multicard_api::fuzzing::envelope(data);
});

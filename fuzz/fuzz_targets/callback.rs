//! Fuzz target `callback`: see `multicard_api::fuzzing::callback`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = multicard_api::fuzzing::callback(data);
});

//! Generates the command tree of `multicard` from `spec/multicard.yaml` at
//! compile time: this package's copy of the workspace's spec, as
//! `multicard-api/build.rs` reads its own.

fn main() {
    let manifest_dir =
        std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let spec = manifest_dir.join("spec").join("multicard.yaml");
    if let Err(error) = multicard_api_build::generate_cli_file(&spec, &out_dir, true) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

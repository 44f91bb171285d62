//! Generates the typed client from `spec/multicard.yaml` (this package's copy of the
//! workspace's spec) at compile time.

fn main() {
    let manifest_dir =
        std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // A copy of the workspace's `spec/multicard.yaml`, inside the package so
    // that the published crate builds on its own (`cargo xtask regen` keeps it
    // identical).
    let spec = manifest_dir.join("spec").join("multicard.yaml");
    if let Err(error) = multicard_api_build::generate(&spec, &out_dir, true) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

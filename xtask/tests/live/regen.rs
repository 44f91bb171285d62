//! `cargo xtask regen` with `spec/observed/`: the section naming what the
//! observations contradict, printed and never a failure of `--check`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// An observation of `get_payment` with a status the spec lacks and a
/// field of the wrong type.
const OBSERVED: &str = r#"{
  "operation": "get_payment",
  "method": "GET",
  "path": "/payment/{uuid}",
  "answers": {
    "200": {
      "bodies": ["json"],
      "fields": {
        "$": {"types": ["object"], "presence": "always"},
        "data": {"types": ["object"], "presence": "always"},
        "data.payment_amount": {"types": ["integer"], "presence": "always"},
        "data.status": {"types": ["string"], "presence": "always", "enum_values": ["success"]},
        "data.uuid": {"types": ["integer"], "presence": "always"},
        "success": {"types": ["boolean"], "presence": "always"}
      }
    },
    "502": {"bodies": ["not-json"], "fields": {}}
  }
}
"#;

fn regen(spec_dir: &Path, check: bool) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.arg("regen").arg("--spec-dir").arg(spec_dir);
    if check {
        command.arg("--check");
    }
    let output = command.output().expect("xtask runs");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn regen_prints_what_the_observations_contradict_and_check_still_passes() {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().unwrap();
    let spec_dir = tmp.path().join("spec");
    copy_dir(&workspace.join("spec"), &spec_dir);
    let observed = spec_dir.join("observed");
    let _ = std::fs::remove_dir_all(&observed);
    // Without observations: no section.
    let (ok, stdout) = regen(&spec_dir, true);
    assert!(ok, "{stdout}");
    assert!(!stdout.contains("Observed traffic contradicts"), "{stdout}");
    std::fs::create_dir_all(&observed).unwrap();
    std::fs::write(observed.join("get_payment.json"), OBSERVED).unwrap();
    let section = format!(
        "Observed traffic contradicts (1 operation(s) in {}):\n\
         get_payment 200  data.uuid  type-mismatch  integer vs string\n\
         get_payment 502  $  undocumented-status  502 vs 200\n",
        observed.display()
    );
    for check in [true, false] {
        let (ok, stdout) = regen(&spec_dir, check);
        assert!(ok, "{stdout}");
        assert!(stdout.ends_with(&section), "{stdout}");
    }
}

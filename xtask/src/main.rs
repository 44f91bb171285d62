//! `cargo xtask regen [--check]`: see the crate documentation.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask regen [--check] [--spec-dir DIR]
       cargo xtask bench-report
       cargo xtask build-bench

  regen           rebuild spec/multicard.yaml from spec/vendor/ and spec/corrections.yaml,
                  and print what changed against the committed document
  regen --check   write nothing; fail when the committed document is not what regen makes
  bench-report    the table of criterion medians and ratios (after `cargo bench -p multicard-api-tests --bench sdk`)
  build-bench     clean build of multicard-api against a bare crate, the build script's time, no-op rebuild";

/// Prints a table, or the error that kept it from being made.
fn print_table(table: xtask::Result<String>) -> ExitCode {
    match table {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut check = false;
    let mut spec_dir: Option<PathBuf> = None;
    let mut iter = args.iter();
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    match iter.next().map(String::as_str) {
        Some("regen") => {}
        Some("bench-report") => return print_table(xtask::bench::report(&workspace.join("target"))),
        Some("build-bench") => return print_table(xtask::bench::build_bench(&workspace)),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown command {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--spec-dir" => match iter.next() {
                Some(dir) => spec_dir = Some(PathBuf::from(dir)),
                None => {
                    eprintln!("--spec-dir needs a folder\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let spec_dir = spec_dir.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("spec"));
    let paths = xtask::SpecPaths::in_spec_dir(&spec_dir);
    match xtask::regen(&paths, check) {
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
        Ok(outcome) if check => {
            if outcome.differs {
                eprintln!(
                    "spec/multicard.yaml is not what the vendor pages and corrections produce:\n{}\nrun `cargo xtask regen` and commit the result",
                    outcome.report
                );
                ExitCode::FAILURE
            } else {
                println!("spec/multicard.yaml is up to date");
                ExitCode::SUCCESS
            }
        }
        Ok(outcome) => {
            if outcome.differs {
                print!("wrote {}\n{}", paths.output.display(), outcome.report);
            } else {
                println!("{} is up to date", paths.output.display());
            }
            ExitCode::SUCCESS
        }
    }
}

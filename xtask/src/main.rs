//! `cargo xtask regen [--check]`: see the crate documentation.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask regen [--check | --import DIR] [--repin] [--spec-dir DIR] [--changelog FILE]
       cargo xtask live-check [--base-url URL] [--out DIR] [--callback-listen ADDR [--callback-url URL]] [--probe-receipts]
       cargo xtask bench-report
       cargo xtask build-bench

  regen              rebuild spec/multicard.yaml from spec/vendor/, spec/corrections.yaml and the English
                     descriptions of spec/english.yaml (and its copy multicard-api/spec/multicard.yaml,
                     and each published crate's LICENSE), and
                     print what changed against the committed document: each change with the
                     operations and fields it reaches and its verdict for the generated Rust API,
                     the semver bump, and a section for CHANGELOG.md
  --check            write nothing; fail when the committed document is not what regen makes, a
                     published crate's copy differs from its original, an operation, parameter, schema
                     or property has no English in spec/english.yaml, or an entry there names
                     something the spec no longer has
  --import DIR       take a fresh export of the vendor's pages (endpoints/ and items/, apidog's file
                     names), check it against spec/corrections.yaml, regenerate from it, and only then
                     replace the pages of spec/vendor/ and write the spec; a page the corrections do
                     not map, or a mapped page the export lacks, stops it before anything is written
  --repin            after re-deciding the corrections whose vendor content changed, record the
                     content each correction overwrites now as its `pin` (spec/corrections.yaml)
                     and in spec/pinned.yaml, and print what was pinned anew
  --changelog FILE   also write the CHANGELOG.md section to FILE
  --spec-dir DIR     the spec/ folder to work on (default: the workspace's)
                     with spec/observed/ present, also print what those observations contradict in
                     the regenerated spec (\"Observed traffic contradicts:\"; never a failure)
  live-check         walk the quickstart's story against a Multicard (talks to the network): base URL
                     from --base-url, else MULTICARD_BASE_URL, else the vendor's sandbox; credentials
                     from MULTICARD_APPLICATION_ID and MULTICARD_SECRET (MULTICARD_STORE_ID, default 6;
                     MULTICARD_CALLBACK_URL); record the shape of every answer (never its values), print
                     its drift against spec/multicard.yaml and write spec/observed/<operationId>.json
  --out DIR          where live-check writes the observations (default: spec/observed)
                     after the walk live-check runs probes (fresh small payments, relations only, in
                     probes.json): the callback's amount, two partial refunds, a reused invoice_id, the
                     registry's date filter, hold statuses, an older token after a new /auth
  --callback-listen ADDR  listen on ADDR (ip:port) for the callback probe's success callback
  --callback-url URL the callback_url Multicard is told (default http://ADDR/live-check/callback)
  --probe-receipts   also create three invoices whose fiscal receipt breaks one rule each (item totals
                     against the amount, price x qty against total, a malformed mxik), each deleted,
                     and record HTTP status, success and error code in receipts.json
  bench-report       the table of criterion medians and ratios (after `cargo bench -p multicard-api-tests --bench sdk`)
  build-bench        clean build of multicard-api against a bare crate, the build script's time, no-op rebuild";

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

/// The options of `regen`.
#[derive(Default)]
struct Options {
    check: bool,
    spec_dir: Option<PathBuf>,
    changelog: Option<PathBuf>,
    import: Option<PathBuf>,
    repin: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut path = |what: &str| iter.next().map(PathBuf::from).ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "--check" => options.check = true,
            "--repin" => options.repin = true,
            "--spec-dir" => options.spec_dir = Some(path("a folder")?),
            "--changelog" => options.changelog = Some(path("a file")?),
            "--import" => options.import = Some(path("the folder of the export")?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.check && (options.import.is_some() || options.repin) {
        return Err("--check writes nothing: it does not go with --import or --repin".to_string());
    }
    Ok(options)
}

/// `live-check`: the story against a Multicard, its report, the observations.
fn live_check(workspace: &std::path::Path, args: &[String]) -> ExitCode {
    let parsed = match xtask::live::parse_args(args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let spec_dir = workspace.join("spec");
    let run = || -> Result<String, String> {
        let spec = xtask::live::load_spec(&spec_dir.join("multicard.yaml"))?;
        let target = xtask::live::target_from_env(&spec, &parsed, |name| std::env::var(name).ok())?;
        let out = parsed.out.clone().unwrap_or_else(|| spec_dir.join("observed"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))?;
        let options = parsed.probe_options();
        let live = runtime.block_on(xtask::live::live_check_with(&spec, &target, &options, &out))?;
        Ok(live.report())
    };
    match run() {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The "Observed traffic contradicts:" section of `regen`, when
/// `spec/observed/` exists: printed, never a failure.
fn print_contradictions(spec_dir: &std::path::Path, paths: &xtask::SpecPaths, check: bool, differs: bool) {
    let observed = spec_dir.join("observed");
    if !observed.is_dir() {
        return;
    }
    // With --check and a stale document, compare with what regen would write.
    let text = if check && differs {
        xtask::generate(paths)
    } else {
        std::fs::read_to_string(&paths.output)
            .map_err(|e| xtask::RegenError::in_file(&paths.output, format!("cannot read: {e}")))
    };
    let document = text.and_then(|text| xtask::vendor::parse_yaml(&text, 1));
    let section = match document {
        Ok(document) => xtask::live::contradictions(&observed, &document),
        Err(error) => Err(error.to_string()),
    };
    match section {
        Ok(Some(section)) => print!("\n{section}"),
        Ok(None) => {}
        Err(message) => eprintln!("warning: spec/observed/ not compared: {message}"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    match args.first().map(String::as_str) {
        Some("regen") => {}
        Some("live-check") => return live_check(&workspace, &args[1..]),
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
    let options = match parse(&args[1..]) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let spec_dir = options.spec_dir.clone().unwrap_or_else(|| workspace.join("spec"));
    let paths = xtask::SpecPaths::in_spec_dir(&spec_dir);
    let mode = if options.repin { xtask::Pins::Repin } else { xtask::Pins::Enforce };
    let result = match (&options.import, mode) {
        (Some(export), _) => xtask::import::import(export, &paths, mode).map(|imported| {
            if let Some(repinned) = &imported.repinned {
                print!("{repinned}");
            }
            print!("imported {}\n{imported}", export.display());
            imported.outcome
        }),
        (None, xtask::Pins::Repin) => xtask::repin(&paths).map(|(repinned, outcome)| {
            print!("{repinned}");
            outcome
        }),
        (None, xtask::Pins::Enforce) => xtask::regen(&paths, options.check),
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(file) = &options.changelog
        && let Err(e) = std::fs::write(file, outcome.report.changelog())
    {
        eprintln!("error: {}: cannot write the changelog section: {e}", file.display());
        return ExitCode::FAILURE;
    }
    // The packaged copies follow the workspace's own spec/ only.
    if options.spec_dir.is_none() {
        match xtask::packaging::sync(&workspace, !options.check) {
            Ok(changed) if options.check && !changed.is_empty() => {
                eprintln!(
                    "the published crates' copies differ from their originals:\n  {}\nrun `cargo xtask regen` and commit the result",
                    changed.join("\n  ")
                );
                return ExitCode::FAILURE;
            }
            Ok(changed) => changed.iter().for_each(|copy| println!("wrote {copy}")),
            Err(e) => {
                eprintln!("error: the published crates' copies: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    // Items without English, entries naming nothing: said on every run,
    // a failure of `--check`.
    let english_complete = outcome.english.is_complete();
    if !english_complete {
        eprint!("{}", outcome.english);
        eprintln!("write or remove those entries of spec/english.yaml (their keys are their paths in the file)");
    }
    if options.check {
        if outcome.differs {
            eprintln!(
                "spec/multicard.yaml is not what the vendor pages, corrections and English produce:\n{}\nrun `cargo xtask regen` and commit the result",
                outcome.report
            );
            print_contradictions(&spec_dir, &paths, true, true);
            return ExitCode::FAILURE;
        }
        if !english_complete {
            return ExitCode::FAILURE;
        }
        println!("spec/multicard.yaml is up to date");
        print_contradictions(&spec_dir, &paths, true, false);
    } else if outcome.differs {
        print!(
            "wrote {}\n{}\nCHANGELOG.md section{}:\n\n{}",
            paths.output.display(),
            outcome.report,
            if options.changelog.is_some() { " (also written to the --changelog file)" } else { "" },
            outcome.report.changelog()
        );
    } else {
        println!("{} is up to date", paths.output.display());
    }
    if !options.check {
        print_contradictions(&spec_dir, &paths, false, outcome.differs);
    }
    ExitCode::SUCCESS
}

//! `cargo xtask regen`: the committed spec is reproducible, a vendor change
//! shows up in the change report and fails `--check`, and bad vendor input
//! gets an error naming the file and place, writing nothing.

use std::fs;
use std::path::{Path, PathBuf};

use multicard_api_tests::workspace_root;
use xtask::{SpecPaths, regen};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create folder");
    for entry in fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A scratch copy of `spec/`, so a test can break it.
struct Scratch {
    _dir: tempfile::TempDir,
    spec: PathBuf,
    paths: SpecPaths,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = dir.path().join("spec");
        copy_dir(&workspace_root().join("spec"), &spec);
        let paths = SpecPaths::in_spec_dir(&spec);
        Self { _dir: dir, spec, paths }
    }

    fn page(&self, id: &str) -> PathBuf {
        for folder in ["endpoints", "items"] {
            for entry in fs::read_dir(self.spec.join("vendor").join(folder)).expect("folder") {
                let path = entry.expect("entry").path();
                if path.to_string_lossy().contains(&format!("-{id}")) {
                    return path;
                }
            }
        }
        panic!("no page {id}");
    }

    fn edit(&self, id: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
        let path = self.page(id);
        let text = fs::read_to_string(&path).expect("read page");
        let changed = edit(text.clone());
        assert_ne!(changed, text, "the edit changed nothing");
        fs::write(&path, changed).expect("write page");
        path
    }

    fn committed(&self) -> Vec<u8> {
        fs::read(&self.paths.output).expect("the spec")
    }

    /// Runs a failing regen and checks that it wrote nothing.
    fn fails(&self) -> xtask::RegenError {
        let before = self.committed();
        let error = regen(&self.paths, false).expect_err("regen fails");
        assert_eq!(self.committed(), before, "a failed regen changed the spec");
        let leftovers: Vec<_> = fs::read_dir(&self.spec)
            .expect("spec")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "a failed regen left a temporary file");
        error
    }
}

#[test]
fn the_committed_spec_is_what_the_vendor_pages_produce() {
    let paths = SpecPaths::in_spec_dir(&workspace_root().join("spec"));
    let outcome = regen(&paths, true).expect("regen --check runs");
    assert!(!outcome.differs, "spec/multicard.yaml is stale:\n{}", outcome.report);
    assert!(outcome.report.is_empty());
    assert!(outcome.english.is_complete(), "{}", outcome.english);
}

#[test]
fn the_vendor_pages_are_the_published_ones_byte_for_byte() {
    let shared = workspace_root().join("..").join("shared").join("multicard-docs");
    if !shared.exists() {
        eprintln!("skipped: {} is not beside the project", shared.display());
        return;
    }
    for folder in ["endpoints", "items"] {
        let mut names: Vec<_> =
            fs::read_dir(shared.join(folder)).expect("shared").map(|e| e.expect("entry").file_name()).collect();
        names.sort();
        let mut ours: Vec<_> = fs::read_dir(workspace_root().join("spec").join("vendor").join(folder))
            .expect("vendor")
            .map(|e| e.expect("entry").file_name())
            .collect();
        ours.sort();
        assert_eq!(names, ours, "{folder}: the same pages");
        for name in names {
            let a = fs::read(shared.join(folder).join(&name)).expect("read");
            let b = fs::read(workspace_root().join("spec").join("vendor").join(folder).join(&name)).expect("read");
            assert!(a == b, "{folder}/{} differs from the published page", name.to_string_lossy());
        }
    }
}

#[test]
fn a_changed_vendor_page_shows_in_the_report_and_fails_check() {
    let scratch = Scratch::new();
    // The vendor adds an optional request field and a new error example.
    scratch.edit("19729296", |text| {
        text.replacen(
            "                sms:\n",
            "                note:\n                  type: string\n                  description: A note for the payer\n                sms:\n",
            1,
        )
    });
    let before = scratch.committed();
    let check = regen(&scratch.paths, true).expect("regen --check runs");
    assert!(check.differs, "--check must notice the change");
    assert_eq!(scratch.committed(), before, "--check writes nothing");
    let report = check.report.to_string();
    assert_eq!(check.report.headlines(), ["minor     CreateInvoiceRequest.note: added (string, optional)"], "{report}");
    assert!(
        report.contains("in create_invoice (POST /payment/invoice): create_invoice.body.note"),
        "names the operation and the field: {report}"
    );
    assert!(!check.report.is_breaking(), "an optional field breaks nobody (the struct is non-exhaustive):\n{report}");

    let written = regen(&scratch.paths, false).expect("regen writes");
    assert!(written.differs);
    assert_ne!(scratch.committed(), before, "regen wrote the new spec");
    let again = regen(&scratch.paths, true).expect("regen --check runs");
    assert!(!again.differs, "after regen the spec is up to date");
}

#[test]
fn a_removed_field_is_reported_as_breaking() {
    let scratch = Scratch::new();
    scratch.edit("19729302", |text| text.replacen("                pinfl:\n", "                pinfl_removed:\n", 1));
    let outcome = regen(&scratch.paths, true).expect("regen --check runs");
    assert!(outcome.report.is_breaking(), "{}", outcome.report);
    let report = outcome.report.to_string();
    assert!(report.contains("BREAKING  CardBindingRequest.pinfl: removed (was string"), "{report}");
    assert!(report.contains("create_card_binding.body.pinfl"), "{report}");
}

#[test]
fn an_unclosed_fence_names_the_file_and_line() {
    let scratch = Scratch::new();
    let page = scratch.edit("19729297", |text| {
        let end = text.rfind("\n```").expect("closing fence");
        format!("{}\n", &text[..end])
    });
    let error = scratch.fails();
    let text = error.to_string();
    assert!(text.contains(page.file_name().unwrap().to_str().unwrap()), "{text}");
    assert!(text.contains("never closed"), "{text}");
    assert!(text.contains("line 5"), "{text}");
}

#[test]
fn a_yaml_error_names_the_file_and_line() {
    let scratch = Scratch::new();
    let page =
        scratch.edit("19729298", |text| text.replacen("      summary:", "      summary: [unclosed\n      x:", 1));
    let text = scratch.fails().to_string();
    assert!(text.contains(page.file_name().unwrap().to_str().unwrap()), "{text}");
    assert!(text.contains("invalid YAML"), "{text}");
    assert!(text.contains("line "), "{text}");
}

#[test]
fn a_page_without_an_openapi_document_is_named() {
    let scratch = Scratch::new();
    let page = scratch.edit("19729317", |text| text.replace("```yaml", "```text"));
    let text = scratch.fails().to_string();
    assert!(text.contains(page.file_name().unwrap().to_str().unwrap()), "{text}");
    assert!(text.contains("no OpenAPI document"), "{text}");
}

#[test]
fn two_pages_that_disagree_on_a_model_are_named() {
    let scratch = Scratch::new();
    // One endpoint page changes its copy of `ofdRequest`: `qty` becomes a string.
    let page = scratch.edit("19729310", |text| {
        let at = text.find("    ofdRequest:").expect("the page's copy of ofdRequest");
        let (head, tail) = text.split_at(at);
        format!(
            "{head}{}",
            tail.replacen("          qty:\n            type: integer", "          qty:\n            type: string", 1)
        )
    });
    let text = scratch.fails().to_string();
    assert!(text.contains(page.file_name().unwrap().to_str().unwrap()), "{text}");
    assert!(text.contains("ofdrequest-9355028d0.md"), "names the other page: {text}");
    assert!(text.contains("/qty"), "names the place: {text}");
}

#[test]
fn a_new_page_nobody_described_is_an_error_not_a_guess() {
    let scratch = Scratch::new();
    let source = scratch.page("19729317");
    let copy = source.with_file_name("новая-операция-99999999e0.md");
    fs::copy(&source, &copy).expect("copy page");
    let text = scratch.fails().to_string();
    assert!(text.contains("99999999"), "{text}");
    assert!(text.contains("corrections.yaml"), "{text}");
}

#[test]
fn a_stale_correction_is_an_error() {
    let scratch = Scratch::new();
    let corrections = scratch.spec.join("corrections.yaml");
    let text = fs::read_to_string(&corrections).expect("corrections");
    fs::write(
        &corrections,
        text.replace(
            "/components/schemas/Application/properties/offer_url",
            "/components/schemas/Application/properties/no_such_field/x",
        ),
    )
    .expect("write");
    let text = scratch.fails().to_string();
    assert!(text.contains("corrections.yaml"), "{text}");
    assert!(text.contains("patches["), "{text}");
}

#[test]
fn a_sensitive_field_the_document_lacks_or_cannot_mark_is_an_error() {
    for (from, to, expected) in [
        (
            "AuthRequest.secret, AuthToken.token",
            "AuthRequest.no_such_field, AuthToken.token",
            "AuthRequest.no_such_field",
        ),
        ("check_card_pan.pan]", "check_card_pan.card]", "has no parameter `card`"),
        // A hold's `expiry` is an integer (minutes): only strings are marked.
        ("AddCardRequest.cvc,", "AddCardRequest.cvc, CreateHoldRequest.expiry,", "only a `type: string`"),
        ("  - kind: pan\n", "  - kind: masked\n", "unknown kind `masked`"),
    ] {
        let scratch = Scratch::new();
        let corrections = scratch.spec.join("corrections.yaml");
        let text = fs::read_to_string(&corrections).expect("corrections");
        assert!(text.contains(from), "the corrections changed: {from}");
        fs::write(&corrections, text.replacen(from, to, 1)).expect("write");
        let error = scratch.fails().to_string();
        assert!(error.contains("corrections.yaml") && error.contains("sensitive["), "{error}");
        assert!(error.contains(expected), "{expected}: {error}");
    }
}

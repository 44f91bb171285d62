//! `regen --import DIR`: a fresh export replaces the pages only when it
//! regenerates cleanly; a page the corrections do not map, or a mapped page
//! the export lacks, stops it before anything is written.

use std::fs;

use crate::support::{Scratch, copy_dir, replace_once, snapshot};

/// An export of the vendor's pages: today's pages, in a folder of their own.
fn export(scratch: &Scratch) -> std::path::PathBuf {
    let dir = scratch.dir.path().join("export");
    copy_dir(&scratch.paths.vendor, &dir);
    dir
}

#[test]
fn an_export_is_copied_in_and_reported() {
    let scratch = Scratch::new();
    let export = export(&scratch);
    let page = Scratch::page_in(&export, "22557089");
    let text = fs::read_to_string(&page).expect("page");
    let text = replace_once(
        &text,
        "                          country:\n",
        "                          country_code:\n                            type: string\n                          country:\n",
    );
    fs::write(&page, text).expect("write");
    fs::write(export.join("llms.txt"), "not a page").expect("write");

    let imported = xtask::import::import(&export, &scratch.paths, xtask::Pins::Enforce).expect("imports");
    assert_eq!(
        imported.to_string(),
        "pages: 0 added, 0 removed, 1 changed\n  ~ endpoints/проверка-карты-по-ее-номеру-22557089e0.md\n"
    );
    assert_eq!(
        imported.outcome.report.headlines(),
        ["minor     CardCheck.bank.country_code: added (string, optional)"]
    );
    assert_eq!(snapshot(&scratch.paths.vendor), snapshot(&export), "the pages are the export's, byte for byte");
    assert!(!scratch.paths.vendor.join("llms.txt").exists(), "only pages are copied");
    assert!(!scratch.check().differs, "the spec was written");
}

#[test]
fn an_unmapped_page_or_a_missing_one_stops_the_import_before_anything_is_written() {
    let scratch = Scratch::new();
    let export = export(&scratch);
    let source = Scratch::page_in(&export, "19729317");
    let text = fs::read_to_string(&source).expect("page").replace("/payment/{uuid}:", "/payment/{uuid}/receipt:");
    fs::write(export.join("endpoints").join("чек-платежа-99999999e0.md"), text).expect("write");
    fs::remove_file(Scratch::page_in(&export, "19729307")).expect("delete");
    let (pages, spec) = (snapshot(&scratch.paths.vendor), scratch.committed());

    let error = xtask::import::import(&export, &scratch.paths, xtask::Pins::Enforce).expect_err("refused").to_string();
    assert_eq!(
        error.lines().skip(1).collect::<Vec<_>>(),
        [
            "  - new page endpoints/чек-платежа-99999999e0.md (GET /payment/{uuid}/receipt: Получение информации о платеже) is not mapped: add `\"99999999\": {operation: <operation_id>}` under `pages` and the operation under `operations`, or `\"99999999\": {skip: <why>}`",
            "  - page 19729307 is mapped in spec/corrections.yaml but no vendor page has that id (operation `revoke_card`): remove `\"19729307\"` from `pages`, and, if no other page documents `revoke_card`, the operation from `operations` and every correction that names it",
        ],
        "{error}"
    );
    assert!(
        error.contains(
            "corrections.yaml: the export does not match the pages the corrections map; nothing was imported"
        ),
        "{error}"
    );
    assert_eq!(snapshot(&scratch.paths.vendor), pages, "no page was copied");
    assert_eq!(scratch.committed(), spec, "the spec was not written");
}

#[test]
fn a_folder_that_is_not_an_export_is_named() {
    let scratch = Scratch::new();
    let empty = scratch.dir.path().join("downloads");
    fs::create_dir_all(empty.join("endpoints")).expect("folder");
    let error = xtask::import::import(&empty, &scratch.paths, xtask::Pins::Enforce).expect_err("refused").to_string();
    assert!(error.contains("downloads: not a vendor export: it has no `items/` folder"), "{error}");
}

#[test]
fn a_broken_page_in_the_export_is_named_with_its_place() {
    let scratch = Scratch::new();
    let export = export(&scratch);
    let page = Scratch::page_in(&export, "19729298");
    let text =
        fs::read_to_string(&page).expect("page").replacen("      summary:", "      summary: [unclosed\n      x:", 1);
    fs::write(&page, text).expect("write");
    let error = xtask::import::import(&export, &scratch.paths, xtask::Pins::Enforce).expect_err("refused").to_string();
    assert!(error.starts_with(&export.join("endpoints").display().to_string()), "names the export's page: {error}");
    assert!(error.contains("invalid YAML") && error.contains("line "), "{error}");
}

#[test]
fn an_export_that_changes_pinned_content_is_refused_until_repinned() {
    let scratch = Scratch::new();
    let export = export(&scratch);
    let page = Scratch::page_in(&export, "19729296");
    let text = fs::read_to_string(&page).expect("page");
    fs::write(
        &page,
        replace_once(
            &text,
            "                store_id:\n                  type: string\n",
            "                store_id:\n                  type: integer\n",
        ),
    )
    .expect("write");
    let (pages, spec, corrections) =
        (snapshot(&scratch.paths.vendor), scratch.committed(), fs::read(&scratch.paths.corrections).expect("read"));

    let error = xtask::import::import(&export, &scratch.paths, xtask::Pins::Enforce).expect_err("refused").to_string();
    assert!(error.contains("  - patches[set /components/schemas/CreateInvoiceRequest/properties/store_id]: the vendor content it overwrites changed"), "{error}");
    assert_eq!(snapshot(&scratch.paths.vendor), pages, "no page was copied");
    assert_eq!(scratch.committed(), spec, "the spec was not written");
    assert_eq!(fs::read(&scratch.paths.corrections).expect("read"), corrections, "no pin was written");

    let imported = xtask::import::import(&export, &scratch.paths, xtask::Pins::Repin).expect("imports");
    let repinned = imported.repinned.expect("repinned");
    assert_eq!(repinned.changes.len(), 1, "{repinned}");
    assert!(imported.outcome.report.is_empty(), "the patch still decides the type: {}", imported.outcome.report);
    assert_eq!(snapshot(&scratch.paths.vendor), snapshot(&export));
    assert!(!scratch.check().differs);
}

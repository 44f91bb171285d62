//! Scenario tests of `cargo xtask regen`: one per kind of vendor change,
//! each applied to a scratch copy of `spec/`, asserting the exact report
//! lines and verdict; the import of a fresh export.

mod english;
mod import;
mod masking;
mod pages;
mod six_edits;
mod support;
mod vendor_changes;

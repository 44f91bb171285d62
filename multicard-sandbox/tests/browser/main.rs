//! The sandbox's HTML pages in a real browser: a headless Chromium driven
//! through ChromeDriver (WebDriver), with axe-core checking each page
//! against WCAG 2.0 and 2.1, levels A and AA.
//!
//! Without Chromium or ChromeDriver each test prints one `skipped:` line
//! and passes; with `MULTICARD_REQUIRE_CHROMIUM=1` (CI) it fails instead.
//! The same goes for axe-core's `axe.min.js` (`MULTICARD_AXE_JS`).
//! Screenshots go to `$CARGO_TARGET_TMPDIR/browser-artifacts/`.
//!
//! `harness` is the browser and its helpers, `axe` the accessibility check;
//! `pages` checks the harness itself on pages made for it, `receipts` the
//! sandbox's receipt pages, `checkout` paying and binding a card as a
//! person does, `dashboard` the dashboard.

mod axe;
mod checkout;
mod dashboard;
mod harness;
mod pages;
mod receipts;

//! Where each page is: the one place its address is written, so a page
//! that sends the browser to another imports no other page.

/// An invoice's checkout page.
pub(crate) fn checkout(uuid: &str) -> String {
    format!("/sandbox/checkout/{uuid}")
}

/// A hosted card-binding form.
pub(crate) fn binding(session: &str) -> String {
    format!("/sandbox/bind/{session}")
}

/// A one-time-code step.
pub(crate) fn code(step: &str) -> String {
    format!("/sandbox/code/{step}")
}

/// An app payment's page.
pub(crate) fn app_payment(uuid: &str) -> String {
    format!("/sandbox/app/{uuid}")
}

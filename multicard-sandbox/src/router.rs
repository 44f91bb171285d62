//! The sandbox's routes, built from the SDK's operation table
//! (`multicard_api::operation_table::OPERATIONS`): each operation's method
//! and path template (axum's `{param}` syntax is the spec's) lead to the
//! handler its group registered for its id (`groups/`), behind the
//! operation's gate (`gate.rs`). The payer's pages (`payer.rs`), the receipt
//! pages (`receipt_pages.rs`) and the sandbox's controls (`admin.rs`) sit
//! beside them; anything else answers `ERROR_NOT_FOUND`. Every answer
//! carries a `Date` by the sandbox's clock (`date.rs`).

use axum::Router;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::MethodFilter;
use multicard_api::operation_table::OPERATIONS;

use crate::answer::Refusal;
use crate::gate::{Gate, gate};
use crate::state::App;
use crate::{admin, date, groups, pages, receipt_pages};

/// The router of a sandbox sharing `app`.
pub(crate) fn router(app: App) -> Router {
    let mut registry = groups::registry();
    let mut router = pages::routes().merge(receipt_pages::pages()).merge(admin::routes());
    for operation in OPERATIONS {
        let method = Method::from_bytes(operation.method.as_bytes()).ok().and_then(|m| MethodFilter::try_from(m).ok());
        let Some(method) = method else {
            tracing::warn!(operation = operation.id, method = operation.method, "the sandbox cannot route this method");
            continue;
        };
        let Some(route) = registry.take(operation.id, method) else {
            // `every_operation_of_the_spec_has_a_handler` keeps this from happening.
            tracing::warn!(operation = operation.id, "the sandbox has no handler for this operation");
            continue;
        };
        let gate = from_fn_with_state(Gate { app: app.clone(), operation }, gate);
        router = router.route(operation.path, route.route_layer(gate));
    }
    // `every_operation_of_the_spec_has_a_handler` keeps these from happening too.
    for id in registry.ids() {
        tracing::warn!(operation = id, "the sandbox has a handler for an operation the spec does not have");
    }
    for id in registry.duplicates() {
        tracing::warn!(operation = id, "the sandbox registers two handlers for this operation");
    }
    router
        .route("/sandbox/{*page}", axum::routing::any(no_page))
        .fallback(|| async { Refusal::NoRoute })
        .method_not_allowed_fallback(|| async { Refusal::NoRoute })
        .layer(from_fn_with_state(app.clone(), date::stamp))
        .with_state(app)
}

/// Any other page under `/sandbox/`.
async fn no_page(method: Method) -> Refusal {
    if method == Method::GET || method == Method::POST {
        Refusal::PageRefused("no such page".into())
    } else {
        Refusal::PageMethod
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use multicard_api::operation_table::OPERATIONS;

    use crate::groups;

    /// Adding an operation to the spec without a sandbox handler fails
    /// here, and so does a handler for an id the spec does not have.
    #[test]
    fn every_operation_of_the_spec_has_a_handler() {
        let registry = groups::registry();
        let spec: BTreeSet<&str> = OPERATIONS.iter().map(|op| op.id).collect();
        let handled: BTreeSet<&str> = registry.ids().collect();
        let missing: Vec<_> = spec.difference(&handled).collect();
        let unknown: Vec<_> = handled.difference(&spec).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "operations of the spec without a sandbox handler: {missing:?}; \
             sandbox handlers for ids the spec does not have: {unknown:?}"
        );
        assert!(registry.duplicates().is_empty(), "registered twice: {:?}", registry.duplicates());
        assert_eq!(spec.len(), OPERATIONS.len(), "operation ids are unique in the spec");
    }
}

//! The handlers of the spec's operations, by operation id. Each API group
//! registers its own (`groups/`); the router (`router.rs`) gives each the
//! method and path the operation table lists.

use std::collections::BTreeMap;

use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::state::App;

/// Makes the route of one handler for the method the operation uses.
type Route = Box<dyn FnOnce(MethodFilter) -> MethodRouter<App>>;

/// The handlers, by operation id.
#[derive(Default)]
pub(crate) struct Registry {
    handlers: BTreeMap<&'static str, Route>,
    /// Ids registered more than once (the last registration wins).
    duplicates: Vec<&'static str>,
}

impl Registry {
    /// Registers `handler` (an axum handler) for operation `id`.
    pub(crate) fn add<H, T>(&mut self, id: &'static str, handler: H) -> &mut Self
    where
        H: Handler<T, App>,
        T: 'static,
    {
        let route: Route = Box::new(move |method| on(method, handler));
        if self.handlers.insert(id, route).is_some() {
            self.duplicates.push(id);
        }
        self
    }

    /// The operation ids with a handler.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.handlers.keys().copied()
    }

    /// The ids registered more than once.
    pub(crate) fn duplicates(&self) -> &[&'static str] {
        &self.duplicates
    }

    /// Takes the route of operation `id`, for `method`.
    pub(crate) fn take(&mut self, id: &str, method: MethodFilter) -> Option<MethodRouter<App>> {
        self.handlers.remove(id).map(|route| route(method))
    }
}

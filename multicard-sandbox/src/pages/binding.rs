//! The hosted card-binding form (`/sandbox/bind/{session}`, the binding's
//! `form_url`): GET shows the form, or the card bound; POST takes a card
//! and goes on to its one-time code. Once bound, the card-binding callback
//! goes out and the page links to the merchant's `redirect_url` (a link,
//! never an automatic redirect to a URL a client gave, and only to an
//! http or https address).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::guard::Form;
use super::html::{self, escape, shown};
use super::pending::Purpose;
use super::{card_step, paths};
use crate::extract::Param;
use crate::state::{App, lock};

/// `GET /sandbox/bind/{session}`.
pub(crate) async fn show(State(app): State<App>, Param(session): Param<String>) -> Response {
    page(&app, &session, StatusCode::OK, "")
}

/// `POST /sandbox/bind/{session}/card`.
pub(crate) async fn card(State(app): State<App>, Param(session): Param<String>, form: Form) -> Response {
    let open = lock(&app.world).bindings.get(&session).map(|b| b.card_token.is_none());
    match open {
        None => return no_session(),
        Some(false) => return page(&app, &session, StatusCode::CONFLICT, "A card is already bound on this form."),
        Some(true) => {}
    }
    match card_step(&app, &form, Purpose::Binding(session.clone())) {
        Ok(step) => Redirect::to(&paths::code(&step)).into_response(),
        Err(problem) => page(&app, &session, StatusCode::UNPROCESSABLE_ENTITY, &problem),
    }
}

/// A GET of the form's address (a reload after a refused card): the form.
pub(crate) async fn back(Param(session): Param<String>) -> Redirect {
    Redirect::to(&paths::binding(&session))
}

fn no_session() -> Response {
    html::problem(StatusCode::NOT_FOUND, "No such form", "The sandbox has no card-binding session at this address.")
}

fn page(app: &App, session: &str, status: StatusCode, problem: &str) -> Response {
    let world = lock(&app.world);
    let Some(binding) = world.bindings.get(session) else { return no_session() };
    let mut body = String::new();
    if !problem.is_empty() {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(problem)));
    }
    let link = |url: &Option<String>, text: &str| html::store_link(url.as_deref(), text);
    match binding.card_token.as_deref().and_then(|token| world.cards.get(token)) {
        Some(card) => {
            let model = card.model();
            body.push_str(&format!(
                "<p class=\"ok\" role=\"status\">Card {} bound. The store is told by its card-binding callback.</p>\n",
                shown(&model["card_pan"])
            ));
            body.push_str(&link(&binding.redirect_url, "Back to the store"));
        }
        None => {
            body.push_str("<p>Bind a card to the store: it can then be charged by its token.</p>\n");
            let fields = format!(
                "{}{}<button type=\"submit\">Continue</button>\n",
                html::input("pan", "Card number", "inputmode=\"numeric\" autocomplete=\"cc-number\" required"),
                html::input("expiry", "Expiry (YYMM, as Multicard writes it)", "inputmode=\"numeric\" required"),
            );
            body.push_str(&html::form(&format!("{}/card", paths::binding(session)), &app.pages.token, &fields));
            body.push_str(&html::cards_note());
            body.push_str(&link(&binding.redirect_decline_url, "Cancel and go back to the store"));
        }
    }
    html::answer(status, html::document("Bind a card", &body))
}

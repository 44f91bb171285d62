//! The page of a payment made in an app (`/sandbox/app/{uuid}`, the
//! payment's `checkout_url`): stands in for the payer's app. GET shows the
//! payment; POST confirms it as the app would.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::guard::Form;
use super::html::{self, escape, money, shown};
use super::paths;
use crate::extract::Param;
use crate::payer;
use crate::state::{App, lock};
use crate::world::kinds::PaymentKind;

/// `GET /sandbox/app/{uuid}`.
pub(crate) async fn show(State(app): State<App>, Param(uuid): Param<String>) -> Response {
    page(&app, &uuid, StatusCode::OK, "")
}

/// `POST /sandbox/app/{uuid}`: confirmed in the app.
pub(crate) async fn confirm(State(app): State<App>, Param(uuid): Param<String>, _form: Form) -> Response {
    match payer::complete_app_payment(&app, &uuid) {
        Ok(_) => Redirect::to(&paths::app_payment(&uuid)).into_response(),
        Err(reason) => page(&app, &uuid, StatusCode::CONFLICT, &format!("Not confirmed: {reason}.")),
    }
}

fn page(app: &App, uuid: &str, status: StatusCode, problem: &str) -> Response {
    let world = lock(&app.world);
    let Some(payment) = world.payments.get(uuid).filter(|p| p.kind == PaymentKind::App) else {
        return html::problem(StatusCode::NOT_FOUND, "No such payment", "The sandbox has no app payment here.");
    };
    let model = payment.model();
    let mut body = String::new();
    if !problem.is_empty() {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(problem)));
    }
    body.push_str(&format!(
        "<dl>\n<dt>App</dt><dd>{}</dd>\n<dt>Order</dt><dd>{}</dd>\n<dt>Amount</dt><dd>{}</dd>\n\
         <dt>Status</dt><dd><code>{}</code></dd>\n</dl>\n",
        shown(&model["ps"]),
        shown(&model["store_invoice_id"]),
        money(&model["payment_amount"]),
        shown(&model["status"])
    ));
    if model["status"] == "draft" {
        let button = "<button type=\"submit\">Confirm in the app</button>\n";
        body.push_str(&html::form(&paths::app_payment(uuid), &app.pages.token, button));
    }
    body.push_str(&super::history_list(&payment.history));
    html::answer(status, html::document("Confirm the payment in the app", &body))
}

//! The one-time-code step (`/sandbox/code/{step}`), shared by the checkout
//! page and the hosted card form: the code `112233` is "sent" to the card's
//! phone when the card is entered; the right code finishes what the step
//! is for (a payment debited, or a card bound), three wrong ones end it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::guard::Form;
use super::html::{self, escape};
use super::paths;
use super::pending::{CodeStep, Purpose};
use crate::config::TEST_OTP;
use crate::extract::Param;
use crate::payer;
use crate::state::App;
use crate::world::money::{DebitPlan, InvoicePayer};
use crate::world::test_cards::CardBehaviour;

/// `GET /sandbox/code/{step}`.
pub(crate) async fn show(State(app): State<App>, Param(id): Param<String>) -> Response {
    match app.pages.get(&id) {
        Some(step) => page(&app, &id, &step, StatusCode::OK, ""),
        None => gone(),
    }
}

/// `POST /sandbox/code/{step}`: the code entered.
pub(crate) async fn enter(State(app): State<App>, Param(id): Param<String>, form: Form) -> Response {
    let Some(step) = app.pages.get(&id) else { return gone() };
    if form.field("otp") != TEST_OTP {
        let left = app.pages.wrong_code(&id);
        if left == 0 {
            return html::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Wrong code",
                "The code was wrong three times: nothing was paid or bound. Start again from the payment page.",
            );
        }
        let problem = format!("That code is wrong ({left} tries left). The sandbox's code is 112233.");
        return page(&app, &id, &step, StatusCode::UNPROCESSABLE_ENTITY, &problem);
    }
    let Some(step) = app.pages.take(&id) else { return gone() };
    let pan = step.card.pan;
    match step.purpose {
        Purpose::Invoice(uuid) => {
            let plan = match step.card.behaviour {
                CardBehaviour::Declines | CardBehaviour::LacksFunds => DebitPlan::declined,
                _ => DebitPlan::configured,
            };
            match payer::pay_invoice_with(&app, &uuid, InvoicePayer::Card(pan), plan) {
                Ok(_) => Redirect::to(&paths::checkout(&uuid)).into_response(),
                Err(reason) => html::problem(StatusCode::CONFLICT, "Not paid", &format!("Not paid: {reason}.")),
            }
        }
        Purpose::Binding(session) => match payer::complete_binding_with(&app, &session, pan) {
            Ok(_) => Redirect::to(&paths::binding(&session)).into_response(),
            Err(reason) => html::problem(StatusCode::CONFLICT, "Not bound", &format!("Not bound: {reason}.")),
        },
    }
}

fn gone() -> Response {
    html::problem(
        StatusCode::NOT_FOUND,
        "No such step",
        "This code step is over (finished, three wrong codes, or the sandbox restarted). Start again from the payment page.",
    )
}

fn page(app: &App, id: &str, step: &CodeStep, status: StatusCode, problem: &str) -> Response {
    let mut body = String::new();
    if !problem.is_empty() {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(problem)));
    }
    let last4 = &step.card.pan[step.card.pan.len() - 4..];
    body.push_str(&format!(
        "<p>A one-time code was sent to the phone of the card ending {}. In the sandbox it is always \
         <code>112233</code>.</p>\n",
        escape(last4)
    ));
    let fields = format!(
        "{}<button type=\"submit\">Confirm</button>\n",
        html::input("otp", "One-time code", "inputmode=\"numeric\" autocomplete=\"one-time-code\" required")
    );
    body.push_str(&html::form(&paths::code(id), &app.pages.token, &fields));
    html::answer(status, html::document("Enter the one-time code", &body))
}

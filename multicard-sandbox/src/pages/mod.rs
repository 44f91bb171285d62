//! The sandbox's pages for people, in plain server-rendered HTML (no
//! script, no build step, no CDN): the payer's pages the API's links point
//! to (an invoice's checkout, the one-time code, the hosted card form, an
//! app payment) and the dashboard at `/sandbox/`. GET shows; only a POST
//! acts. Every page answers only loopback (`guard.rs`); every form carries
//! the process's token.
//!
//! | File | Page |
//! |---|---|
//! | `checkout.rs` | `/sandbox/checkout/{uuid}`: pay an invoice by card or in an app |
//! | `code.rs` | `/sandbox/code/{step}`: the one-time code, for a payment or a binding |
//! | `binding.rs` | `/sandbox/bind/{session}`: the hosted card-binding form |
//! | `app_payment.rs` | `/sandbox/app/{uuid}`: a payment confirmed in an app |
//! | `dashboard.rs` | `/sandbox/`: what happened, and the sandbox's controls |
//! | `guard.rs`, `html.rs`, `paths.rs`, `pending.rs` | the checks, the page shape, where each page is, the steps in progress |

mod app_payment;
mod binding;
mod checkout;
mod code;
mod dashboard;
pub(crate) mod guard;
pub(crate) mod html;
mod paths;
pub(crate) mod pending;

use axum::Router;
use axum::middleware::from_fn;
use axum::response::Redirect;
use axum::routing::{get, post};

use self::guard::Form;
use self::html::escape;
use self::pending::Purpose;
use crate::state::{App, lock};
use crate::world::kinds::PaymentStatus;
use crate::world::test_cards::{self, CardBehaviour};

/// The pages' routes, behind the loopback guard.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/sandbox/", get(dashboard::show))
        .route("/sandbox", get(|| async { Redirect::to("/sandbox/") }))
        .route("/sandbox/actions/{action}", post(dashboard::act))
        .route("/sandbox/checkout/{id}", get(checkout::show))
        .route("/sandbox/checkout/{id}/card", post(checkout::card).get(checkout::back))
        .route("/sandbox/checkout/{id}/app", post(checkout::in_app).get(checkout::back))
        .route("/sandbox/code/{id}", get(code::show).post(code::enter))
        .route("/sandbox/bind/{id}", get(binding::show))
        .route("/sandbox/bind/{id}/card", post(binding::card).get(binding::back))
        .route("/sandbox/app/{id}", get(app_payment::show).post(app_payment::confirm))
        .route_layer(from_fn(guard::loopback_only))
}

/// A card entered on a form: refused with what to say (plain text), or a
/// code step started (its id) after the code was "sent" (the card's limit
/// of codes applies, as on the API).
fn card_step(app: &App, form: &Form, purpose: Purpose) -> Result<String, String> {
    let Some(card) = test_cards::find(form.field("pan"), form.field("expiry")) else {
        return Err("Wrong card number or expiry (Неверный номер карты или срок действия). The sandbox takes only \
                    the cards listed under the form."
            .into());
    };
    match card.behaviour {
        CardBehaviour::Expired => return Err("This card has expired (a sandbox-only card).".into()),
        CardBehaviour::NeedsIdentification => {
            return Err("This card's holder must be identified first (a sandbox-only card).".into());
        }
        CardBehaviour::Pays | CardBehaviour::Declines | CardBehaviour::LacksFunds => {}
    }
    {
        let mut world = lock(&app.world);
        let now = world.now();
        world.sms.send(card.pan, &app.config, now).map_err(|refusal| match refusal {
            crate::answer::Refusal::SmsLimit => format!(
                "No code was sent: this card was sent {} codes within {} minutes, Multicard's limit (it answers \
                     «{}»). Try again later, or move the clock on in the sandbox's dashboard.",
                app.config.otp_sms_limit,
                app.config.otp_sms_window.as_secs() / 60,
                crate::payer::reason(&refusal)
            ),
            other => format!("No code was sent: {}.", crate::payer::reason(&other)),
        })?;
    }
    // Changed outside `Shared::run`: marked for the state file here.
    app.keeper.touch();
    Ok(app.pages.start(purpose, card))
}

/// A payment's statuses, oldest first, as an ordered list.
fn history_list(history: &[(String, PaymentStatus)]) -> String {
    let mut out = String::from("<h2>Its statuses</h2>\n<ol class=\"history\">\n");
    for (at, status) in history {
        let status = serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        out.push_str(&format!("<li><code>{}</code> at {}</li>\n", escape(&status), escape(at)));
    }
    out.push_str("</ol>\n");
    out
}

//! Settling a lost answer by what the write changed (issue 25), through
//! the public API against the sandbox and its test clock: for every kind of
//! write, an answer lost after the write applied, a write that did not
//! apply, a write applied later (`Fault::ApplyLater`) and reads that lag
//! behind writes. `NotApplied` only where the vendor's models give positive
//! evidence, and never for a write that lands later; a lost partial refund
//! is `Undetermined`. The guards: a second refund while one is unsettled,
//! refunds above the captured amount and a charge near the hold's expiry
//! are refused with nothing sent.
//!
//! The SDK's settle runs on real time (short settings); the sandbox's money
//! moves only by `Sandbox::advance`.

use std::time::Duration;

use multicard_api::error::NotSentReason;
use multicard_api::settle::{LastRead, LostWrite, Verdict, Write};
use multicard_api::types::{self, ErrorCode, HoldStatus, PaymentStatus};
use multicard_api::{Error, Multicard, Settle};
use multicard_api_tests::money::{body, bound_card, confirm, draft_payment, ofd, paid, payment, start};
use multicard_sandbox::{Fault, LateOutcome, Sandbox, SandboxConfig, TEST_OTP};
use serde_json::json;

/// A settle long enough to see evidence, quick enough for a test.
fn quick() -> Settle {
    Settle::within(Duration::from_millis(1_500))
        .with_min_read_delay(Duration::from_millis(100))
        .with_error_quiet_period(Duration::from_millis(200))
        .with_poll_interval(Duration::from_millis(25))
}

/// A settle that ends soon: for what cannot be decided yet.
fn brief() -> Settle {
    quick().with_min_read_delay(Duration::from_millis(50)).with_error_quiet_period(Duration::from_secs(5))
}

fn lost(error: &Error) -> LostWrite {
    assert!(error.is_outcome_unknown(), "{error}");
    error.lost_write().unwrap_or_else(|| panic!("the error carries its write: {error:?}")).clone()
}

fn status(verdict: &Verdict) -> String {
    verdict.last().map(LastRead::status).unwrap_or_default()
}

#[track_caller]
fn applied(verdict: Verdict) {
    assert!(matches!(verdict, Verdict::Applied { .. }), "expected applied: {verdict}");
}

#[track_caller]
fn not_applied(verdict: Verdict) {
    assert!(matches!(verdict, Verdict::NotApplied { .. }), "expected not applied: {verdict}");
}

#[track_caller]
fn undetermined(verdict: Verdict) {
    assert!(matches!(verdict, Verdict::Undetermined { .. }), "expected undetermined: {verdict}");
    assert!(verdict.to_string().contains("do not send it again; check the Multicard cabinet"), "{verdict}");
}

#[track_caller]
fn still_moving(verdict: Verdict) {
    assert!(matches!(verdict, Verdict::StillMoving { .. }), "expected still moving: {verdict}");
}

/// An active hold of `amount` on card `token`, lapsing in `minutes`.
async fn active_hold(multicard: &Multicard, token: &str, amount: i64, minutes: i64) -> String {
    let request: types::CreateHoldRequest = body(json!({"card": {"token": token}, "amount": amount, "store_id": 6,
        "invoice_id": format!("hold-{amount}"), "expiry": minutes}));
    let id = multicard.send(|api| api.create_hold().body(request.clone())).await.expect("a hold").id.to_string();
    let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
    multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await.expect("active");
    id
}

async fn charge(multicard: &Multicard, hold: &str, amount: i64) -> Result<types::PaymentModel, Error> {
    let request: types::ChargeHoldRequest = body(json!({"amount": amount}));
    multicard.send(|api| api.charge_hold().payment_uuid(hold).body(request.clone())).await
}

async fn cancel(multicard: &Multicard, hold: &str) -> Result<types::HoldModel, Error> {
    multicard.send(|api| api.cancel_hold().payment_uuid(hold)).await
}

async fn refund(multicard: &Multicard, uuid: &str) -> Result<types::PaymentModel, Error> {
    multicard.send(|api| api.refund_payment().uuid(uuid)).await
}

async fn partial(multicard: &Multicard, uuid: &str, amount: i64) -> Result<types::PaymentModel, Error> {
    let request: types::PartialRefundRequest = body(json!({"refund_amount": amount, "ofd": ofd(amount)}));
    multicard.send(|api| api.partial_refund_payment().uuid(uuid).body(request.clone())).await
}

/// A draft payout of `amount` to card `token`, to be confirmed by OTP.
async fn draft_payout(multicard: &Multicard, token: &str, amount: i64) -> String {
    let request: types::CreatePayoutRequest = body(json!({"card": {"token": token}, "amount": amount, "store_id": 6,
        "invoice_id": format!("payout-{amount}"), "confirmable": true}));
    multicard.send(|api| api.create_payout().body(request.clone())).await.expect("a payout").uuid
}

async fn confirm_payout(multicard: &Multicard, uuid: &str) -> Result<types::Payout, Error> {
    let otp: types::ConfirmPayoutRequest = body(json!({"otp": TEST_OTP}));
    multicard.send(|api| api.confirm_payout().payment_uuid(uuid).body(otp.clone())).await
}

/// A sandbox, a client and a bound card.
async fn setup() -> (Sandbox, Multicard, String) {
    let (sandbox, multicard) = start(SandboxConfig::default().with_otp_sms_limit(1_000)).await;
    let token = bound_card(&multicard).await;
    (sandbox, multicard, token)
}

#[tokio::test]
async fn confirm_payment_settles_by_the_payments_status() {
    let (sandbox, multicard, token) = setup().await;

    // Applied, answer lost.
    let uuid = draft_payment(&multicard, &token, 1_001, None).await;
    sandbox.inject("confirm_payment", Fault::LoseAnswer, 1);
    let lost_one = lost(&confirm(&multicard, &uuid).await.expect_err("no answer"));
    assert_eq!(lost_one.write, Write::ConfirmPayment { payment: uuid.clone() });
    let verdict = multicard.settle_write(&lost_one, quick()).await;
    assert_eq!(status(&verdict), "success");
    applied(verdict);

    // Not applied: the debit failed (a final `error` that lasts).
    let uuid = draft_payment(&multicard, &token, 1_002, None).await;
    sandbox.inject(
        "confirm_payment",
        Fault::DebitUnknown { after: Duration::from_secs(10), then: LateOutcome::Error },
        1,
    );
    let error = confirm(&multicard, &uuid).await.expect_err("unknown");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorDebitUnknown));
    let failing = lost(&error);
    still_moving(multicard.settle_write(&failing, brief()).await);
    sandbox.advance(Duration::from_secs(10)).await;
    not_applied(multicard.settle_write(&failing, quick()).await);

    // Applied late: nothing to see while it is held back, and never "not applied".
    let uuid = draft_payment(&multicard, &token, 1_003, None).await;
    sandbox.inject("confirm_payment", Fault::ApplyLater(Duration::from_secs(30)), 1);
    let late = lost(&confirm(&multicard, &uuid).await.expect_err("a proxy's 504"));
    let verdict = multicard.settle_write(&late, brief()).await;
    assert_eq!(status(&verdict), "draft");
    undetermined(verdict);
    sandbox.advance(Duration::from_secs(30)).await;
    applied(multicard.settle_write(&late, quick()).await);

    // Stale reads: the settle sees the payment as it was before the write.
    let uuid = draft_payment(&multicard, &token, 1_004, None).await;
    sandbox.set_stale_reads(Duration::from_secs(5));
    sandbox.inject("confirm_payment", Fault::LoseAnswer, 1);
    let stale = lost(&confirm(&multicard, &uuid).await.expect_err("no answer"));
    undetermined(multicard.settle_write(&stale, brief()).await);
    sandbox.advance(Duration::from_secs(5)).await;
    applied(multicard.settle_write(&stale, quick()).await);
}

#[tokio::test]
async fn a_read_too_soon_after_the_write_is_never_evidence() {
    let (sandbox, multicard, token) = setup().await;
    let uuid = draft_payment(&multicard, &token, 1_101, None).await;
    sandbox.inject("confirm_payment", Fault::LoseAnswer, 1);
    let lost_one = lost(&confirm(&multicard, &uuid).await.expect_err("no answer"));
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success, "it applied");
    let too_soon = Settle::within(Duration::from_millis(200))
        .with_min_read_delay(Duration::from_secs(30))
        .with_poll_interval(Duration::from_millis(10));
    let verdict = multicard.settle_write(&lost_one, too_soon).await;
    undetermined(verdict);
    // Made by hand (no time of loss): the delay counts from the settle's start.
    let by_hand = LostWrite::new(Write::ConfirmPayment { payment: uuid.clone() });
    let started = std::time::Instant::now();
    applied(multicard.settle_write(&by_hand, quick().with_min_read_delay(Duration::from_millis(300))).await);
    assert!(started.elapsed() >= Duration::from_millis(300), "no read counted before the delay");
}

#[tokio::test]
async fn a_full_refund_is_applied_on_revert_and_undetermined_otherwise() {
    let (sandbox, multicard, token) = setup().await;

    // Applied, answer lost: the snapshot and amount travel with it.
    let (uuid, _) = paid(&multicard, &token, 2_001, None).await;
    sandbox.inject("refund_payment", Fault::LoseAnswer, 1);
    let lost_one = lost(&refund(&multicard, &uuid).await.expect_err("no answer"));
    let Write::Refund { payment: target, amount, before: Some(before) } = &lost_one.write else {
        panic!("{:?}", lost_one.write)
    };
    assert_eq!((target.as_str(), *amount, &before.status), (uuid.as_str(), Some(2_001), &PaymentStatus::Success));
    assert_eq!(multicard.unsettled_refund(&uuid), Some(2_001));
    applied(multicard.settle_write(&lost_one, quick()).await);
    assert_eq!(multicard.unsettled_refund(&uuid), None, "settled: released");

    // Not applied (a proxy's 504, the refund never done): no evidence exists.
    let (uuid, _) = paid(&multicard, &token, 2_002, None).await;
    sandbox.inject("refund_payment", Fault::Hang(Duration::ZERO), 1);
    let kept = lost(&refund(&multicard, &uuid).await.expect_err("504"));
    undetermined(multicard.settle_write(&kept, brief()).await);
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success, "it was not refunded");
    let sent = sandbox.requests("refund_payment");
    let again = refund(&multicard, &uuid).await.expect_err("refused");
    assert!(matches!(again, Error::NotSent { reason: NotSentReason::RefundUnsettled { .. }, .. }), "{again:?}");
    assert_eq!(sandbox.requests("refund_payment"), sent, "nothing was sent");

    // Applied late: undetermined while held back, applied once it lands.
    let (uuid, _) = paid(&multicard, &token, 2_003, None).await;
    sandbox.inject("refund_payment", Fault::ApplyLater(Duration::from_secs(30)), 1);
    let late = lost(&refund(&multicard, &uuid).await.expect_err("504"));
    undetermined(multicard.settle_write(&late, brief()).await);
    sandbox.advance(Duration::from_secs(30)).await;
    applied(multicard.settle_write(&late, quick()).await);

    // Stale reads.
    let (uuid, _) = paid(&multicard, &token, 2_004, None).await;
    sandbox.set_stale_reads(Duration::from_secs(5));
    sandbox.inject("refund_payment", Fault::LoseAnswer, 1);
    let stale = lost(&refund(&multicard, &uuid).await.expect_err("no answer"));
    undetermined(multicard.settle_write(&stale, brief()).await);
    sandbox.advance(Duration::from_secs(5)).await;
    applied(multicard.settle_write(&stale, quick()).await);
}

#[tokio::test]
async fn a_lost_partial_refund_is_undetermined_and_blocks_the_next_refund() {
    let (sandbox, multicard, token) = setup().await;
    let (uuid, _) = paid(&multicard, &token, 10_000, None).await;

    // Applied, answer lost: the payment stays `success`; nothing can tell.
    sandbox.inject("partial_refund_payment", Fault::LoseAnswer, 1);
    let lost_one = lost(&partial(&multicard, &uuid, 4_000).await.expect_err("no answer"));
    let Write::PartialRefund { amount: 4_000, before: Some(before), .. } = &lost_one.write else {
        panic!("{:?}", lost_one.write)
    };
    assert_eq!((before.status.clone(), before.payment_amount), (PaymentStatus::Success, 10_000));
    let verdict = multicard.settle_write(&lost_one, quick()).await;
    assert_eq!(status(&verdict), "success");
    undetermined(verdict);

    // A second refund, partial or full, is refused before sending.
    let (partials, fulls) = (sandbox.requests("partial_refund_payment"), sandbox.requests("refund_payment"));
    let second = partial(&multicard, &uuid, 4_000).await.expect_err("refused");
    match &second {
        Error::NotSent {
            operation: "partial_refund_payment",
            target,
            reason: NotSentReason::RefundUnsettled { amount },
        } => {
            assert_eq!((target.as_str(), *amount), (uuid.as_str(), Some(4_000)))
        }
        other => panic!("{other:?}"),
    }
    assert!(second.to_string().contains("not settled"), "{second}");
    let whole = refund(&multicard, &uuid).await.expect_err("refused");
    assert!(matches!(whole, Error::NotSent { reason: NotSentReason::RefundUnsettled { .. }, .. }), "{whole:?}");
    assert_eq!(sandbox.requests("partial_refund_payment"), partials, "the sandbox saw no second refund");
    assert_eq!(sandbox.requests("refund_payment"), fulls);

    // Once the cabinet shows it applied, the rest may be refunded, not more.
    multicard.mark_refund_settled(&uuid, true);
    let over = partial(&multicard, &uuid, 6_001).await.expect_err("over");
    assert!(
        matches!(
            over,
            Error::NotSent {
                reason: NotSentReason::RefundExceedsCaptured { requested: 6_001, captured: 10_000, refunded: 4_000 },
                ..
            }
        ),
        "{over:?}"
    );
    assert_eq!(sandbox.requests("partial_refund_payment"), partials);

    // Not applied, applied late, stale: all undetermined (and never "not applied").
    for (amount, fault) in [
        (10_001, Fault::Hang(Duration::ZERO)),
        (10_002, Fault::ApplyLater(Duration::from_secs(30))),
        (10_003, Fault::LoseAnswer),
    ] {
        let (uuid, _) = paid(&multicard, &token, amount, None).await;
        if amount == 10_003 {
            sandbox.set_stale_reads(Duration::from_secs(5));
        }
        sandbox.inject("partial_refund_payment", fault, 1);
        let one = lost(&partial(&multicard, &uuid, 1_000).await.expect_err("unknown"));
        undetermined(multicard.settle_write(&one, brief()).await);
        sandbox.advance(Duration::from_secs(30)).await;
        undetermined(multicard.settle_write(&one, quick()).await);
    }
}

#[tokio::test]
async fn refunds_above_the_captured_amount_are_refused_before_sending() {
    let (sandbox, multicard, token) = setup().await;
    let (uuid, _) = paid(&multicard, &token, 10_000, None).await;
    partial(&multicard, &uuid, 6_000).await.expect("a partial refund");
    assert_eq!(multicard.unsettled_refund(&uuid), None, "answered: settled");
    let sent = sandbox.requests("partial_refund_payment");
    let error = partial(&multicard, &uuid, 5_000).await.expect_err("over");
    match &error {
        Error::NotSent {
            target,
            reason: NotSentReason::RefundExceedsCaptured { requested, captured, refunded },
            ..
        } => {
            assert_eq!((target.as_str(), *requested, *captured, *refunded), (uuid.as_str(), 5_000, 10_000, 6_000))
        }
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains(&uuid) && text.contains("5000") && text.contains("10000"), "{text}");
    assert_eq!(sandbox.requests("partial_refund_payment"), sent, "nothing was sent");
    partial(&multicard, &uuid, 4_000).await.expect("the rest");
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Revert);
    let after = refund(&multicard, &uuid).await.expect_err("nothing left");
    assert!(matches!(after, Error::NotSent { reason: NotSentReason::RefundExceedsCaptured { .. }, .. }), "{after:?}");
    assert_eq!(sandbox.requests("refund_payment"), 0);
}

#[tokio::test]
async fn charge_hold_settles_by_the_hold_and_its_payment() {
    let (sandbox, multicard, token) = setup().await;

    // Applied, answer lost; the hold as it was travels with it.
    let hold = active_hold(&multicard, &token, 3_001, 60).await;
    sandbox.inject("charge_hold", Fault::LoseAnswer, 1);
    let lost_one = lost(&charge(&multicard, &hold, 3_001).await.expect_err("no answer"));
    let Write::ChargeHold { hold: id, amount: Some(3_001), before: Some(before) } = &lost_one.write else {
        panic!("{:?}", lost_one.write)
    };
    assert_eq!((id, &before.status), (&hold, &HoldStatus::Active));
    applied(multicard.settle_write(&lost_one, quick()).await);

    // Not applied: the charge's debit failed; the hold stays active.
    let hold = active_hold(&multicard, &token, 3_002, 60).await;
    sandbox.inject("charge_hold", Fault::DebitUnknown { after: Duration::from_secs(5), then: LateOutcome::Error }, 1);
    let failing = lost(&charge(&multicard, &hold, 3_002).await.expect_err("unknown"));
    still_moving(multicard.settle_write(&failing, brief()).await);
    sandbox.advance(Duration::from_secs(5)).await;
    let verdict = multicard.settle_write(&failing, quick()).await;
    assert_eq!(status(&verdict), "active (payment: error)");
    not_applied(verdict);

    // Charged again, applied late: the earlier failure's `error` is no
    // evidence against this charge.
    sandbox.inject("charge_hold", Fault::ApplyLater(Duration::from_secs(30)), 1);
    let late = lost(&charge(&multicard, &hold, 3_002).await.expect_err("504"));
    let verdict = multicard.settle_write(&late, quick()).await;
    assert_eq!(status(&verdict), "active (payment: error)");
    undetermined(verdict);
    sandbox.advance(Duration::from_secs(30)).await;
    applied(multicard.settle_write(&late, quick()).await);

    // Applied late on a fresh hold: an `active` hold is no evidence.
    let hold = active_hold(&multicard, &token, 3_003, 60).await;
    sandbox.inject("charge_hold", Fault::ApplyLater(Duration::from_secs(30)), 1);
    let late = lost(&charge(&multicard, &hold, 3_003).await.expect_err("504"));
    undetermined(multicard.settle_write(&late, brief()).await);
    sandbox.advance(Duration::from_secs(30)).await;
    applied(multicard.settle_write(&late, quick()).await);

    // Stale reads.
    let hold = active_hold(&multicard, &token, 3_004, 60).await;
    sandbox.set_stale_reads(Duration::from_secs(5));
    sandbox.inject("charge_hold", Fault::LoseAnswer, 1);
    let stale = lost(&charge(&multicard, &hold, 3_004).await.expect_err("no answer"));
    undetermined(multicard.settle_write(&stale, brief()).await);
    sandbox.advance(Duration::from_secs(5)).await;
    applied(multicard.settle_write(&stale, quick()).await);
}

#[tokio::test]
async fn cancel_hold_settles_by_the_hold() {
    let (sandbox, multicard, token) = setup().await;

    // Applied, answer lost.
    let hold = active_hold(&multicard, &token, 4_001, 60).await;
    sandbox.inject("cancel_hold", Fault::LoseAnswer, 1);
    let lost_one = lost(&cancel(&multicard, &hold).await.expect_err("no answer"));
    assert_eq!(lost_one.write, Write::CancelHold { hold: hold.clone() });
    applied(multicard.settle_write(&lost_one, quick()).await);

    // Not applied: never done, and the hold was charged since.
    let hold = active_hold(&multicard, &token, 4_002, 60).await;
    sandbox.inject("cancel_hold", Fault::Hang(Duration::ZERO), 1);
    let kept = lost(&cancel(&multicard, &hold).await.expect_err("504"));
    undetermined(multicard.settle_write(&kept, brief()).await);
    charge(&multicard, &hold, 4_002).await.expect("charged");
    not_applied(multicard.settle_write(&kept, quick()).await);

    // Applied late.
    let hold = active_hold(&multicard, &token, 4_003, 60).await;
    sandbox.inject("cancel_hold", Fault::ApplyLater(Duration::from_secs(30)), 1);
    let late = lost(&cancel(&multicard, &hold).await.expect_err("504"));
    undetermined(multicard.settle_write(&late, brief()).await);
    sandbox.advance(Duration::from_secs(30)).await;
    applied(multicard.settle_write(&late, quick()).await);

    // Stale reads.
    let hold = active_hold(&multicard, &token, 4_004, 60).await;
    sandbox.set_stale_reads(Duration::from_secs(5));
    sandbox.inject("cancel_hold", Fault::LoseAnswer, 1);
    let stale = lost(&cancel(&multicard, &hold).await.expect_err("no answer"));
    undetermined(multicard.settle_write(&stale, brief()).await);
    sandbox.advance(Duration::from_secs(5)).await;
    applied(multicard.settle_write(&stale, quick()).await);
}

#[tokio::test]
async fn confirm_payout_settles_by_the_payouts_status() {
    let (sandbox, multicard, token) = setup().await;

    let uuid = draft_payout(&multicard, &token, 5_001).await;
    sandbox.inject("confirm_payout", Fault::LoseAnswer, 1);
    let lost_one = lost(&confirm_payout(&multicard, &uuid).await.expect_err("no answer"));
    assert_eq!(lost_one.write, Write::ConfirmPayout { payout: uuid.clone() });
    applied(multicard.settle_write(&lost_one, quick()).await);

    let uuid = draft_payout(&multicard, &token, 5_002).await;
    sandbox.inject(
        "confirm_payout",
        Fault::DebitUnknown { after: Duration::from_secs(10), then: LateOutcome::Error },
        1,
    );
    let failing = lost(&confirm_payout(&multicard, &uuid).await.expect_err("unknown"));
    still_moving(multicard.settle_write(&failing, brief()).await);
    sandbox.advance(Duration::from_secs(10)).await;
    not_applied(multicard.settle_write(&failing, quick()).await);

    let uuid = draft_payout(&multicard, &token, 5_003).await;
    sandbox.inject("confirm_payout", Fault::ApplyLater(Duration::from_secs(30)), 1);
    let late = lost(&confirm_payout(&multicard, &uuid).await.expect_err("504"));
    undetermined(multicard.settle_write(&late, brief()).await);
    sandbox.advance(Duration::from_secs(30)).await;
    applied(multicard.settle_write(&late, quick()).await);

    let uuid = draft_payout(&multicard, &token, 5_004).await;
    sandbox.set_stale_reads(Duration::from_secs(5));
    sandbox.inject("confirm_payout", Fault::LoseAnswer, 1);
    let stale = lost(&confirm_payout(&multicard, &uuid).await.expect_err("no answer"));
    undetermined(multicard.settle_write(&stale, brief()).await);
    sandbox.advance(Duration::from_secs(5)).await;
    applied(multicard.settle_write(&stale, quick()).await);
}

#[tokio::test]
async fn a_lost_create_carries_its_invoice_id_and_is_never_not_applied() {
    let (sandbox, multicard, token) = setup().await;
    let payment: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": 6_001, "store_id": 6, "invoice_id": "lost-payment"}));
    let invoice: types::CreateInvoiceRequest =
        body(json!({"store_id": 6, "amount": 6_002, "invoice_id": "lost-invoice",
        "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(6_002)}));
    let payout: types::CreatePayoutRequest =
        body(json!({"card": {"token": token}, "amount": 6_003, "store_id": 6, "invoice_id": "lost-payout"}));
    for fault in [Fault::LoseAnswer, Fault::ApplyLater(Duration::from_secs(5)), Fault::Hang(Duration::ZERO)] {
        for operation in ["create_payment", "create_invoice", "create_payout"] {
            sandbox.inject(operation, fault.clone(), 1);
        }
        let errors = [
            multicard.send(|api| api.create_payment().body(payment.clone())).await.map(|_| ()),
            multicard.send(|api| api.create_invoice().body(invoice.clone())).await.map(|_| ()),
            multicard.send(|api| api.create_payout().body(payout.clone())).await.map(|_| ()),
        ];
        for (error, name) in errors.into_iter().zip(["lost-payment", "lost-invoice", "lost-payout"]) {
            let one = lost(&error.expect_err("unknown"));
            assert!(one.write.fields().contains(&("invoice_id", name.to_string())), "{:?}", one.write);
            let verdict = multicard.settle_write(&one, brief()).await;
            assert!(verdict.why().contains(name), "{verdict}");
            undetermined(verdict);
        }
        sandbox.advance(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn charge_hold_near_its_expiry_is_refused_with_nothing_sent() {
    let (sandbox, multicard, token) = setup().await;
    let soon = active_hold(&multicard, &token, 7_001, 1).await;
    let error = charge(&multicard, &soon, 7_001).await.expect_err("too close to its expiry");
    match &error {
        Error::NotSent {
            operation: "charge_hold",
            target,
            reason: NotSentReason::HoldExpiresSoon { expiry: Some(_), seconds_left: Some(left) },
        } => {
            assert_eq!(target, &soon);
            assert!((0..=60).contains(left), "{left}");
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("GMT+5"), "{error}");
    assert_eq!(sandbox.requests("charge_hold"), 0, "nothing was sent");
    // With the time to spare, the same charge goes.
    let later = active_hold(&multicard, &token, 7_002, 3).await;
    assert_eq!(charge(&multicard, &later, 7_002).await.expect("charged").status, PaymentStatus::Success);
    assert_eq!(sandbox.requests("charge_hold"), 1);
}

#[tokio::test]
async fn outcome_unknown_names_its_settle_and_never_suggests_sending_again() {
    let (sandbox, multicard, token) = setup().await;
    let (uuid, _) = paid(&multicard, &token, 8_001, None).await;
    sandbox.inject("partial_refund_payment", Fault::LoseAnswer, 1);
    let error = partial(&multicard, &uuid, 1_000).await.expect_err("no answer");
    let text = error.to_string();
    assert!(text.contains(&format!("partial-refund payment={uuid} amount=1000")), "{text}");
    assert!(text.contains("settle_write") && text.contains("do not send it again unless the settle says not applied"));
    assert!(!text.contains("send it again;") && !text.contains("retry"), "{text}");
    let verdict = multicard.settle_lost(&error, brief()).await.expect("a write to settle");
    undetermined(verdict);
    let plain = Error::InvalidConfiguration { message: "x".into() };
    assert!(multicard.settle_lost(&plain, brief()).await.is_none());
}

/// A lost `create_payment` settles by the registry: once the search's
/// window has closed by Multicard's clock (here the sandbox's clock moves on
/// two minutes while the settle waits, and its `Date` header tells the
/// client), the one row with the invoice id is read back: `Applied`.
#[tokio::test]
async fn a_lost_create_is_found_by_its_invoice_id_and_applied() {
    let (sandbox, multicard, token) = setup().await;
    let payment: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": 6_101, "store_id": 6, "invoice_id": "lost-found"}));
    sandbox.inject("create_payment", Fault::LoseAnswer, 1);
    let error = multicard.send(|api| api.create_payment().body(payment.clone())).await.expect_err("lost");
    let one = lost(&error);
    assert!(one.sent_at.is_some(), "the send time travels with the lost create");
    let mover = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sandbox.advance(Duration::from_secs(120)).await;
        // Any answer carries the sandbox's `Date`: the client learns its clock.
        let _ = multicard.send(|api| api.get_application()).await;
    };
    // A settle long enough for the window (it ends a minute after the
    // search starts); the sandbox's clock closes it at once.
    let (verdict, ()) = tokio::join!(multicard.settle_write(&one, Settle::within(Duration::from_secs(90))), mover);
    match &verdict {
        Verdict::Applied { last: LastRead::Payment(found), .. } => {
            assert_eq!(found.store_invoice_id.as_deref(), Some("lost-found"));
            assert_eq!(found.payment_amount, 6_101);
        }
        other => panic!("expected applied with the payment read back: {other}"),
    }
}

//! The reconciler against the sandbox, on its test clock: a scripted set
//! of orders and payments, each found with the right finding, each paid one
//! credited exactly once through the ledger the callbacks use, and a late
//! callback racing a sweep that still credits its order once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, State};
use multicard_api::Multicard;
use multicard_api::callbacks::axum::ConfirmedSuccess;
use multicard_api::callbacks::{CallbackReply, Decisions, Verifier};
use multicard_api::fulfilment::{
    Decision, HandlerError, HandlerFuture, Ledger, MemoryLedger, MemoryTx, PaymentCredit, StoredDecision,
};
use multicard_api::money::Tiyin;
use multicard_api::reconcile::{Expiry, Finding, FindingKind, Origin, Pending, Reconciler, Standing};
use multicard_api::types::{self, PaymentStatus};
use multicard_api_tests::money::{body, bound_card, draft_payment, ofd, paid, payment, serve, start};
use multicard_sandbox::{FrozenPayments, Sandbox, SandboxConfig};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Counts the orders a handler credited (after its own checks passed).
#[derive(Clone, Default)]
struct Credits {
    runs: Arc<AtomicUsize>,
    /// Orders whose handler fails (the merchant's storage is down).
    failing: Arc<Mutex<Vec<String>>>,
    /// How long the handler works inside the ledger's transaction.
    delay: Duration,
}

/// Pins a closure to the handler signature a ledger takes.
fn handler<F>(f: F) -> F
where
    F: for<'t> Fn(&'t mut MemoryTx, &'t PaymentCredit) -> HandlerFuture<'t> + Clone + Send + Sync,
{
    f
}

impl Credits {
    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// The merchant's handler: credits the order (an outbox entry), or
    /// fails for the orders in `failing`.
    fn handler(
        &self,
    ) -> impl for<'t> Fn(&'t mut MemoryTx, &'t PaymentCredit) -> HandlerFuture<'t> + Clone + Send + Sync {
        let credits = self.clone();
        handler(move |tx, credit| {
            let credits = credits.clone();
            Box::pin(async move { credits.credit(tx, credit).await })
        })
    }

    async fn credit(&self, tx: &mut MemoryTx, credit: &PaymentCredit) -> Result<Decision, HandlerError> {
        tokio::time::sleep(self.delay).await;
        if self.failing.lock().unwrap().contains(&credit.invoice_id) {
            return Err("the shop's storage is down".into());
        }
        self.runs.fetch_add(1, Ordering::SeqCst);
        tx.push(json!({"credit": credit.invoice_id, "uuid": credit.uuid, "amount": credit.amount}));
        Ok(Decision::Accept)
    }
}

/// A merchant whose success route confirms the callback and fulfils it
/// through the ledger (`ConfirmedSuccess::fulfil`).
#[derive(Clone)]
struct LedgerMerchant {
    verifier: Verifier,
    multicard: Multicard,
    decisions: Decisions,
    ledger: MemoryLedger,
    credits: Credits,
}

impl FromRef<LedgerMerchant> for Verifier {
    fn from_ref(m: &LedgerMerchant) -> Verifier {
        m.verifier.clone()
    }
}

impl FromRef<LedgerMerchant> for Multicard {
    fn from_ref(m: &LedgerMerchant) -> Multicard {
        m.multicard.clone()
    }
}

impl FromRef<LedgerMerchant> for Decisions {
    fn from_ref(m: &LedgerMerchant) -> Decisions {
        m.decisions.clone()
    }
}

async fn on_success(State(merchant): State<LedgerMerchant>, success: ConfirmedSuccess) -> CallbackReply {
    success.fulfil(&merchant.ledger, merchant.credits.handler()).await.reply()
}

/// Starts one; returns its success URL.
async fn ledger_merchant(sandbox: &Sandbox, multicard: &Multicard, ledger: &MemoryLedger, credits: &Credits) -> String {
    let merchant = LedgerMerchant {
        verifier: Verifier::new(sandbox.secret()).unwrap(),
        multicard: multicard.clone(),
        decisions: Decisions::new(),
        ledger: ledger.clone(),
        credits: credits.clone(),
    };
    let route = axum::Router::new().route("/success", axum::routing::post(on_success)).with_state(merchant);
    format!("{}/success", serve(route).await)
}

/// A server that answers every callback `answer` and does nothing else:
/// with 200 `success: true`, the answer reached Multicard but the callback
/// never reached the ledger (the order was never credited).
async fn answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(answer).mount(&server).await;
    server
}

fn lost() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"success": true}))
}

fn now(sandbox: &Sandbox) -> chrono::DateTime<chrono::Utc> {
    sandbox.now().to_utc()
}

fn of<'r>(findings: &'r [Finding], uuid: &str) -> &'r Finding {
    findings.iter().find(|f| f.uuid.as_deref() == Some(uuid)).unwrap_or_else(|| panic!("no finding for {uuid}"))
}

fn of_order<'r>(findings: &'r [Finding], invoice_id: &str) -> &'r Finding {
    findings
        .iter()
        .find(|f| f.invoice_id.as_deref() == Some(invoice_id))
        .unwrap_or_else(|| panic!("no finding for {invoice_id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_finds_every_case_and_credits_each_paid_payment_once() {
    let config = SandboxConfig::default().with_frozen_payments(FrozenPayments::NeverResent);
    let (sandbox, multicard) = start(config).await;
    let ledger = MemoryLedger::new();
    let credits = Credits::default();
    credits.failing.lock().unwrap().push("order-10006".into());
    let merchant = ledger_merchant(&sandbox, &multicard, &ledger, &credits).await;
    let lost_answer = answering(lost()).await;
    let refusing = answering(ResponseTemplate::new(400)).await;
    let token = bound_card(&multicard).await;
    let t0 = now(&sandbox);

    // Paid; the callback's answer reached Multicard, the ledger never saw it.
    let (lost_uuid, _) = paid(&multicard, &token, 10_001, Some(&lost_answer.uri())).await;
    // Paid with no callback at all.
    let (silent_uuid, _) = paid(&multicard, &token, 10_002, None).await;
    // An invoice that runs out unpaid after a minute.
    let invoice: types::CreateInvoiceRequest =
        body(json!({"store_id": 6, "amount": 10_003, "invoice_id": "inv-expired",
        "callback_url": merchant, "ttl": 60, "ofd": ofd(10_003)}));
    let invoice = multicard.send(|api| api.create_invoice().body(invoice.clone())).await.unwrap();
    let invoice_uuid = invoice.uuid.clone().expect("an invoice uuid");
    // Refused by the merchant: cancelled and refunded.
    let (reverted_uuid, _) = paid(&multicard, &token, 10_004, Some(&format!("{}/cb", refusing.uri()))).await;
    // Paid, but not the amount the order expects.
    let (mismatch_uuid, _) = paid(&multicard, &token, 10_005, None).await;
    // The merchant's storage fails: held (500), frozen in billing, left
    // frozen in the ledger.
    let (frozen_uuid, _) = paid(&multicard, &token, 10_006, Some(&merchant)).await;
    // Called back and credited by the callback.
    let (fulfilled_uuid, _) = paid(&multicard, &token, 10_008, Some(&merchant)).await;
    // Created, never confirmed.
    let draft_uuid = draft_payment(&multicard, &token, 10_009, None).await;
    sandbox.advance(Duration::from_secs(120)).await;

    assert_eq!(payment(&multicard, &lost_uuid).await.status, PaymentStatus::Success);
    assert_eq!(payment(&multicard, &frozen_uuid).await.status, PaymentStatus::Billing);
    assert_eq!(ledger.left_frozen().await.unwrap().len(), 1, "the held payment is left frozen");
    assert_eq!((credits.runs(), ledger.outbox().len()), (1, 1), "the callback credited one order");

    let reconciler = Reconciler::new(multicard.clone(), ledger.clone())
        .with_concurrency(3)
        .with_draft_ttl(Duration::from_secs(60))
        .with_registry_grace(Duration::from_secs(30));
    let pending = vec![
        Pending::order("6", "order-10001", t0).with_expected_amount(Tiyin::new(10_001).unwrap()),
        Pending::payment(&silent_uuid),
        Pending::order("6", "inv-expired", t0).with_invoice(&invoice_uuid, Some(t0 + chrono::Duration::seconds(60))),
        Pending::payment(&reverted_uuid),
        Pending::order("6", "order-10005", t0).with_expected_amount(Tiyin::new(99_999).unwrap()),
        Pending::order("6", "never-created", t0).with_expected_amount(Tiyin::new(1_000).unwrap()),
        Pending::payment(&fulfilled_uuid),
        Pending::payment(&draft_uuid),
    ];
    let report = reconciler.sweep_at(now(&sandbox), pending.clone(), credits.handler()).await;
    let f = &report.findings;
    assert_eq!(f.len(), 9, "eight asked, one left frozen: {f:#?}");
    assert!(matches!(of(f, &lost_uuid).kind, FindingKind::CreditedNow), "{:?}", of(f, &lost_uuid));
    assert!(matches!(of(f, &silent_uuid).kind, FindingKind::CreditedNow), "{:?}", of(f, &silent_uuid));
    let expired = of_order(f, "inv-expired");
    assert!(
        matches!(expired.kind, FindingKind::Expired { why: Expiry::InvoiceCancelled | Expiry::NoPaymentBeforeExpiry }),
        "{expired:?}"
    );
    assert!(matches!(of(f, &reverted_uuid).kind, FindingKind::Reverted), "{:?}", of(f, &reverted_uuid));
    let mismatch = of(f, &mismatch_uuid);
    assert!(
        matches!(mismatch.kind, FindingKind::AmountMismatch { expected: 99_999, payment_amount: 10_005, .. }),
        "{mismatch:?}"
    );
    let frozen = of(f, &frozen_uuid);
    assert!(matches!(frozen.kind, FindingKind::FrozenAwaitingCallback), "{frozen:?}");
    assert!(matches!(frozen.origin, Origin::LeftFrozen { attempts: 1, .. }), "swept by itself: {frozen:?}");
    let unknown = of_order(f, "never-created");
    assert!(matches!(unknown.kind, FindingKind::UnknownToMulticard { searched: Some(_) }), "{unknown:?}");
    assert!(
        matches!(of(f, &fulfilled_uuid).kind, FindingKind::AlreadyFulfilled { decision: StoredDecision::Accepted }),
        "{:?}",
        of(f, &fulfilled_uuid)
    );
    assert!(matches!(of(f, &draft_uuid).kind, FindingKind::Expired { why: Expiry::DraftPastTtl }));
    for finding in f {
        assert!(finding.store_id.is_some() && finding.invoice_id.is_some(), "names its store and order: {finding:?}");
    }

    // Each paid payment credited once: the callback's, and the two the
    // sweep found; never the frozen, mismatched or reverted ones.
    assert_eq!(credits.runs(), 3);
    let outbox = ledger.outbox();
    assert_eq!(outbox.len(), 3, "{outbox:#?}");
    assert_eq!(ledger.credited_by("6", "order-10001").as_deref(), Some(lost_uuid.as_str()));
    assert_eq!(ledger.credited_by("6", "order-10002").as_deref(), Some(silent_uuid.as_str()));
    for never in ["order-10005", "order-10006", "order-10004"] {
        assert_eq!(ledger.credited_by("6", never), None, "{never} is never credited");
    }
    let attention: Vec<_> = report.needs_attention().map(|f| f.kind.name()).collect();
    assert_eq!(attention, ["amount_mismatch", "unknown_to_multicard", "frozen_awaiting_callback"]);
    assert!(!report.all_reconciled());

    // The next sweep credits nothing again.
    let again = reconciler.sweep_at(now(&sandbox), pending, credits.handler()).await;
    assert!(matches!(of(&again.findings, &lost_uuid).kind, FindingKind::AlreadyFulfilled { .. }));
    assert!(matches!(of(&again.findings, &silent_uuid).kind, FindingKind::AlreadyFulfilled { .. }));
    assert_eq!((credits.runs(), ledger.outbox().len()), (3, 3), "nothing credited twice");
    assert_eq!(again.credited().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_callback_during_the_sweep_still_credits_the_order_once() {
    for callback_first in [true, false] {
        let (sandbox, multicard) = start(SandboxConfig::default()).await;
        let lost_answer = answering(lost()).await;
        let token = bound_card(&multicard).await;
        let (uuid, _) = paid(&multicard, &token, 20_000, Some(&lost_answer.uri())).await;
        sandbox.advance(Duration::ZERO).await;
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success);
        // The callback as Multicard sent it, to arrive again, late.
        let late = sandbox.deliveries().pop().expect("the callback was sent").body;

        let ledger = MemoryLedger::new();
        // Each handler works a while in the ledger's transaction: the other
        // path arrives meanwhile.
        let credits = Credits { delay: Duration::from_millis(400), ..Credits::default() };
        let merchant = ledger_merchant(&sandbox, &multicard, &ledger, &credits).await;
        let reconciler = Reconciler::new(multicard.clone(), ledger.clone());
        let at = now(&sandbox);
        let http = reqwest::Client::new();
        let callback = async {
            if !callback_first {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            let answer = http.post(&merchant).json(&late).send().await.expect("the merchant answers");
            (answer.status().as_u16(), answer.json::<serde_json::Value>().await.expect("JSON"))
        };
        let sweep = async {
            if callback_first {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            reconciler.sweep_at(at, vec![Pending::payment(&uuid)], credits.handler()).await
        };
        let ((status, answer), report) = tokio::join!(callback, sweep);

        assert_eq!((status, &answer["success"]), (200, &json!(true)), "callback_first {callback_first}: accepted");
        let finding = &report.findings[0];
        if callback_first {
            let replayed = FindingKind::AlreadyFulfilled { decision: StoredDecision::Accepted };
            assert_eq!(format!("{:?}", finding.kind), format!("{replayed:?}"), "the sweep waited and replayed");
        } else {
            assert!(matches!(finding.kind, FindingKind::CreditedNow), "{finding:?}");
        }
        assert_eq!(credits.runs(), 1, "callback_first {callback_first}: the handler credited once");
        assert_eq!(ledger.outbox().len(), 1, "callback_first {callback_first}: one effect committed");
        assert_eq!(ledger.credited_by("6", "order-20000").as_deref(), Some(uuid.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_inspection_credits_nothing_and_a_failed_read_is_kept() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let (uuid, _) = paid(&multicard, &token, 30_000, None).await;
    sandbox.advance(Duration::ZERO).await;
    let reconciler = Reconciler::read_only(multicard.clone());
    let report = reconciler.inspect_at(now(&sandbox), vec![Pending::payment(&uuid)]).await;
    assert!(matches!(report.findings[0].kind, FindingKind::PaidNotChecked), "{:?}", report.findings[0]);
    assert!(report.all_reconciled());

    // Multicard cannot be read: the item stays open, for the next sweep.
    let denied = json!({"success": false, "error": {"code": "ERROR_ACCESS_DENIED", "details": "denied"}});
    let fault = multicard_sandbox::Fault::Respond {
        status: 403,
        content_type: "application/json".into(),
        body: denied.to_string(),
    };
    sandbox.inject("get_payment", fault, 1);
    let report = reconciler.inspect_at(now(&sandbox), vec![Pending::payment(&uuid)]).await;
    let finding = &report.findings[0];
    assert!(matches!(finding.kind, FindingKind::ReadFailed { .. }), "{finding:?}");
    assert_eq!(finding.standing(), Standing::Open);
    assert_eq!(report.carry_over(), [Pending::payment(&uuid)]);
}

/// `get_payment` answering payment `uuid` of order `invoice_id` with
/// `status`, once.
fn answers_status(sandbox: &Sandbox, uuid: &str, invoice_id: &str, status: &str) {
    let data = json!({"uuid": uuid, "store_id": 6, "store_invoice_id": invoice_id, "payment_amount": 7_000,
        "total_amount": 7_000, "status": status, "added_on": sandbox.now().to_string()});
    let fault = multicard_sandbox::Fault::Respond {
        status: 200,
        content_type: "application/json".into(),
        body: json!({"success": true, "data": data}).to_string(),
    };
    sandbox.inject("get_payment", fault, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_status_is_never_final_and_error_is_final_only_after_the_quiet_period() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let ledger = MemoryLedger::new();
    let credits = Credits::default();
    let reconciler = Reconciler::new(multicard.clone(), ledger.clone());
    let uuid = "0b4f2c1e-1111-11f0-8000-000000000001";
    let item = || vec![Pending::payment(uuid)];

    answers_status(&sandbox, uuid, "order-odd", "processing");
    let report = reconciler.sweep_at(now(&sandbox), item(), credits.handler()).await;
    let finding = &report.findings[0];
    assert!(matches!(&finding.kind, FindingKind::UnknownStatus { status } if status == "processing"), "{finding:?}");
    assert_eq!(finding.standing(), Standing::NeedsAttention);
    assert_eq!((credits.runs(), ledger.outbox().len()), (0, 0), "never credited");

    // `error` once: still moving; still `error` after the quiet period
    // (30 s): expired. `success` in between would have started it again.
    let start_at = now(&sandbox);
    answers_status(&sandbox, uuid, "order-odd", "error");
    let report = reconciler.sweep_at(start_at, item(), credits.handler()).await;
    assert!(matches!(report.findings[0].kind, FindingKind::StillMoving), "{:?}", report.findings[0]);
    answers_status(&sandbox, uuid, "order-odd", "error");
    let report = reconciler.sweep_at(start_at + chrono::Duration::seconds(29), item(), credits.handler()).await;
    assert!(matches!(report.findings[0].kind, FindingKind::StillMoving), "{:?}", report.findings[0]);
    answers_status(&sandbox, uuid, "order-odd", "error");
    let report = reconciler.sweep_at(start_at + chrono::Duration::seconds(30), item(), credits.handler()).await;
    assert!(
        matches!(report.findings[0].kind, FindingKind::Expired { why: Expiry::ErrorPastQuietPeriod }),
        "{:?}",
        report.findings[0]
    );
    assert_eq!(credits.runs(), 0);
}

/// A sweep can run in a spawned task (a periodic service's loop).
#[tokio::test]
async fn a_sweep_runs_in_a_spawned_task() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let reconciler = Reconciler::new(multicard, MemoryLedger::new());
    let credits = Credits::default();
    let at = now(&sandbox);
    let task = tokio::spawn(async move { reconciler.sweep_at(at, Vec::new(), credits.handler()).await });
    assert!(task.await.unwrap().findings.is_empty());
}

/// Review (issue 24): a store with more payments in the search window than
/// the search reads (500 pages of 100) must not have a paid order called
/// expired: the search stops at its cap without having read the whole
/// window, so "nothing found" means "not read", and the finding must stay
/// open (read again), never `Expired` (reconciled, dropped from the next
/// sweep) while the order's payment sits beyond the cap, paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_cut_short_by_its_page_cap_never_calls_a_paid_order_expired() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let t0 = now(&sandbox);
    let (uuid, _) = paid(&multicard, &token, 30_000, None).await;
    sandbox.advance(Duration::from_secs(120)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success);

    // A busy store: the registry lists a million payments in the window,
    // other orders' first; the paid one is further down.
    let list: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            json!({"id": i, "uuid": format!("00000000-0000-4000-8000-{i:012}"), "status": "success",
            "payment_amount": 1_000, "store_invoice_id": format!("other-{i}"), "ps": "uzcard"})
        })
        .collect();
    let page = json!({"success": true, "data": {"pagination": {"total": 1_000_000, "offset": 0, "limit": 100},
        "stat": [], "list": list}});
    let fault = multicard_sandbox::Fault::Respond {
        status: 200,
        content_type: "application/json".into(),
        body: page.to_string(),
    };
    sandbox.inject("list_payments", fault, 500);

    let ledger = MemoryLedger::new();
    let credits = Credits::default();
    let reconciler = Reconciler::new(multicard.clone(), ledger.clone()).with_registry_grace(Duration::ZERO);
    let pending = vec![Pending::order("6", "order-30000", t0).expiring_at(t0)];
    let report = reconciler.sweep_at(now(&sandbox), pending.clone(), credits.handler()).await;
    let finding = &report.findings[0];
    assert!(!matches!(finding.kind, FindingKind::Expired { .. }), "a paid order called expired: {finding:?}");
    assert_ne!(finding.standing(), Standing::Reconciled, "{finding:?}");
    assert_eq!(report.carry_over(), pending, "kept for the next sweep");
}

/// Review (issue 24): a replica that committed its decision and died before
/// answering (or whose answer was lost) leaves the payment frozen in
/// `billing` at Multicard with resends off or used up: the order is
/// credited here, the money is not captured there, and Multicard may
/// cancel and refund it later. The sweep must not call that reconciled
/// (and drop it from the next sweep): someone must complete it in the
/// cabinet, or watch for its revert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decided_payment_still_frozen_in_billing_is_not_reconciled() {
    let config = SandboxConfig::default().with_frozen_payments(FrozenPayments::NeverResent);
    let (sandbox, multicard) = start(config).await;
    // The answer Multicard got: none in time, or a 500 (the replica died
    // after its commit).
    let died = answering(ResponseTemplate::new(500)).await;
    let token = bound_card(&multicard).await;
    let (uuid, _) = paid(&multicard, &token, 40_000, Some(&died.uri())).await;
    sandbox.advance(Duration::from_secs(120)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing);
    // The replica's commit: the order credited through the ledger.
    let ledger = MemoryLedger::new();
    let mut credit = PaymentCredit::for_tests("6", &uuid, "order-40000", 40_000);
    credit.status = PaymentStatus::Billing;
    let credits = Credits::default();
    assert!(ledger.fulfil(&credit, credits.handler()).await.credited());

    let reconciler = Reconciler::new(multicard.clone(), ledger.clone());
    let pending = vec![Pending::payment(&uuid)];
    let report = reconciler.sweep_at(now(&sandbox), pending.clone(), credits.handler()).await;
    let finding = &report.findings[0];
    assert_eq!(finding.status, Some(PaymentStatus::Billing), "{finding:?}");
    assert_ne!(finding.standing(), Standing::Reconciled, "credited here, frozen at Multicard: {finding:?}");
    assert!(!report.all_reconciled());
    assert_eq!(report.carry_over(), pending, "looked at again by the next sweep");
    assert_eq!(credits.runs(), 1, "never credited twice");
}

/// Review (issue 24): Multicard stops waiting for an answer after its
/// callback timeout and closes the connection; the server then drops the
/// merchant's request future, the ledger's attempt with it, mid-handler.
/// That attempt left the payment frozen as surely as a 500 did, so the
/// ledger must know it (`left_frozen`, which each sweep reads) or have
/// decided it; it must not vanish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_cut_off_by_the_callback_timeout_is_known_to_the_ledger() {
    let config = SandboxConfig::default()
        .with_frozen_payments(FrozenPayments::NeverResent)
        .with_callback_timeout(Duration::from_millis(500));
    let (sandbox, multicard) = start(config).await;
    let ledger = MemoryLedger::new();
    // The handler works longer than Multicard waits.
    let credits = Credits { delay: Duration::from_millis(1_500), ..Credits::default() };
    let merchant = ledger_merchant(&sandbox, &multicard, &ledger, &credits).await;
    let token = bound_card(&multicard).await;
    let (uuid, _) = paid(&multicard, &token, 50_000, Some(&merchant)).await;
    sandbox.advance(Duration::ZERO).await;
    // Past the handler's own time: whatever it was going to do is done.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing, "frozen by the timeout");
    let frozen = ledger.left_frozen().await.unwrap();
    let decided = ledger.decision("6", &uuid).await.unwrap();
    assert!(
        decided.is_some() || frozen.iter().any(|f| f.uuid == uuid),
        "the attempt vanished: neither decided nor left frozen ({frozen:?}); a sweep with no pending list never \
         finds this frozen payment"
    );
}

//! Settling lost writes, a soak (issue 25): thousands of mixed writes
//! through the public API against the sandbox, with lost answers, writes
//! applied late, debits whose outcome is unknown for a while, and reads that
//! lag behind writes, injected at random from a fixed seed. Every write
//! whose answer is lost is settled by the SDK's own settle
//! (`Multicard::settle_write`); a `StillMoving` verdict is settled again
//! once the sandbox moved (what the verdict says to do), and the write is
//! made again only when the verdict is `NotApplied`. At the end of each
//! write, the sandbox's state is read back through the public API: every
//! intended write must have been applied exactly once (no second refund, no
//! second charge, nothing the settle called applied missing, nothing it
//! called not applied landing later). `Undetermined` is counted apart: it is
//! the honest answer where no read can tell (a lost partial refund, a lost
//! full refund whose payment has not yet read `revert`).
//!
//! The settle runs on real time (short settings); the sandbox's money moves
//! only by `Sandbox::advance`, which a mover task calls while the settle
//! reads: early (inside the settle's window) or late (after it), by the
//! seeded draw. Writes run in lanes, each with its own sandbox and client,
//! so that one lane's faults and clock never touch another's.
//!
//! `SETTLE_SOAK_SEED` (default `0x255e_771e`), `SETTLE_SOAK_WRITES`
//! (default 3,000), `SETTLE_SOAK_LANES` (default 8). Exits non-zero on any
//! exactly-once violation.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use multicard_api::retry::RetryPolicy;
use multicard_api::settle::{LostWrite, Verdict};
use multicard_api::types::{self, ErrorCode, HoldStatus, PaymentStatus};
use multicard_api::{Error, Multicard, Settle};
use multicard_sandbox::{Fault, LateOutcome, Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};

/// A small seeded generator (xorshift64*), so that a run can be replayed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Never zero: xorshift stays at zero.
        Self(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| parse_number(&v)).unwrap_or(default)
}

fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim().replace('_', "");
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn ofd(amount: i64) -> Value {
    json!([{"qty": 1, "price": amount, "mxik": "06401004002000000", "total": amount, "package_code": "1506113", "name": "item"}])
}

/// The kinds of write the soak makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    ConfirmPayment,
    Refund,
    PartialRefund,
    ChargeHold,
    CancelHold,
    ConfirmPayout,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::ConfirmPayment,
        Kind::Refund,
        Kind::PartialRefund,
        Kind::ChargeHold,
        Kind::CancelHold,
        Kind::ConfirmPayout,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::ConfirmPayment => "confirm payment",
            Kind::Refund => "full refund",
            Kind::PartialRefund => "partial refund",
            Kind::ChargeHold => "hold charge",
            Kind::CancelHold => "hold cancel",
            Kind::ConfirmPayout => "payout confirm",
        }
    }

    fn operation(self) -> &'static str {
        match self {
            Kind::ConfirmPayment => "confirm_payment",
            Kind::Refund => "refund_payment",
            Kind::PartialRefund => "partial_refund_payment",
            Kind::ChargeHold => "charge_hold",
            Kind::CancelHold => "cancel_hold",
            Kind::ConfirmPayout => "confirm_payout",
        }
    }

    /// A debit: `Fault::DebitUnknown` reads `progress`, then ends.
    fn debits(self) -> bool {
        matches!(self, Kind::ConfirmPayment | Kind::ChargeHold | Kind::ConfirmPayout)
    }
}

/// What is injected into one attempt of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Injected {
    None,
    LoseAnswer,
    ApplyLater,
    /// `Fault::DebitUnknown`, ending in `success`.
    DebitLateSuccess,
    /// `Fault::DebitUnknown`, ending in `error`: the write did not apply.
    DebitLateError,
}

impl Injected {
    const ALL: [Injected; 5] = [
        Injected::None,
        Injected::LoseAnswer,
        Injected::ApplyLater,
        Injected::DebitLateSuccess,
        Injected::DebitLateError,
    ];

    fn name(self) -> &'static str {
        match self {
            Injected::None => "none",
            Injected::LoseAnswer => "lose answer",
            Injected::ApplyLater => "apply later",
            Injected::DebitLateSuccess => "debit unknown→success",
            Injected::DebitLateError => "debit unknown→error",
        }
    }
}

/// What one attempt ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The answer came: no settle.
    Answered,
    Applied,
    NotApplied,
    StillMoving,
    Undetermined,
    /// Refused or failed with a known outcome (not a lost answer).
    Failed,
}

impl Outcome {
    const ALL: [Outcome; 6] = [
        Outcome::Answered,
        Outcome::Applied,
        Outcome::NotApplied,
        Outcome::StillMoving,
        Outcome::Undetermined,
        Outcome::Failed,
    ];

    fn name(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Applied => "Applied",
            Outcome::NotApplied => "NotApplied",
            Outcome::StillMoving => "StillMoving",
            Outcome::Undetermined => "Undetermined",
            Outcome::Failed => "failed",
        }
    }

    fn of(verdict: &Verdict) -> Self {
        match verdict {
            Verdict::Applied { .. } => Outcome::Applied,
            Verdict::NotApplied { .. } => Outcome::NotApplied,
            Verdict::StillMoving { .. } => Outcome::StillMoving,
            _ => Outcome::Undetermined,
        }
    }
}

/// Counts, per kind.
#[derive(Debug, Default)]
struct Tally {
    writes: BTreeMap<Kind, u64>,
    attempts: BTreeMap<Kind, u64>,
    faults: BTreeMap<(Kind, Injected), u64>,
    stale: BTreeMap<Kind, u64>,
    /// The verdict each attempt ended with (after settling `StillMoving` again).
    outcomes: BTreeMap<(Kind, Outcome), u64>,
    /// Settles that answered `StillMoving` and were settled again.
    resettled: BTreeMap<Kind, u64>,
    retries: BTreeMap<Kind, u64>,
    /// Writes whose last attempt was `Undetermined` and that were applied
    /// (found by reading the sandbox back), and that were not.
    undetermined_applied: BTreeMap<Kind, u64>,
    undetermined_not_applied: BTreeMap<Kind, u64>,
    /// Writes still `NotApplied` after the last attempt.
    gave_up: BTreeMap<Kind, u64>,
    /// Writes that ended applied exactly once.
    exactly_once: BTreeMap<Kind, u64>,
    violations: Vec<String>,
}

fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, key: K) {
    *map.entry(key).or_default() += 1;
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        fn add<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
            for (k, v) in from {
                *into.entry(k).or_default() += v;
            }
        }
        add(&mut self.writes, other.writes);
        add(&mut self.attempts, other.attempts);
        add(&mut self.faults, other.faults);
        add(&mut self.stale, other.stale);
        add(&mut self.outcomes, other.outcomes);
        add(&mut self.resettled, other.resettled);
        add(&mut self.retries, other.retries);
        add(&mut self.undetermined_applied, other.undetermined_applied);
        add(&mut self.undetermined_not_applied, other.undetermined_not_applied);
        add(&mut self.exactly_once, other.exactly_once);
        add(&mut self.gave_up, other.gave_up);
        self.violations.extend(other.violations);
    }
}

/// The settle the soak gives every lost answer: short, so that thousands fit
/// in minutes.
fn settle() -> Settle {
    Settle::within(Duration::from_millis(400))
        .with_min_read_delay(Duration::from_millis(30))
        .with_error_quiet_period(Duration::from_millis(100))
        .with_poll_interval(Duration::from_millis(10))
}

/// How long the mover waits (real time) before it moves the sandbox: inside
/// the settle's window, or after it.
const EARLY: Duration = Duration::from_millis(40);
const LATE: Duration = Duration::from_millis(520);
/// How far back reads see while they lag (sandbox time).
const STALE_LAG: Duration = Duration::from_secs(5);
/// The most attempts per write (the first and three more after `NotApplied`).
const MAX_ATTEMPTS: u32 = 4;

/// One lane: a sandbox, the client under test, and a second client (as
/// another process would be) to probe the sandbox's state at the end.
struct Lane {
    lane: u64,
    sandbox: Sandbox,
    multicard: Multicard,
    probe: Multicard,
    token: String,
    rng: Rng,
    serial: u64,
    tally: Tally,
}

/// What one attempt wrote to: the target the final check reads.
#[derive(Debug, Clone)]
enum Target {
    Payment(String),
    Hold(String),
    Payout(String),
}

impl Lane {
    async fn start(lane: u64, seed: u64) -> Self {
        let config = SandboxConfig::default().with_otp_sms_limit(1_000_000);
        let sandbox = Sandbox::start_with(config).await.expect("the sandbox starts");
        let policy =
            RetryPolicy::default().with_base_delay(Duration::from_millis(5)).with_max_delay(Duration::from_millis(50));
        let multicard = Multicard::new(sandbox.config().with_retry_policy(policy.clone())).expect("a client");
        let probe = Multicard::new(sandbox.config().with_retry_policy(policy)).expect("a probe client");
        let add: types::AddCardRequest =
            body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
        let draft = multicard.send(|api| api.add_card().body(add.clone())).await.expect("add card");
        let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}));
        let card = multicard
            .send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone()))
            .await
            .expect("confirm card");
        // Lagging reads see nothing until the sandbox is older than the lag.
        sandbox.advance(Duration::from_secs(60)).await;
        let rng = Rng::new(seed.wrapping_add(lane.wrapping_mul(0x1000_0000_01b3)));
        Self { lane, sandbox, multicard, probe, token: card.card_token, rng, serial: 0, tally: Tally::default() }
    }

    fn invoice(&mut self, what: &str) -> String {
        self.serial += 1;
        format!("soak-{}-{what}-{}", self.lane, self.serial)
    }

    fn amount(&mut self) -> i64 {
        // Even, so that half of it is a whole number of tiyin.
        2 * (500 + self.rng.below(50_000) as i64)
    }

    async fn draft_payment(&mut self, amount: i64) -> String {
        let invoice = self.invoice("payment");
        let request: types::CreatePaymentRequest =
            body(json!({"card": {"token": self.token}, "amount": amount, "store_id": 6, "invoice_id": invoice}));
        self.multicard.send(|api| api.create_payment().body(request.clone())).await.expect("create payment").uuid
    }

    async fn paid_payment(&mut self, amount: i64) -> String {
        let uuid = self.draft_payment(amount).await;
        let empty: types::ConfirmPaymentRequest = body(json!({}));
        let paid = self
            .multicard
            .send(|api| api.confirm_payment().uuid(uuid.as_str()).body(empty.clone()))
            .await
            .expect("confirm payment");
        assert_eq!(paid.status, PaymentStatus::Success, "set-up payment paid");
        uuid
    }

    async fn active_hold(&mut self, amount: i64) -> String {
        let invoice = self.invoice("hold");
        let request: types::CreateHoldRequest = body(json!({"card": {"token": self.token}, "amount": amount,
            "store_id": 6, "invoice_id": invoice, "expiry": 60}));
        let id = self.multicard.send(|api| api.create_hold().body(request.clone())).await.expect("a hold").id;
        let id = id.to_string();
        let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
        self.multicard
            .send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone()))
            .await
            .expect("hold active");
        id
    }

    async fn draft_payout(&mut self, amount: i64) -> String {
        let invoice = self.invoice("payout");
        let request: types::CreatePayoutRequest = body(json!({"card": {"token": self.token}, "amount": amount,
            "store_id": 6, "invoice_id": invoice, "confirmable": true}));
        self.multicard.send(|api| api.create_payout().body(request.clone())).await.expect("a payout").uuid
    }

    /// Sends the write of `kind` to `target`; `Ok` when its answer came.
    async fn send(&self, kind: Kind, target: &Target, amount: i64) -> Result<(), Error> {
        let m = &self.multicard;
        match (kind, target) {
            (Kind::ConfirmPayment, Target::Payment(uuid)) => {
                let empty: types::ConfirmPaymentRequest = body(json!({}));
                m.send(|api| api.confirm_payment().uuid(uuid.as_str()).body(empty.clone())).await.map(drop)
            }
            (Kind::Refund, Target::Payment(uuid)) => {
                m.send(|api| api.refund_payment().uuid(uuid.as_str())).await.map(drop)
            }
            (Kind::PartialRefund, Target::Payment(uuid)) => {
                let request: types::PartialRefundRequest = body(json!({"refund_amount": amount, "ofd": ofd(amount)}));
                m.send(|api| api.partial_refund_payment().uuid(uuid.as_str()).body(request.clone())).await.map(drop)
            }
            (Kind::ChargeHold, Target::Hold(id)) => {
                let request: types::ChargeHoldRequest = body(json!({"amount": amount}));
                m.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(request.clone())).await.map(drop)
            }
            (Kind::CancelHold, Target::Hold(id)) => {
                m.send(|api| api.cancel_hold().payment_uuid(id.as_str())).await.map(drop)
            }
            (Kind::ConfirmPayout, Target::Payout(uuid)) => {
                let otp: types::ConfirmPayoutRequest = body(json!({"otp": TEST_OTP}));
                m.send(|api| api.confirm_payout().payment_uuid(uuid.as_str()).body(otp.clone())).await.map(drop)
            }
            (kind, target) => unreachable!("{kind:?} on {target:?}"),
        }
    }

    fn draw_fault(&mut self, kind: Kind) -> Injected {
        let roll = self.rng.below(100);
        match roll {
            0..20 => Injected::None,
            20..55 => Injected::LoseAnswer,
            55..80 => Injected::ApplyLater,
            80..90 if kind.debits() => Injected::DebitLateSuccess,
            80..90 => Injected::LoseAnswer,
            _ if kind.debits() => Injected::DebitLateError,
            _ => Injected::ApplyLater,
        }
    }

    /// Settles `lost` while a mover moves the sandbox on by `by` after
    /// `wait` (real time); settles again while it reads `StillMoving`, once
    /// the mover is done (at most twice more).
    async fn settle(&mut self, kind: Kind, lost: &LostWrite, wait: Duration, by: Duration) -> Verdict {
        let mover = async {
            tokio::time::sleep(wait).await;
            self.sandbox.advance(by).await;
        };
        let (mut verdict, ()) = tokio::join!(self.multicard.settle_write(lost, settle()), mover);
        for _ in 0..2 {
            if !matches!(verdict, Verdict::StillMoving { .. }) {
                break;
            }
            bump(&mut self.tally.resettled, kind);
            verdict = self.multicard.settle_write(lost, settle()).await;
        }
        verdict
    }

    /// One intended write of `kind`, made until it is applied or a verdict
    /// other than `NotApplied` says to stop; then read back.
    async fn write(&mut self, kind: Kind) {
        bump(&mut self.tally.writes, kind);
        let amount = self.amount();
        // The target that stays the same across attempts (a payment to
        // refund, a hold), made before the first one.
        let fixed = match kind {
            Kind::Refund | Kind::PartialRefund => Some(Target::Payment(self.paid_payment(amount).await)),
            Kind::ChargeHold | Kind::CancelHold => Some(Target::Hold(self.active_hold(amount).await)),
            Kind::ConfirmPayment | Kind::ConfirmPayout => None,
        };
        let sent_amount = if kind == Kind::PartialRefund { amount / 2 } else { amount };
        let mut attempts: Vec<(Target, Outcome, Injected)> = Vec::new();
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                bump(&mut self.tally.retries, kind);
            }
            bump(&mut self.tally.attempts, kind);
            // A payment or payout that failed is final: the write is made
            // again on a new one (as a merchant would).
            let target = match (&fixed, kind) {
                (Some(target), _) => target.clone(),
                (None, Kind::ConfirmPayment) => Target::Payment(self.draft_payment(amount).await),
                (None, _) => Target::Payout(self.draft_payout(amount).await),
            };
            let injected = self.draw_fault(kind);
            let stale = injected != Injected::None && self.rng.chance(30);
            let late = self.rng.chance(25);
            let delay = Duration::from_secs(5 + self.rng.below(26));
            bump(&mut self.tally.faults, (kind, injected));
            if stale {
                bump(&mut self.tally.stale, kind);
                self.sandbox.set_stale_reads(STALE_LAG);
            }
            let fault = match injected {
                Injected::None => None,
                Injected::LoseAnswer => Some(Fault::LoseAnswer),
                Injected::ApplyLater => Some(Fault::ApplyLater(delay)),
                Injected::DebitLateSuccess => Some(Fault::DebitUnknown { after: delay, then: LateOutcome::Success }),
                Injected::DebitLateError => Some(Fault::DebitUnknown { after: delay, then: LateOutcome::Error }),
            };
            if let Some(fault) = fault {
                self.sandbox.inject(kind.operation(), fault, 1);
            }
            let outcome = match self.send(kind, &target, sent_amount).await {
                Ok(()) => Outcome::Answered,
                Err(error) => match error.lost_write() {
                    Some(lost) => {
                        let by = if stale { delay.max(STALE_LAG) } else { delay };
                        let wait = if late { LATE } else { EARLY };
                        let verdict = self.settle(kind, lost, wait, by).await;
                        Outcome::of(&verdict)
                    }
                    None => {
                        self.tally.violations.push(format!(
                            "lane {} {}: attempt {attempt} ({}) failed with a known outcome: {error}",
                            self.lane,
                            kind.name(),
                            injected.name()
                        ));
                        Outcome::Failed
                    }
                },
            };
            if stale {
                self.sandbox.set_stale_reads(Duration::ZERO);
            }
            // A fault a refused write left unused must not hit the next one.
            self.sandbox.clear_faults();
            // Anything the fault held back has run by now (the mover moved
            // the sandbox on by at least its delay).
            self.sandbox.advance(Duration::ZERO).await;
            bump(&mut self.tally.outcomes, (kind, outcome));
            attempts.push((target, outcome, injected));
            if outcome != Outcome::NotApplied {
                break;
            }
        }
        self.check(kind, amount, &attempts).await;
    }

    /// Reads the sandbox back: how many times the intended write applied,
    /// against what the settles said.
    async fn check(&mut self, kind: Kind, amount: i64, attempts: &[(Target, Outcome, Injected)]) {
        let mut landed = 0u32;
        let mut problems = Vec::new();
        // A refund, a charge and a cancel address one payment or hold
        // across every attempt: it is read once, for the total (a wrong
        // `NotApplied` there shows as a retry the API refused: `failed`).
        // A confirm is made again on a new payment or payout: each is read.
        let reads: Vec<(usize, &Target)> = if fixed_target(kind) {
            attempts.last().map(|a| (attempts.len() - 1, &a.0)).into_iter().collect()
        } else {
            attempts.iter().enumerate().map(|(n, a)| (n, &a.0)).collect()
        };
        for (n, target) in reads {
            let (_, outcome, injected) = attempts[n];
            let applied = match self.applications(kind, amount, target).await {
                Ok(applied) => applied,
                Err(why) => {
                    problems.push(format!("attempt {n}: {why}"));
                    continue;
                }
            };
            landed += applied;
            let wrong = match outcome {
                Outcome::Answered | Outcome::Applied => applied != 1,
                Outcome::NotApplied => applied != 0,
                Outcome::StillMoving | Outcome::Undetermined | Outcome::Failed => false,
            };
            if wrong {
                problems.push(format!(
                    "attempt {n} ({}, {}): applied {applied} time(s) in the sandbox",
                    injected.name(),
                    outcome.name()
                ));
            }
        }
        let (last_outcome, last_injected) = attempts.last().map(|a| (a.1, a.2)).expect("one attempt at least");
        if landed > 1 {
            problems.push(format!("applied {landed} times"));
        }
        if matches!(last_outcome, Outcome::Undetermined | Outcome::StillMoving) {
            if landed == 0 {
                bump(&mut self.tally.undetermined_not_applied, kind);
            } else {
                bump(&mut self.tally.undetermined_applied, kind);
            }
        }
        if landed == 1 {
            bump(&mut self.tally.exactly_once, kind);
        } else if landed == 0 && last_injected != Injected::DebitLateError {
            // Every other fault applies the write (at once or later).
            problems.push("never applied, though its fault applies it".into());
        }
        if landed == 0 && last_outcome == Outcome::NotApplied {
            bump(&mut self.tally.gave_up, kind);
        }
        if !problems.is_empty() {
            let faults: Vec<_> = attempts.iter().map(|a| format!("{}→{}", a.2.name(), a.1.name())).collect();
            self.tally.violations.push(format!(
                "lane {} {} #{}: {} [{}]",
                self.lane,
                kind.name(),
                self.serial,
                problems.join("; "),
                faults.join(", ")
            ));
        }
    }

    /// How many times the write of `kind` applied to `target`, by reads of
    /// the sandbox through the public API (reads are current here).
    async fn applications(&self, kind: Kind, amount: i64, target: &Target) -> Result<u32, String> {
        let m = &self.multicard;
        match (kind, target) {
            (Kind::ConfirmPayment, Target::Payment(uuid)) => {
                let read = m.send(|api| api.get_payment().uuid(uuid.as_str())).await.map_err(|e| e.to_string())?;
                Ok(match read.status {
                    PaymentStatus::Success | PaymentStatus::Revert => 1,
                    PaymentStatus::Error | PaymentStatus::Draft => 0,
                    other => return Err(format!("the payment reads `{other}`")),
                })
            }
            (Kind::Refund, Target::Payment(uuid)) => {
                // A second full refund is refused by the API (the payment
                // is no longer `success`): `revert` is one.
                let read = m.send(|api| api.get_payment().uuid(uuid.as_str())).await.map_err(|e| e.to_string())?;
                Ok(u32::from(read.status == PaymentStatus::Revert))
            }
            (Kind::PartialRefund, Target::Payment(uuid)) => {
                // Half the payment refunded: once leaves it `success`, twice
                // makes it `revert`. Whether once or never, a probe tells:
                // another client asks to refund one tiyin more than what is
                // left after one refund; the API refuses it only if the
                // refund was made.
                let read = m.send(|api| api.get_payment().uuid(uuid.as_str())).await.map_err(|e| e.to_string())?;
                match read.status {
                    PaymentStatus::Revert => return Ok(2),
                    PaymentStatus::Success => {}
                    other => return Err(format!("the payment reads `{other}`")),
                }
                let probe = amount / 2 + 1;
                let request: types::PartialRefundRequest = body(json!({"refund_amount": probe, "ofd": ofd(probe)}));
                match self
                    .probe
                    .send(|api| api.partial_refund_payment().uuid(uuid.as_str()).body(request.clone()))
                    .await
                {
                    Ok(_) => Ok(0),
                    // The API's refusal: more than what is left. (The SDK
                    // classes `ERROR_FIELDS` on a refund as an unknown
                    // outcome; the sandbox sends it only as a refusal.)
                    Err(error) if error.code() == Some(&ErrorCode::ErrorFields) => Ok(1),
                    Err(error) => Err(format!("the probe failed otherwise: {error}")),
                }
            }
            (Kind::ChargeHold, Target::Hold(id)) => {
                // A charged hold cannot be charged again: `success` is one.
                let hold = m.send(|api| api.get_hold().payment_uuid(id.as_str())).await.map_err(|e| e.to_string())?;
                Ok(u32::from(hold.status == HoldStatus::Success))
            }
            (Kind::CancelHold, Target::Hold(id)) => {
                let hold = m.send(|api| api.get_hold().payment_uuid(id.as_str())).await.map_err(|e| e.to_string())?;
                Ok(u32::from(hold.status == HoldStatus::Canceled))
            }
            (Kind::ConfirmPayout, Target::Payout(uuid)) => {
                let read =
                    m.send(|api| api.get_payout().payment_uuid(uuid.as_str())).await.map_err(|e| e.to_string())?;
                Ok(match read.status {
                    PaymentStatus::Success | PaymentStatus::Revert => 1,
                    PaymentStatus::Error | PaymentStatus::Draft => 0,
                    other => return Err(format!("the payout reads `{other}`")),
                })
            }
            (kind, target) => unreachable!("{kind:?} on {target:?}"),
        }
    }
}

/// Whether every attempt of `kind` addresses the same payment or hold.
fn fixed_target(kind: Kind) -> bool {
    matches!(kind, Kind::Refund | Kind::PartialRefund | Kind::ChargeHold | Kind::CancelHold)
}

async fn run_lane(lane: u64, seed: u64, writes: u64) -> Tally {
    let mut lane = Lane::start(lane, seed).await;
    for _ in 0..writes {
        let kind = Kind::ALL[lane.rng.below(Kind::ALL.len() as u64) as usize];
        lane.write(kind).await;
    }
    lane.tally
}

fn table(tally: &Tally, seed: u64, writes: u64, lanes: u64, wall: Duration) -> String {
    let total = |map: &BTreeMap<Kind, u64>| map.values().sum::<u64>();
    let get = |map: &BTreeMap<Kind, u64>, kind| map.get(&kind).copied().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "settle soak: seed {seed:#x}, {writes} writes in {lanes} lanes, wall time {:.1} s",
        wall.as_secs_f64()
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| write | writes | attempts | retries (after NotApplied) | applied exactly once | Undetermined or StillMoving last, applied | Undetermined or StillMoving last, not applied | NotApplied after the last attempt |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for kind in Kind::ALL {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            kind.name(),
            get(&tally.writes, kind),
            get(&tally.attempts, kind),
            get(&tally.retries, kind),
            get(&tally.exactly_once, kind),
            get(&tally.undetermined_applied, kind),
            get(&tally.undetermined_not_applied, kind),
            get(&tally.gave_up, kind),
        );
    }
    let _ = writeln!(
        out,
        "| **all** | {} | {} | {} | {} | {} | {} | {} |",
        total(&tally.writes),
        total(&tally.attempts),
        total(&tally.retries),
        total(&tally.exactly_once),
        total(&tally.undetermined_applied),
        total(&tally.undetermined_not_applied),
        total(&tally.gave_up),
    );
    let _ = writeln!(out);
    let _ = write!(out, "| faults per attempt |");
    for injected in Injected::ALL {
        let _ = write!(out, " {} |", injected.name());
    }
    let _ = writeln!(out, " + stale reads |");
    let _ = writeln!(out, "|---|{}---:|", "---:|".repeat(Injected::ALL.len()));
    for kind in Kind::ALL {
        let _ = write!(out, "| {} |", kind.name());
        for injected in Injected::ALL {
            let _ = write!(out, " {} |", tally.faults.get(&(kind, injected)).copied().unwrap_or(0));
        }
        let _ = writeln!(out, " {} |", get(&tally.stale, kind));
    }
    let _ = writeln!(out);
    let _ = write!(out, "| verdicts per attempt |");
    for outcome in Outcome::ALL {
        let _ = write!(out, " {} |", outcome.name());
    }
    let _ = writeln!(out, " StillMoving settled again |");
    let _ = writeln!(out, "|---|{}---:|", "---:|".repeat(Outcome::ALL.len()));
    let mut sums = [0u64; Outcome::ALL.len()];
    for kind in Kind::ALL {
        let _ = write!(out, "| {} |", kind.name());
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            let n = tally.outcomes.get(&(kind, outcome)).copied().unwrap_or(0);
            sums[i] += n;
            let _ = write!(out, " {n} |");
        }
        let _ = writeln!(out, " {} |", get(&tally.resettled, kind));
    }
    let _ = write!(out, "| **all** |");
    for n in sums {
        let _ = write!(out, " {n} |");
    }
    let _ = writeln!(out, " {} |", total(&tally.resettled));
    let _ = writeln!(out);
    let _ = writeln!(out, "exactly-once violations: {}", tally.violations.len());
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seed = env_number("SETTLE_SOAK_SEED", 0x255e_771e);
    let writes = env_number("SETTLE_SOAK_WRITES", 3_000);
    let lanes = env_number("SETTLE_SOAK_LANES", 8).max(1);
    let started = Instant::now();
    let runs: Vec<_> = (0..lanes)
        .map(|lane| {
            let share = writes / lanes + u64::from(lane < writes % lanes);
            tokio::spawn(run_lane(lane, seed, share))
        })
        .collect();
    let mut tally = Tally::default();
    for run in runs {
        tally.merge(run.await.expect("a lane ran to its end"));
    }
    let wall = started.elapsed();
    println!("{}", table(&tally, seed, writes, lanes, wall));
    for violation in &tally.violations {
        println!("violation: {violation}");
    }
    if !tally.violations.is_empty() {
        std::process::exit(1);
    }
}

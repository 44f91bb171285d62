//! The money decisions of issue 21, end to end against the sandbox, under
//! every way it may treat a frozen payment (never sent again, sent again,
//! reverted after a while): a merchant whose handler takes the SDK's
//! `ConfirmedSuccess` accepts a genuine callback while the payment reads
//! `billing`, refuses one on purpose, answers 500 while its storage is down,
//! and meets a delivery whose answer Multicard never saw. Time moves by the
//! sandbox's clock only.

use std::time::Duration;

use multicard_api::types::PaymentStatus;
use multicard_api_tests::money::{ConfirmingMerchant, Decide, bound_card, frozen_configurations, paid, payment, start};
use multicard_sandbox::{DeliveryFault, DeliveryOutcome, FrozenPayments, SandboxConfig};

const DAY: Duration = Duration::from_secs(86_400);

/// The outcomes of the success callbacks sent, in order.
fn outcomes(sandbox: &multicard_sandbox::Sandbox) -> Vec<DeliveryOutcome> {
    sandbox.deliveries().iter().filter(|d| d.kind == "success").map(|d| d.outcome).collect()
}

#[tokio::test]
async fn accepted_while_billing_granted_once() {
    for frozen in frozen_configurations() {
        let (sandbox, multicard) = start(SandboxConfig::default().with_frozen_payments(frozen)).await;
        let merchant = ConfirmingMerchant::start(&multicard, sandbox.secret()).await;
        let token = bound_card(&multicard).await;
        let (uuid, answered) = paid(&multicard, &token, 10_000, Some(&merchant.url)).await;
        assert_eq!(answered, PaymentStatus::Billing, "{frozen:?}");
        sandbox.advance(DAY).await;
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success, "{frozen:?}");
        assert_eq!((merchant.runs(), merchant.granted()), (1, vec![uuid.clone()]), "{frozen:?}");
        assert_eq!(outcomes(&sandbox), [DeliveryOutcome::Accepted], "{frozen:?}");
    }
}

#[tokio::test]
async fn refused_on_purpose_cancelled_and_never_sent_again() {
    for frozen in frozen_configurations() {
        let (sandbox, multicard) = start(SandboxConfig::default().with_frozen_payments(frozen)).await;
        let merchant = ConfirmingMerchant::start(&multicard, sandbox.secret()).await;
        merchant.decide(Decide::Refuse);
        let token = bound_card(&multicard).await;
        let (uuid, _) = paid(&multicard, &token, 11_000, Some(&merchant.url)).await;
        sandbox.advance(DAY).await;
        let read = payment(&multicard, &uuid).await;
        assert_eq!(read.status, PaymentStatus::Revert, "{frozen:?}: cancelled and refunded");
        assert!(read.refund_time.is_some());
        assert_eq!((merchant.runs(), merchant.granted().len()), (1, 0), "{frozen:?}");
        assert_eq!(outcomes(&sandbox), [DeliveryOutcome::Refused], "{frozen:?}");
    }
}

#[tokio::test]
async fn a_merchant_that_cannot_decide_freezes_the_payment_which_ends_as_configured() {
    for frozen in frozen_configurations() {
        let (sandbox, multicard) = start(SandboxConfig::default().with_frozen_payments(frozen)).await;
        let merchant = ConfirmingMerchant::start(&multicard, sandbox.secret()).await;
        merchant.decide(Decide::RetryLater);
        let token = bound_card(&multicard).await;
        let (uuid, _) = paid(&multicard, &token, 12_000, Some(&merchant.url)).await;
        sandbox.advance(Duration::ZERO).await;
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing, "{frozen:?}: frozen");
        merchant.decide(Decide::Accept); // the storage is back
        sandbox.advance(DAY).await;
        let status = payment(&multicard, &uuid).await.status;
        match frozen {
            FrozenPayments::NeverResent => {
                assert_eq!(status, PaymentStatus::Billing, "never sent again: frozen for good");
                assert!(merchant.granted().is_empty());
            }
            FrozenPayments::Resent { .. } => {
                assert_eq!(status, PaymentStatus::Success, "sent again and accepted");
                assert_eq!((merchant.runs(), merchant.granted()), (2, vec![uuid.clone()]));
                assert_eq!(outcomes(&sandbox), [DeliveryOutcome::Frozen, DeliveryOutcome::Accepted]);
            }
            FrozenPayments::RevertedAfter(_) => {
                assert_eq!(status, PaymentStatus::Revert, "reverted while frozen");
                assert!(merchant.granted().is_empty(), "nothing granted for a reverted payment");
            }
            other => panic!("a configuration this test does not know: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_delivery_whose_answer_was_lost_after_the_order_was_granted() {
    for frozen in frozen_configurations() {
        let (sandbox, multicard) = start(SandboxConfig::default().with_frozen_payments(frozen)).await;
        let merchant = ConfirmingMerchant::start(&multicard, sandbox.secret()).await;
        let token = bound_card(&multicard).await;
        sandbox.inject_delivery(DeliveryFault::TimedOut, 1);
        let (uuid, _) = paid(&multicard, &token, 13_000, Some(&merchant.url)).await;
        sandbox.advance(Duration::ZERO).await;
        assert_eq!(merchant.granted(), vec![uuid.clone()], "{frozen:?}: the merchant granted the order");
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing, "{frozen:?}: Multicard froze it");
        sandbox.advance(DAY).await;
        let status = payment(&multicard, &uuid).await.status;
        assert_eq!(merchant.granted(), vec![uuid.clone()], "{frozen:?}: never granted twice");
        let expected = match frozen {
            FrozenPayments::NeverResent => PaymentStatus::Billing,
            FrozenPayments::Resent { .. } => PaymentStatus::Success,
            // The order was granted and the payment is refunded: the
            // merchant learns it only by reading the payment (or a webhook).
            _ => PaymentStatus::Revert,
        };
        assert_eq!(status, expected, "{frozen:?}");
        if let FrozenPayments::Resent { .. } = frozen {
            assert_eq!(merchant.runs(), 2, "the repeat was answered accept again");
        }
    }
}

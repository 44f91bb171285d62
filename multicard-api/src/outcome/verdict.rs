//! After "confirmed earlier": one read of the payment says what the earlier
//! confirmation came to.

use crate::error::Error;
use crate::multicard::Multicard;
use crate::outcome::kinds::PaymentVerdict;

impl Multicard {
    /// Reads payment `uuid` once and says what an earlier, accepted
    /// confirmation of it came to: [`PaymentVerdict::Paid`] (`success`),
    /// [`PaymentVerdict::Declined`] (`error`), [`PaymentVerdict::Reverted`]
    /// (`revert`), or [`PaymentVerdict::Moving`] (anything else, statuses
    /// this SDK does not know included).
    ///
    /// Use it after `confirm_payment` answered `ERROR_FIELDS` "Платеж
    /// подтвержден ранее" ([`FieldsReason::AlreadyConfirmed`](crate::outcome::FieldsReason::AlreadyConfirmed)):
    /// that answer means an earlier confirm was accepted, **not** that the
    /// payer was debited. Never confirm the payment again; on `Moving`,
    /// read again later (`Multicard::settle_payment`) or wait for the
    /// callback. A failed read is returned as it is.
    ///
    /// ```no_run
    /// # async fn demo(multicard: multicard_api::Multicard, uuid: &str) -> Result<(), multicard_api::Error> {
    /// use multicard_api::outcome::{FieldsReason, PaymentVerdict};
    /// let otp: multicard_api::types::ConfirmPaymentRequest = serde_json::from_str(r#"{"otp": "112233"}"#).unwrap();
    /// match multicard.send(|api| api.confirm_payment().uuid(uuid).body(otp.clone())).await {
    ///     Ok(payment) => println!("{}", payment.status),
    ///     Err(error) if error.fields_reason() == Some(FieldsReason::AlreadyConfirmed) => {
    ///         match multicard.after_already_confirmed(uuid).await? {
    ///             PaymentVerdict::Paid(_) => println!("paid"),
    ///             other => println!("not paid (yet): {}", other.payment().status),
    ///         }
    ///     }
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn after_already_confirmed(&self, uuid: &str) -> Result<PaymentVerdict, Error> {
        let payment = self.send(|api| api.get_payment().uuid(uuid)).await?;
        Ok(PaymentVerdict::of(payment))
    }
}

//! A lost `create_*` settled by what it created: the merchant's
//! `invoice_id` searched in the store's registry
//! ([`Multicard::find_lost_create`]), the row found read back by its uuid.

use super::verdict::{LastRead, Verdict};
use super::write::Write;
use super::{Settle, shown};
use crate::lost_create::{CreateKind, Found, LostCreate};
use crate::multicard::Multicard;
use crate::time::MulticardDateTime;

impl Multicard {
    /// The verdict on a lost create of `write`, sent at `sent_at`: `Applied`
    /// when exactly one row of the store's registry has its invoice id (the
    /// row read back by its uuid); `Undetermined` otherwise, never
    /// `NotApplied`: no registry row is proof that nothing was created (the
    /// registry lags, an unpaid invoice has no row), and several rows cannot
    /// say which one is this create.
    pub(super) async fn settle_lost_create(
        &self,
        write: &Write,
        store_id: &str,
        invoice_id: &str,
        sent_at: MulticardDateTime,
        settle: &Settle,
    ) -> Verdict {
        let kind = match write {
            Write::CreatePayout { .. } => CreateKind::Payout,
            Write::CreateInvoice { .. } => CreateKind::Invoice,
            _ => CreateKind::Payment,
        };
        let search = LostCreate::new(kind, store_id, invoice_id, sent_at).wait_at_most(settle.within);
        let undetermined = |why: String| Verdict::Undetermined { last: None, why };
        let id = shown(invoice_id);
        match self.find_lost_create(&search).await {
            Ok(Found::Created { row, .. }) => {
                let uuid = row.uuid().to_string();
                let read = match kind {
                    CreateKind::Payout => self
                        .send(|api| api.get_payout().payment_uuid(uuid.as_str()))
                        .await
                        .map(|payout| LastRead::Payout(Box::new(payout))),
                    _ => self
                        .send(|api| api.get_payment().uuid(uuid.as_str()))
                        .await
                        .map(|payment| LastRead::Payment(Box::new(payment))),
                };
                match read {
                    Ok(last) => Verdict::Applied {
                        last,
                        why: format!("the registry lists one row with invoice_id `{id}`: it was created"),
                    },
                    Err(error) => undetermined(format!(
                        "the registry lists one row with invoice_id `{id}` (uuid {}), which could not be read: {error}",
                        shown(&uuid)
                    )),
                }
            }
            Ok(Found::Ambiguous { rows, .. }) => undetermined(format!(
                "the registry lists {} rows with invoice_id `{id}`; which one is this create it cannot tell",
                rows.len()
            )),
            Ok(Found::AmountMismatch { expected, .. }) => {
                undetermined(format!("the registry lists a row with invoice_id `{id}` but not the amount {expected}"))
            }
            Ok(Found::NotFound { searched }) => undetermined(format!(
                "no row with invoice_id `{id}` in the registry from {} to {}; that is no proof it was not \
                 created (the registry lags; an unpaid invoice has no row): search again later, and create \
                 again only with the same invoice_id",
                searched.window.start, searched.window.end
            )),
            Ok(Found::TooEarly { window, .. }) => undetermined(format!(
                "the registry window for invoice_id `{id}` ends at {} (Multicard's clock), after this settle's \
                 deadline; search again then",
                window.end
            )),
            Err(error) => undetermined(format!("the registry search for invoice_id `{id}` failed: {error}")),
        }
    }
}

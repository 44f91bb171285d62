//! One line of a fiscal receipt, as the merchant describes it.

use crate::money::Tiyin;

/// A line of a fiscal receipt: a product or service, its codes from the tax
/// authority's catalogue (tasnif.soliq.uz), unit price and quantity.
///
/// Nothing is checked until [`ReceiptBuilder::build`](super::ReceiptBuilder::build),
/// which names the line and the field of each mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub(super) name: String,
    pub(super) mxik: String,
    pub(super) package_code: String,
    pub(super) price: Tiyin,
    pub(super) qty: u32,
    pub(super) vat: Option<u8>,
    pub(super) discount: Tiyin,
    pub(super) tin: Option<String>,
    pub(super) marks: Option<Vec<String>>,
}

impl Item {
    /// `qty` units of `name` at `price` each. `mxik` is the product's
    /// 17-digit code (ИКПУ) and `package_code` its package code, both from
    /// tasnif.soliq.uz.
    pub fn new(
        name: impl Into<String>,
        mxik: impl Into<String>,
        package_code: impl Into<String>,
        price: Tiyin,
        qty: u32,
    ) -> Item {
        Item {
            name: name.into(),
            mxik: mxik.into(),
            package_code: package_code.into(),
            price,
            qty,
            vat: None,
            discount: Tiyin::ZERO,
            tin: None,
            marks: None,
        }
    }

    /// The VAT rate, in percent (e.g. 12).
    pub fn vat(mut self, percent: u8) -> Item {
        self.vat = Some(percent);
        self
    }

    /// A discount on the whole line. Multicard's receipt item has no
    /// discount field (its `total` is "without discounts"), so the discount
    /// lowers the unit price the receipt lists: it must divide evenly by
    /// the quantity (split the line otherwise), and may not exceed the line.
    pub fn discount(mut self, discount: Tiyin) -> Item {
        self.discount = discount;
        self
    }

    /// The taxpayer number (ИНН) of the company selling this line, when it
    /// is not the merchant (a marketplace's seller).
    pub fn tin(mut self, tin: impl Into<String>) -> Item {
        self.tin = Some(tin.into());
        self
    }

    /// Goods with marking codes: one code per unit, so exactly `qty` codes.
    /// Multicard requires them for marked goods; the builder refuses a
    /// marked line whose codes are missing or do not match the quantity,
    /// and a code another unit of the receipt already has.
    pub fn marked<I, S>(mut self, codes: I) -> Item
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.marks = Some(codes.into_iter().map(Into::into).collect());
        self
    }
}

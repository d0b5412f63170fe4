//! Money is integer fen (分), CNY, never floating point (DOMAIN.md).
//!
//! Every amount that enters the core is bounded by [`MAX_AMOUNT_FEN`] so that
//! sums of a realistic number of lines cannot overflow, and every sum is checked
//! anyway: a total that would overflow is an error, never a wrap-around.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest single amount the core accepts: 10 million yuan. Anything larger
/// on a repair visit is a typing error, not a price.
pub const MAX_AMOUNT_FEN: i64 = 1_000_000_000;

/// The largest total (sum of lines, quantity × price) the core computes:
/// a hundred times the largest single amount. Beyond it a total is an error.
pub const MAX_TOTAL_FEN: i64 = 100 * MAX_AMOUNT_FEN;

/// An amount of money in fen (1 yuan = 100 fen). Never negative.
///
/// Decoding goes through [`TryFrom<i64>`], so an amount read from JSON (a
/// pushed op, a stored visit) is bounded like every other: a negative or
/// absurd number is a decoding error, never a `Fen`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Fen(i64);

/// On the wire an amount is a whole number of fen within the core's bounds.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Fen {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0))
            .maximum(Some(MAX_TOTAL_FEN))
            .description(Some("an amount in fen (1/100 yuan)"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Fen {}

/// Any amount the core can produce: a single amount or a checked total.
impl TryFrom<i64> for Fen {
    type Error = Error;

    fn try_from(amount_fen: i64) -> Result<Fen> {
        if (0..=MAX_TOTAL_FEN).contains(&amount_fen) {
            Ok(Fen(amount_fen))
        } else {
            Err(Error::AmountOutOfRange {
                amount_fen,
                max_fen: MAX_TOTAL_FEN,
            })
        }
    }
}

impl From<Fen> for i64 {
    fn from(f: Fen) -> i64 {
        f.0
    }
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Accepts an amount typed or received from outside, rejecting negative and absurd ones.
    pub fn new(amount_fen: i64) -> Result<Fen> {
        if (0..=MAX_AMOUNT_FEN).contains(&amount_fen) {
            Ok(Fen(amount_fen))
        } else {
            Err(Error::AmountOutOfRange {
                amount_fen,
                max_fen: MAX_AMOUNT_FEN,
            })
        }
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Fen) -> Result<Fen> {
        self.0
            .checked_add(other.0)
            .filter(|v| *v <= MAX_TOTAL_FEN)
            .map(Fen)
            .ok_or(Error::TotalOverflow)
    }

    pub fn checked_sub(self, other: Fen) -> Result<Fen> {
        match self.0.checked_sub(other.0) {
            Some(v) if v >= 0 => Ok(Fen(v)),
            _ => Err(Error::TotalOverflow),
        }
    }

    pub fn checked_mul(self, qty: u32) -> Result<Fen> {
        self.0
            .checked_mul(i64::from(qty))
            .filter(|v| *v <= MAX_TOTAL_FEN)
            .map(Fen)
            .ok_or(Error::TotalOverflow)
    }

    /// "¥123.45", the way receipts and screens show money.
    pub fn display_yuan(self) -> String {
        format!("¥{}.{:02}", self.0 / 100, self.0 % 100)
    }

    pub fn min(self, other: Fen) -> Fen {
        Fen(self.0.min(other.0))
    }
}

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display_yuan())
    }
}

/// Money a person typed in yuan (`12`, `12.5`, `¥1,234.00`, `￥8`) as fen,
/// exactly (no floating point); `None` unless it is an amount from 0 to
/// `max_fen` with at most two decimals. Every form that takes money reads it
/// here, so "12.5" means the same on every page.
pub fn parse_yuan(text: &str, max_fen: i64) -> Option<i64> {
    let t: String = text.trim().chars().filter(|c| *c != ',').collect();
    let t = t.trim_start_matches(['¥', '￥']);
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 2
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents: i64 = format!("{frac:0<2}").parse().ok()?;
    let fen = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)?;
    (fen <= max_fen).then_some(fen)
}

/// Sums amounts with overflow checking.
pub fn sum<I: IntoIterator<Item = Fen>>(items: I) -> Result<Fen> {
    items.into_iter().try_fold(Fen::ZERO, Fen::checked_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_yuan_become_fen_exactly_and_bounded() {
        assert_eq!(parse_yuan("12", 10_000), Some(1200));
        assert_eq!(parse_yuan(" 80.5 ", 10_000), Some(8050));
        assert_eq!(parse_yuan("0.07", 10_000), Some(7));
        assert_eq!(parse_yuan("¥1,280.05", MAX_AMOUNT_FEN), Some(128_005));
        assert_eq!(parse_yuan("￥8", MAX_AMOUNT_FEN), Some(800));
        assert_eq!(parse_yuan("10000000", MAX_AMOUNT_FEN), Some(MAX_AMOUNT_FEN));
        assert_eq!(parse_yuan("100.01", 10_000), None, "over the bound");
        for bad in [
            "",
            ".",
            ".5",
            "-1",
            "1.005",
            "1e3",
            "abc",
            "NaN",
            "99999999999999",
        ] {
            assert_eq!(parse_yuan(bad, i64::MAX), None, "{bad}");
        }
    }

    #[test]
    fn amounts_from_json_are_bounded_like_typed_ones() {
        assert_eq!(serde_json::from_str::<Fen>("1250").unwrap(), Fen(1250));
        for bad in ["-1", "-9223372036854775808", "9223372036854775807"] {
            let e = serde_json::from_str::<Fen>(bad).unwrap_err();
            assert!(
                e.to_string().contains("outside the allowed range"),
                "{bad}: {e}"
            );
        }
        // A checked total above a single amount still round-trips.
        let total = Fen(MAX_AMOUNT_FEN)
            .checked_add(Fen(MAX_AMOUNT_FEN))
            .unwrap();
        let json = serde_json::to_string(&total).unwrap();
        assert_eq!(serde_json::from_str::<Fen>(&json).unwrap(), total);
    }

    #[test]
    fn rejects_negative_and_absurd_amounts() {
        assert!(matches!(Fen::new(-1), Err(Error::AmountOutOfRange { .. })));
        assert!(matches!(
            Fen::new(MAX_AMOUNT_FEN + 1),
            Err(Error::AmountOutOfRange { .. })
        ));
        assert!(matches!(
            Fen::new(i64::MIN),
            Err(Error::AmountOutOfRange { .. })
        ));
        assert_eq!(Fen::new(12345).unwrap().display_yuan(), "¥123.45");
    }

    #[test]
    fn totals_never_overflow_or_go_negative() {
        let big = Fen::new(MAX_AMOUNT_FEN).unwrap();
        assert!(matches!(
            big.checked_mul(u32::MAX),
            Err(Error::TotalOverflow)
        ));
        assert!(matches!(
            Fen::ZERO.checked_sub(Fen(1)),
            Err(Error::TotalOverflow)
        ));
        let many = std::iter::repeat_n(big, 10_000_000);
        assert!(sum(many).is_err());
    }

    #[test]
    fn each_bound_holds_exactly_at_its_edge() {
        assert_eq!(Fen::new(0).unwrap().fen(), 0);
        assert_eq!(Fen::new(MAX_AMOUNT_FEN).unwrap().fen(), MAX_AMOUNT_FEN);
        assert_eq!(Fen::try_from(MAX_TOTAL_FEN).unwrap().fen(), MAX_TOTAL_FEN);
        assert!(matches!(
            Fen::try_from(MAX_TOTAL_FEN + 1),
            Err(Error::AmountOutOfRange { max_fen, .. }) if max_fen == MAX_TOTAL_FEN
        ));
        assert!(Fen::try_from(-1).is_err());
        // A total may reach the limit, not pass it.
        let half = Fen(MAX_TOTAL_FEN / 2);
        assert_eq!(half.checked_add(half).unwrap().fen(), MAX_TOTAL_FEN);
        assert!(half.checked_add(Fen(MAX_TOTAL_FEN / 2 + 1)).is_err());
        assert_eq!(
            Fen(MAX_AMOUNT_FEN).checked_mul(100).unwrap().fen(),
            MAX_TOTAL_FEN
        );
        assert!(Fen(MAX_AMOUNT_FEN).checked_mul(101).is_err());
        assert_eq!(Fen(7).checked_mul(0).unwrap(), Fen::ZERO);
        // Change down to nothing is fine; below nothing is not.
        assert_eq!(Fen(500).checked_sub(Fen(500)).unwrap(), Fen::ZERO);
        assert_eq!(Fen(500).checked_sub(Fen(120)).unwrap().fen(), 380);
    }

    #[test]
    fn yuan_are_shown_with_two_decimals() {
        for (fen, shown) in [
            (0, "¥0.00"),
            (5, "¥0.05"),
            (100, "¥1.00"),
            (12_345, "¥123.45"),
        ] {
            assert_eq!(Fen(fen).display_yuan(), shown);
            assert_eq!(Fen(fen).to_string(), shown);
        }
        assert_eq!(Fen(300).min(Fen(200)), Fen(200));
        assert_eq!(Fen(200).min(Fen(300)), Fen(200));
        assert_eq!(sum([Fen(1), Fen(20), Fen(300)]).unwrap().fen(), 321);
        assert_eq!(i64::from(Fen(42)), 42);
    }
}

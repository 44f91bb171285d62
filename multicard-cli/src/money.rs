//! Amounts on the command line: always with their unit (`150000tiyin`,
//! `1500sum`, `1500.50 сум`), read by [`multicard_api::money::Tiyin`]. A
//! bare number is refused before anything is sent: сум or tiyin is the
//! question behind every payment charged 100 times too much or too little.
//!
//! The flags are the amount fields at the top of a request body (marked
//! `x-money` in the spec: `--amount`, `--refund-amount`) and `multicard
//! settle --amount`. A body given whole (`--body`, `@FILE`, `-`) is the
//! wire's JSON: its amounts are integers of tiyin, as Multicard takes them.

use clap::ArgMatches;
use multicard_api::money::Tiyin;
use serde_json::Value;

/// The amount `text` given to `flag`, or a message naming the flag and
/// both spellings of an amount.
pub(crate) fn parse(flag: &str, text: &str) -> Result<Tiyin, String> {
    text.parse::<Tiyin>().map_err(|error| format!("{flag}: {error}"))
}

/// `amount` as a flag takes it: `150000tiyin`.
pub(crate) fn flag_value(tiyin: i64) -> String {
    format!("{tiyin}tiyin")
}

/// `body` with the amount flags of `fields` given in `args` set in it, in
/// tiyin (a body is made when there was none). An amount given twice (the
/// flag and the body's field) is refused: which one was meant?
pub(crate) fn with_amounts(args: &ArgMatches, body: Option<Value>, fields: &[&str]) -> Result<Option<Value>, String> {
    let mut body = body;
    for field in fields {
        let Some(text) = args.try_get_one::<String>(field).ok().flatten() else { continue };
        let flag = format!("--{}", field.replace('_', "-"));
        let amount = parse(&flag, text)?;
        let object = match body.get_or_insert_with(|| Value::Object(Default::default())) {
            Value::Object(object) => object,
            _ => return Err(format!("--body is not a JSON object, so {flag} cannot be set in it")),
        };
        if object.contains_key(*field) {
            return Err(format!(
                "the amount is given twice: {flag} and `{field}` in --body; give it once (in --body, an integer of \
                 tiyin)"
            ));
        }
        object.insert(field.to_string(), Value::from(amount.tiyin()));
    }
    Ok(body)
}

/// The amounts `fields` of a request body, each in both units:
/// `amount 150000 tiyin (1500.00 сум)`; a value that is not an amount is
/// shown as it is.
pub(crate) fn summary(body: Option<&Value>, fields: &[&str]) -> Vec<String> {
    let Some(body) = body else { return Vec::new() };
    fields
        .iter()
        .filter_map(|field| {
            let value = body.get(*field)?;
            let shown = match value.as_i64().map(Tiyin::new) {
                Some(Ok(amount)) => amount.to_string(),
                _ => format!("{value} (not an amount of tiyin)"),
            };
            Some(format!("{field} {shown}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(amount: Option<&str>) -> ArgMatches {
        let command = clap::Command::new("t").arg(clap::Arg::new("amount").long("amount"));
        let mut argv = vec!["t".to_string()];
        if let Some(amount) = amount {
            argv.extend(["--amount".to_string(), amount.to_string()]);
        }
        command.try_get_matches_from(argv).unwrap()
    }

    #[test]
    fn an_amount_flag_names_its_unit_and_lands_in_the_body_in_tiyin() {
        let body = with_amounts(&args(Some("1500sum")), Some(serde_json::json!({"store_id": 6})), &["amount"]);
        assert_eq!(body.unwrap(), Some(serde_json::json!({"store_id": 6, "amount": 150000})));
        let made = with_amounts(&args(Some("400tiyin")), None, &["amount"]).unwrap();
        assert_eq!(made, Some(serde_json::json!({"amount": 400})));
        let bare = with_amounts(&args(Some("1500")), None, &["amount"]).unwrap_err();
        assert!(bare.starts_with("--amount: ") && bare.contains("1500tiyin") && bare.contains("1500sum"), "{bare}");
        let twice = with_amounts(&args(Some("1sum")), Some(serde_json::json!({"amount": 100})), &["amount"]);
        assert!(twice.unwrap_err().contains("given twice"));
        assert_eq!(with_amounts(&args(None), None, &["amount"]).unwrap(), None);
        assert_eq!(
            summary(Some(&serde_json::json!({"amount": 150050})), &["amount"]),
            ["amount 150050 tiyin (1500.50 сум)"]
        );
    }
}

//! Column types and how they are inferred from text.
//!
//! A column is numerical, categorical, boolean or datetime. Datetimes are compared as numbers (seconds
//! since the Unix epoch, UTC); booleans as two-category categoricals. Inference looks at the first rows
//! of a file (the sample); the user can force a column categorical or ignore it. Text that means
//! "missing" is a fixed, documented set ([`NULL_TOKENS`]) so every reader treats it the same.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// What a column holds, which decides how it is compared.
pub enum ColumnKind {
    /// Numbers: compared with W1, KS, PSI and JS on quantile bins.
    Numerical,
    /// Labels: compared with JS, PSI and χ².
    Categorical,
    /// `true`/`false`: compared as a two-category categorical.
    Boolean,
    /// Dates and times: compared as numbers (seconds since the Unix epoch, UTC).
    Datetime,
}

impl ColumnKind {
    /// Numerical and datetime columns carry numbers; the others carry labels.
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnKind::Numerical | ColumnKind::Datetime)
    }

    /// The kind's name in reports and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Numerical => "numerical",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Datetime => "datetime",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A column's name and kind.
pub struct ColumnSchema {
    /// The column's name (its header, or its Parquet field name).
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
}

/// Cell texts read as missing values (after trimming spaces). `NaN`/`inf` are not here: they are
/// numbers, counted as non-finite.
pub const NULL_TOKENS: [&str; 6] = ["", "NA", "N/A", "null", "NULL", "None"];

/// Whether a trimmed cell text means a missing value (one of [`NULL_TOKENS`]).
pub fn is_null_token(text: &str) -> bool {
    NULL_TOKENS.contains(&text)
}

/// Parses `true`/`True`/`TRUE` and `false`/`False`/`FALSE`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Parses `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM:SS[.fff]`, optionally `Z`,
/// into seconds since the Unix epoch (UTC). Offsets other than `Z` are not accepted (and so infer as
/// categorical), which keeps the parser small and unambiguous.
pub fn parse_datetime(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| -> Option<i64> { if s.bytes().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None } };
    let (y, m, d) = (num(text.get(0..4)?)?, num(text.get(5..7)?)?, num(text.get(8..10)?)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) as f64 * 86_400.0;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(secs);
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let rest = rest.strip_suffix('Z').unwrap_or(rest);
    let rb = rest.as_bytes();
    if rb.len() < 8 || rb[2] != b':' || rb[5] != b':' {
        return None;
    }
    let (hh, mm) = (num(rest.get(0..2)?)?, num(rest.get(3..5)?)?);
    let ss: f64 = rest.get(6..)?.parse().ok()?;
    if hh > 23 || mm > 59 || !(0.0..61.0).contains(&ss) {
        return None;
    }
    secs += (hh * 3600 + mm * 60) as f64 + ss;
    Some(secs)
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a sample of non-null cell texts says about a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inferred {
    /// Every non-null cell fits this kind.
    Kind(ColumnKind),
    /// Every sampled cell was null.
    AllNull,
    /// Some cells are numbers and some are not; `index` is the position in the sample of the first cell
    /// that disagrees with the majority.
    Mixed {
        /// Position of the first disagreeing cell in the sample.
        index: usize,
    },
}

/// Infers a column's kind from its sampled cells (nulls included, they are skipped).
pub fn infer<'a>(cells: impl Iterator<Item = &'a str> + Clone) -> Inferred {
    let non_null = || cells.clone().enumerate().filter(|(_, c)| !is_null_token(c));
    let total = non_null().count();
    if total == 0 {
        return Inferred::AllNull;
    }
    let numeric = non_null().filter(|(_, c)| c.parse::<f64>().is_ok()).count();
    if numeric == total {
        return Inferred::Kind(ColumnKind::Numerical);
    }
    if numeric > 0 {
        let majority_numeric = numeric * 2 >= total;
        let index = non_null().find(|(_, c)| c.parse::<f64>().is_ok() != majority_numeric).map_or(0, |(i, _)| i);
        return Inferred::Mixed { index };
    }
    if non_null().all(|(_, c)| parse_bool(c).is_some()) {
        return Inferred::Kind(ColumnKind::Boolean);
    }
    if non_null().all(|(_, c)| parse_datetime(c).is_some()) {
        return Inferred::Kind(ColumnKind::Datetime);
    }
    Inferred::Kind(ColumnKind::Categorical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_each_kind() {
        let kind = |cells: &[&str]| infer(cells.iter().copied());
        assert_eq!(kind(&["1", "2.5", "", "nan"]), Inferred::Kind(ColumnKind::Numerical));
        assert_eq!(kind(&["a", "b", "NA"]), Inferred::Kind(ColumnKind::Categorical));
        assert_eq!(kind(&["true", "False"]), Inferred::Kind(ColumnKind::Boolean));
        assert_eq!(kind(&["2024-01-02", "2024-01-03T04:05:06Z"]), Inferred::Kind(ColumnKind::Datetime));
        assert_eq!(kind(&["", "NA"]), Inferred::AllNull);
        assert_eq!(kind(&["1", "2", "x", "3"]), Inferred::Mixed { index: 2 });
    }

    #[test]
    fn datetimes_are_epoch_seconds() {
        assert_eq!(parse_datetime("1970-01-01"), Some(0.0));
        assert_eq!(parse_datetime("2000-03-01 00:00:01"), Some(951_868_801.0));
        assert_eq!(parse_datetime("2000-13-01"), None);
        assert_eq!(parse_datetime("2000-01-01+02:00"), None);
    }
}

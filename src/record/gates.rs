//! Promotion gates: what must hold before a version may enter a stage.
//!
//! The same [`Gates`] value appears in `modelreg.toml` (`[lifecycle.gates.<stage>]`) and, copied at the
//! time of proposal, in every promotion record, so each promotion is judged by the rules it was
//! proposed under. The values here are parsed, never re-checked: a [`Requirement`] is a valid metric
//! comparison, a [`Span`] a positive duration.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MetaKey, Metric, Stage};

/// The gates of a promotion into one stage, as configured in `[lifecycle.gates.<stage>]` and copied
/// into every promotion record. The default (no field set) lets anything in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gates {
    /// The version must hold (or have held) this stage before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Stage>,
    /// …for at least this long, counted up to the promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak: Option<Span>,
    /// Metric thresholds on the version's recorded metrics; a missing metric fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<Requirement>,
    /// No drift report with `drift = true` about the version within this window before the promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_drift_within: Option<Span>,
    /// Distinct `approver:<stage>` keys that must co-sign the promotion record.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub approvals: u32,
    /// Whether the proposer's own approver key counts towards `approvals`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_self_approval: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Gates {
    /// Whether no gate is set (then a promotion record leaves `[gates]` out).
    pub fn is_empty(&self) -> bool {
        *self == Gates::default()
    }
}

/// A positive duration written the human way: `90m`, `24h`, `7d`, `1w 2d`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Span {
    seconds: u64,
    text: String,
}

impl Span {
    /// The duration in seconds.
    pub fn seconds(&self) -> u64 {
        self.seconds
    }
}

impl FromStr for Span {
    type Err = String;
    fn from_str(text: &str) -> Result<Span, String> {
        let parsed = humantime::parse_duration(text.trim())
            .map_err(|e| format!("invalid duration `{text}`: {e} (write e.g. `30m`, `24h`, `7d`)"))?;
        if parsed.as_secs() == 0 {
            return Err(format!("invalid duration `{text}`: must be at least one second"));
        }
        Ok(Span { seconds: parsed.as_secs(), text: text.trim().to_owned() })
    }
}

impl TryFrom<String> for Span {
    type Error = String;
    fn try_from(text: String) -> Result<Span, String> {
        text.parse()
    }
}

impl From<Span> for String {
    fn from(span: Span) -> String {
        span.text
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Span({})", self.text)
    }
}

/// The operator of a [`Requirement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `==`
    Equal,
}

impl Comparison {
    fn symbol(self) -> &'static str {
        match self {
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Equal => "==",
        }
    }

    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Greater => left > right,
            Comparison::GreaterOrEqual => left >= right,
            Comparison::Less => left < right,
            Comparison::LessOrEqual => left <= right,
            Comparison::Equal => left == right,
        }
    }
}

/// `auc >= 0.90`: a metric, a comparison, a finite number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Requirement {
    /// The metric compared; a version without it fails the requirement.
    pub metric: MetaKey,
    /// How the version's value is compared with the threshold.
    pub comparison: Comparison,
    /// The number on the right-hand side.
    pub threshold: Metric,
}

impl Eq for Requirement {}

impl Requirement {
    /// Whether the version's metrics meet this requirement; the error says what was found.
    pub fn check(&self, metrics: &std::collections::BTreeMap<MetaKey, Metric>) -> Result<(), String> {
        match metrics.get(&self.metric) {
            None => Err(format!("`{self}`: metric `{}` is not recorded", self.metric)),
            Some(value) if self.comparison.holds(value.get(), self.threshold.get()) => Ok(()),
            Some(value) => Err(format!("`{self}`: {} is {}", self.metric, value.get())),
        }
    }
}

impl FromStr for Requirement {
    type Err = String;
    fn from_str(text: &str) -> Result<Requirement, String> {
        let bad = |why: &str| format!("invalid requirement `{text}`: {why} (write e.g. `auc >= 0.9`)");
        let at = text.find(['<', '>', '=', '!']).ok_or_else(|| bad("no comparison"))?;
        let (name, rest) = text.split_at(at);
        let (comparison, number) = [
            (">=", Comparison::GreaterOrEqual),
            ("<=", Comparison::LessOrEqual),
            ("==", Comparison::Equal),
            (">", Comparison::Greater),
            ("<", Comparison::Less),
            ("=", Comparison::Equal),
        ]
        .into_iter()
        .find_map(|(symbol, comparison)| rest.strip_prefix(symbol).map(|number| (comparison, number)))
        .ok_or_else(|| bad("use one of >, >=, <, <=, =="))?;
        let metric = name.trim().parse().map_err(|_| bad("the metric name is not a valid key"))?;
        let value: f64 = number.trim().parse().map_err(|_| bad("the threshold is not a number"))?;
        let threshold = Metric::try_from(value).map_err(|e| bad(&e))?;
        Ok(Requirement { metric, comparison, threshold })
    }
}

impl TryFrom<String> for Requirement {
    type Error = String;
    fn try_from(text: String) -> Result<Requirement, String> {
        text.parse()
    }
}

impl From<Requirement> for String {
    fn from(r: Requirement) -> String {
        r.to_string()
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.comparison.symbol(), self.threshold.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_parse_and_check() {
        let r: Requirement = "auc >= 0.90".parse().unwrap();
        assert_eq!(r.to_string(), "auc >= 0.9");
        let metrics = [("auc".parse().unwrap(), Metric::try_from(0.93).unwrap())].into_iter().collect();
        assert!(r.check(&metrics).is_ok());
        let strict: Requirement = "auc>0.95".parse().unwrap();
        assert_eq!(strict.check(&metrics).unwrap_err(), "`auc > 0.95`: auc is 0.93");
        let missing: Requirement = "latency_p99_ms <= 50".parse().unwrap();
        assert!(missing.check(&metrics).unwrap_err().contains("not recorded"));
        for bad in ["auc", "auc >= x", ">= 1", "auc => 1", "auc >= inf", "a b >= 1"] {
            assert!(bad.parse::<Requirement>().is_err(), "{bad}");
        }
    }

    #[test]
    fn spans() {
        assert_eq!("24h".parse::<Span>().unwrap().seconds(), 86_400);
        assert_eq!("7d".parse::<Span>().unwrap().seconds(), 7 * 86_400);
        assert!("0s".parse::<Span>().is_err());
        assert!("soon".parse::<Span>().is_err());
    }
}

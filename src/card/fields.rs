//! `models/<name>/card.toml`: what only people know about a model (owners, intended use, limitations…),
//! written by hand and kept beside the records. Parsed as strictly as a record: the first line names
//! the schema, unknown fields are refused, and errors carry the line and column.

use serde::Deserialize;

use super::CardError;
use crate::record::{MAX_RECORD_BYTES, ModelName};
use crate::repo::layout::{CARD_FIELDS_FILE, MODELS_DIR};
use crate::repo::snapshot::Snapshot;

/// The schema line's value that a `card.toml` must open with.
pub const CARD_SCHEMA: &str = "modelreg/card/v1";

/// The fields of `card.toml`; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardFields {
    /// Always [`CARD_SCHEMA`]; checked on the first line before the TOML is parsed.
    pub schema: String,
    /// Replaces the description from the latest registration.
    #[serde(default)]
    pub description: Option<String>,
    /// The people or teams answerable for the model, as free text (names, addresses).
    #[serde(default)]
    pub owners: Vec<String>,
    /// An SPDX identifier or a Hugging Face license id (`apache-2.0`, `mit`, `other`).
    #[serde(default)]
    pub license: Option<String>,
    /// A Hugging Face task id (`tabular-classification`, `text-generation`…) for `model-index`.
    #[serde(default)]
    pub task: Option<String>,
    /// Hugging Face tags shown first in the card's front matter, before the latest version's `key:value` tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the model is for and who should use it (Markdown, shown as written).
    #[serde(default)]
    pub intended_use: Option<String>,
    /// Known failure modes and where the model must not be used (Markdown).
    #[serde(default)]
    pub limitations: Option<String>,
    /// Risks, biases and the people affected (Markdown).
    #[serde(default)]
    pub ethical_considerations: Option<String>,
    /// Where the training run is recorded (an experiment tracker URL, a CI job).
    #[serde(default)]
    pub training_run: Option<String>,
    /// Metrics shown in the versions table, in this order (default: every metric of the latest version).
    #[serde(default)]
    pub key_metrics: Vec<String>,
}

/// The card file's path in the registry: `models/<name>/card.toml`.
pub(crate) fn fields_path(name: &ModelName) -> String {
    format!("{MODELS_DIR}/{name}/{CARD_FIELDS_FILE}")
}

impl CardFields {
    /// Reads a model's `card.toml` from a snapshot; no file means no fields.
    pub fn read(snapshot: &dyn Snapshot, name: &ModelName) -> Result<CardFields, CardError> {
        let path = fields_path(name);
        let invalid = |message: String| CardError::Fields { path: path.clone(), message };
        match snapshot.read(&path, MAX_RECORD_BYTES).map_err(|e| invalid(e.to_string()))? {
            Some(bytes) => CardFields::parse(&bytes).map_err(invalid),
            None => Ok(CardFields::default()),
        }
    }

    /// Parses a card file's bytes; the error is a message with line and column, and the caller adds the path.
    pub fn parse(bytes: &[u8]) -> Result<CardFields, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned())?;
        if text.lines().next() != Some(&format!("schema = \"{CARD_SCHEMA}\"")) {
            return Err(format!("line 1: a card file must start with `schema = \"{CARD_SCHEMA}\"`"));
        }
        crate::record::from_toml(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strictly() {
        let good = b"schema = \"modelreg/card/v1\"\nowners = [\"alice@example.com\"]\nlicense = \"mit\"\n";
        let fields = CardFields::parse(good).unwrap();
        assert_eq!(fields.owners, ["alice@example.com"]);
        assert_eq!(fields.license.as_deref(), Some("mit"));

        let unknown = CardFields::parse(b"schema = \"modelreg/card/v1\"\nowner = \"bob\"\n").unwrap_err();
        assert!(unknown.starts_with("line 2, column 1: unknown field `owner`"), "{unknown}");
        let no_schema = CardFields::parse(b"owners = []\n").unwrap_err();
        assert!(no_schema.starts_with("line 1:"), "{no_schema}");
    }
}

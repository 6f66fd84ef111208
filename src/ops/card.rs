//! `modelreg card`: render model cards into `models/<name>/README.md`, or check that they are fresh.
//! Commands that write records render the card inside their transaction (`ops::transaction`), so it is
//! committed with the record that changed it.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::Error;
use crate::card::{self, Templates};
use crate::policy::{Judge, load_model};
use crate::record::ModelName;
use crate::repo::Registry;
use crate::repo::layout::{CARD_FILE, MODELS_DIR};
use crate::repo::snapshot::WorkTree;
use crate::sign::Trust;
use crate::state::ModelState;

/// What `card` did with (or found of) one model's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    /// Written (it was missing or stale).
    Written,
    /// Already fresh: left untouched.
    Unchanged,
    /// `--check`: differs from what the records render.
    Stale,
    /// `--check`: the model has no card.
    Missing,
}

/// One model's card.
#[derive(Debug, Serialize)]
pub struct CardOutcome {
    /// The model.
    pub model: ModelName,
    /// The card's path, relative to the registry root.
    pub path: String,
    /// What was done or found.
    pub status: CardStatus,
    /// `--check`: a unified diff from the card on disk to the fresh one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// What `card` returns.
#[derive(Debug, Serialize)]
pub struct CardReport {
    /// One outcome per model rendered or checked.
    pub cards: Vec<CardOutcome>,
}

impl CardReport {
    /// How many cards `--check` found stale or missing.
    pub fn findings(&self) -> usize {
        self.cards.iter().filter(|c| matches!(c.status, CardStatus::Stale | CardStatus::Missing)).count()
    }
}

/// The card path of a model, relative to the registry root.
pub fn card_path(name: &ModelName) -> PathBuf {
    PathBuf::from(MODELS_DIR).join(name.as_str()).join(CARD_FILE)
}

/// The card a model's records (as they are in the working tree) render to.
pub fn render(registry: &Registry, name: &ModelName, templates: &Templates) -> Result<String, Error> {
    render_in(registry.root(), registry.trust(), name, templates)
}

fn render_in(root: &Path, trust: &Trust, name: &ModelName, templates: &Templates) -> Result<String, Error> {
    let worktree = WorkTree::new(root);
    let history = load_model(&worktree, name, Judge::all(trust))?;
    Ok(card::render_card(&worktree, &ModelState::replay(history), trust, templates)?)
}

/// Renders (and unless `check`, writes) the cards of `names`; with `check`, writes nothing and reports
/// stale or missing cards with a diff.
pub fn cards(registry: &Registry, names: &[ModelName], check: bool) -> Result<CardReport, Error> {
    let templates = Templates::for_snapshot(&registry.worktree())?;
    // The registry holds a git handle, which is not shared across threads; rendering needs only the
    // root and the trust.
    let (root, trust) = (registry.root(), registry.trust());
    let results: Vec<Result<CardOutcome, Error>> =
        names.par_iter().map(|name| one(root, trust, name, &templates, check)).collect();
    Ok(CardReport { cards: results.into_iter().collect::<Result<_, _>>()? })
}

fn one(root: &Path, trust: &Trust, name: &ModelName, templates: &Templates, check: bool) -> Result<CardOutcome, Error> {
    let rel = card_path(name);
    let path = root.join(&rel);
    let fresh = render_in(root, trust, name, templates)?;
    let current = read_optional(&path)?;
    let status = match (&current, check) {
        (Some(bytes), _) if bytes.as_slice() == fresh.as_bytes() => CardStatus::Unchanged,
        (None, true) => CardStatus::Missing,
        (Some(_), true) => CardStatus::Stale,
        (_, false) => {
            replace_card(&path, fresh.as_bytes())?;
            CardStatus::Written
        }
    };
    let rel_text = rel.to_string_lossy().into_owned();
    let diff = (status == CardStatus::Stale || status == CardStatus::Missing).then(|| {
        let old = current.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        similar::TextDiff::from_lines(old.as_ref(), fresh.as_str())
            .unified_diff()
            .header(&format!("a/{rel_text}"), &format!("b/{rel_text}"))
            .to_string()
    });
    Ok(CardOutcome { model: name.clone(), path: rel_text, status, diff })
}

/// Every model with at least one record, sorted.
pub fn all_models(registry: &Registry) -> Result<Vec<ModelName>, Error> {
    let worktree = registry.worktree();
    let (names, _) = crate::policy::models_dir(&worktree);
    Ok(names
        .into_iter()
        .filter(|name| {
            let records = crate::repo::layout::records_dir(registry.root(), name);
            std::fs::read_dir(records).is_ok_and(|mut entries| entries.next().is_some())
        })
        .collect())
}

/// Replaces a card by rename (readers see the old card or the new one, never half of one), without
/// the fsyncs of `write_atomic`: a card is derived data that `check` verifies and `modelreg card`
/// rewrites, and rendering 1,000 cards should not wait for 2,000 disk flushes (4.2 s against 0.5 s).
fn replace_card(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let dir = path.parent().expect("a card lives in its model's directory");
    let mut temp =
        tempfile::Builder::new().prefix(crate::repo::layout::TEMP_PREFIX).tempfile_in(dir).map_err(super::io(dir))?;
    temp.write_all(bytes).map_err(super::io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(super::io(path))?;
    }
    temp.persist(path).map_err(|e| super::io(path)(e.error))?;
    Ok(())
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(super::io(path)(e)),
    }
}

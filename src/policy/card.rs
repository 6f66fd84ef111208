//! The card freshness rule: a committed model card equals the card its records render to.
//!
//! One function, [`card_problem`], used by the full check and by the change check (hooks, CI). A
//! model without `README.md` has no card to be stale (registries from before cards, hand-made
//! fixtures); every modelreg command that writes a record writes the card with it.

use super::{Problem, RuleId};
use crate::card::{self, CardError, Templates};
use crate::repo::layout::{CARD_FILE, MODELS_DIR};
use crate::repo::snapshot::{EntryKind, Snapshot};
use crate::sign::Trust;
use crate::state::{ModelHistory, ModelState};

/// Cards are small; anything larger than this is not one modelreg wrote.
const MAX_CARD_BYTES: usize = 8 << 20;

/// The finding about `history`'s card in `snapshot`, if any: stale, unreadable, or not renderable.
pub fn card_problem(
    snapshot: &dyn Snapshot,
    history: &ModelHistory,
    trust: &Trust,
    templates: &Templates,
) -> Option<Problem> {
    let dir = format!("{MODELS_DIR}/{}", history.name);
    let path = format!("{dir}/{CARD_FILE}");
    // A card that is not a regular file (a symbolic link…) is the layout rule's finding.
    let entries = snapshot.list(&dir).ok().flatten().unwrap_or_default();
    if !entries.iter().any(|e| e.name == CARD_FILE && e.kind == EntryKind::File) {
        return None;
    }
    let committed = match snapshot.read(&path, MAX_CARD_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(e) => return Some(Problem::error(path, RuleId::Card, e.to_string())),
    };
    let state = ModelState::replay(history.clone());
    match card::render_card(snapshot, &state, trust, templates) {
        Ok(rendered) if rendered.as_bytes() == committed.as_slice() => None,
        Ok(_) => Some(
            Problem::error(path, RuleId::Card, "the model card is stale: it differs from what its records render")
                .with_hint(format!("run `modelreg card {}` and commit", history.name)),
        ),
        Err(e) => Some(template_problem(&e)),
    }
}

/// A finding for a card that cannot be rendered, at the file to fix.
pub fn template_problem(e: &CardError) -> Problem {
    let (path, message, hint) = match e {
        CardError::Template { file, line, message } => {
            (file, format!("line {line}: {message}"), "fix the template; `modelreg card NAME` shows the error")
        }
        CardError::Fields { path, message } => {
            (path, message.clone(), "fix card.toml (its fields are documented in docs/FORMAT.md)")
        }
        CardError::Read { path, message } => (path, message.clone(), "restore the file from git history"),
    };
    Problem::error(path.as_str(), RuleId::Card, message).with_hint(hint)
}

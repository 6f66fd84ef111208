//! The layout rule: what may live under `models/`.

use super::{Problem, RuleId};
use crate::record::ModelName;
use crate::repo::layout::{CARD_FIELDS_FILE, CARD_FILE, MODELS_DIR, RECORDS_DIR, TEMP_PREFIX};
use crate::repo::snapshot::{EntryKind, Snapshot, join};

/// Valid model directories under `models/`, sorted, and findings about anything else there.
pub fn models_dir(snapshot: &dyn Snapshot) -> (Vec<ModelName>, Vec<Problem>) {
    let mut names = Vec::new();
    let mut problems = Vec::new();
    let entries = match snapshot.list(MODELS_DIR) {
        Ok(entries) => entries.unwrap_or_default(),
        Err(e) => return (names, vec![Problem::error(MODELS_DIR, RuleId::Layout, e.to_string())]),
    };
    for entry in entries {
        let rel = join(MODELS_DIR, &entry.name);
        match (entry.kind, entry.name.parse::<ModelName>()) {
            (EntryKind::Dir, Ok(name)) if entry.utf8 => names.push(name),
            (EntryKind::Dir, Err(e)) => problems.push(Problem::error(rel, RuleId::Layout, e.to_string())),
            (EntryKind::Symlink | EntryKind::Submodule, _) => problems.push(
                Problem::error(rel, RuleId::Layout, "symbolic links and submodules are not allowed under models/")
                    .with_hint("replace it with a real directory of records"),
            ),
            _ => problems.push(
                Problem::error(rel, RuleId::Layout, "only model directories belong in models/")
                    .with_hint("move it out of models/"),
            ),
        }
    }
    (names, problems)
}

/// Only `records/`, a card and its fields may live in a model's directory.
pub(crate) fn model_layout_problems(snapshot: &dyn Snapshot, name: &ModelName) -> Vec<Problem> {
    let dir = join(MODELS_DIR, name.as_str());
    let mut problems = Vec::new();
    for entry in snapshot.list(&dir).ok().flatten().unwrap_or_default() {
        // A card rewrite interrupted between its temp file and the rename: harmless in a working tree
        // (a change that commits it is refused, see `check_change`).
        if entry.kind == EntryKind::File && entry.name.starts_with(TEMP_PREFIX) {
            problems.push(
                Problem::warning(join(&dir, &entry.name), RuleId::Layout, "temp file of an interrupted write")
                    .with_hint("delete it"),
            );
            continue;
        }
        let allowed = match entry.name.as_str() {
            RECORDS_DIR => entry.kind == EntryKind::Dir,
            CARD_FILE | CARD_FIELDS_FILE => entry.kind == EntryKind::File,
            _ => false,
        };
        if !allowed {
            problems.push(
                Problem::error(
                    join(&dir, &entry.name),
                    RuleId::Layout,
                    "not part of the registry layout (a model directory holds records/, README.md and card.toml)",
                )
                .with_hint("move it out of models/"),
            );
        }
    }
    problems
}

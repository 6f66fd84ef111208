//! The layout rule: what may live under `models/`.

use super::{Problem, RuleId};
use crate::record::ModelName;
use crate::repo::layout::{CARD_FIELDS_FILE, CARD_FILE, CONFIG_FILE, MODELS_DIR, RECORDS_DIR, TEMP_PREFIX};
use crate::repo::snapshot::{EntryKind, Snapshot, join};

/// The registry's own names at the root, which a case-insensitive clone (macOS, Windows) would also
/// find under another spelling.
const ROOT_NAMES: [&str; 4] = [MODELS_DIR, CONFIG_FILE, ".modelreg", ".gitattributes"];

/// A root entry spelled like one of the registry's own names in another case (`Models/`,
/// `ModelReg.toml`, `.GitAttributes`): on a case-insensitive clone it *is* that name (a second
/// `models/` merged into the first, another configuration), past every rule that reads the exact
/// spelling. `top` is a path's first component; the name it imitates, when it does.
pub fn case_variant_of_root_name(top: &str) -> Option<&'static str> {
    ROOT_NAMES.into_iter().find(|name| {
        let prefix = top.get(..name.len()).is_some_and(|p| p.eq_ignore_ascii_case(name));
        // `modelreg.toml` also names its signature files (`modelreg.toml.<keyid>.sig`).
        let whole = top.len() == name.len() || *name == CONFIG_FILE;
        prefix && whole && !top.starts_with(name)
    })
}

/// The case-variant finding for the first component of each of `paths` (once per component).
pub fn case_variant_problems<'p>(paths: impl IntoIterator<Item = &'p str>) -> Vec<Problem> {
    let mut tops: Vec<&str> = paths.into_iter().map(|p| p.split_once('/').map_or(p, |(top, _)| top)).collect();
    tops.sort_unstable();
    tops.dedup();
    tops.into_iter()
        .filter_map(|top| {
            let name = case_variant_of_root_name(top)?;
            Some(
                Problem::error(
                    top,
                    RuleId::Layout,
                    format!("differs from `{name}` only in case: a case-insensitive clone would read it as `{name}`"),
                )
                .with_hint("rename or remove it"),
            )
        })
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::case_variant_of_root_name;

    #[test]
    fn case_variants_of_the_registrys_root_names() {
        for (top, name) in [
            ("Models", "models"),
            ("MODELS", "models"),
            ("ModelReg.toml", "modelreg.toml"),
            ("MODELREG.TOML.0123456789abcdef.sig", "modelreg.toml"),
            (".MODELREG", ".modelreg"),
            (".GitAttributes", ".gitattributes"),
        ] {
            assert_eq!(case_variant_of_root_name(top), Some(name), "{top}");
        }
        for top in [
            "models",
            "modelreg.toml",
            "modelreg.toml.0123456789abcdef.sig",
            ".modelreg",
            ".gitattributes",
            "models2",
            "Modelsx",
            "README.md",
            "é",
            "mo",
        ] {
            assert_eq!(case_variant_of_root_name(top), None, "{top}");
        }
    }
}

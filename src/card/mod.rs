//! Model cards: `models/<name>/README.md`, rendered from a model's records, its `card.toml` and a
//! minijinja template, and lineage graphs.
//!
//! A card is a pure function of (the model's records, its `card.toml`, the templates, the trust file's
//! owner names): [`render_card`] reads nothing else, so the freshness rule (`policy::card`) can judge
//! any snapshot — the working tree, a commit, the index — and registering one model never makes
//! another's card stale. Templates ship in `templates/` (compiled into the binary, and compiled once
//! per process); a registry may override one by putting a file of the same name in
//! `.modelreg/templates/`. Template errors name the template file and line.

pub mod context;
pub mod fields;
pub mod lifecycle;
pub mod lineage;

use std::sync::{Arc, OnceLock};

use minijinja::{Environment, UndefinedBehavior};

pub use context::{CardContext, LifecycleView, lifecycle_view};
pub use fields::CardFields;

use crate::record::MAX_RECORD_BYTES;
use crate::repo::snapshot::{EntryKind, Snapshot, join};
use crate::sign::Trust;
use crate::state::ModelState;

/// Where a registry's template overrides live.
pub const TEMPLATES_DIR: &str = ".modelreg/templates";
/// The card template's name, in `templates/` and in [`TEMPLATES_DIR`].
pub const CARD_TEMPLATE: &str = "card.md.j2";

/// The templates shipped in the binary: (name, source).
const EMBEDDED: &[(&str, &str)] = &[(CARD_TEMPLATE, include_str!("../../templates/card.md.j2"))];

/// Why a card could not be rendered; each names the file at fault.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CardError {
    /// A template failed to compile or render.
    #[error("{file}:{line}: {message}")]
    Template {
        /// The template's path: `templates/…` when shipped, `.modelreg/templates/…` when overridden.
        file: String,
        /// The 1-based line in that template (1 when minijinja gives none).
        line: usize,
        /// minijinja's description of the error.
        message: String,
    },
    /// `models/<name>/card.toml` is not a valid card file.
    #[error("{path}: {message}")]
    Fields {
        /// The card file's path in the registry.
        path: String,
        /// What is wrong with it, with line and column where known.
        message: String,
    },
    /// A template override in [`TEMPLATES_DIR`] could not be listed or read, or is not UTF-8.
    #[error("{path}: {message}")]
    Read {
        /// The path that could not be read.
        path: String,
        /// The underlying read error.
        message: String,
    },
}

/// A compiled set of templates: the shipped ones, with a registry's overrides in their place.
pub struct Templates {
    env: Environment<'static>,
    overridden: Vec<String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").field("overridden", &self.overridden).finish()
    }
}

impl Templates {
    /// The shipped templates, compiled once per process.
    pub fn embedded() -> Arc<Templates> {
        static EMBEDDED_TEMPLATES: OnceLock<Arc<Templates>> = OnceLock::new();
        EMBEDDED_TEMPLATES
            .get_or_init(|| Arc::new(Templates::compile(&[]).expect("the shipped templates compile (tested)")))
            .clone()
    }

    /// The templates a snapshot's cards are rendered with: the shipped ones unless it overrides some.
    pub fn for_snapshot(snapshot: &dyn Snapshot) -> Result<Arc<Templates>, CardError> {
        let read_error =
            |path: &str, e: &dyn std::fmt::Display| CardError::Read { path: path.into(), message: e.to_string() };
        let entries = snapshot.list(TEMPLATES_DIR).map_err(|e| read_error(TEMPLATES_DIR, &e))?.unwrap_or_default();
        let mut overrides = Vec::new();
        for entry in entries {
            if entry.kind != EntryKind::File || !EMBEDDED.iter().any(|(name, _)| *name == entry.name) {
                continue;
            }
            let path = join(TEMPLATES_DIR, &entry.name);
            let bytes = snapshot.read(&path, MAX_RECORD_BYTES).map_err(|e| read_error(&path, &e))?.unwrap_or_default();
            let source = String::from_utf8(bytes).map_err(|_| read_error(&path, &"not valid UTF-8"))?;
            overrides.push((entry.name, source));
        }
        if overrides.is_empty() { Ok(Templates::embedded()) } else { Templates::compile(&overrides).map(Arc::new) }
    }

    /// Compiles the shipped templates with `overrides` (name, source) in place of the same names.
    pub fn compile(overrides: &[(String, String)]) -> Result<Templates, CardError> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(syntax);
        // A misspelt field is an error with a line number, not an empty string in every card.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.add_filter("yaml", yaml_string);
        env.add_filter("cell", table_cell);
        let mut overridden = Vec::new();
        for (name, source) in EMBEDDED {
            match overrides.iter().find(|(n, _)| n == name) {
                Some((_, custom)) => {
                    overridden.push(name.to_string());
                    env.add_template_owned(name.to_string(), custom.clone())
                }
                None => env.add_template(name, source),
            }
            .map_err(|e| template_error(&e, &overridden))?;
        }
        Ok(Templates { env, overridden })
    }

    /// Renders a card from its context.
    pub fn render(&self, context: &CardContext) -> Result<String, CardError> {
        let template = self.env.get_template(CARD_TEMPLATE).map_err(|e| template_error(&e, &self.overridden))?;
        template
            .render(minijinja::Value::from(minijinja::value::Serde(context)))
            .map_err(|e| template_error(&e, &self.overridden))
    }
}

/// A model's card as it should be, from a snapshot: its records (already replayed into `state`),
/// its `card.toml` and `trust`'s owner names.
pub fn render_card(
    snapshot: &dyn Snapshot,
    state: &ModelState,
    trust: &Trust,
    templates: &Templates,
) -> Result<String, CardError> {
    let fields = CardFields::read(snapshot, &state.name)?;
    templates.render(&CardContext::build(state, &fields, trust))
}

fn template_error(e: &minijinja::Error, overridden: &[String]) -> CardError {
    let name = e.name().unwrap_or(CARD_TEMPLATE);
    let dir = if overridden.iter().any(|n| n == name) { TEMPLATES_DIR } else { "templates" };
    let message = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    CardError::Template { file: format!("{dir}/{name}"), line: e.line().unwrap_or(1), message }
}

/// A YAML double-quoted scalar (JSON's string syntax is a subset of it).
fn yaml_string(value: String) -> String {
    serde_json::to_string(&value).expect("strings serialise")
}

/// Text that fits in one Markdown table cell.
fn table_cell(value: String) -> String {
    value.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests;

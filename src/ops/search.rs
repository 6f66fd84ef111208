//! `search`: the model versions a query matches, answered from the index (see [`crate::index`]) so a
//! registry of many thousands of models answers in milliseconds.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::index::{Index, IndexStats, Source};
use crate::policy::Problem;
use crate::record::{ModelName, Stage, Timestamp, Version};
use crate::repo::Registry;
use crate::state::query::Query;
use crate::state::search::SearchDoc;

/// How `search` chooses the versions it evaluates.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchOptions {
    /// Consider only each model's latest version.
    pub latest: bool,
}

/// One matching version.
#[derive(Debug, Serialize)]
pub struct SearchMatch {
    /// The model.
    pub name: ModelName,
    /// The version.
    pub version: Version,
    /// When it was registered.
    pub created_at: Timestamp,
    /// The stages it holds now.
    pub stages: Vec<Stage>,
    /// Archived on its own or with the whole model.
    pub archived: bool,
    /// The framework it was registered with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// Its metrics as registered.
    pub metrics: BTreeMap<String, f64>,
    /// Its tags as they are now.
    pub tags: BTreeMap<String, String>,
}

impl SearchMatch {
    fn of(doc: &SearchDoc) -> SearchMatch {
        SearchMatch {
            name: doc.name.clone(),
            version: doc.version,
            created_at: doc.created_at,
            stages: doc.stages.clone(),
            archived: doc.archived,
            framework: doc.framework.clone(),
            metrics: doc.metrics.iter().cloned().collect(),
            tags: doc.tags.iter().cloned().collect(),
        }
    }
}

/// What `search` returns.
#[derive(Debug, Serialize)]
pub struct SearchReport {
    /// The query as the caller wrote it.
    pub query: String,
    /// Only each model's latest version was considered.
    pub latest_only: bool,
    /// Sorted by model name, then version.
    pub matches: Vec<SearchMatch>,
    /// Models left out because their records could not be read (run `check` for everything).
    pub unreadable: Vec<Problem>,
    /// How many versions the query was evaluated on.
    pub searched: usize,
    /// What the index had to read again (not part of the output).
    #[serde(skip)]
    pub index: IndexStats,
}

/// Evaluates `query` (parsed by the caller, so a bad query fails before the registry is read; `text` is
/// echoed in the report) on every version, or every model's latest.
pub fn search(registry: &Registry, text: &str, query: &Query, options: SearchOptions) -> SearchReport {
    let source = Source::of(registry);
    let index = Index::open(&source);
    // Sorted by model name, then version (oldest first).
    let (docs, searched) = index.search(options.latest, &|doc| query.matches(doc));
    SearchReport {
        query: text.to_owned(),
        latest_only: options.latest,
        matches: docs.iter().map(SearchMatch::of).collect(),
        unreadable: index.unreadable,
        searched,
        index: index.stats,
    }
}

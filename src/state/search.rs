//! The searchable form of a model version: a flat document that the query language evaluates and the
//! search cache stores. [`docs_of`] is the one place that builds documents from a model's state.

use serde::Serialize;

use super::ModelState;
use crate::record::{ModelName, Stage, Timestamp, Version};

/// One model version as search sees it. Maps are `(key, value)` pairs sorted by key: versions carry a
/// handful of each, and a sorted vector is both faster to look up and cheaper to cache than a tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchDoc {
    /// The model the version belongs to.
    pub name: ModelName,
    /// The version number.
    pub version: Version,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Who registered it, `Name <email>`.
    pub author: String,
    /// The framework it was registered with (`sklearn`, `pytorch`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The registration's own description (not `card.toml`'s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Tags as they are now, every tag record applied.
    pub tags: Vec<(String, String)>,
    /// Metrics as registered.
    pub metrics: Vec<(String, f64)>,
    /// Training parameters as registered.
    pub params: Vec<(String, String)>,
    /// The stages the version holds now.
    pub stages: Vec<Stage>,
    /// Archived on its own or with the whole model.
    pub archived: bool,
}

impl SearchDoc {
    /// The value for `key` in one of the sorted pair lists above.
    pub fn lookup<'a, V>(pairs: &'a [(String, V)], key: &str) -> Option<&'a V> {
        pairs.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok().map(|i| &pairs[i].1)
    }
}

/// The documents of a model's versions, oldest first (the last is the latest version).
pub fn docs_of(state: &ModelState) -> Vec<SearchDoc> {
    state
        .versions
        .values()
        .map(|v| {
            let r = &v.register;
            SearchDoc {
                name: state.name.clone(),
                version: v.version,
                created_at: r.created_at,
                author: r.author.clone(),
                framework: r.framework.clone(),
                description: r.description.clone(),
                // BTreeMaps iterate in key order, so these come out sorted. Tags as they are now (tag
                // records applied), not as registered.
                tags: v.tags.iter().map(|(k, t)| (k.to_string(), t.clone())).collect(),
                metrics: r.metrics.iter().map(|(k, m)| (k.to_string(), m.get())).collect(),
                params: r.params.iter().map(|(k, p)| (k.to_string(), p.clone())).collect(),
                stages: v.stages().cloned().collect(),
                archived: state.is_archived(v.version),
            }
        })
        .collect()
}

/// A model as a whole, as `list` shows it: the same replay [`docs_of`] reads, summarised. Built only
/// by [`model_doc_of`], so `list` says the same whether it reads the records or the index.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDoc {
    /// The model, as in `models/<name>/`.
    pub name: ModelName,
    /// The highest registered version.
    pub latest_version: Option<Version>,
    /// How many versions are registered.
    pub versions: usize,
    /// How many records its chain holds.
    pub records: usize,
    /// The last record's time.
    pub updated_at: Option<Timestamp>,
    /// The newest registration's description.
    pub description: Option<String>,
    /// The latest version's.
    pub framework: Option<String>,
    /// The version holding each stage, sorted by stage.
    pub stages: Vec<(Stage, Version)>,
    /// The whole model is archived.
    pub archived: bool,
}

/// The summary of a model's state.
pub fn model_doc_of(state: &ModelState) -> ModelDoc {
    let latest = state.latest();
    ModelDoc {
        name: state.name.clone(),
        latest_version: latest.map(|v| v.version),
        versions: state.versions.len(),
        records: state.records,
        updated_at: state.updated_at,
        description: state.description().map(str::to_owned),
        framework: latest.and_then(|v| v.register.framework.clone()),
        stages: state.stages.iter().map(|(s, v)| (s.clone(), *v)).collect(),
        archived: state.archived.is_some(),
    }
}

//! `modelreg lineage` and `modelreg impact`: where a version came from, what was made from it, and
//! which versions a dataset went into.
//!
//! Upstream is read from the version's own record and its parents' (pinned by record digest);
//! downstream and impact need every model's records, read without judging signatures (as `list`
//! does): they answer questions, the rules are `check`'s.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use super::show::{load_state, select};
use super::{Error, ModelRef};
use crate::card::context::lifecycle_view;
use crate::card::lineage::{Graph, model_id};
use crate::policy::{Judge, load_model};
use crate::record::{Digest, ModelName, Timestamp, Version};
use crate::repo::Registry;
use crate::state::ModelState;

/// Which way from the version `lineage` walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Inputs and what was made from it.
    Both,
    /// Only what it was made from: datasets, code, parent versions and their inputs.
    Upstream,
    /// Only the versions made from it, in any model.
    Downstream,
}

/// What `lineage` asks for.
#[derive(Debug)]
pub struct LineageRequest {
    /// The version to start from.
    pub reference: ModelRef,
    /// Which way to walk.
    pub direction: Direction,
    /// How many model hops to follow (`None`: all).
    pub depth: Option<usize>,
}

/// The lineage graph around one version.
pub fn lineage(registry: &Registry, request: &LineageRequest) -> Result<Graph, Error> {
    let state = load_state(registry, &request.reference.name)?;
    let version = select(&state, &request.reference)?;
    let mut graph = Graph::of_version(&version.register, version.record_digest);
    graph.nodes.retain(|n| n.id == graph.root);
    graph.edges.clear();
    let depth = request.depth.unwrap_or(usize::MAX);
    if request.direction != Direction::Downstream {
        upstream(registry, &state, version.version, depth, &mut graph);
    }
    if request.direction != Direction::Upstream {
        downstream(registry, &state.name, version.version, version.record_digest, depth, &mut graph);
    }
    Ok(graph)
}

fn upstream(registry: &Registry, state: &ModelState, version: Version, depth: usize, graph: &mut Graph) {
    let mut frontier = vec![(state.name.clone(), version)];
    let mut loaded: BTreeMap<ModelName, ModelState> = BTreeMap::new();
    loaded.insert(state.name.clone(), state.clone());
    for _ in 0..depth {
        let mut next = Vec::new();
        for (model, version) in frontier {
            if !loaded.contains_key(&model) {
                // A parent whose records cannot be read stays a leaf (`check` reports why).
                let Ok(parent) = load_state(registry, &model) else { continue };
                loaded.insert(model.clone(), parent);
            }
            let Some(v) = loaded[&model].versions.get(&version) else { continue };
            graph.add_inputs(&v.register);
            for parent in &v.register.lineage.parents {
                // Each version is expanded once, however many paths lead to it.
                let seen = graph.edges.iter().any(|e| e.to == model_id(parent.model.as_str(), parent.version.get()));
                if !seen {
                    next.push((parent.model.clone(), parent.version));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
}

fn downstream(
    registry: &Registry,
    name: &ModelName,
    version: Version,
    digest: Digest,
    depth: usize,
    graph: &mut Graph,
) {
    let states = every_model(registry);
    // Children by the record digest of the parent they name.
    let mut children: BTreeMap<Digest, Vec<(&ModelName, Version, Digest)>> = BTreeMap::new();
    for state in &states {
        for v in state.versions.values() {
            for parent in &v.register.lineage.parents {
                children.entry(parent.record).or_default().push((&state.name, v.version, v.record_digest));
            }
        }
    }
    let mut frontier = vec![(name.as_str().to_owned(), version, digest)];
    for _ in 0..depth {
        let mut next = Vec::new();
        for (model, version, digest) in frontier {
            let from = model_id(&model, version.get());
            for (child, child_version, child_digest) in children.get(&digest).into_iter().flatten() {
                let seen = graph.nodes.iter().any(|n| n.id == model_id(child.as_str(), child_version.get()));
                let to = graph.add_model(child.as_str(), child_version.get(), child_digest);
                graph.edges.insert(crate::card::lineage::Edge { from: from.clone(), to, label: "parent".into() });
                if !seen {
                    next.push((child.as_str().to_owned(), *child_version, *child_digest));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
}

/// Every model's replayed state; models whose records cannot be read are skipped (`check` reports them).
fn every_model(registry: &Registry) -> Vec<ModelState> {
    let worktree = registry.worktree();
    let (names, _) = crate::policy::models_dir(&worktree);
    // Promotions' approvals decide which version holds a stage.
    let judge = Judge::read(registry.trust());
    names.par_iter().filter_map(|name| load_model(&worktree, name, judge).ok()).map(ModelState::replay).collect()
}

/// A version trained on the dataset `impact` asks about.
#[derive(Debug, Serialize)]
pub struct ImpactedVersion {
    /// The model.
    pub model: ModelName,
    /// The version.
    pub version: Version,
    /// When it was registered.
    pub created_at: Timestamp,
    /// The dataset's name in that version's lineage, its URI and digest as recorded.
    pub dataset: String,
    /// Where the dataset was, as recorded.
    pub uri: String,
    /// The dataset's digest, when it was pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Stages the version holds now.
    pub stages: Vec<String>,
    /// Archived on its own or with the whole model.
    pub archived: bool,
}

/// What `impact DATASET` returns.
#[derive(Debug, Serialize)]
pub struct ImpactReport {
    /// The dataset as asked for (a URI, a path or a digest).
    pub dataset: String,
    /// Every version whose lineage names it.
    pub versions: Vec<ImpactedVersion>,
    /// How many distinct models those versions belong to.
    pub models: usize,
    /// How many of the versions hold a stage: the ones serving or about to serve.
    pub staged: usize,
}

/// Every version trained on a dataset, named by URI or by digest (`blake3:…`, or a prefix of at least
/// 8 hex digits after `blake3:`).
pub fn impact(registry: &Registry, dataset: &str) -> Result<ImpactReport, Error> {
    // A local file is also found by its content, however its path was written when registering.
    let local = std::path::Path::new(dataset);
    let content = if local.is_file() { Some(crate::store::hash_file(local)?.0) } else { None };
    let matches = |uri: &str, digest: Option<Digest>| {
        uri == dataset
            || (content.is_some() && digest == content)
            || digest.is_some_and(|d| {
                let text = d.to_string();
                text == dataset
                    || (dataset.len() >= "blake3:".len() + 8
                        && dataset.starts_with("blake3:")
                        && text.starts_with(dataset))
            })
    };
    let mut versions = Vec::new();
    for state in every_model(registry) {
        let life = lifecycle_view(&state, registry.trust());
        for v in state.versions.values() {
            let Some(d) = v.register.lineage.datasets.iter().find(|d| matches(&d.uri, d.digest)) else { continue };
            versions.push(ImpactedVersion {
                model: state.name.clone(),
                version: v.version,
                created_at: v.register.created_at,
                dataset: d.name.to_string(),
                uri: d.uri.clone(),
                digest: d.digest,
                stages: life.stages.iter().filter(|(_, sv)| **sv == v.version).map(|(s, _)| s.clone()).collect(),
                archived: life.archived.contains(&v.version),
            });
        }
    }
    let mut models: Vec<&ModelName> = versions.iter().map(|v| &v.model).collect();
    models.dedup();
    let models = models.len();
    let staged = versions.iter().filter(|v| !v.stages.is_empty()).count();
    Ok(ImpactReport { dataset: dataset.to_owned(), versions, models, staged })
}

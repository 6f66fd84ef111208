//! Lineage graphs: datasets, code commits and model versions as nodes, "was used to make" as edges
//! (always from the input to what was made from it), rendered as text, Mermaid, Graphviz dot or JSON.
//!
//! The graph is built by whoever knows the records: [`Graph::of_version`] from one registration
//! alone (what a model card embeds), `ops::lineage` by walking parents and children across models.
//! Nodes and edges are kept sorted, so the same records always render the same bytes.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::Serialize;

use crate::record::{Digest, RegisterRecord};

/// What a lineage node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A registered model version.
    Model,
    /// A dataset a version was trained or evaluated on.
    Dataset,
    /// The code commit a version was built from.
    Code,
}

/// A node of a lineage graph; ordered by id so graphs render deterministically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Node {
    /// `model:NAME@V`, `dataset:URI` (`#DIGEST` appended when pinned), `code:COMMIT`.
    pub id: String,
    /// What the node stands for.
    pub kind: NodeKind,
    /// What renderings show: `NAME vV`, the dataset's URI, `REPO @ COMMIT` (the commit shortened to 12).
    pub label: String,
    /// The register record's digest (models) or the dataset's content digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// "Was used to make": from an input to what was made from it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    /// The input's node id.
    pub from: String,
    /// The node id of what was made from it.
    pub to: String,
    /// `dataset NAME`, `code`, `parent`.
    pub label: String,
}

/// A lineage graph: a root, and sorted nodes and edges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    /// The node the graph was asked about.
    pub root: String,
    /// Every node, sorted by id.
    pub nodes: BTreeSet<Node>,
    /// Every edge, sorted by (from, to, label).
    pub edges: BTreeSet<Edge>,
}

/// The node id of a model version: `model:NAME@V`.
pub(crate) fn model_id(model: &str, version: u64) -> String {
    format!("model:{model}@{version}")
}

impl Graph {
    /// One version and what its own record names as its inputs.
    pub fn of_version(record: &RegisterRecord, digest: Digest) -> Graph {
        let root = model_id(record.model.as_str(), record.version.get());
        let mut graph = Graph { root: root.clone(), ..Graph::default() };
        graph.add_model(record.model.as_str(), record.version.get(), &digest);
        graph.add_inputs(record);
        graph
    }

    /// Adds a model version's node (once) and returns its id.
    pub(crate) fn add_model(&mut self, model: &str, version: u64, record: &Digest) -> String {
        let id = model_id(model, version);
        self.nodes.insert(Node {
            id: id.clone(),
            kind: NodeKind::Model,
            label: format!("{model} v{version}"),
            digest: Some(record.to_string()),
        });
        id
    }

    /// The datasets, code and parents a registration names, as edges into it.
    pub(crate) fn add_inputs(&mut self, record: &RegisterRecord) {
        let me = model_id(record.model.as_str(), record.version.get());
        for dataset in &record.lineage.datasets {
            let id = match dataset.digest {
                Some(d) => format!("dataset:{}#{d}", dataset.uri),
                None => format!("dataset:{}", dataset.uri),
            };
            self.nodes.insert(Node {
                id: id.clone(),
                kind: NodeKind::Dataset,
                label: dataset.uri.clone(),
                digest: dataset.digest.map(|d| d.to_string()),
            });
            self.edges.insert(Edge { from: id, to: me.clone(), label: format!("dataset {}", dataset.name) });
        }
        if let Some(code) = &record.lineage.code {
            let id = format!("code:{}", code.commit);
            let short = &code.commit[..code.commit.len().min(12)];
            let label = match (&code.repo, code.dirty) {
                (Some(repo), dirty) => format!("{repo} @ {short}{}", if dirty { " (dirty)" } else { "" }),
                (None, dirty) => format!("commit {short}{}", if dirty { " (dirty)" } else { "" }),
            };
            self.nodes.insert(Node { id: id.clone(), kind: NodeKind::Code, label, digest: None });
            self.edges.insert(Edge { from: id, to: me.clone(), label: "code".into() });
        }
        for parent in &record.lineage.parents {
            let id = self.add_model(parent.model.as_str(), parent.version.get(), &parent.record);
            self.edges.insert(Edge { from: id, to: me.clone(), label: "parent".into() });
        }
    }

    /// A Mermaid flowchart (GitHub renders it in a ```mermaid block).
    pub fn mermaid(&self) -> String {
        let index = |id: &str| self.nodes.iter().position(|n| n.id == id).unwrap_or(0);
        let mut out = String::from("flowchart LR\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let label = node.label.replace('"', "#quot;");
            let _ = match node.kind {
                NodeKind::Model => writeln!(out, "  n{i}[\"{label}\"]"),
                NodeKind::Dataset => writeln!(out, "  n{i}[(\"{label}\")]"),
                NodeKind::Code => writeln!(out, "  n{i}{{{{\"{label}\"}}}}"),
            };
        }
        for edge in &self.edges {
            let _ =
                writeln!(out, "  n{} -->|{}| n{}", index(&edge.from), edge.label.replace('|', "/"), index(&edge.to));
        }
        if !self.root.is_empty() {
            let _ = writeln!(out, "  style n{} stroke-width:3px", index(&self.root));
        }
        out
    }

    /// Graphviz dot.
    pub fn dot(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = String::from("digraph lineage {\n  rankdir=LR;\n");
        for node in &self.nodes {
            let shape = match node.kind {
                NodeKind::Model => "box",
                NodeKind::Dataset => "cylinder",
                NodeKind::Code => "hexagon",
            };
            let bold = if node.id == self.root { ", penwidth=3" } else { "" };
            let _ = writeln!(out, "  {} [label={}, shape={shape}{bold}];", quote(&node.id), quote(&node.label));
        }
        for edge in &self.edges {
            let _ = writeln!(out, "  {} -> {} [label={}];", quote(&edge.from), quote(&edge.to), quote(&edge.label));
        }
        out.push_str("}\n");
        out
    }

    /// An indented outline: what the root was made from (upstream), then what was made from it.
    pub fn text(&self) -> String {
        let label = |id: &str| self.nodes.iter().find(|n| n.id == id).map_or(id.to_owned(), |n| n.label.clone());
        let mut out = format!("{}\n", label(&self.root));
        let mut up = String::new();
        self.walk(&self.root, true, 1, &mut vec![self.root.clone()], &mut up);
        if !up.is_empty() {
            out.push_str("  upstream:\n");
            out.push_str(&up);
        }
        let mut down = String::new();
        self.walk(&self.root, false, 1, &mut vec![self.root.clone()], &mut down);
        if !down.is_empty() {
            out.push_str("  downstream:\n");
            out.push_str(&down);
        }
        out
    }

    fn walk(&self, id: &str, upstream: bool, depth: usize, path: &mut Vec<String>, out: &mut String) {
        for edge in &self.edges {
            let (here, next) = if upstream { (&edge.to, &edge.from) } else { (&edge.from, &edge.to) };
            if here != id || path.contains(next) {
                continue;
            }
            let node = self.nodes.iter().find(|n| &n.id == next);
            let label = node.map_or(next.clone(), |n| n.label.clone());
            let digest =
                node.and_then(|n| n.digest.as_deref()).filter(|_| node.is_some_and(|n| n.kind == NodeKind::Dataset));
            let digest = digest.map(|d| format!(" ({})", &d[..d.len().min(19)])).unwrap_or_default();
            // Downstream, a `parent` edge leads to a model derived from this one.
            let relation = if !upstream && edge.label == "parent" { "derived" } else { edge.label.as_str() };
            let _ = writeln!(out, "{}{relation}: {label}{digest}", "  ".repeat(depth + 1));
            path.push(next.clone());
            self.walk(next, upstream, depth + 1, path, out);
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_for_mermaid_and_dot() {
        let mut graph = Graph { root: "model:m@1".into(), ..Graph::default() };
        graph.nodes.insert(Node { id: "model:m@1".into(), kind: NodeKind::Model, label: "m v1".into(), digest: None });
        let uri = r#"s3://b/"odd"\name|x"#;
        graph.nodes.insert(Node {
            id: format!("dataset:{uri}"),
            kind: NodeKind::Dataset,
            label: uri.into(),
            digest: None,
        });
        graph.edges.insert(Edge {
            from: format!("dataset:{uri}"),
            to: "model:m@1".into(),
            label: "dataset a|b".into(),
        });
        assert_eq!(
            graph.mermaid(),
            "flowchart LR\n  n0[(\"s3://b/#quot;odd#quot;\\name|x\")]\n  n1[\"m v1\"]\n  n0 -->|dataset a/b| n1\n  style n1 stroke-width:3px\n"
        );
        assert!(graph.dot().contains(r#"[label="s3://b/\"odd\"\\name|x", shape=cylinder];"#), "{}", graph.dot());
        assert_eq!(graph.text(), "m v1\n  upstream:\n    dataset a|b: s3://b/\"odd\"\\name|x\n");
    }
}

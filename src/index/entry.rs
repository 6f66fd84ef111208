//! One model's entry in the index: its [`ModelDoc`] and its versions' [`SearchDoc`]s in one compact blob,
//! self-contained so an entry that is still fresh is copied into the next file byte for byte.
//!
//! Layout (all integers little-endian, see [`super::codec`]):
//! - a string table: a count, then each distinct string once. Versions of one model repeat their
//!   author, tag, metric and parameter names and most values, so the rest refers to strings by index
//!   (a blob is about a third of the size it would be with strings inline).
//! - the model: latest version, version and record counts, update time, description, framework, the
//!   stage holders, whether it is archived.
//! - the versions, oldest first, each prefixed by its byte length so `--latest` skips to the last one.
//!
//! Decoding never panics and returns `None` on anything that is not exactly such a blob. Search decodes
//! into one reused [`SearchDoc`] per worker and clones only the matches, so a warm search over 300,000
//! versions allocates for its results, not for every version it looks at.

use std::collections::HashMap;

use super::codec::{Reader, Writer};
use crate::record::{ModelName, Stage, Timestamp, Version};
use crate::state::ModelState;
use crate::state::search::{ModelDoc, SearchDoc, docs_of, model_doc_of};

/// A string index meaning "none" in an optional field.
const NONE: u32 = u32::MAX;

/// The blob of a model's state.
pub fn encode(state: &ModelState) -> Vec<u8> {
    let model = model_doc_of(state);
    let docs = docs_of(state);
    let mut strings = Interner::default();
    let mut body = Writer::default();

    body.opt_u64(model.latest_version.map(Version::get));
    body.u32(model.versions as u32);
    body.u64(model.records as u64);
    body.opt_u64(model.updated_at.map(Timestamp::unix_seconds));
    body.u32(strings.opt(model.description.as_deref()));
    body.u32(strings.opt(model.framework.as_deref()));
    body.u32(model.stages.len() as u32);
    for (stage, version) in &model.stages {
        body.u32(strings.id(stage.as_str()));
        body.u64(version.get());
    }
    body.u8(model.archived as u8);

    body.u32(docs.len() as u32);
    for doc in &docs {
        let mut d = Writer::default();
        d.u64(doc.version.get());
        d.u64(doc.created_at.unix_seconds());
        d.u32(strings.id(&doc.author));
        d.u32(strings.opt(doc.framework.as_deref()));
        d.u32(strings.opt(doc.description.as_deref()));
        d.u32(doc.tags.len() as u32);
        for (k, v) in &doc.tags {
            d.u32(strings.id(k));
            d.u32(strings.id(v));
        }
        d.u32(doc.metrics.len() as u32);
        for (k, v) in &doc.metrics {
            d.u32(strings.id(k));
            d.f64(*v);
        }
        d.u32(doc.params.len() as u32);
        for (k, v) in &doc.params {
            d.u32(strings.id(k));
            d.u32(strings.id(v));
        }
        d.u32(doc.stages.len() as u32);
        for stage in &doc.stages {
            d.u32(strings.id(stage.as_str()));
        }
        d.u8(doc.archived as u8);
        let d = d.finish();
        body.u32(d.len() as u32);
        body.bytes(&d);
    }

    let mut out = Writer::default();
    out.u32(strings.list.len() as u32);
    for s in &strings.list {
        out.str(s);
    }
    out.bytes(&body.finish());
    out.finish()
}

#[derive(Default)]
struct Interner<'a> {
    ids: HashMap<&'a str, u32>,
    list: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, s: &'a str) -> u32 {
        *self.ids.entry(s).or_insert_with(|| {
            self.list.push(s);
            self.list.len() as u32 - 1
        })
    }

    fn opt(&mut self, s: Option<&'a str>) -> u32 {
        s.map_or(NONE, |s| self.id(s))
    }
}

/// A blob split into its parts, strings resolved.
struct Parts<'a> {
    strings: Vec<&'a str>,
    model: Reader<'a>,
}

fn parts(blob: &[u8]) -> Option<Parts<'_>> {
    let mut r = Reader::new(blob);
    let n = r.u32()? as usize;
    let mut strings = Vec::with_capacity(n.min(blob.len()));
    for _ in 0..n {
        strings.push(r.str()?);
    }
    Some(Parts { strings, model: r })
}

fn string<'a>(strings: &[&'a str], id: u32) -> Option<&'a str> {
    strings.get(id as usize).copied()
}

fn opt_string<'a>(strings: &[&'a str], id: u32) -> Option<Option<&'a str>> {
    if id == NONE { Some(None) } else { string(strings, id).map(Some) }
}

/// Reads the model part, leaving `r` at the versions.
fn read_model(r: &mut Reader<'_>, strings: &[&str], name: &ModelName) -> Option<ModelDoc> {
    let latest_version = r.opt_u64()?.map(Version::try_from).transpose().ok()?;
    let versions = r.u32()? as usize;
    let records = usize::try_from(r.u64()?).ok()?;
    let updated_at = r.opt_u64()?.map(Timestamp::from_unix_seconds);
    let description = opt_string(strings, r.u32()?)?.map(str::to_owned);
    let framework = opt_string(strings, r.u32()?)?.map(str::to_owned);
    let n = r.u32()? as usize;
    let mut stages = Vec::with_capacity(n.min(r.len()));
    for _ in 0..n {
        let stage = string(strings, r.u32()?)?.parse::<Stage>().ok()?;
        stages.push((stage, Version::try_from(r.u64()?).ok()?));
    }
    let archived = flag(r.u8()?)?;
    Some(ModelDoc {
        name: name.clone(),
        latest_version,
        versions,
        records,
        updated_at,
        description,
        framework,
        stages,
        archived,
    })
}

fn flag(byte: u8) -> Option<bool> {
    match byte {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// The model part of a blob; `None` when it is not a whole, well-formed blob.
pub fn model(blob: &[u8], name: &ModelName) -> Option<ModelDoc> {
    let Parts { strings, mut model } = parts(blob)?;
    let doc = read_model(&mut model, &strings, name)?;
    // The versions are checked too: a blob is used whole or not at all.
    versions(&mut model)?;
    Some(doc)
}

/// Each version's encoded bytes, oldest first; `None` unless they fill the rest of the blob exactly.
fn versions<'a>(r: &mut Reader<'a>) -> Option<Vec<&'a [u8]>> {
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(r.len()));
    for _ in 0..n {
        let len = r.u32()? as usize;
        out.push(r.bytes(len)?);
    }
    r.is_empty().then_some(out)
}

/// Every version of a blob (only the latest with `latest`) that `keep` accepts, each cloned out of a
/// reused document; with how many were looked at. `None` when the blob is malformed.
pub fn search(
    blob: &[u8],
    name: &ModelName,
    latest: bool,
    scratch: &mut Option<SearchDoc>,
    keep: &(dyn Fn(&SearchDoc) -> bool + Sync),
) -> Option<(Vec<SearchDoc>, usize)> {
    let Parts { strings, mut model } = parts(blob)?;
    read_model(&mut model, &strings, name)?;
    let all = versions(&mut model)?;
    let looked_at = if latest { &all[all.len().saturating_sub(1)..] } else { &all[..] };
    let doc = match scratch {
        Some(doc) if doc.name == *name => doc,
        _ => scratch.insert(empty(name.clone())),
    };
    let mut kept = Vec::new();
    for bytes in looked_at {
        fill(doc, bytes, &strings)?;
        if keep(doc) {
            kept.push(doc.clone());
        }
    }
    Some((kept, looked_at.len()))
}

fn empty(name: ModelName) -> SearchDoc {
    SearchDoc {
        name,
        version: Version::try_from(1).expect("1 is a version"),
        created_at: Timestamp::from_unix_seconds(0),
        author: String::new(),
        framework: None,
        description: None,
        tags: Vec::new(),
        metrics: Vec::new(),
        params: Vec::new(),
        stages: Vec::new(),
        archived: false,
    }
}

/// Overwrites `doc` (of the same model) with one encoded version, reusing its strings' buffers.
fn fill(doc: &mut SearchDoc, bytes: &[u8], strings: &[&str]) -> Option<()> {
    let mut r = Reader::new(bytes);
    doc.version = Version::try_from(r.u64()?).ok()?;
    doc.created_at = Timestamp::from_unix_seconds(r.u64()?);
    set(&mut doc.author, string(strings, r.u32()?)?);
    set_opt(&mut doc.framework, opt_string(strings, r.u32()?)?);
    set_opt(&mut doc.description, opt_string(strings, r.u32()?)?);
    let text = |r: &mut Reader<'_>| {
        let v = string(strings, r.u32()?)?;
        Some(move |slot: &mut String| set(slot, v))
    };
    set_pairs(&mut doc.tags, &mut r, text, strings)?;
    set_pairs(
        &mut doc.metrics,
        &mut r,
        |r| {
            let v = r.f64()?;
            Some(move |slot: &mut f64| *slot = v)
        },
        strings,
    )?;
    set_pairs(&mut doc.params, &mut r, text, strings)?;
    let n = r.u32()? as usize;
    // Stages are few (most versions hold none); parsing them is the only allocation here.
    doc.stages.clear();
    for _ in 0..n.min(bytes.len()) {
        doc.stages.push(string(strings, r.u32()?)?.parse::<Stage>().ok()?);
    }
    if doc.stages.len() != n {
        return None;
    }
    doc.archived = flag(r.u8()?)?;
    r.is_empty().then_some(())
}

fn set(slot: &mut String, value: &str) {
    slot.clear();
    slot.push_str(value);
}

fn set_opt(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(s), Some(v)) => set(s, v),
        (_, v) => *slot = v.map(str::to_owned),
    }
}

/// Overwrites a `(key, value)` list in place: keys by string index, values by `value`, which reads one
/// from `r` and returns how to store it.
fn set_pairs<'a, V: Default, F: FnOnce(&mut V)>(
    slot: &mut Vec<(String, V)>,
    r: &mut Reader<'a>,
    value: impl Fn(&mut Reader<'a>) -> Option<F>,
    strings: &[&str],
) -> Option<()> {
    let n = r.u32()? as usize;
    if n > r.len() {
        return None;
    }
    slot.truncate(n);
    for i in 0..n {
        let key = string(strings, r.u32()?)?;
        let store = value(r)?;
        if i == slot.len() {
            slot.push((String::new(), V::default()));
        }
        let (k, v) = &mut slot[i];
        set(k, key);
        store(v);
    }
    Some(())
}

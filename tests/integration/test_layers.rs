//! The library's layers point only down (the order in `src/lib.rs` and docs/ARCHITECTURE.md): every
//! `crate::<module>` a file names must sit below the file's own module. This test reads the sources,
//! so a new import that points up fails here rather than in a reviewer's head.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer; a module may use only lower layers (and
/// itself). `drift` is the leaf crate `modelreg_drift`, usable from anywhere.
const LAYERS: &[(&str, u32)] = &[
    ("progress", 0),
    ("record", 1),
    ("sign", 2),
    ("store", 2),
    ("repo", 3),
    ("state", 4),
    ("card", 5),
    ("policy", 6),
    ("index", 7),
    ("ops", 8),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules a source file names through `crate::`, including `use crate::{a::…, b::…}` groups.
fn referenced_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                found.insert(name);
            }
        } else {
            found.insert(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
        }
    }
    found
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let module = relative.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or_default();
        let module = module.trim_end_matches(".rs");
        // The binary (main.rs, cli/) is the top layer; lib.rs declares the modules.
        let Some(own) = layer(module) else { continue };
        let text = std::fs::read_to_string(&file).expect("readable source");
        for used in referenced_modules(&text) {
            if let Some(theirs) = layer(&used)
                && used != module
                && theirs >= own
            {
                upward.push(format!("{} ({module}, layer {own}) uses {used} (layer {theirs})", relative.display()));
            }
        }
    }
    assert!(upward.is_empty(), "imports that point up or sideways:\n{}", upward.join("\n"));
}

#[test]
fn every_library_module_has_a_layer() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("lib.rs");
    for line in lib.lines() {
        if let Some(name) = line.strip_prefix("pub mod ").and_then(|l| l.strip_suffix(';')) {
            assert!(layer(name).is_some(), "module `{name}` is not in LAYERS: give it its place in the order");
        }
    }
}

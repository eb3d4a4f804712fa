// SPDX-License-Identifier: MIT OR Apache-2.0
//! The layering of `src/` (docs/ARCHITECTURE.md), checked on the source: every
//! `crate::<module>` path in a top-level module must name a module of a lower
//! layer. A module that reaches one of its own layer or above fails here, so no
//! import cycle between top-level modules can come back unnoticed. Test-only
//! files (`tests.rs`, `*_tests.rs`: the engine's rule tests run on a real store
//! through a Detector) are exempt; comments are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer; lower layers know nothing of
/// higher ones, and modules of one layer know nothing of each other.
const LAYERS: &[(&str, u8)] = &[
    ("contract", 0),
    ("clock", 0),
    ("number", 1),
    ("config", 2),
    ("engine", 3),
    ("store", 3),
    ("simulate", 3),
    ("detector", 4),
    ("pipeline", 5),
    ("node", 6),
    ("report", 6),
    ("ffi", 7),
    ("serve", 7),
    ("replay", 5),
    ("quality", 8),
];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules a source text names as `crate::<name>` or inside `crate::{...}`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::X, b}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        out.insert(ident(&group[j..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

#[test]
fn top_level_modules_depend_only_on_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let mut seen_modules = BTreeSet::new();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let name = f.file_name().unwrap().to_string_lossy();
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let Some(&own) = layer.get(module.as_str()) else {
            panic!("src/{module}: a top-level module without a layer; add it to LAYERS and docs/ARCHITECTURE.md");
        };
        seen_modules.insert(module.clone());
        // Code only: comments may point anywhere.
        let text: String = std::fs::read_to_string(f)
            .unwrap()
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        for dep in named_modules(&text) {
            if dep == module {
                continue;
            }
            let Some(&theirs) = layer.get(dep.as_str()) else {
                wrong.push(format!(
                    "{}: crate::{dep} is not a known module",
                    rel.display()
                ));
                continue;
            };
            if theirs >= own {
                wrong.push(format!(
                    "{}: `{module}` (layer {own}) uses crate::{dep} (layer {theirs})",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
    let declared: BTreeSet<String> = LAYERS.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(
        seen_modules, declared,
        "LAYERS lists exactly the modules of src/"
    );
}

#[test]
fn the_scanner_sees_grouped_and_plain_paths() {
    let m = named_modules("use crate::{config::Config, engine::{A, B}};\nlet x = crate::store::X;");
    assert_eq!(
        m.into_iter().collect::<Vec<_>>(),
        vec!["config", "engine", "store"]
    );
}

//! The layers of ARCHITECTURE.md, checked on the sources: no module of the crate reaches back
//! to one that reaches it (no cycles, between top-level modules nor between the modules of
//! `domain`), `app` touches neither the store nor the terminal, and the domain reads nothing
//! but itself and pure leaves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every `.rs` file under `dir`, with its path relative to `src/`.
fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The code of a file without its tests (a test may build fixtures from anywhere).
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |at| &text[..at])
}

/// The module a file belongs to: its top-level module, or `domain::<name>` inside `domain`.
/// Test code (`tests.rs`, a `tests/` folder, `test_support`) may build fixtures from anywhere.
fn module_of(relative: &str) -> Option<String> {
    let parts: Vec<&str> = relative.trim_end_matches(".rs").split('/').collect();
    if parts.iter().any(|p| *p == "tests" || *p == "test_support") {
        return None;
    }
    match parts.as_slice() {
        ["lib" | "main"] => None,
        ["domain", "mod"] => Some("domain".into()),
        ["domain", name, ..] => Some(format!("domain::{name}")),
        [name, ..] => Some((*name).to_owned()),
        [] => None,
    }
}

/// Which modules each module names (`crate::x`, `crate::domain::y`, and `super::y` in domain).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (relative, text) in &files {
        let Some(module) = module_of(relative) else { continue };
        let code = without_tests(text);
        let mut named = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let path: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut parts = path.split("::").filter(|p| !p.is_empty());
            match (parts.next(), parts.next()) {
                (Some("domain"), Some(sub)) if sub.chars().all(|c| c.is_lowercase() || c == '_') => {
                    named.insert(format!("domain::{sub}"));
                }
                (Some(top), _) if !top.is_empty() => {
                    named.insert(top.to_owned());
                }
                _ => {}
            }
        }
        if module.starts_with("domain::") {
            for (at, _) in code.match_indices("super::") {
                let sub: String =
                    code[at + 7..].chars().take_while(|c| c.is_lowercase() || *c == '_').collect();
                if !sub.is_empty() && sub != "super" && code[at + 7 + sub.len()..].starts_with("::") {
                    named.insert(format!("domain::{sub}"));
                }
            }
        }
        // `domain` (its mod.rs) holds ids and macros every domain module uses.
        named.retain(|n| *n != module && n != "domain" && !n.is_empty());
        graph.entry(module).or_default().extend(named);
    }
    graph
}

/// A cycle through `from`, if there is one.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in graph.get(last).into_iter().flatten() {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_reaches_back_to_one_that_reaches_it() {
    let graph = graph();
    assert!(graph.contains_key("keymap") && graph.contains_key("domain::assessment"), "{graph:?}");
    let cycles: Vec<String> =
        graph.keys().filter_map(|module| cycle_from(&graph, module)).map(|c| c.join(" → ")).collect();
    assert!(cycles.is_empty(), "cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_app_touches_neither_the_store_nor_the_terminal() {
    let graph = graph();
    let app = &graph["app"];
    for forbidden in ["store", "terminal", "runner", "ui", "commands"] {
        assert!(!app.contains(forbidden), "app names {forbidden}");
    }
    // The domain reads only itself and the crate's leaves (pure helpers that name nothing).
    let leaf = |module: &String| graph.get(module).is_none_or(BTreeSet::is_empty);
    for (module, named) in &graph {
        if module.starts_with("domain") {
            let outside: Vec<_> = named.iter().filter(|n| !n.starts_with("domain") && !leaf(n)).collect();
            assert!(outside.is_empty(), "{module} names {outside:?}");
        }
    }
    assert!(graph["keymap"].is_empty(), "keymap is the bottom: {:?}", graph["keymap"]);
}

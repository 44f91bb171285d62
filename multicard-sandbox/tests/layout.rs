//! The sandbox's files stay readable and its modules stay layered: no
//! hand-written file is over 600 lines, and no file imports another that
//! imports it back, directly or through others (`crate::`, `super::` and
//! `self::` paths, in `use` items and in code, resolved to the file of the
//! module they name).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a library file: `lib.rs` is `[]`, `a.rs` and
/// `a/mod.rs` are `["a"]`, `a/b.rs` is `["a", "b"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    if last != "lib.rs" && last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a use tree (or a path in code) starting at `text` names, each
/// as its segments: `a::{b, c::d}` names `a::b` and `a::c::d`.
fn paths(text: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if end > 0 {
            segments.push(rest[..end].to_string());
        }
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix("::") {
            rest = after;
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 1;
                let mut item = String::new();
                let mut items = Vec::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    if c == ',' && depth == 1 {
                        items.push(std::mem::take(&mut item));
                    } else {
                        item.push(c);
                    }
                }
                items.push(item);
                let mut all = Vec::new();
                for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
                    for tail in paths(item) {
                        all.push(segments.iter().cloned().chain(tail).collect());
                    }
                }
                return all;
            }
            continue;
        }
        return vec![segments];
    }
}

/// The modules a file's code names (without comments), as module paths.
/// `module` is the file's; inline modules (`mod tests { .. }`) nest in it.
fn references(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    // Inline modules open now: their names, and the depth they opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let trimmed = line.trim_start().trim_start_matches("pub(crate) ").trim_start_matches("pub ");
        if let Some(name) = trimmed.strip_prefix("mod ").and_then(|r| r.strip_suffix('{')) {
            inline.push((name.trim().to_string(), depth));
        }
        let here: Vec<String> = module.iter().cloned().chain(inline.iter().map(|(name, _)| name.clone())).collect();
        for anchor in ["crate::", "super::", "self::"] {
            let mut from = 0;
            while let Some(at) = line[from..].find(anchor) {
                let start = from + at;
                from = start + anchor.len();
                if line[..start].chars().next_back().is_some_and(|c| is_ident(c) || c == ':') {
                    continue; // `multicard_api::...`, `x::self::` and the like
                }
                let base: Vec<String> = match anchor {
                    "crate::" => Vec::new(),
                    "super::" => here[..here.len().saturating_sub(1)].to_vec(),
                    _ => here.clone(),
                };
                for path in paths(&line[from..]) {
                    found.push(base.iter().cloned().chain(path).collect());
                }
            }
        }
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if inline.last().is_some_and(|(_, opened)| *opened == depth) {
                        inline.pop();
                    }
                }
                _ => {}
            }
        }
    }
    found
}

#[test]
fn no_file_is_over_600_lines_and_no_two_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let bin = src.join("bin");
    let library: Vec<&PathBuf> = files.iter().filter(|f| !f.starts_with(&bin)).collect();
    let mut too_long = Vec::new();
    for file in &files {
        let lines = std::fs::read_to_string(file).expect("readable").lines().count();
        if lines > MAX_LINES {
            too_long.push(format!("{} ({lines} lines)", file.display()));
        }
    }
    assert!(too_long.is_empty(), "files over {MAX_LINES} lines: {too_long:?}");

    let modules: BTreeMap<Vec<String>, String> = library
        .iter()
        .map(|f| (module_of(&src, f), f.strip_prefix(&src).expect("under src").display().to_string()))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &library {
        let module = module_of(&src, file);
        let name = &modules[&module];
        let code = std::fs::read_to_string(file).expect("readable");
        for path in references(&code, &module) {
            // The longest prefix of the path that is a module with a file.
            let target = (0..=path.len()).rev().find_map(|n| modules.get(&path[..n]));
            if let Some(target) = target.filter(|t| *t != name) {
                edges.entry(name.clone()).or_default().insert(target.clone());
            }
        }
    }
    assert!(edges.values().map(BTreeSet::len).sum::<usize>() > 20, "the scan finds the imports: {edges:?}");

    // Depth-first search for a cycle.
    fn visit<'a>(
        file: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, bool>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match state.get(file) {
            Some(true) => return None,
            Some(false) => {
                let start = stack.iter().position(|f| *f == file).unwrap_or(0);
                let mut cycle: Vec<String> = stack[start..].iter().map(|f| f.to_string()).collect();
                cycle.push(file.to_string());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(file, false);
        stack.push(file);
        for next in edges.get(file).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(file, true);
        None
    }
    let mut state = BTreeMap::new();
    for file in modules.values() {
        if let Some(cycle) = visit(file, &edges, &mut state, &mut Vec::new()) {
            panic!("files that import each other: {}", cycle.join(" -> "));
        }
    }
}

//! Holds the source tree to the layering rule of the crate documentation: reads every
//! `src/**.rs` file, resolves the paths it names (`crate::`, `super::`, `use` trees) to
//! modules, and fails on an import that climbs a layer, a cycle between modules, a command
//! that imports another, or a view that judges or parses.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may name modules of its own layer or a lower one; every
/// top-level module of the crate is placed here (a new one must be).
const LAYERS: &[(&str, &[&str])] = &[
    // Leaves every layer may use: the finding model, time, quoting, the TLS alert table, the
    // error vocabulary, a command's outcome, the open-file limit.
    (
        "foundation",
        &[
            "finding",
            "when",
            "quote",
            "alerts",
            "error",
            "outcome",
            "descriptors",
        ],
    ),
    // Bytes in and out: files, the network edge, written files.
    ("input", &["source", "net", "output"]),
    // What the input is: certificates and chains, keys, trust anchors, policy documents, the
    // device's identity, endpoint targets; and the AWS edge, which answers in the policy
    // model's terms.
    (
        "model",
        &[
            "chain", "keys", "trust", "policy", "aws", "identity", "targets",
        ],
    ),
    // Every judgement.
    ("judging", &["verify", "fleet", "doctor", "explain"]),
    ("report", &["report"]),
    ("commands", &["cmd", "serve"]),
    // Arguments, dispatch, manuals, the fuzzing entry points.
    ("entry", &["app", "cli", "manual", "fuzzing"]),
];

/// Edges that climb a layer on purpose, with the reason.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "error",
        "net",
        "the error vocabulary wraps the network edge's error, so that `?` converts it",
    ),
    (
        "error",
        "aws",
        "the error vocabulary wraps the AWS edge's error, so that `?` converts it",
    ),
];

/// Back-edges known and being removed: (a part of a violation's message, why it is still
/// there). Each must still occur, so that the list only shrinks.
const PENDING: &[(&str, &str)] = &[];

/// The violations not excused by [`PENDING`].
fn unexcused(violations: Vec<String>) -> Vec<String> {
    violations
        .into_iter()
        .filter(|v| !PENDING.iter().any(|(part, _)| v.contains(part)))
        .collect()
}

/// Where async code lives (house rule 6): the two outbound edges, and the exporter's inbound
/// HTTP edge, which stays beside the routes, probe slots and signals it serves (`serve` is a
/// command; moving its server under `net/` would put its routes in the input layer).
const ASYNC_EDGES: &[&str] = &["net/", "aws/", "serve/http.rs"];

/// What marks a file as async: a runtime, an async function, an await.
const ASYNC_MARKS: &[&str] = &["tokio::", "hyper::", "async fn", "async move", ".await"];

/// Modules whose functions are judgements: a view may hold their types, never call them.
const JUDGING: &[&str] = &["verify", "fleet", "doctor", "explain", "policy"];

/// What a view must not do itself, and what it would be doing: parsing and loading are
/// `chain`'s, `keys`' and `verify`'s; a verdict is the judging's conclusion, given to a view.
const NOT_IN_VIEWS: &[(&str, &str)] = &[
    ("x509_parser::", "parses"),
    ("webpki::", "verifies"),
    ("rustls::", "uses TLS"),
    ("aws_lc_rs::", "uses the crypto library"),
    ("::from_der(", "parses"),
    ("::load(", "loads"),
    ("::parse(", "parses"),
    ("Verdict::of(", "concludes a verdict"),
];

#[derive(Debug)]
struct SourceFile {
    /// Relative to `src/`, with forward slashes.
    relative: String,
    /// The file's own module path: `cmd/doctor/mod.rs` → ["cmd", "doctor"].
    module: Vec<String>,
    /// The code, comments removed.
    code: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn read_tree() -> Vec<SourceFile> {
    let src = src_dir();
    let mut paths = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("src entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let relative = path
                .strip_prefix(&src)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            // The crate roots and this file (whose tables name every module) are not layered.
            if ["lib.rs", "main.rs", "layering.rs"].contains(&relative.as_str()) {
                return None;
            }
            let text = fs::read_to_string(&path).expect("source is UTF-8");
            Some(SourceFile {
                module: module_path(&relative),
                code: without_comments(&text),
                relative,
            })
        })
        .collect()
}

fn module_path(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Line comments (doc comments included) removed; a `//` inside a string literal cuts the
/// rest of its line, which can only hide a path, never invent one.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A path as written, resolved against the file it is in: `crate::a::b` → [a, b];
/// `super::x` in cmd/doctor/judge.rs → [cmd, doctor, x].
fn resolve(file: &SourceFile, path: &str) -> Option<Vec<String>> {
    let mut segments = path.split("::").map(str::trim).filter(|s| !s.is_empty());
    let first = segments.next()?;
    let mut base: Vec<String> = match first {
        "crate" => Vec::new(),
        "self" => file.module.clone(),
        "super" => {
            let mut m = file.module.clone();
            m.pop();
            m
        }
        _ => return None,
    };
    for segment in segments {
        if segment == "super" {
            base.pop();
        } else {
            base.push(segment.to_string());
        }
    }
    Some(base)
}

/// Every path a file names into the crate, resolved, with a `use` tree expanded into its
/// leaves. Each comes with the name it is known by in the file when it is imported.
fn paths_named(file: &SourceFile) -> Vec<(Vec<String>, Option<String>)> {
    let code = &file.code;
    let mut out = Vec::new();
    // `use` items, possibly spanning lines.
    let mut rest = code.as_str();
    while let Some(start) = find_use(rest) {
        let after = &rest[start..];
        let end = after.find(';').unwrap_or(after.len());
        let tree = after[..end].trim_start_matches("pub(crate) ");
        let tree = tree.trim_start_matches("pub ").trim_start_matches("use ");
        for (leaf, alias) in expand(tree.trim()) {
            if let Some(resolved) = resolve(file, &leaf) {
                out.push((resolved, Some(alias)));
            }
        }
        rest = &after[end..];
    }
    // Paths written out in code: `crate::verify::classify(...)`.
    for prefix in ["crate::", "super::"] {
        let mut at = 0;
        while let Some(found) = code[at..].find(prefix) {
            let start = at + found;
            at = start + prefix.len();
            let before = code[..start].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let len = code[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(code.len() - start);
            let written = code[start..start + len].trim_end_matches(':');
            if line_of(code, start).trim_start().starts_with("use ")
                || line_of(code, start).trim_start().starts_with("pub use ")
            {
                continue;
            }
            if let Some(resolved) = resolve(file, written) {
                out.push((resolved, None));
            }
        }
    }
    out
}

fn line_of(code: &str, at: usize) -> &str {
    let start = code[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = code[at..].find('\n').map_or(code.len(), |i| at + i);
    &code[start..end]
}

/// The offset of the next `use` item (at the start of a line, maybe `pub`).
fn find_use(code: &str) -> Option<usize> {
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("use ")
            || trimmed.starts_with("pub use ")
            || trimmed.starts_with("pub(crate) use ")
        {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

/// `a::{b, c::{d as e, self}}` → [("a::b", "b"), ("a::c::d", "e"), ("a::c", "c")].
fn expand(tree: &str) -> Vec<(String, String)> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    expand_into("", &tree, &mut out);
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<(String, String)>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = tree[open + 1..].trim_end().trim_end_matches('}');
        let prefix = join(prefix, head);
        for part in split_top_level(inner) {
            expand_into(&prefix, part, out);
        }
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim())),
        None => (tree, None),
    };
    if path == "self" {
        let alias = alias.unwrap_or_else(|| prefix.rsplit("::").next().unwrap_or(prefix));
        out.push((prefix.to_string(), alias.to_string()));
        return;
    }
    let full = join(prefix, path);
    let alias = alias.unwrap_or_else(|| path.rsplit("::").next().unwrap_or(path));
    out.push((full, alias.to_string()));
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}::{path}"),
    }
}

/// Splits at the commas that are not inside braces.
fn split_top_level(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// True when `path` names a module of the crate (a file or a folder under src/).
fn is_module(path: &[String]) -> bool {
    let base = src_dir().join(path.join("/"));
    base.with_extension("rs").is_file() || base.join("mod.rs").is_file()
}

/// Every edge between two top-level modules, with the first place it is named.
fn module_edges(files: &[SourceFile]) -> BTreeMap<(String, String), String> {
    let mut edges = BTreeMap::new();
    for file in files {
        let from = &file.module[0];
        for (path, _) in paths_named(file) {
            let Some(to) = path.first() else { continue };
            if to != from && layer_of(to).is_some() {
                edges
                    .entry((from.clone(), to.clone()))
                    .or_insert_with(|| file.relative.clone());
            }
        }
    }
    edges
}

/// Imports that go up the layers, less the allowed ones.
fn climbing(edges: &BTreeMap<(String, String), String>) -> Vec<String> {
    edges
        .iter()
        .filter(|((from, to), _)| {
            let (Some(a), Some(b)) = (layer_of(from), layer_of(to)) else {
                return false;
            };
            a < b && !ALLOWED.iter().any(|(f, t, _)| f == from && t == to)
        })
        .map(|((from, to), at)| format!("{}, in src/{at}", climb(from, to)))
        .collect()
}

fn climb(from: &str, to: &str) -> String {
    let layer = |m: &str| layer_of(m).map_or("?", |i| LAYERS[i].0);
    format!("{from} ({}) imports {to} ({})", layer(from), layer(to))
}

/// A cycle between top-level modules, if there is one.
fn cycle(edges: &BTreeMap<(String, String), String>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    fn visit<'a>(
        node: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        path.push(node);
        for to in next.get(node).into_iter().flatten() {
            if let Some(c) = visit(to, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in next.keys() {
        if let Some(c) = visit(node, &next, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// A command that names another command's module.
fn commands_importing_commands(files: &[SourceFile]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files.iter().filter(|f| f.module[0] == "cmd") {
        let Some(own) = file.module.get(1) else {
            continue;
        };
        for (path, _) in paths_named(file) {
            // `crate::cmd::other::…`, or `crate::cmd::other` when that is a module; a function
            // of cmd/mod.rs itself (`crate::cmd::helper`) is shared by all.
            let other_command = path.len() > 2 || is_module(&path);
            if path.first().is_some_and(|p| p == "cmd")
                && path.get(1).is_some_and(|other| other != own)
                && other_command
            {
                found.push(format!("src/{} names {}", file.relative, path.join("::")));
            }
        }
    }
    found
}

/// A view that calls a judging function, or parses or loads an input itself.
fn views_that_judge_or_parse(files: &[SourceFile]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files.iter().filter(|f| f.module[0] == "report") {
        let mut judging_modules: Vec<String> = Vec::new();
        for (path, alias) in paths_named(file) {
            if !path.first().is_some_and(|p| JUDGING.contains(&p.as_str())) {
                continue;
            }
            if is_module(&path) {
                judging_modules.extend(alias);
                continue;
            }
            if let Some(function) = lowercase_item(&path) {
                found.push(format!(
                    "src/{} calls {} ({function} is a judgement: pass its result in)",
                    file.relative,
                    path.join("::")
                ));
            }
        }
        // Functions reached through an imported judging module: `verify::classify(...)`.
        for module in &judging_modules {
            let needle = format!("{module}::");
            for (at, _) in file.code.match_indices(&needle) {
                let before = file.code[..at].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let item: String = file.code[at + needle.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if item.starts_with(|c: char| c.is_ascii_lowercase())
                    && file.code[at + needle.len() + item.len()..].starts_with('(')
                {
                    found.push(format!(
                        "src/{} calls {module}::{item} (a judgement: pass its result in)",
                        file.relative
                    ));
                }
            }
        }
        for (word, doing) in NOT_IN_VIEWS {
            if file.code.contains(word) {
                found.push(format!(
                    "src/{} {doing} ({word}): that belongs to chain/, keys or verify/",
                    file.relative
                ));
            }
        }
    }
    found
}

/// The function (or other lowercase item) a path ends at, when it does not end at a module
/// or a type.
fn lowercase_item(path: &[String]) -> Option<&str> {
    let last = path.last()?;
    let lowercase = last.starts_with(|c: char| c.is_ascii_lowercase());
    (lowercase && last != "self" && last != "*" && !is_module(path)).then_some(last)
}

#[test]
fn every_module_has_a_layer() {
    let files = read_tree();
    let unplaced: BTreeSet<&str> = files
        .iter()
        .map(|f| f.module[0].as_str())
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "place these modules in LAYERS (src/layering.rs) and in the crate documentation: {unplaced:?}"
    );
}

#[test]
fn imports_go_down_the_layers() {
    let edges = module_edges(&read_tree());
    let climbing = unexcused(climbing(&edges));
    assert!(
        climbing.is_empty(),
        "imports that climb a layer:\n{}",
        climbing.join("\n")
    );
}

#[test]
fn modules_form_no_cycle() {
    let mut edges = module_edges(&read_tree());
    // A pending back-edge closes a cycle by definition; it is excused once, above.
    edges.retain(|(from, to), _| unexcused(vec![climb(from, to)]).len() == 1);
    assert_eq!(cycle(&edges), None, "a cycle between modules");
}

#[test]
fn no_command_imports_another() {
    let found = unexcused(commands_importing_commands(&read_tree()));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn views_neither_judge_nor_parse() {
    let found = unexcused(views_that_judge_or_parse(&read_tree()));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn async_lives_only_at_the_edges() {
    let found: Vec<String> = read_tree()
        .iter()
        .filter(|f| !ASYNC_EDGES.iter().any(|edge| f.relative.starts_with(edge)))
        .filter_map(|f| {
            let mark = ASYNC_MARKS.iter().find(|mark| f.code.contains(*mark))?;
            Some(format!(
                "src/{} uses {mark}: async lives in {}",
                f.relative,
                ASYNC_EDGES.join(", ")
            ))
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn pending_back_edges_are_still_there() {
    let files = read_tree();
    let mut all = climbing(&module_edges(&files));
    all.extend(commands_importing_commands(&files));
    all.extend(views_that_judge_or_parse(&files));
    for (part, why) in PENDING {
        assert!(
            all.iter().any(|v| v.contains(part)),
            "\"{part}\" ({why}) is gone: remove it from PENDING in src/layering.rs"
        );
    }
}

/// The rules catch what they are for: each back-edge this crate once had, written as the
/// file had it.
#[test]
fn the_rules_catch_the_old_back_edges() {
    let file = |relative: &str, code: &str| SourceFile {
        relative: relative.to_string(),
        module: module_path(relative),
        code: without_comments(code),
    };
    let edges_of = |files: &[SourceFile]| module_edges(files);

    // The network edge worded its errors with verify's alert advice.
    let net = file(
        "net/error.rs",
        "fn hint(a: &str) { crate::verify::alert_advice(a, crate::verify::AlertStage::Negotiation); }",
    );
    assert_eq!(climbing(&edges_of(&[net])).len(), 1);

    // The judging quoted paths with a helper of the views.
    let verify = file("verify/device.rs", "use crate::report::shell_quote;\n");
    assert_eq!(climbing(&edges_of(&[verify])).len(), 1);

    // source → keys → chain → source.
    let cycle_files = [
        file(
            "source.rs",
            "fn f() { crate::keys::der_private_key_format(b); }",
        ),
        file(
            "keys.rs",
            "use crate::chain::KeyInfo;\nuse crate::source::KeyFormat;\n",
        ),
        file(
            "chain/mod.rs",
            "use crate::source::{self, Input, Object};\n",
        ),
    ];
    assert!(cycle(&edges_of(&cycle_files)).is_some());

    // A command importing another, and commands importing the dispatcher's Outcome.
    let doctor = file(
        "cmd/doctor/mod.rs",
        "use crate::app::Outcome;\nuse crate::cmd::endpoint::{load_identity, probe_judged};\n",
    );
    assert_eq!(
        commands_importing_commands(std::slice::from_ref(&doctor)).len(),
        2
    );
    assert_eq!(climbing(&edges_of(&[doctor])).len(), 1);

    // A view that loads a key and parses a CSR; a view that calls a judgement.
    let inspect = file(
        "report/inspect.rs",
        "use crate::keys::PrivateKey;\nuse x509_parser::prelude::FromDer;\nfn f() { PrivateKey::load(format, der); }",
    );
    assert_eq!(views_that_judge_or_parse(&[inspect]).len(), 2);
    let judging = file(
        "report/account.rs",
        "use crate::verify::{self, Judgement};\nuse crate::verify::account::judge;\nfn f() { verify::classify(host); }\nfn g() { Verdict::of(&findings); }",
    );
    assert_eq!(views_that_judge_or_parse(&[judging]).len(), 3);
}

#[test]
fn use_trees_expand_to_their_leaves() {
    assert_eq!(
        expand("crate::verify::{self, device::{judge as j, Policy}, Crls}"),
        [
            ("crate::verify".to_string(), "verify".to_string()),
            ("crate::verify::device::judge".to_string(), "j".to_string()),
            (
                "crate::verify::device::Policy".to_string(),
                "Policy".to_string()
            ),
            ("crate::verify::Crls".to_string(), "Crls".to_string()),
        ]
    );
}

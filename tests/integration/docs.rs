//! The documentation held to the code: the README and every page of `docs/`.
//!
//! - `docs/codes.md` lists exactly the `Code` enum, in its order, with each code's severity and
//!   meaning;
//! - the key tables and `{…}` shapes of `docs/json.md` are the keys the commands print, on
//!   fixtures and on loopback peers, in both directions (nothing printed undocumented, nothing
//!   documented missing), and its JSON examples use only keys that are printed;
//! - every command line the pages show (in `sh` blocks and after a `$` prompt) parses;
//! - the transcripts of the offline commands (`verify-chain`, `inspect`, `explain`, `version`,
//!   `csr`, `fleet`, `device`, on the repository's fixtures or the files the page names) are their real output, `…` standing for whatever the page leaves out;
//!   transcripts that need a network peer or AWS are held to the parser only;
//! - the README's table of commands is the help's list, in its order, each with its page;
//! - `docs/layout.md` names every module in its layer, as `src/layering.rs` places it;
//! - the README's two commands for a fresh machine are CI's, and the first one passes;
//! - every relative link points at a file that exists, and at a heading it has.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Parser;
use iotcheck::cli::Cli;
use iotcheck::finding::Code;
use serde_json::Value;

use crate::common::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// README.md and every page of docs/, as (path from the repository's root, text).
fn pages() -> Vec<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("a docs/ entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    names.sort();
    names.insert(0, "README.md".to_string());
    names
        .into_iter()
        .map(|name| {
            let text = read(&name);
            (name, text)
        })
        .collect()
}

/// A fenced code block: its info string (`sh`, `json`, or empty) and its lines.
struct Block {
    lang: String,
    lines: Vec<String>,
}

/// The fenced code blocks of a page, and its lines outside them.
fn split(text: &str) -> (Vec<Block>, Vec<&str>) {
    let mut blocks = Vec::new();
    let mut prose = Vec::new();
    let mut open: Option<Block> = None;
    for line in text.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (open.as_mut(), fence) {
            (None, Some(lang)) => {
                open = Some(Block {
                    lang: lang.trim().to_string(),
                    lines: Vec::new(),
                })
            }
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some(block), None) => block.lines.push(line.to_string()),
            (None, None) => prose.push(line),
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    (blocks, prose)
}

// ------------------------------------------------------------------------------------------
// The finding codes

#[test]
fn the_code_table_is_the_code_enum_with_severities_and_meanings() {
    let page = read("docs/codes.md");
    let listed: Vec<(String, String, String)> = page
        .lines()
        .filter_map(|line| {
            let row = line.strip_prefix("| `")?.strip_suffix(" |")?;
            let mut cells = row.splitn(3, " | ");
            let code = cells.next()?.strip_suffix('`')?;
            Some((
                code.to_string(),
                cells.next()?.to_string(),
                cells.next()?.to_string(),
            ))
        })
        .collect();
    let expected: Vec<(String, String, String)> = Code::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_string(),
                c.severity().as_str().to_string(),
                c.doc().to_string(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    let documented: BTreeMap<&str, &(String, String, String)> =
        listed.iter().map(|row| (row.0.as_str(), row)).collect();
    for (code, severity, meaning) in &expected {
        match documented.get(code.as_str()) {
            None => problems.push(format!("{code}: not in the table")),
            Some((_, s, m)) => {
                if s != severity {
                    problems.push(format!("{code}: the table says {s}, the code {severity}"));
                }
                if m != meaning {
                    problems.push(format!(
                        "{code}: the table says\n    {m}\n  the code says\n    {meaning}"
                    ));
                }
            }
        }
    }
    let known: BTreeSet<&str> = expected.iter().map(|row| row.0.as_str()).collect();
    for (code, ..) in &listed {
        if !known.contains(code.as_str()) {
            problems.push(format!("{code}: in the table, not in Code"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/codes.md:\n{}",
        problems.join("\n")
    );
    let order = |rows: &[(String, String, String)]| -> Vec<String> {
        rows.iter().map(|row| row.0.clone()).collect()
    };
    assert_eq!(
        order(&listed),
        order(&expected),
        "docs/codes.md lists the codes in the order of Code::ALL"
    );
}

// ------------------------------------------------------------------------------------------
// The commands

/// The README's table of commands names every command in the help's order, each with its page
/// (completions and man pages are on the page of `version`).
#[test]
fn the_readme_lists_every_command_in_the_helps_order_with_its_page() {
    let readme = read("README.md");
    let listed: Vec<(String, String)> = readme
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| `iotcheck ")?;
            let (name, rest) = rest.split_once('`')?;
            let page = rest.rsplit("](").next()?.strip_suffix(") |")?;
            Some((name.to_string(), page.to_string()))
        })
        .collect();
    let help = run(&["--help"]).stdout;
    let expected: Vec<(String, String)> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| !["completions", "man", "help"].contains(name))
        .map(|name| (name.to_string(), format!("docs/{name}.md")))
        .collect();
    assert_eq!(listed, expected);
    for (_, page) in &listed {
        assert!(root().join(page).exists(), "{page}");
    }
}

// ------------------------------------------------------------------------------------------
// The layout

/// The layers of `src/layering.rs` (the test that holds the source to them): each layer's name
/// and its modules, lowest first.
fn layers() -> Vec<(String, BTreeSet<String>)> {
    let source = read("src/layering.rs");
    let start = source
        .find("const LAYERS")
        .expect("src/layering.rs has LAYERS");
    let table = &source[start..];
    let table = &table[..table.find("\n];").expect("LAYERS ends")];
    let code: String = table
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .flat_map(str::split_whitespace)
        .collect();
    let mut layers = Vec::new();
    for entry in code.split("(\"").skip(1) {
        let name = entry.split('"').next().unwrap_or_default().to_string();
        let modules = entry
            .split("&[")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap_or_default()
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        layers.push((name, modules));
    }
    layers
}

/// docs/layout.md names every module of the crate in its layer, in the layers' order.
#[test]
fn the_layout_page_is_the_layering_rule() {
    let page = read("docs/layout.md");
    let (blocks, _) = split(&page);
    let table = &blocks.first().expect("a layout block").lines;
    let mut documented: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in table {
        let mut words = line.split_whitespace();
        if !line.starts_with(' ') {
            let layer = words.next().expect("a layer").to_string();
            documented.push((layer, BTreeSet::new()));
        }
        let Some(path) = words.next().and_then(|w| w.strip_prefix("src/")) else {
            continue;
        };
        let module = path.trim_end_matches('/').trim_end_matches(".rs");
        if module != "main" {
            let (_, modules) = documented.last_mut().expect("a layer first");
            modules.insert(module.to_string());
        }
    }
    let expected = layers();
    assert!(expected.len() >= 5, "layers read: {expected:?}");
    assert_eq!(documented, expected, "docs/layout.md and src/layering.rs");
}

// ------------------------------------------------------------------------------------------
// Links

/// The targets of the Markdown links `[text](target)` on a line.
fn links(line: &str) -> Vec<&str> {
    line.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &line[at + 2..];
            rest.find(')').map(|end| &rest[..end])
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case; letters, digits, `-` and `_` kept, spaces as
/// `-`, everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings (a repeated heading gets `-1`, `-2`, … as on GitHub).
fn anchors(text: &str) -> BTreeSet<String> {
    let (_, prose) = split(text);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut all = BTreeSet::new();
    for line in prose {
        let Some(heading) = line.trim_start_matches('#').strip_prefix(' ') else {
            continue;
        };
        if !line.starts_with('#') {
            continue;
        }
        let base = slug(heading);
        let n = seen.entry(base.clone()).or_insert(0);
        all.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    all
}

#[test]
fn every_relative_link_points_at_a_file_and_a_heading_that_exist() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for (page, text) in pages() {
        let dir = Path::new(&page)
            .parent()
            .unwrap_or(Path::new(""))
            .to_owned();
        let (_, prose) = split(&text);
        for target in prose.iter().flat_map(|line| links(line)) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let path = if file.is_empty() {
                root().join(&page)
            } else {
                root().join(&dir).join(file)
            };
            if !path.exists() {
                broken.push(format!("{page}: {target}: no such file"));
                continue;
            }
            if !anchor.is_empty() {
                let target_text = std::fs::read_to_string(&path).unwrap_or_default();
                if !anchors(&target_text).contains(anchor) {
                    broken.push(format!("{page}: {target}: no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 50, "only {checked} relative links found");
}

// ------------------------------------------------------------------------------------------
// Command lines and transcripts

/// A command line as a page shows it, in iotcheck's words: the shell's part (environment
/// assignments, pipes, redirections, a trailing comment) left out. `None` when the line does
/// not run iotcheck.
fn iotcheck_words(line: &str) -> Option<Vec<String>> {
    let line = line.split("  #").next().unwrap_or(line);
    let part = line.split(" | ").find(|part| {
        part.split_whitespace()
            .find(|word| !word.contains('='))
            .is_some_and(|word| word == "iotcheck" || word == "cargo")
    })?;
    let part = part.split(['>', '<']).next().unwrap_or(part);
    let words: Vec<String> = shlex::split(part)?
        .into_iter()
        .skip_while(|word| word.contains('=') && !word.starts_with('-'))
        .collect();
    match words.first().map(String::as_str) {
        Some("iotcheck") => Some(words),
        // `cargo run --release -- ARGS` runs iotcheck with ARGS.
        Some("cargo") if words.get(1).map(String::as_str) == Some("run") => {
            let args = words.iter().skip_while(|w| *w != "--").skip(1).cloned();
            Some(
                std::iter::once("iotcheck".to_string())
                    .chain(args)
                    .collect(),
            )
        }
        _ => None,
    }
}

/// One transcript: `$ COMMAND` (continued over lines ending in `\`), what it printed, and the
/// exit code when the page shows `$ echo $?`.
struct Transcript {
    page: String,
    command: String,
    output: Vec<String>,
    code: Option<i32>,
}

/// The command lines of `sh` blocks, and the transcripts of other blocks.
fn examples() -> (Vec<(String, String)>, Vec<Transcript>) {
    let mut lines = Vec::new();
    let mut transcripts: Vec<Transcript> = Vec::new();
    for (page, text) in pages() {
        let (blocks, _) = split(&text);
        for block in blocks {
            if block.lang == "sh" {
                for line in &block.lines {
                    if !line.trim_start().starts_with('#') {
                        lines.push((page.clone(), line.trim().to_string()));
                    }
                }
                continue;
            }
            let mut rows = block.lines.iter().peekable();
            while let Some(line) = rows.next() {
                if let Some(command) = line.strip_prefix("$ ") {
                    let mut command = command.to_string();
                    while command.ends_with('\\') {
                        command.pop();
                        let next = rows.next().expect("a continued command line");
                        command = format!("{} {}", command.trim_end(), next.trim());
                    }
                    if command == "echo $?" {
                        let code = rows.next().and_then(|c| c.trim().parse().ok());
                        if let Some(last) = transcripts.last_mut() {
                            last.code = code;
                        }
                        continue;
                    }
                    transcripts.push(Transcript {
                        page: page.clone(),
                        command,
                        output: Vec::new(),
                        code: None,
                    });
                } else if let Some(last) = transcripts.last_mut() {
                    if last.page == page && last.code.is_none() {
                        last.output.push(line.clone());
                    }
                }
            }
            // A transcript ends with its block.
            if let Some(last) = transcripts.last_mut() {
                if last.code.is_none() {
                    last.code = Some(-1);
                }
            }
        }
    }
    for transcript in &mut transcripts {
        if transcript.code == Some(-1) {
            transcript.code = None;
        }
    }
    (lines, transcripts)
}

#[test]
fn every_command_line_the_pages_show_parses() {
    let (lines, transcripts) = examples();
    let mut failures = Vec::new();
    let mut parsed = 0;
    let shown = lines
        .iter()
        .map(|(page, line)| (page.as_str(), line.as_str()))
        .chain(
            transcripts
                .iter()
                .map(|t| (t.page.as_str(), t.command.as_str())),
        );
    for (page, line) in shown {
        let Some(words) = iotcheck_words(line) else {
            continue;
        };
        parsed += 1;
        if let Err(e) = Cli::try_parse_from(&words) {
            let first = e.to_string();
            let first = first.lines().next().unwrap_or_default().to_string();
            failures.push(format!("{page}: `{line}`: {first}"));
        }
    }
    assert!(
        failures.is_empty(),
        "command lines that do not parse:\n{}",
        failures.join("\n")
    );
    assert!(parsed > 60, "only {parsed} command lines found");
}

/// Whether `actual` matches `expected`, where `…` in `expected` stands for any text.
fn glob(expected: &str, actual: &str) -> bool {
    let pieces: Vec<&str> = expected.split('…').collect();
    if pieces.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !actual.starts_with(first) || !actual[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Whether the printed lines match the page's, a line `…` standing for any number of lines.
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((line, rest)) if line.trim() == "…" => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((line, rest)) => actual.split_first().is_some_and(|(first, others)| {
            glob(line.trim_end(), first.trim_end()) && lines_match(rest, others)
        }),
    }
}

/// The commands whose transcripts are run: offline and deterministic on the repository's files.
const RUN: &[&str] = &[
    "verify-chain",
    "inspect",
    "explain",
    "version",
    "csr",
    "fleet",
    "device",
];

/// What a file named in a transcript ends with; such a file must exist for the transcript to run.
const FILE_EXTENSIONS: &[&str] = &[
    "pem", "crt", "key", "csr", "der", "crl", "log", "txt", "conf", "yaml", "json",
];

/// Where a page's transcripts run: a directory of their own, in which `fixtures/` is the
/// repository's, for `docs/fleet.md` the fleet its transcript was made on
/// (`cargo run --example gen_fleet -- 30 DIR 7`), for `docs/device.md` the files its session
/// names. A page's transcripts run in order, in one directory (the second `csr` finds the files
/// of the first; `$ cat FILE` writes FILE as the page shows it).
fn workdir(page: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(root().join("fixtures"), dir.path().join("fixtures"))
        .expect("fixtures linked");
    if page == "docs/fleet.md" {
        crate::fleet_gen::generate(dir.path(), 30, 7, true).expect("fleet generated");
    }
    if page == "docs/device.md" {
        // The session of the page: a certificate with the wrong key beside it, open to all.
        use std::os::unix::fs::PermissionsExt;
        let key = dir.path().join("private.pem.key");
        std::fs::copy(
            fixture("device/rsa.pem"),
            dir.path().join("certificate.pem.crt"),
        )
        .expect("certificate copied");
        std::fs::copy(fixture("device/ec.key"), &key).expect("key copied");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))
            .expect("key mode set");
    }
    dir
}

#[test]
fn the_transcripts_of_offline_commands_are_their_real_output() {
    let (_, transcripts) = examples();
    let mut failures = Vec::new();
    let mut ran = Vec::new();
    let mut dirs: BTreeMap<String, tempfile::TempDir> = BTreeMap::new();
    for t in &transcripts {
        let dir = dirs
            .entry(t.page.clone())
            .or_insert_with(|| workdir(&t.page))
            .path()
            .to_owned();
        if let Some(file) = t.command.strip_prefix("cat ") {
            if !file.contains(['/', ' ']) {
                std::fs::write(dir.join(file), t.output.join("\n") + "\n").expect("file written");
            }
            continue;
        }
        let Some(words) = iotcheck_words(&t.command) else {
            continue;
        };
        let command = words.get(1).map(String::as_str).unwrap_or_default();
        if !RUN.contains(&command) || t.command.contains(['|', '<', '>']) {
            continue;
        }
        let files_exist = words
            .iter()
            .skip(2)
            .filter(|w| {
                !w.starts_with('-')
                    && (w.contains('/')
                        || FILE_EXTENSIONS
                            .iter()
                            .any(|e| w.ends_with(&format!(".{e}"))))
            })
            .all(|w| dir.join(w).exists());
        if !files_exist {
            continue;
        }
        // What a terminal shows: the output, then any error line.
        let r = run_cmd(iotcheck().current_dir(&dir).args(&words[1..]));
        let printed = format!("{}{}", r.stdout, r.stderr);
        let actual: Vec<&str> = printed.trim_end().lines().collect();
        let mut shown = t.output.clone();
        while shown.last().is_some_and(|l| l.trim().is_empty()) {
            shown.pop();
        }
        if !lines_match(&shown, &actual) {
            failures.push(format!(
                "{}: `{}` printed\n{printed}\nthe page shows\n{}",
                t.page,
                t.command,
                t.output.join("\n")
            ));
        }
        if let Some(code) = t.code {
            if r.code != code {
                failures.push(format!(
                    "{}: `{}` exits {}, the page says {code}",
                    t.page, t.command, r.code
                ));
            }
        }
        ran.push(format!("{}: {}", t.page, t.command));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    for page in [
        "README.md",
        "docs/verify-chain.md",
        "docs/inspect.md",
        "docs/output.md",
        "docs/version.md",
        "docs/csr.md",
        "docs/fleet.md",
        "docs/device.md",
        "docs/explain.md",
    ] {
        assert!(
            ran.iter().any(|r| r.starts_with(&format!("{page}: "))),
            "no transcript of {page} was run; ran:\n{}",
            ran.join("\n")
        );
    }
}

#[test]
fn the_readme_commands_for_a_fresh_machine_are_cis_and_the_first_passes() {
    let readme = read("README.md");
    let (blocks, _) = split(&readme);
    let shown: Vec<&String> = blocks
        .iter()
        .filter(|b| b.lang == "sh")
        .flat_map(|b| &b.lines)
        .collect();
    let first = shown
        .iter()
        .find(|l| l.starts_with("cargo run --release -- "))
        .expect("the README shows `cargo run --release -- …`");
    let words = iotcheck_words(first).expect("iotcheck's words");
    let r = run_cmd(iotcheck().current_dir(root()).args(&words[1..]));
    assert_eq!(r.code, 0, "{first}: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("VALID  "), "{first}: {}", r.stdout);

    // The Rust it asks for is the crate's rust-version.
    let manifest = read("Cargo.toml");
    let rust = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("Cargo.toml has a rust-version");
    for (page, text) in pages() {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for (at, _) in text.match_indices("Rust 1.") {
            let asked = text[at + 5..].split(' ').next().unwrap_or_default();
            assert_eq!(asked, rust, "{page} asks for Rust {asked}");
        }
    }

    // The test command is .ci/run's last command, word for word.
    let ci = read(".ci/run");
    let last = ci
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .expect(".ci/run has commands");
    assert!(last.starts_with("cargo test "), ".ci/run ends with {last}");
    assert!(
        shown.iter().any(|l| l.trim() == last),
        "the README does not show .ci/run's test command `{last}`"
    );
}

// ------------------------------------------------------------------------------------------
// The JSON schema

/// What the docs say of an object: its keys, and for each what they say of its value.
#[derive(Clone, Debug, Default)]
struct Shape {
    keys: BTreeMap<String, Spec>,
    /// Keys written `key?`: printed only for some objects.
    optional: BTreeSet<String>,
}

#[derive(Clone, Debug)]
enum Spec {
    /// Nothing said of its keys (a string, a number, a map, a list of strings).
    Opaque,
    /// An object (or a list of objects) of this shape.
    Object(Shape),
    /// An object (or a list of objects) of a shape named elsewhere: `[Certificate]`.
    Named(String),
}

/// The piece of `text` from its opening bracket to the matching close, quotes respected.
fn bracketed(text: &str) -> &str {
    let mut depth = 0;
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '{' | '[' | '(' if !quoted => depth += 1,
            '}' | ']' | ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return &text[..=at];
                }
            }
            _ => {}
        }
    }
    text
}

/// A value as the docs write it: `{…}`, `[{…}]`, `[Name]`, `Name`, or anything else.
fn spec(value: &str) -> Spec {
    let value = value.trim();
    let inner = value.strip_prefix('[').unwrap_or(value);
    if inner.starts_with('{') {
        return shape(inner).map_or(Spec::Opaque, Spec::Object);
    }
    let name: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().any(|c| c.is_ascii_lowercase())
    {
        return Spec::Named(name);
    }
    Spec::Opaque
}

/// `{key, key (words), key: VALUE, key?: VALUE, …}`. `None` for a map written `{"…": …}` or
/// `{CODE: count}`, whose keys are data.
fn shape(text: &str) -> Option<Shape> {
    let body = bracketed(text);
    let body = body.strip_prefix('{')?.strip_suffix('}')?;
    let mut pieces = Vec::new();
    let (mut depth, mut quoted, mut start) = (0, false, 0);
    for (at, c) in body.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '{' | '[' | '(' if !quoted => depth += 1,
            '}' | ']' | ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                pieces.push(&body[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    pieces.push(&body[start..]);
    let mut shape = Shape::default();
    for piece in pieces {
        let piece = piece.trim();
        let key: String = piece
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if key.is_empty() || key.chars().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let rest = piece[key.len()..].trim_start();
        let (optional, rest) = match rest.strip_prefix('?') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, rest),
        };
        let value = rest.strip_prefix(':').map_or(Spec::Opaque, spec);
        if optional {
            shape.optional.insert(key.clone());
        }
        shape.keys.insert(key, value);
    }
    Some(shape)
}

/// The `code spans` of a text.
fn spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// A Markdown table's rows, as cells, under a heading line (`| key | … |`).
fn tables(section: &str) -> Vec<Vec<Vec<String>>> {
    let mut all = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for line in section.lines().chain(std::iter::once("")) {
        if line.starts_with('|') {
            let cells = line
                .trim()
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            rows.push(cells);
        } else if !rows.is_empty() {
            // Heading and separator rows dropped.
            all.push(rows.split_off(0).into_iter().skip(2).collect());
        }
    }
    all
}

/// A key table: `key`, `a.b`, `a[].b` and `a`, `b` (the later ones under the first's parent)
/// in the first cell, and in the last the value's shape, written `{…}`, `[{…}]` or `[Name]`.
fn table_shape(rows: &[Vec<String>]) -> Shape {
    let mut top = Shape::default();
    for row in rows {
        let names = spans(&row[0]);
        let detail = row.iter().skip(1).map(String::as_str).collect::<Vec<_>>();
        // The value's shape: a `{…}` span, else a cell written `[Name]`, `{…}` or `Name or null`.
        let value = detail
            .iter()
            .flat_map(|cell| spans(cell))
            .find(|s| s.starts_with('{') || s.starts_with("[{"))
            .map(spec)
            .or_else(|| {
                let cell = detail.first()?.trim();
                let named = cell.split_whitespace().next().is_some_and(|word| {
                    word.starts_with(|c: char| c.is_ascii_uppercase())
                        && word.chars().skip(1).all(|c| c.is_ascii_lowercase())
                });
                (cell.starts_with('[') || cell.starts_with('{') || named).then(|| spec(cell))
            })
            .unwrap_or(Spec::Opaque);
        let mut parent: Vec<String> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let path: Vec<String> = name.split('.').map(|p| p.replace("[]", "")).collect();
            if i == 0 {
                parent = path[..path.len() - 1].to_vec();
            }
            let full: Vec<String> = if i == 0 {
                path
            } else {
                parent.iter().cloned().chain(path).collect()
            };
            insert(&mut top, &full, value.clone());
        }
    }
    top
}

fn insert(shape: &mut Shape, path: &[String], value: Spec) {
    let (first, rest) = path.split_first().expect("a key");
    if rest.is_empty() {
        let keep = matches!(shape.keys.get(first), Some(Spec::Object(_)));
        if !keep {
            shape.keys.insert(first.clone(), value);
        }
        return;
    }
    let entry = shape
        .keys
        .entry(first.clone())
        .or_insert_with(|| Spec::Object(Shape::default()));
    if !matches!(entry, Spec::Object(_)) {
        *entry = Spec::Object(Shape::default());
    }
    if let Spec::Object(inner) = entry {
        insert(inner, rest, value);
    }
}

/// `Name: {…}` in the prose of docs/json.md: the shapes tables refer to as `[Name]`.
fn named_shapes(page: &str) -> BTreeMap<String, Shape> {
    let (_, prose) = split(page);
    let prose = prose.join(" ");
    let mut named = BTreeMap::new();
    for (at, _) in prose.match_indices(": `{") {
        let name: String = prose[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            if let Some(shape) = shape(&prose[at + 3..]) {
                named.insert(name, shape);
            }
        }
    }
    named
}

/// The sections of docs/json.md by their `## ` heading; the text before the first is "".
fn sections(page: &str) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    let mut name = String::new();
    let mut text = String::new();
    for line in page.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            all.insert(std::mem::replace(&mut name, heading.to_string()), text);
            text = String::new();
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    all.insert(name, text);
    all
}

/// Holds what was printed against what is documented, in both directions: every key printed
/// is documented, every documented key (but `key?`) is printed by one of the objects. Objects
/// are pooled over every run and every element of a list.
struct Holder<'a> {
    named: &'a BTreeMap<String, Shape>,
    problems: Vec<String>,
    compared: usize,
}

impl Holder<'_> {
    fn hold(&mut self, path: &str, shape: &Shape, objects: &[&Value]) {
        let objects: Vec<&serde_json::Map<String, Value>> =
            objects.iter().filter_map(|v| v.as_object()).collect();
        if objects.is_empty() {
            return;
        }
        self.compared += 1;
        let printed: BTreeSet<&String> = objects.iter().flat_map(|o| o.keys()).collect();
        for key in &printed {
            if !shape.keys.contains_key(*key) {
                self.problems
                    .push(format!("{path}: `{key}` is printed, not documented"));
            }
        }
        for (key, spec) in &shape.keys {
            if !printed.contains(key) && !shape.optional.contains(key) {
                self.problems
                    .push(format!("{path}: `{key}` is documented, not printed"));
            }
            let inner: Vec<&Value> = objects
                .iter()
                .filter_map(|o| o.get(key))
                .flat_map(|v| match v {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                })
                .collect();
            let named = self.named;
            match spec {
                Spec::Opaque => {}
                Spec::Object(inner_shape) => {
                    self.hold(&format!("{path}.{key}"), inner_shape, &inner)
                }
                Spec::Named(name) => match named.get(name) {
                    Some(inner_shape) => self.hold(&format!("{path}.{key}"), inner_shape, &inner),
                    None => self.problems.push(format!(
                        "{path}.{key}: no shape named {name} in docs/json.md"
                    )),
                },
            }
        }
    }
}

/// Every key of a documented JSON example is printed at the same place.
fn example_keys_are_printed(
    path: &str,
    example: &Value,
    printed: &[&Value],
    problems: &mut Vec<String>,
) {
    let Some(example) = example.as_object() else {
        return;
    };
    let printed: Vec<&serde_json::Map<String, Value>> =
        printed.iter().filter_map(|v| v.as_object()).collect();
    for (key, value) in example {
        if key == "…" {
            continue;
        }
        let inner: Vec<&Value> = printed.iter().filter_map(|o| o.get(key)).collect();
        if inner.is_empty() {
            problems.push(format!("{path}: the example's `{key}` is not printed"));
            continue;
        }
        let flatten = |v: &Value| -> Vec<Value> {
            match v {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            }
        };
        let inner_printed: Vec<Value> = inner.iter().flat_map(|v| flatten(v)).collect();
        let inner_printed: Vec<&Value> = inner_printed.iter().collect();
        for item in flatten(value) {
            example_keys_are_printed(&format!("{path}.{key}"), &item, &inner_printed, problems);
        }
    }
}

fn json_lines(r: &Run) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The real JSON of every command, by the section of docs/json.md that documents it.
fn printed() -> BTreeMap<&'static str, Vec<Value>> {
    let mut all: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let json = |args: &[&str]| -> Value {
        let r = run(args);
        assert!(r.code <= 1, "{args:?}: exit {}: {}", r.code, r.stderr);
        r.json()
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| tmp.path().join(name).to_string_lossy().into_owned();

    all.insert(
        "verify-chain",
        vec![
            json(&[
                "verify-chain",
                "--json",
                "--at",
                AWS_AT,
                &fixture("aws/eu-central-1-chain.pem"),
            ]),
            json(&[
                "verify-chain",
                "--json",
                "--at",
                AWS_AT,
                "--ca",
                &fixture("aws/AmazonRootCA3.pem"),
                &fixture("aws/iot.eu-central-1_leaf.pem"),
            ]),
        ],
    );

    // mosquitto with TLS on loopback, serving the test chain, accepting the test devices.
    let (broker, _config) = crate::doctor::broker(true);
    let target = format!("{ENDPOINT}:{}", broker.port);
    let device = [
        "--cert",
        &fixture("device/ec.pem"),
        "--key",
        &fixture("device/ec.key"),
    ];
    let r = run_cmd(&mut endpoint_cmd(
        broker.port,
        &[&device[..], &["--mqtt"]].concat(),
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The HTTP request after the handshake (`https`): the credentials provider's stand-in.
    let door = crate::credentials::door();
    let credentials = run_cmd(&mut endpoint_cmd(
        door.peer.port,
        &[
            &device[..],
            &[
                "--servername",
                crate::credentials::CREDENTIALS_HOST,
                "--credentials",
                "--role-alias",
                "ok-alias",
                "--thing",
                "TestThing-ec",
            ],
        ]
        .concat(),
    ));
    assert_eq!(
        credentials.code, 0,
        "{}{}",
        credentials.stdout, credentials.stderr
    );
    all.insert("endpoint", vec![r.json(), credentials.json()]);
    let r = run_cmd(&mut endpoint_targets_cmd(
        &[&target, &format!("{ENDPOINT}:{CLOSED_PORT}")],
        &["--jsonl"],
    ));
    all.insert("endpoint --jsonl", json_lines(&r));

    all.insert(
        "device",
        vec![json(&[
            "device",
            "--json",
            "--at",
            AT,
            "--cert",
            &fixture("device/rsa.pem"),
            "--key",
            &fixture("device/ec.key"),
            "--ca",
            &fixture("device/device-ca.pem"),
        ])],
    );

    let fleet = crate::fleet_gen::generate(tmp.path(), 3, 7, true).expect("fleet generated");
    let r = run_cmd(iotcheck().current_dir(&fleet.root).args([
        "fleet",
        "--ca",
        &fleet.ca.to_string_lossy(),
        "--crl",
        &fleet.crl.to_string_lossy(),
        "--at",
        crate::fleet_gen::AT,
        "--json",
        &fleet.devices.to_string_lossy(),
    ]));
    assert!(r.code <= 1, "{}", r.stderr);
    let j = r.json();
    all.insert("fleet", vec![j]);

    all.insert(
        "inspect",
        vec![json(&[
            "inspect",
            "--json",
            &fixture("device/ec.pem"),
            &fixture("device/ec.key"),
            &fixture("device/ec.csr"),
            &fixture("device/ec-pub.pem"),
            &fleet.crl.to_string_lossy(),
        ])],
    );

    all.insert(
        "csr",
        vec![json(&[
            "csr",
            "--thing",
            "DocsThing",
            "--out",
            &tmp.path().to_string_lossy(),
            "--json",
        ])],
    );

    let log = path("device.log");
    std::fs::write(
        &log,
        "boot\nE (10011) aws_iot: failed! mbedtls_ssl_handshake returned -0x2700\n",
    )
    .expect("log written");
    all.insert(
        "explain",
        vec![
            json(&["explain", "--json", "--log", &log]),
            json(&["explain", "--json", "mbedtls_ssl_handshake returned -0x2700 abc123-ats.iot.eu-west-1.amazonaws.com:8883"]),
        ],
    );
    all.insert(
        "explain --list",
        vec![json(&["explain", "--list", "--json"])],
    );
    all.insert("version", vec![json(&["version", "--json"])]);

    // The doctor: a healthy port, then only a closed one (stages skipped, with what they
    // depend on).
    let doctor = |port: u16| -> Value {
        let r = run_cmd(&mut doctor_cmd(&[port], &["--no-account"]));
        assert!(r.code <= 1, "{}", r.stderr);
        r.json()
    };
    all.insert("doctor", vec![doctor(broker.port), doctor(CLOSED_PORT)]);

    let moto = crate::account::Moto::start();
    let arn = moto.register("device/ec.pem", "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(
        &arn,
        "DevicePolicy",
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iot:Connect",
                "Resource": "arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}"}]
        }),
    );
    let mut cmd = iotcheck();
    cmd.args([
        "account",
        "--cert",
        &fixture("device/ec.pem"),
        "--publish",
        "things/TestThing-ec/data",
        "--json",
    ]);
    crate::account::with_aws(&mut cmd, &moto.url(), moto.config.path());
    let r = run_cmd(&mut cmd);
    assert!(r.code <= 1, "{}", r.stderr);
    all.insert("account", vec![r.json()]);
    all
}

#[test]
fn the_json_tables_are_the_keys_the_commands_print() {
    let page = read("docs/json.md");
    let sections = sections(&page);
    let mut named = named_shapes(&page);
    let finding = table_shape(&tables(&sections[""])[0]);
    named.insert("Finding".to_string(), finding);
    let fleet_tables = tables(&sections["fleet"]);
    named.insert("File".to_string(), table_shape(&fleet_tables[0]));
    named.insert("Summary".to_string(), table_shape(&fleet_tables[1]));
    let printed = printed();
    let mut holder = Holder {
        named: &named,
        problems: Vec::new(),
        compared: 0,
    };
    let section = |name: &str| -> &String {
        sections
            .get(name)
            .unwrap_or_else(|| panic!("docs/json.md has no section {name}"))
    };
    let objects = |name: &str| -> Vec<&Value> { printed[name].iter().collect() };
    let first_table = |name: &str| table_shape(&tables(section(name))[0]);
    let brace = |name: &str, marker: &str| -> Shape {
        let text = section(name).replace('\n', " ");
        let at = text
            .find(marker)
            .unwrap_or_else(|| panic!("{name}: no `{marker}`"));
        shape(&text[at..]).unwrap_or_else(|| panic!("{name}: `{marker}…` is not a shape"))
    };

    // verify-chain, and the endpoint: its top level, and each handshake: the verify-chain keys
    // (but the command's own) plus the handshake's.
    let verify_chain = first_table("verify-chain");
    holder.hold("verify-chain", &verify_chain, &objects("verify-chain"));
    holder.hold("endpoint", &first_table("endpoint"), &objects("endpoint"));
    let mut handshake = verify_chain.clone();
    handshake.keys.remove("schema_version");
    handshake.keys.remove("command");
    let endpoint_tables = tables(section("endpoint"));
    for (key, spec) in table_shape(&endpoint_tables[1]).keys {
        handshake.keys.insert(key, spec);
    }
    let handshakes: Vec<&Value> = printed["endpoint"]
        .iter()
        .flat_map(|j| j["handshakes"].as_array().expect("handshakes"))
        .collect();
    holder.hold("endpoint.handshakes", &handshake, &handshakes);

    // endpoint --jsonl: each line type's keys, written as code spans in its row.
    let jsonl = &tables(section("endpoint --jsonl"))[0];
    for row in jsonl {
        let kind = row[0].trim_matches('`').trim_matches('"');
        let mut line = Shape::default();
        line.keys.insert("type".to_string(), Spec::Opaque);
        for span in spans(&row[1]) {
            let key: String = span
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if key.is_empty() || span.starts_with('"') {
                continue;
            }
            let value = span[key.len()..]
                .trim_start()
                .strip_prefix(':')
                .map_or(Spec::Opaque, spec);
            line.keys.insert(key, value);
        }
        let lines: Vec<&Value> = printed["endpoint --jsonl"]
            .iter()
            .filter(|l| l["type"] == kind)
            .collect();
        assert!(!lines.is_empty(), "no {kind} line printed");
        holder.hold(&format!("endpoint --jsonl ({kind})"), &line, &lines);
    }

    holder.hold("device", &first_table("device"), &objects("device"));
    holder.hold(
        "fleet",
        &brace("fleet", "{schema_version, command: \"fleet\""),
        &objects("fleet"),
    );
    holder.hold("account", &first_table("account"), &objects("account"));
    holder.hold(
        "inspect",
        &brace("inspect", "{schema_version"),
        &objects("inspect"),
    );
    holder.hold("csr", &first_table("csr"), &objects("csr"));
    holder.hold("doctor", &first_table("doctor"), &objects("doctor"));
    holder.hold("explain", &first_table("explain"), &objects("explain"));
    holder.hold(
        "explain --list",
        &brace("explain", "{schema_version, command: \"explain\", stacks"),
        &objects("explain --list"),
    );
    holder.hold(
        "version",
        &brace("version", "{schema_version"),
        &objects("version"),
    );

    // The examples: every key they show is printed.
    for (name, text) in &sections {
        let (blocks, _) = split(text);
        for block in blocks.iter().filter(|b| b.lang == "json") {
            let example: Value = serde_json::from_str(&block.lines.join("\n"))
                .unwrap_or_else(|e| panic!("docs/json.md, {name}: an example is not JSON: {e}"));
            let source: Vec<&Value> = match name.as_str() {
                "" => printed["verify-chain"]
                    .iter()
                    .flat_map(|j| j["findings"].as_array().expect("findings"))
                    .collect(),
                "endpoint --jsonl" => printed[name.as_str()]
                    .iter()
                    .filter(|l| l["type"] == example["type"])
                    .collect(),
                other => printed
                    .get(other)
                    .unwrap_or_else(|| panic!("no run for the example of {other}"))
                    .iter()
                    .collect(),
            };
            example_keys_are_printed(
                &format!("example of {name}"),
                &example,
                &source,
                &mut holder.problems,
            );
        }
    }

    let (problems, compared) = (holder.problems, holder.compared);
    assert!(
        problems.is_empty(),
        "docs/json.md and the JSON printed differ:\n{}",
        problems.join("\n")
    );
    assert!(compared > 40, "only {compared} objects compared");
}

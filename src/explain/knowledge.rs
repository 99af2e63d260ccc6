//! Everything `explain` knows, put together once: the hand-written entries, the generated
//! table rows they do not override, and one keyword rule set per family, each as a [`Known`]
//! message the matcher recognises and the report explains through its family.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Serialize;

use super::families::{Families, FAMILIES_TOML};
use super::tables::{self, Table};
use super::{catalogue, checks_of, normalise, Catalogue, Cause, Check, Pattern};

/// How a message was recognised: how much to trust it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecognisedBy {
    /// A known message of a stack: a hand-written entry or a row of a generated table.
    Table,
    /// Only a family's keyword rule: a generic match.
    FamilyRule,
}

/// Where a known message comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An entry of `catalogue.toml`.
    Entry(usize),
    /// A row of a generated table.
    Row { table: usize, row: usize },
    /// The keyword rules of a family.
    Rule,
}

/// One recognisable message.
#[derive(Debug)]
pub struct Known {
    pub id: String,
    pub stack: String,
    pub message: String,
    /// Literal texts (normalised by the matcher); a trailing `*` leaves the end open.
    pub literals: Vec<String>,
    pub patterns: Vec<Pattern>,
    /// Index into [`Families::families`].
    pub family: usize,
    pub wrapper: bool,
    pub by: RecognisedBy,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct Knowledge {
    pub families: Families,
    pub tables: Vec<Table>,
    pub known: Vec<Known>,
}

/// A text of a table row shorter than this (after normalising) is not matched on its own: it
/// is too likely to occur in an ordinary line ("Success", "Out of memory" is 13).
const MIN_TEXT_CHARS: usize = 13;

impl Knowledge {
    /// Puts the parts together. Fails on a part that does not parse or a family id that does
    /// not exist.
    pub fn build(
        catalogue: &Catalogue,
        families: Families,
        tables: Vec<Table>,
    ) -> Result<Knowledge, String> {
        let mut known = Vec::new();
        let family_of = |id: &str, at: &str| {
            families
                .index(id)
                .ok_or_else(|| format!("{at}: unknown family {id:?}"))
        };
        let mut overridden: HashSet<String> = HashSet::new();
        for (i, e) in catalogue.entries.iter().enumerate() {
            let family = family_of(&e.family, &format!("entry {:?}", e.id))?;
            overridden.extend(e.literals.iter().map(|l| normalise(l)));
            known.push(Known {
                id: e.id.clone(),
                stack: e.stack.clone(),
                message: e.message.clone(),
                literals: e.literals.clone(),
                patterns: e.patterns.iter().map(Pattern::clone).collect(),
                family,
                wrapper: e.wrapper.unwrap_or(families.families[family].wrapper),
                by: RecognisedBy::Table,
                origin: Origin::Entry(i),
            });
        }
        // A row text that holds a hand-written literal is that entry's message (often with
        // more of the log format around it): the entry speaks for it.
        let written = aho_corasick::AhoCorasick::new(overridden.iter().filter(|l| l.len() >= 12))
            .map_err(|e| e.to_string())?;
        let mut ids: HashMap<String, usize> = HashMap::new();
        for (t, table) in tables.iter().enumerate() {
            for (r, row) in table.rows.iter().enumerate() {
                let at = format!("{} row {}", table.file, row.name);
                let family = family_of(&row.family, &at)?;
                // A hand-written entry that knows the name speaks for the row.
                if overridden.contains(&normalise(&row.name)) {
                    continue;
                }
                let mut literals = vec![row.name.clone()];
                literals.extend(row.numbers.iter().filter(|n| n.starts_with('-')).cloned());
                literals.extend(
                    row.texts
                        .iter()
                        .map(|t| t.trim().trim_end_matches('.').to_string())
                        .filter(|t| {
                            let n = normalise(t);
                            n.trim().len() >= MIN_TEXT_CHARS && !written.is_match(&n)
                        }),
                );
                let mut id = format!("{}-{}", row.stack, row.name.to_ascii_lowercase());
                let seen = ids.entry(id.clone()).or_insert(0);
                *seen += 1;
                if *seen > 1 {
                    id = format!("{id}-{seen}");
                }
                let message = match (row.numbers.first(), row.texts.first()) {
                    (Some(n), Some(t)) => format!("{} ({n}): {t}", row.name),
                    (None, Some(t)) => format!("{}: {t}", row.name),
                    (Some(n), None) => format!("{} ({n})", row.name),
                    (None, None) => row.name.clone(),
                };
                known.push(Known {
                    id,
                    stack: row.stack.clone(),
                    message,
                    literals,
                    patterns: Vec::new(),
                    family,
                    wrapper: families.families[family].wrapper,
                    by: RecognisedBy::Table,
                    origin: Origin::Row { table: t, row: r },
                });
            }
        }
        for (i, f) in families.families.iter().enumerate() {
            if f.rules.is_empty() {
                continue;
            }
            known.push(Known {
                id: format!("rule-{}", f.id),
                stack: "family-rule".to_string(),
                message: format!("{} (a keyword of the family, not a known message)", f.title),
                literals: f.rules.clone(),
                patterns: Vec::new(),
                family: i,
                wrapper: f.wrapper,
                by: RecognisedBy::FamilyRule,
                origin: Origin::Rule,
            });
        }
        Ok(Knowledge {
            families,
            tables,
            known,
        })
    }

    /// The causes that explain a known message: its entry's own (an override) or its
    /// family's.
    pub fn causes(&self, known: &Known) -> &[Cause] {
        if let Origin::Entry(i) = known.origin {
            let own = &catalogue().entries[i].causes;
            if !own.is_empty() {
                return own;
            }
        }
        &self.families.families[known.family].causes
    }

    pub fn checks(&self, known: &Known) -> Vec<Check> {
        checks_of(self.causes(known))
    }

    /// Where the knowledge of a message came from (URLs).
    pub fn sources(&self, known: &Known) -> Vec<String> {
        match known.origin {
            Origin::Entry(i) => catalogue().entries[i].sources.clone(),
            Origin::Row { table, row } => {
                let t = &self.tables[table];
                vec![t.sources[t.rows[row].source].url()]
            }
            Origin::Rule => Vec::new(),
        }
    }
}

/// Everything shipped, put together on first use.
pub fn knowledge() -> &'static Knowledge {
    static KNOWLEDGE: OnceLock<Knowledge> = OnceLock::new();
    KNOWLEDGE.get_or_init(|| {
        // The shipped data is fixed at build time and held sound by the tests
        // (`the_knowledge_is_sound`), so a failure here cannot reach a user.
        let families = Families::parse(FAMILIES_TOML).expect("the shipped families parse");
        let tables = tables::shipped().expect("the shipped tables parse");
        Knowledge::build(catalogue(), families, tables).expect("the shipped knowledge fits")
    })
}

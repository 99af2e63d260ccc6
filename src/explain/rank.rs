//! The order in which recognised messages are reported: the most specific reason first.
//!
//! A failure shows in a log as a few lines close together: the reason (`OpenSSL Error[0]:
//! … certificate verify failed`, `TLS alert received: certificate expired`) and the wrapper a
//! client prints after it (`Error: Protocol error`, `AWS_IO_TLS_ERROR_READ_FAILURE`). The
//! messages are grouped into such episodes by the lines they first appear on (a text given on
//! the command line is one episode); episodes keep log order. Within one, a wrapper goes right
//! after the first message that gives its reason (a message of a family it is
//! `explained_by`), other messages keep the order they were first seen in, and the generic
//! matches of a family's keyword rule come last.

use super::families::Families;
use super::knowledge::{Known, RecognisedBy};
use super::matcher::Seen;

/// Messages first seen within this many lines of the previous one belong to its episode.
pub const NEIGHBOUR_LINES: u64 = 10;

/// How much a match says: lower is more specific.
pub fn tier(known: &Known) -> u8 {
    match (known.by, known.wrapper) {
        (RecognisedBy::Table, false) => 0,
        (RecognisedBy::Table, true) => 1,
        (RecognisedBy::FamilyRule, false) => 2,
        (RecognisedBy::FamilyRule, true) => 3,
    }
}

/// Orders what a scan saw (in the order first seen) for the report.
pub fn rank(seen: &mut [Seen], known: &[Known], families: &Families) {
    let mut episodes = Vec::with_capacity(seen.len());
    let mut episode = 0usize;
    let mut previous: Option<u64> = None;
    for s in seen.iter() {
        if previous.is_some_and(|p| s.line > p + NEIGHBOUR_LINES) {
            episode += 1;
        }
        previous = Some(s.line);
        episodes.push(episode);
    }
    let keys: Vec<(usize, usize, bool, u8, usize)> = seen
        .iter()
        .enumerate()
        .map(|(order, s)| {
            let k = &known[s.entry];
            if k.by == RecognisedBy::FamilyRule {
                return (episodes[order], usize::MAX, false, tier(k), order);
            }
            let reasons = &families.families[k.family].explained_by;
            let anchor = seen
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != order && episodes[*other] == episodes[order])
                .filter(|(_, o)| {
                    let m = &known[o.entry];
                    m.by == RecognisedBy::Table
                        && tier(m) <= tier(k)
                        && reasons.contains(&families.families[m.family].id)
                })
                .map(|(other, _)| other)
                .next();
            match anchor {
                Some(anchor) => (episodes[order], anchor, true, tier(k), order),
                None => (episodes[order], order, false, tier(k), order),
            }
        })
        .collect();
    let mut indexed: Vec<(usize, Seen)> = seen.iter().cloned().enumerate().collect();
    indexed.sort_by_key(|(i, _)| keys[*i]);
    for (slot, (_, s)) in seen.iter_mut().zip(indexed) {
        *slot = s;
    }
}

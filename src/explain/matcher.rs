//! Recognising catalogue messages in text: one pass, one combined automaton.
//!
//! Two stages. The scan runs one case-insensitive Aho-Corasick automaton over the raw bytes
//! of a whole chunk of log, looking for a trigger of any entry (a number-free piece of each
//! literal, every spelling of a number, a pattern's trigger). Only the lines it flags are
//! normalised ([`normalise`]) and matched exactly: a second automaton over the normalised
//! literals, word boundaries, lines cut short, and the few regular expressions whose
//! trigger is on the line.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};
use regex::Regex;

use super::context::Context;
use super::knowledge::{Known, RecognisedBy};

/// Lowercases ASCII and writes every number token as `0x` and its absolute value in
/// lowercase hexadecimal, so that `-0x2700`, `0x2700`, `0X00002700`, `-9984` and the 32-bit
/// two's complement `0xFFFFD900` all read `0x2700`. A number token is a hexadecimal number
/// with `0x` (an optional `-` before it), or a negative decimal number; it starts after a
/// character that is not a letter, digit or `_` and ends before one. Positive decimal
/// numbers are left as they are: they are too common (ports, counts, times) to mean a code.
pub fn normalise(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 8);
    let mut i = 0;
    while i < bytes.len() {
        let at_start = i == 0 || !is_word(bytes[i - 1]);
        if at_start {
            if let Some((value, end)) = number_at(bytes, i) {
                out.extend_from_slice(format!("0x{value:x}").as_bytes());
                i = end;
                continue;
            }
        }
        out.push(bytes[i].to_ascii_lowercase());
        i += 1;
    }
    // Only ASCII bytes were changed or replaced by ASCII, so the text is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A letter, digit or underscore: what a word (and a symbolic name) is made of.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The absolute value and end of a number token starting at `i`, if one does.
fn number_at(bytes: &[u8], i: usize) -> Option<(u64, usize)> {
    let negative = bytes[i] == b'-';
    let j = if negative { i + 1 } else { i };
    let rest = &bytes[j..];
    if rest.len() >= 3 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' && rest[2].is_ascii_hexdigit()
    {
        let digits = rest[2..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let end = j + 2 + digits;
        if digits > 16 || bytes.get(end).is_some_and(|&b| is_word(b)) {
            return None;
        }
        // Only ASCII hex digits were taken, and at most 16 of them: the parse cannot fail.
        let text = std::str::from_utf8(&bytes[j + 2..end]).ok()?;
        let value = u64::from_str_radix(text, 16).ok()?;
        // A negative 32-bit code printed with %x: 0xFFFFD900 is -0x2700.
        let value = if !negative && digits == 8 && value >= 0x8000_0000 {
            0x1_0000_0000 - value
        } else {
            value
        };
        return Some((value, end));
    }
    if negative && rest.first().is_some_and(u8::is_ascii_digit) {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let end = j + digits;
        if digits > 18 || bytes.get(end).is_some_and(|&b| is_word(b)) {
            return None;
        }
        let text = std::str::from_utf8(&bytes[j..end]).ok()?;
        return Some((text.parse().ok()?, end));
    }
    None
}

/// The spellings a number of a normalised literal may have in a raw log.
fn spellings(value: u64) -> Vec<String> {
    let mut all = vec![
        format!("0x{value:x}"),
        format!("0x{value:04x}"),
        format!("0x{value:08x}"),
        format!("-{value}"),
    ];
    if (1..=0x8000_0000).contains(&value) {
        all.push(format!("0x{:x}", 0x1_0000_0000 - value));
    }
    all.sort();
    all.dedup();
    all
}

/// A literal of at least this many bytes is recognised in a line cut short inside it, when
/// the line holds at least its first [`CUT_MIN_KEPT`] bytes; the scan looks for its first
/// [`CUT_PREFIX`].
const CUT_MIN_LITERAL: usize = 28;
const CUT_MIN_KEPT: usize = 24;
const CUT_PREFIX: usize = 16;

/// What a normalised literal of the second stage stands for.
#[derive(Clone, Copy, Debug)]
enum Role {
    /// The whole literal of an entry; a weak one (a bare number) counts only on a line that
    /// reads as an error report; an open one may go on after its end (`throttl*`).
    Literal {
        entry: usize,
        weak: bool,
        open: bool,
    },
    /// The first [`CUT_PREFIX`] bytes of a long literal (index into `Matcher::long`).
    Prefix { long: usize },
    /// The trigger of a pattern (index into `Matcher::patterns`).
    Trigger { pattern: usize },
}

/// The catalogue compiled for matching.
#[derive(Debug)]
pub struct Matcher {
    /// Stage one's triggers, and its automaton over raw bytes (case-insensitive), built on
    /// first use: a few lines given on the command line go straight to stage two.
    triggers: Vec<String>,
    scan: OnceLock<Result<AhoCorasick, String>>,
    /// Stage two, over normalised lines: every distinct text and what it stands for.
    exact: AhoCorasick,
    roles: Vec<Vec<Role>>,
    /// Long literals: (entry, normalised text).
    long: Vec<(usize, String)>,
    /// (entry, regex over the normalised line).
    patterns: Vec<(usize, Regex)>,
    /// Per entry: only a family's keyword rule (a generic match).
    rule: Vec<bool>,
    /// mbedTLS codes by value, for a code a device prints as the sum of a high-level and a
    /// low-level one (-0x112c = PEM invalid data -0x1100 + base64 invalid character -0x2c).
    mbedtls: HashMap<u64, usize>,
    /// mbedTLS certificate verification flags (`MBEDTLS_X509_BADCERT_*`) by bit, for a line
    /// that prints the flags as a number (`! Certificate verification flags 200`).
    badcert: Vec<(u64, usize)>,
}

/// The `MBEDTLS_X509_BADCERT_*` bits of mbedTLS's `include/mbedtls/x509.h` (stable since
/// mbedTLS 2.x), by the name an entry matches.
const BADCERT_BITS: &[(u64, &str)] = &[
    (0x01, "mbedtls_x509_badcert_expired"),
    (0x02, "mbedtls_x509_badcert_revoked"),
    (0x04, "mbedtls_x509_badcert_cn_mismatch"),
    (0x08, "mbedtls_x509_badcert_not_trusted"),
    (0x40, "mbedtls_x509_badcert_missing"),
    (0x80, "mbedtls_x509_badcert_skip_verify"),
    (0x100, "mbedtls_x509_badcert_other"),
    (0x200, "mbedtls_x509_badcert_future"),
    (0x800, "mbedtls_x509_badcert_key_usage"),
    (0x1000, "mbedtls_x509_badcert_ext_key_usage"),
    (0x2000, "mbedtls_x509_badcert_ns_cert_type"),
    (0x4000, "mbedtls_x509_badcert_bad_md"),
    (0x8000, "mbedtls_x509_badcert_bad_pk"),
    (0x10000, "mbedtls_x509_badcert_bad_key"),
];

/// What mbedTLS's debug log prints before the flags, in hexadecimal without `0x`.
const VERIFY_FLAGS: &str = "verification flags";

/// One recognised message on one line: the entry and the span of the normalised line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub entry: usize,
    pub start: usize,
    pub end: usize,
    /// The line ends inside the literal: it was cut short.
    pub partial: bool,
}

/// Lines that also feed the [`Context`] (endpoint, port, files, client id) when flagged.
const CONTEXT_TRIGGERS: &[&str] = &[
    "mbedtls",
    "amazonaws.com",
    ".pem",
    ".crt",
    ".key",
    ".cer",
    ".der",
    "clientid",
    "client_id",
    "client-id",
    "client id",
    ":8883",
    ":8443",
    ":443",
    "port 8883",
    "port 8443",
    "port 443",
];

impl Matcher {
    /// Compiles the known messages; fails only on a pattern that is not a valid regular
    /// expression.
    pub fn new(known: &[Known]) -> Result<Matcher, String> {
        let mut texts: Vec<String> = Vec::new();
        let mut roles: Vec<Vec<Role>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut add = |text: String, role: Role| {
            let i = *index.entry(text.clone()).or_insert_with(|| {
                texts.push(text);
                roles.push(Vec::new());
                texts.len() - 1
            });
            roles[i].push(role);
        };
        let mut triggers: Vec<String> = CONTEXT_TRIGGERS.iter().map(|t| t.to_string()).collect();
        triggers.push(VERIFY_FLAGS.to_string());
        let mut long = Vec::new();
        let mut patterns = Vec::new();
        for (entry, e) in known.iter().enumerate() {
            for literal in &e.literals {
                let open = literal.ends_with('*');
                let text = normalise(literal.trim_end_matches('*'));
                triggers.extend(scan_triggers(&text));
                if text.len() >= CUT_MIN_LITERAL && text.is_char_boundary(CUT_PREFIX) {
                    let prefix = &text[..CUT_PREFIX];
                    if !prefix.bytes().any(|b| b.is_ascii_digit()) {
                        triggers.push(prefix.to_string());
                        add(prefix.to_string(), Role::Prefix { long: long.len() });
                        long.push((entry, text.clone()));
                    }
                }
                let weak = is_bare_number(&text);
                add(text, Role::Literal { entry, weak, open });
            }
            for p in &e.patterns {
                let regex = Regex::new(&p.regex)
                    .map_err(|err| format!("entry {:?}: pattern {:?}: {err}", e.id, p.regex))?;
                let trigger = normalise(&p.trigger);
                triggers.extend(scan_triggers(&trigger));
                add(
                    trigger,
                    Role::Trigger {
                        pattern: patterns.len(),
                    },
                );
                patterns.push((entry, regex));
            }
        }
        triggers.sort();
        triggers.dedup();
        let exact = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&texts)
            .map_err(|e| e.to_string())?;
        let matcher = Matcher {
            triggers,
            scan: OnceLock::new(),
            exact,
            roles,
            long,
            patterns,
            rule: known
                .iter()
                .map(|k| k.by == RecognisedBy::FamilyRule)
                .collect(),
            mbedtls: known
                .iter()
                .enumerate()
                .filter(|(_, k)| k.stack == "mbedtls")
                .flat_map(|(entry, k)| {
                    k.literals
                        .iter()
                        .filter_map(|l| {
                            number_at(l.as_bytes(), 0).filter(|(_, end)| *end == l.len())
                        })
                        .map(move |(value, _)| (value, entry))
                })
                .collect(),
            badcert: BADCERT_BITS
                .iter()
                .filter_map(|&(bit, name)| {
                    known
                        .iter()
                        .position(|k| k.literals.iter().any(|l| l.eq_ignore_ascii_case(name)))
                        .map(|entry| (bit, entry))
                })
                .collect(),
        };
        Ok(matcher)
    }

    /// Stage one's automaton. A full DFA: the scan touches every byte of a log, and with
    /// hundreds of case-insensitive triggers no literal prefilter applies, so the automaton's
    /// own speed is the scan's speed (the default contiguous NFA is about three times slower
    /// here). Building it costs about 10 ms, paid only by a scan.
    fn scan_automaton(&self) -> Result<&AhoCorasick, String> {
        self.scan
            .get_or_init(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&self.triggers)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The messages on one line, each once, in the order they appear. A match whose every
    /// span lies inside a longer match of another entry is left out: the more specific entry
    /// says it.
    pub fn match_line(&self, line: &str) -> Vec<Hit> {
        let text = normalise(line);
        self.match_normalised(&text)
    }

    fn match_normalised(&self, text: &str) -> Vec<Hit> {
        let bytes = text.as_bytes();
        let mut hits: Vec<Hit> = Vec::new();
        let mut tried = vec![false; self.patterns.len()];
        let mut reads_as_error: Option<bool> = None;
        for m in self.exact.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            for role in &self.roles[m.pattern().as_usize()] {
                match *role {
                    Role::Literal { entry, weak, open } => {
                        let context = !weak
                            || *reads_as_error.get_or_insert_with(|| reads_as_error_report(text));
                        let whole = if open {
                            bounded(bytes, start, start)
                        } else {
                            bounded(bytes, start, end)
                        };
                        if context && whole {
                            hits.push(Hit {
                                entry,
                                start,
                                end,
                                partial: false,
                            });
                        }
                    }
                    Role::Prefix { long } => {
                        let (entry, literal) = &self.long[long];
                        let rest = text[start..]
                            .trim_end()
                            .trim_end_matches(['.', '…'])
                            .trim_end();
                        if rest.len() >= CUT_MIN_KEPT
                            && rest.len() < literal.len()
                            && literal.starts_with(rest)
                            && bounded(bytes, start, start)
                        {
                            hits.push(Hit {
                                entry: *entry,
                                start,
                                end: start + rest.len(),
                                partial: true,
                            });
                        }
                    }
                    Role::Trigger { pattern } => {
                        if !tried[pattern] {
                            tried[pattern] = true;
                            let (entry, regex) = &self.patterns[pattern];
                            if let Some(found) = regex.find(text) {
                                hits.push(Hit {
                                    entry: *entry,
                                    start: found.start(),
                                    end: found.end(),
                                    partial: false,
                                });
                            }
                        }
                    }
                }
            }
        }
        if !hits.iter().any(|h| !self.rule[h.entry]) && text.contains("mbedtls") {
            hits.extend(self.mbedtls_sums(text));
        }
        hits.extend(self.verify_flags(text));
        // A family's keyword rule speaks only where no known message does, and only on a
        // line that reads as a failure.
        if hits.iter().any(|h| !self.rule[h.entry]) || !reads_as_failure(text) {
            hits.retain(|h| !self.rule[h.entry]);
        }
        let mut hits = keep_most_specific(hits);
        if hits.iter().all(|h| self.rule[h.entry]) {
            // Keyword rules only: the longest keyword says the most ("unknown authority"
            // before "network error", "certificate_expired" before "alert"), then the first.
            hits.sort_by_key(|h| (std::cmp::Reverse(h.end - h.start), h.start));
        }
        hits
    }

    /// On a line about mbedTLS, each code that is the sum of a known high-level code (a
    /// multiple of 0x80 from 0x1000) and a known low-level one (under 0x80): both, the
    /// high-level one first.
    fn mbedtls_sums(&self, text: &str) -> Vec<Hit> {
        let bytes = text.as_bytes();
        let mut hits = Vec::new();
        for (start, _) in text.match_indices("0x") {
            let at_start = start == 0 || !is_word(bytes[start - 1]);
            let Some((value, end)) = number_at(bytes, start).filter(|_| at_start) else {
                continue;
            };
            let (high, low) = (value & !0x7f, value & 0x7f);
            if high < 0x1000 || low == 0 || value > 0xffff {
                continue;
            }
            if let (Some(&h), Some(&l)) = (self.mbedtls.get(&high), self.mbedtls.get(&low)) {
                for entry in [h, l] {
                    hits.push(Hit {
                        entry,
                        start,
                        end,
                        partial: false,
                    });
                }
            }
        }
        hits
    }

    /// On a line that prints mbedTLS's certificate verification flags as a number (its debug
    /// log: `! Certificate verification flags 200`), each flag set, as its
    /// `MBEDTLS_X509_BADCERT_*` entry: the reason behind `-0x2700`.
    fn verify_flags(&self, text: &str) -> Vec<Hit> {
        let Some(at) = text.find(VERIFY_FLAGS) else {
            return Vec::new();
        };
        let rest = &text[at + VERIFY_FLAGS.len()..];
        let skipped = rest.len() - rest.trim_start_matches([' ', ':', '=']).len();
        let digits = rest[skipped..].trim_start_matches("0x");
        let start = at + VERIFY_FLAGS.len() + skipped + (rest[skipped..].len() - digits.len());
        let len = digits.bytes().take_while(u8::is_ascii_hexdigit).count();
        let value = match u64::from_str_radix(&digits[..len.min(8)], 16) {
            Ok(value)
                if len > 0
                    && len <= 8
                    && !digits[len..].starts_with(|c: char| is_word(c as u8)) =>
            {
                value
            }
            _ => return Vec::new(),
        };
        self.badcert
            .iter()
            .filter(|(bit, _)| value & bit != 0)
            .map(|&(_, entry)| Hit {
                entry,
                start,
                end: start + len,
                partial: false,
            })
            .collect()
    }

    /// A scan over a whole text or log, fed in chunks of whole lines.
    pub fn scan(&self) -> Scan<'_> {
        Scan {
            matcher: self,
            seen: Vec::new(),
            slot: vec![None; self.rule.len()],
            lines: 0,
            context: Context::default(),
        }
    }
}

/// The longest trigger of the raw scan. The scan's automaton has a state per distinct
/// trigger prefix; with thousands of literals, whole literals made it tens of megabytes.
const MAX_TRIGGER: usize = 16;

/// The number-free piece of a normalised literal the raw scan looks for (its start), or, when
/// it has none long enough, every raw spelling of its first number.
fn scan_triggers(literal: &str) -> Vec<String> {
    let bytes = literal.as_bytes();
    let mut pieces: Vec<&str> = Vec::new();
    let mut numbers: Vec<u64> = Vec::new();
    let (mut i, mut piece_start) = (0, 0);
    while i < bytes.len() {
        let at_start = i == 0 || !is_word(bytes[i - 1]);
        if at_start {
            if let Some((value, end)) = number_at(bytes, i) {
                pieces.push(&literal[piece_start..i]);
                numbers.push(value);
                i = end;
                piece_start = end;
                continue;
            }
        }
        i += 1;
    }
    pieces.push(&literal[piece_start..]);
    let longest = pieces
        .iter()
        .max_by_key(|p| p.trim().len())
        .copied()
        .unwrap_or("");
    if longest.trim().len() >= 4 || numbers.is_empty() {
        // Its first [`MAX_TRIGGER`] bytes: a line that holds the piece holds them, and
        // triggers that share a start share the automaton's states.
        let mut end = longest.len().min(MAX_TRIGGER);
        while !longest.is_char_boundary(end) {
            end -= 1;
        }
        vec![longest[..end].to_string()]
    } else {
        spellings(numbers[0])
    }
}

/// A normalised literal that is a number and nothing else (`0x2700`).
fn is_bare_number(literal: &str) -> bool {
    let bytes = literal.as_bytes();
    matches!(number_at(bytes, 0), Some((_, end)) if end == bytes.len())
}

/// Words of an error report: a bare number (`0x2600`) means a code only beside one of them,
/// not as a status word, a checksum or an address in an ordinary line.
const ERROR_WORDS: &[&str] = &[
    "err",
    "fail",
    "return",
    "ret=",
    "ret:",
    "rc=",
    "alert",
    "handshake",
    "verif",
    "refused",
    "reject",
    "abort",
];

fn reads_as_error_report(normalised: &str) -> bool {
    ERROR_WORDS.iter().any(|w| normalised.contains(w))
}

/// Words of a failure: a family's keyword rule counts only on a line that has one
/// ("handshake" alone is not a failure; "handshake timed out" is).
const FAILURE_WORDS: &[&str] = &[
    "err",
    "fail",
    "refused",
    "reject",
    "abort",
    "rc=",
    "unable",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "denied",
    "exception",
    "timed out",
    "timeout",
    "lost",
    "closed",
    "reset",
    "not authori",
    "unauthori",
    "eof",
    "expired",
    "invalid",
    "mismatch",
    "unknown",
    "no such",
    "unreachable",
    "exceeded",
    "disconnect",
    "not yet valid",
    "untrusted",
    "not trusted",
    "bad ",
    "no address",
    "not known",
    "broken",
];

fn reads_as_failure(normalised: &str) -> bool {
    FAILURE_WORDS.iter().any(|w| normalised.contains(w))
}

/// A literal that starts (ends) with a word character must not continue a word there.
fn bounded(text: &[u8], start: usize, end: usize) -> bool {
    let before = start == 0 || !is_word(text[start - 1]) || !is_word(text[start]);
    let after = end == text.len() || end == start || !is_word(text[end]) || !is_word(text[end - 1]);
    before && after
}

/// Leaves out matches that say less than another on the same line, and repeats of one entry;
/// orders the rest by where they start.
fn keep_most_specific(mut hits: Vec<Hit>) -> Vec<Hit> {
    let inside = |a: &Hit, b: &Hit| {
        a.entry != b.entry
            && b.start <= a.start
            && a.end <= b.end
            && (b.end - b.start) > (a.end - a.start)
    };
    let kept: Vec<Hit> = hits
        .iter()
        .filter(|a| {
            // An entry goes only when every one of its spans is inside another's.
            hits.iter()
                .filter(|h| h.entry == a.entry)
                .any(|own| !hits.iter().any(|b| inside(own, b)))
        })
        .copied()
        .collect();
    hits.clear();
    for hit in kept {
        match hits.iter_mut().find(|h| h.entry == hit.entry) {
            Some(h) => {
                // A whole match is better evidence than a cut one; then the earliest.
                if (h.partial && !hit.partial) || (h.partial == hit.partial && hit.start < h.start)
                {
                    *h = hit;
                }
            }
            None => hits.push(hit),
        }
    }
    hits.sort_by_key(|h| (h.start, h.entry));
    hits
}

/// A message seen in a scan: where first, how often (lines), and the line it was first on.
#[derive(Clone, Debug)]
pub struct Seen {
    pub entry: usize,
    /// 1-based line of the first occurrence.
    pub line: u64,
    /// Lines on which it was recognised.
    pub count: u64,
    /// The first line it was recognised on, as read (lossy UTF-8).
    pub text: String,
    /// The first occurrence was a line cut short.
    pub partial: bool,
}

/// The state of a scan: what was seen, in order, and what the lines revealed.
#[derive(Debug)]
pub struct Scan<'m> {
    matcher: &'m Matcher,
    seen: Vec<Seen>,
    /// Entry → index into `seen`.
    slot: Vec<Option<usize>>,
    /// Lines before the current chunk.
    lines: u64,
    context: Context,
}

/// Longer lines are matched by their first this many bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

impl Scan<'_> {
    /// Scans a chunk of whole lines (the last may lack its newline only at the end of input).
    pub fn feed(&mut self, chunk: &[u8]) {
        let scan = match self.matcher.scan_automaton() {
            Ok(scan) => scan,
            // The triggers are literals of at most a few hundred bytes each, far below the
            // automaton's limits; should it still fail, every line is matched exactly.
            Err(_) => return self.feed_every_line(chunk),
        };
        let mut at = 0;
        let mut counted = 0;
        while at < chunk.len() {
            let Some(found) = scan.find(Input::new(chunk).span(at..chunk.len())) else {
                break;
            };
            let start = memchr::memrchr(b'\n', &chunk[..found.start()]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &chunk[found.start()..])
                .map_or(chunk.len(), |i| found.start() + i);
            self.lines += memchr::memchr_iter(b'\n', &chunk[counted..start]).count() as u64;
            counted = start;
            let raw = &chunk[start..end.min(start + MAX_LINE_BYTES)];
            self.line(raw, self.lines + 1);
            at = end + 1;
        }
        self.lines += memchr::memchr_iter(b'\n', &chunk[counted..]).count() as u64;
    }

    /// Matches every line exactly, without the scan: for a few lines, where building the
    /// scan's automaton would cost more than it saves.
    pub fn feed_every_line(&mut self, chunk: &[u8]) {
        for raw in chunk.split(|&b| b == b'\n') {
            self.lines += 1;
            let number = self.lines;
            self.line(&raw[..raw.len().min(MAX_LINE_BYTES)], number);
        }
        if chunk.ends_with(b"\n") {
            // The empty piece after the last newline is not a line.
            self.lines -= 1;
        }
    }

    fn line(&mut self, raw: &[u8], number: u64) {
        let text = String::from_utf8_lossy(raw);
        let line = text.trim_end_matches('\r');
        let normalised = normalise(line);
        self.context.absorb(line);
        for hit in self.matcher.match_normalised(&normalised) {
            match self.slot[hit.entry] {
                Some(i) => self.seen[i].count += 1,
                None => {
                    self.slot[hit.entry] = Some(self.seen.len());
                    self.seen.push(Seen {
                        entry: hit.entry,
                        line: number,
                        count: 1,
                        text: line.to_string(),
                        partial: hit.partial,
                    });
                }
            }
        }
    }

    /// What was seen, in the order first seen, and what the lines revealed.
    pub fn finish(self) -> (Vec<Seen>, Context) {
        (self.seen, self.context)
    }
}

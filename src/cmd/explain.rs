//! `iotcheck explain`: from lines of a device log to the messages the catalogue knows, their
//! likely causes and the checks that confirm them. Load (the text, or a log streamed in
//! chunks) → match (`explain`) → report.

use std::io::Read;

use crate::error::{Error, InputError};
use crate::explain::{self, Scan};
use crate::outcome::Outcome;
use crate::report::explain::{self as view, ExplainReport, ListReport};
use crate::report::json;
use crate::source::{self, Input};

/// What `explain` reads.
#[derive(Debug)]
pub enum Text {
    /// The words on the command line, one text.
    Given(String),
    /// A whole log: a file or standard input.
    Log(Input),
    /// No text: list the catalogue.
    List,
}

#[derive(Debug)]
pub struct Settings {
    pub text: Text,
    pub json: bool,
}

/// The most read from one log: a bound on time, not on memory (the log is streamed).
pub const MAX_LOG_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// The log is read in chunks of about this size, cut after their last newline.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// The longest line of a log: longer is not a text log (`/dev/zero`, a disk image, a binary
/// without newlines), and it is refused once this much of it is read.
pub const MAX_LINE_RUN: u64 = 64 * 1024 * 1024;

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let catalogue = explain::catalogue();
    let knowledge = explain::knowledge();
    if let Text::List = settings.text {
        let report = ListReport::build(catalogue, knowledge);
        let stdout = if settings.json {
            json::to_line(&report)
        } else {
            view::render_list(&report)
        };
        return Ok(Outcome::new(stdout, true));
    }
    let mut scan = explain::matcher().scan();
    let from_log = match &settings.text {
        Text::Given(text) => {
            scan.feed_every_line(text.as_bytes());
            false
        }
        Text::Log(input) => {
            scan_log(input, &mut scan)?;
            true
        }
        Text::List => false,
    };
    let (mut seen, context) = scan.finish();
    explain::rank::rank(&mut seen, &knowledge.known, &knowledge.families);
    let report = ExplainReport::build(catalogue, knowledge, &seen, context, from_log);
    let recognised = !report.matches.is_empty();
    let stdout = if settings.json {
        json::to_line(&report)
    } else {
        view::render(&report)
    };
    Ok(Outcome::new(stdout, recognised))
}

/// Streams a log through the scan, chunk by chunk, each cut after its last newline.
fn scan_log(input: &Input, scan: &mut Scan<'_>) -> Result<(), Error> {
    let name = input.name();
    let reader: Box<dyn Read> = match input {
        Input::Stdin => Box::new(std::io::stdin().lock()),
        Input::Path(path) => Box::new(open_log(path, &name)?),
    };
    let mut reader = reader.take(MAX_LOG_BYTES + 1);
    let mut buffer = vec![0u8; CHUNK_BYTES];
    let mut filled = 0;
    let mut total: u64 = 0;
    // Bytes of the line being read, across chunks.
    let mut run: u64 = 0;
    loop {
        let read = match reader.read(&mut buffer[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(InputError::new(&name, format!("cannot read: {e}")).into()),
        };
        total += read as u64;
        if total > MAX_LOG_BYTES {
            return Err(InputError::new(
                &name,
                format!(
                    "is larger than {} GiB: scan a part of it (split, or tail -c)",
                    MAX_LOG_BYTES >> 30
                ),
            )
            .into());
        }
        filled += read;
        if read == 0 {
            scan.feed(&buffer[..filled]);
            return Ok(());
        }
        if filled < buffer.len() {
            continue;
        }
        // A full buffer: scan up to its last newline and keep the rest. A buffer without
        // one is a single line longer than the buffer: it is scanned as it is.
        let cut = match memchr::memrchr(b'\n', &buffer[..filled]) {
            Some(i) => {
                run = (filled - i - 1) as u64;
                i + 1
            }
            None => {
                run += filled as u64;
                filled
            }
        };
        if run > MAX_LINE_RUN {
            return Err(InputError::new(
                &name,
                format!(
                    "has a line longer than {} MiB: not a text log (scan the text in it: strings FILE | iotcheck explain --log -)",
                    MAX_LINE_RUN >> 20
                ),
            )
            .into());
        }
        scan.feed(&buffer[..cut]);
        buffer.copy_within(cut..filled, 0);
        filled -= cut;
        if filled == buffer.len() {
            filled = 0;
        }
    }
}

/// Opens a regular log file (the shared rule: no directories, FIFOs or devices), refusing
/// one larger than [`MAX_LOG_BYTES`] before reading it.
fn open_log(path: &std::path::Path, name: &str) -> Result<std::fs::File, Error> {
    let file = source::open_regular(path, name)?;
    let too_large = file.metadata().is_ok_and(|m| m.len() > MAX_LOG_BYTES);
    if too_large {
        return Err(InputError::new(
            name,
            format!(
                "is larger than {} GiB: scan a part of it (split, or tail -c)",
                MAX_LOG_BYTES >> 30
            ),
        )
        .into());
    }
    Ok(file)
}

//! `iotcheck fleet`: every certificate file under the paths judged as a device certificate:
//! load the CAs and CRLs, walk the paths to a sorted list, index every file's key and serial
//! (a first, lighter pass, so that every file of a shared key is flagged, the first too),
//! judge the files in parallel chunks (`fleet::judge`), add what the index shows, and stream
//! each file's result out in path order; the summary closes the run.

use std::io::Write;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use regex::Regex;

use crate::chain::Cert;
use crate::error::Error;
use crate::fleet::{self, FileVerdict, FleetPolicy, Summary};
use crate::outcome::Outcome;
use crate::output::{Placement, Target};
use crate::report::fleet::{self as view, SummaryView};
use crate::source::Input;
use crate::trust::Anchors;
use crate::verify::Crls;

pub struct Settings {
    pub paths: Vec<PathBuf>,
    pub ca: Vec<Input>,
    pub crl: Vec<Input>,
    pub at: i64,
    pub warn_days: u32,
    pub thing_pattern: Option<Regex>,
    pub output: FleetOutput,
    /// Draw a progress bar on stderr (`main` decided: stderr is a terminal).
    pub progress: bool,
}

/// How the run is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetOutput {
    /// The human summary.
    Summary,
    /// One JSON line per file, then the summary line.
    Jsonl,
    /// One JSON object.
    Json,
    /// A node_exporter textfile written to this path; one line on stdout.
    Prometheus(PathBuf),
}

pub fn run(settings: &Settings, stdout: &mut dyn Write) -> Result<Outcome, Error> {
    // Every input the run rests on is read first: an unreadable one is exit 2 before any
    // file is judged.
    if let FleetOutput::Prometheus(path) = &settings.output {
        textfile(path).check()?;
    }
    let anchors = Anchors::from_files(&settings.ca)?;
    let issuers: Vec<&Cert> = anchors.certs.iter().collect();
    let crls = Crls::load(&settings.crl, &issuers, settings.at)?;
    let walked = fleet::walk(&settings.paths)?;

    let policy = FleetPolicy {
        anchors: &anchors,
        crls: &crls,
        at: settings.at,
        warn_days: settings.warn_days,
        thing_pattern: settings.thing_pattern.as_ref(),
    };
    let progress = progress_bar(settings.progress, walked.entries.len());
    let mut out = Sink::new(stdout, &settings.output);
    let mut summary = Summary::new(crls.findings.clone(), walked.symlinks_skipped);
    out.head();
    fleet::audit(&walked, &settings.paths, &policy, &mut summary, |file| {
        out.file(file);
        progress.inc(1);
        !out.closed
    });
    progress.finish_and_clear();

    let view = SummaryView::build(&summary, &anchors, &crls, settings.at, settings.warn_days);
    let ok = view.verdict.passed();
    if let FleetOutput::Prometheus(path) = &settings.output {
        textfile(path).write(view::prometheus(&view).as_bytes())?;
    }
    out.tail(&view);
    out.finish()?;
    Ok(Outcome::new(String::new(), ok))
}

fn progress_bar(shown: bool, files: usize) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Where the results go as they come: stdout, buffered. A reader that goes away (`| head`)
/// ends the run quietly; any other write error is reported at the end.
struct Sink<'a> {
    out: std::io::BufWriter<&'a mut dyn Write>,
    output: &'a FleetOutput,
    files: usize,
    closed: bool,
    error: Option<std::io::Error>,
}

impl<'a> Sink<'a> {
    fn new(stdout: &'a mut dyn Write, output: &'a FleetOutput) -> Sink<'a> {
        Sink {
            out: std::io::BufWriter::with_capacity(64 * 1024, stdout),
            output,
            files: 0,
            closed: false,
            error: None,
        }
    }

    fn write(&mut self, text: &str) {
        if self.closed {
            return;
        }
        if let Err(e) = self.out.write_all(text.as_bytes()) {
            self.closed = true;
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                self.error = Some(e);
            }
        }
    }

    fn head(&mut self) {
        if *self.output == FleetOutput::Json {
            self.write(&view::json_head());
        }
    }

    fn file(&mut self, file: &FileVerdict) {
        let text = match self.output {
            FleetOutput::Jsonl => view::file_line(file),
            FleetOutput::Json => view::json_file(file, self.files == 0),
            FleetOutput::Summary | FleetOutput::Prometheus(_) => String::new(),
        };
        self.files += 1;
        self.write(&text);
    }

    fn tail(&mut self, summary: &SummaryView<'_>) {
        let text = match self.output {
            FleetOutput::Summary => view::render(summary),
            FleetOutput::Jsonl => view::summary_line(summary),
            FleetOutput::Json => view::json_tail(summary),
            FleetOutput::Prometheus(path) => format!(
                "wrote {}: {} certificate(s), {} failing, {} other file(s)\n",
                path.display(),
                summary.certificates,
                summary.failing,
                summary.other_files
            ),
        };
        self.write(&text);
    }

    fn finish(mut self) -> Result<(), Error> {
        if !self.closed {
            if let Err(e) = self.out.flush() {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    self.error = Some(e);
                }
            }
        }
        match self.error {
            Some(source) => Err(Error::Write {
                path: "standard output".into(),
                source,
            }),
            None => Ok(()),
        }
    }
}

/// The `--prometheus` textfile, replaced whole on every run (node_exporter must never read
/// half of one).
fn textfile(path: &Path) -> Target<'_> {
    Target {
        path,
        mode: 0o644,
        placement: Placement::Replace,
        option: "--prometheus",
        exists_hint: "",
    }
}

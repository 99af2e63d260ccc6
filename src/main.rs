//! The `iotcheck` binary: parses arguments, reads the environment once (clock, terminal,
//! NO_COLOR, HTTPS_PROXY, the open-file limit, raised as far as allowed), runs the command and
//! maps its outcome to the exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use iotcheck::app::{self, Env};
use iotcheck::cli::{Cli, ColorChoice};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if !e.use_stderr()
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            // Help and version go to stdout with 0; help for a bare `iotcheck` to stderr, 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
        Err(e) => {
            eprint!("{}", usage_error(&e));
            return ExitCode::from(2);
        }
    };
    let env = Env {
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        },
        https_proxy: std::env::var("HTTPS_PROXY")
            .or_else(|_| std::env::var("https_proxy"))
            .ok()
            .filter(|v| !v.is_empty()),
        no_proxy: std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .ok()
            .filter(|v| !v.is_empty()),
        stderr_terminal: std::io::stderr().is_terminal(),
        home: std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from),
        open_files: iotcheck::descriptors::raise_limit(),
    };
    let mut stdout = std::io::stdout().lock();
    match app::run(cli, &env, &mut stdout) {
        Ok(outcome) => {
            let written = stdout
                .write_all(outcome.stdout.as_bytes())
                .and_then(|_| stdout.flush());
            // The verdict beside --pem output, after the certificates.
            let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
            match written {
                Ok(()) => ExitCode::from(outcome.exit as u8),
                // A closed pipe (`| head`) is the reader's choice, not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    ExitCode::from(outcome.exit as u8)
                }
                Err(e) => {
                    eprintln!("iotcheck: writing output: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Err(e) => {
            // File names and server words come from outside: keep the line one line.
            eprintln!(
                "iotcheck: {}",
                iotcheck::report::human::clean(&e.to_string())
            );
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// A usage error in the one documented shape: `iotcheck: <what>: <why and what to do>` on one
/// line, then where to read more. clap's own text spreads over several lines (the error, a
/// list, tips, the usage): its lines up to the usage are joined into one.
fn usage_error(e: &clap::Error) -> String {
    let command = subcommand_named();
    let rendered = e.render().to_string();
    let mut why = String::new();
    let mut listing = false;
    for raw in rendered.lines() {
        let line = raw.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if line.is_empty() {
            listing = false;
            continue;
        }
        let line = line
            .trim_start_matches("error: ")
            .trim_start_matches("tip: ");
        let item = listing && raw.starts_with(' ');
        if !why.is_empty() {
            why.push_str(match (why.ends_with(':'), item) {
                (true, _) => " ",
                (false, true) => ", ",
                (false, false) => "; ",
            });
        }
        why.push_str(line);
        listing = line.ends_with(':') || item;
    }
    let what = command.as_deref().unwrap_or("arguments");
    let help = match &command {
        Some(c) => format!("iotcheck {c} --help"),
        None => "iotcheck --help".to_string(),
    };
    // The arguments came from outside: keep the line one line.
    let line = iotcheck::report::human::clean(&format!("iotcheck: {what}: {why}"));
    format!("{line}\ntry '{help}'\n")
}

/// The subcommand named on the command line, if any.
fn subcommand_named() -> Option<String> {
    let cli = Cli::command();
    std::env::args().skip(1).find_map(|arg| {
        cli.get_subcommands()
            .find(|c| c.get_name() == arg)
            .map(|c| c.get_name().to_string())
    })
}

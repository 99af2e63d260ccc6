//! The `iotcheck` binary: parses arguments, reads the environment once (clock, terminal,
//! NO_COLOR, HTTPS_PROXY), runs the command and maps its outcome to the exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use iotcheck::app::{self, Env};
use iotcheck::cli::{Cli, ColorChoice};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; real usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
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
    };
    match app::run(cli, &env) {
        Ok(outcome) => {
            let mut stdout = std::io::stdout().lock();
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

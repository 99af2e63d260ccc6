//! From parsed arguments to plain settings, then to the command that runs them. The
//! environment (clock, terminal, proxy variables) arrives resolved in [`Env`].

use crate::cli::{Cli, Command, TrustArgs};
use crate::cmd;
use crate::error::Error;
use crate::source::Input;
use crate::trust::Anchors;
use crate::when::parse_instant;

/// What `main` read from the world, once.
#[derive(Clone, Debug)]
pub struct Env {
    /// The current time, unix seconds.
    pub now: i64,
    /// Color the human output.
    pub color: bool,
    /// HTTPS_PROXY (or https_proxy), if set.
    pub https_proxy: Option<String>,
    /// NO_PROXY (or no_proxy), if set: hosts that HTTPS_PROXY does not apply to.
    pub no_proxy: Option<String>,
}

/// What a command produced: text for stdout and the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub exit: i32,
}

impl Outcome {
    pub fn new(stdout: String, ok: bool) -> Outcome {
        Outcome {
            stdout,
            exit: if ok { 0 } else { 1 },
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli, env: &Env) -> Result<Outcome, Error> {
    crate::report::human::set_color(env.color);
    refuse_stdin_twice(&cli.command)?;
    match cli.command {
        Command::VerifyChain(args) => {
            let settings = cmd::verify_chain::Settings {
                inputs: args.certs.iter().map(|a| Input::from_arg(a)).collect(),
                anchors: anchors(&args.trust)?,
                at: at(&args.trust.at, env)?,
                host: args.host.map(|h| checked_host(&h, "--host")).transpose()?,
                json: args.json,
            };
            cmd::verify_chain::run(&settings)
        }
        Command::Inspect(args) => {
            let settings = cmd::inspect::Settings {
                inputs: args.files.iter().map(|a| Input::from_arg(a)).collect(),
                at: env.now,
                json: args.json,
            };
            cmd::inspect::run(&settings)
        }
        Command::Endpoint(args) => cmd::endpoint::run(&cmd::endpoint::settings(*args, env)?),
        Command::Device(args) => {
            let settings = cmd::device::Settings {
                cert: Input::from_arg(&args.cert),
                key: Input::from_arg(&args.key),
                ca: args.ca.iter().map(|a| Input::from_arg(a)).collect(),
                thing: args.thing,
                at: at(&args.at, env)?,
                json: args.json,
            };
            cmd::device::run(&settings)
        }
        Command::Csr(args) => cmd::csr::run(&cmd::csr::Settings {
            thing: args.thing,
            key_type: args.key_type,
            out: args.out,
            json: args.json,
        }),
    }
}

/// Standard input can feed one input only.
fn refuse_stdin_twice(command: &Command) -> Result<(), Error> {
    let dashes = |args: &[&String]| args.iter().filter(|a| a.as_str() == "-").count();
    let count = match command {
        Command::VerifyChain(a) => dashes(&a.certs.iter().chain(&a.trust.ca).collect::<Vec<_>>()),
        Command::Inspect(a) => dashes(&a.files.iter().collect::<Vec<_>>()),
        Command::Device(a) => dashes(
            &[&a.cert, &a.key]
                .into_iter()
                .chain(&a.ca)
                .collect::<Vec<_>>(),
        ),
        Command::Endpoint(_) | Command::Csr(_) => 0,
    };
    if count > 1 {
        return Err(Error::Usage(
            "standard input (-) can be given for one input only".into(),
        ));
    }
    Ok(())
}

/// The anchors: exactly the `--ca` files when given, else the embedded Amazon roots.
pub(crate) fn anchors(trust: &TrustArgs) -> Result<Anchors, Error> {
    if trust.ca.is_empty() {
        return Ok(Anchors::embedded());
    }
    let inputs: Vec<Input> = trust.ca.iter().map(|a| Input::from_arg(a)).collect();
    Ok(Anchors::from_files(&inputs)?)
}

/// `--at`, or now.
pub(crate) fn at(text: &Option<String>, env: &Env) -> Result<i64, Error> {
    match text {
        Some(t) => parse_instant(t).map_err(|e| Error::Usage(format!("--at: {e}"))),
        None => Ok(env.now),
    }
}

/// A name to verify must be a DNS name or an IP address.
pub(crate) fn checked_host(host: &str, option: &str) -> Result<String, Error> {
    let trimmed = host.trim_start_matches('[').trim_end_matches(']');
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    match rustls::pki_types::ServerName::try_from(trimmed) {
        Ok(_) => Ok(trimmed.to_string()),
        Err(_) if !trimmed.is_ascii() => Err(Error::Usage(format!(
            "{option} {host:?}: an international name must be given in its ASCII (xn--) form"
        ))),
        Err(_) => Err(Error::Usage(format!(
            "{option} {host:?} is neither a DNS name nor an IP address"
        ))),
    }
}

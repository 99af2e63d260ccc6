//! `iotcheck serve`: a Prometheus exporter. `/probe?target=&module=` probes a target as a
//! module of the configuration says (the blackbox exporter's multi-target convention) through
//! the one probe-and-verify engine; `/metrics` shows the exporter's own metrics and the fleets
//! audited in the background with the fleet engine.
//!
//! The HTTP edge (hyper, HTTP/1.1) runs on one thread; each probe runs on a blocking thread
//! with its own deadline, at most `max_concurrent_probes` at once, so that a slow or silent
//! target holds only its own scrape. SIGTERM (or SIGINT) stops accepting and lets the requests
//! under way finish; SIGHUP reloads the configuration, keeping the one in force when the new
//! one is invalid.
//!
//! A long-running server reads the clock at every probe and scan: `Settings::clock` is the
//! one clock it reads, passed in.

mod allow;
pub mod config;
mod fleets;
mod http;
pub mod metrics;
mod probe;

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::error::Error;
use crate::outcome::Outcome;

/// The current time, Unix seconds.
pub type Clock = fn() -> i64;

/// Everything `serve` needs, resolved.
pub struct Settings {
    pub config: PathBuf,
    /// `--listen`, over the file's `listen`.
    pub listen: Option<String>,
    pub clock: Clock,
    pub version: &'static str,
}

/// Loads the configuration, listens, serves until SIGTERM. Err: the configuration is invalid
/// or the address cannot be listened on (exit 2).
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let config = config::load(&settings.config)?;
    let listen = settings
        .listen
        .clone()
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| config::DEFAULT_LISTEN.to_string());
    let address = listen_address(&listen)?;
    http::run(settings, config, address)?;
    Ok(Outcome::new(String::new(), true))
}

/// ADDR:PORT, an IP address and a port ([V6]:PORT for IPv6).
fn listen_address(text: &str) -> Result<SocketAddr, Error> {
    text.parse::<SocketAddr>().map_err(|_| {
        Error::Usage(format!(
            "--listen {:?}: give ADDR:PORT with an IP address, e.g. 127.0.0.1:9877 or [::1]:9877",
            crate::quote::clipped(text)
        ))
    })
}

/// One line on stderr, prefixed; outside words kept to one line.
fn log(line: &str) {
    eprintln!("iotcheck serve: {}", crate::report::human::clean(line));
}

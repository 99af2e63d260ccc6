//! From parsed arguments to plain settings, then to the command that runs them. The
//! environment (clock, terminal, proxy variables) arrives resolved in [`Env`].

use std::path::PathBuf;
use std::time::Duration;

use crate::aws::AwsSettings;
use crate::cli::{
    Cli, Command, DoctorArgs, EndpointArgs, FleetArgs, KeyTypeChoice, PemArgs, ReportArgs,
    SigChoice, TlsChoice, TrustArgs,
};
use crate::cmd;
use crate::error::{Error, InputError};
use crate::manual;
use crate::net::{self, MqttSettings, ProbeSettings, SigFilter, TlsVersions};
use crate::report::endpoint::EndpointSource;
use crate::report::targets::ManyOutput;
use crate::report::Output;
use crate::source::Input;
use crate::trust::Anchors;
use crate::verify::classify;
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
    /// stderr is a terminal: a long run may draw its progress there.
    pub stderr_terminal: bool,
    /// HOME, if set: resolves `~` in a device's configuration file.
    pub home: Option<std::path::PathBuf>,
}

/// What a command produced: text for stdout, text for stderr (the verdict beside `--pem`
/// output) and the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub exit: i32,
}

impl Outcome {
    pub fn new(stdout: String, ok: bool) -> Outcome {
        Outcome {
            stdout,
            stderr: String::new(),
            exit: if ok { 0 } else { 1 },
        }
    }

    pub fn with_stderr(mut self, stderr: String) -> Outcome {
        self.stderr = stderr;
        self
    }
}

/// Runs the parsed command line. A command whose output is long (`fleet`) streams it to
/// `stdout` as it goes; the others return theirs in the [`Outcome`].
pub fn run(cli: Cli, env: &Env, stdout: &mut dyn std::io::Write) -> Result<Outcome, Error> {
    crate::report::human::set_color(env.color);
    refuse_stdin_twice(&cli.command)?;
    match cli.command {
        Command::VerifyChain(args) => {
            let settings = cmd::verify_chain::Settings {
                inputs: args.certs.iter().map(|a| Input::from_arg(a)).collect(),
                anchors: anchors(&args.trust)?,
                crl: args.crl.iter().map(|a| Input::from_arg(a)).collect(),
                at: at(&args.trust.at, env)?,
                warn_days: args.trust.warn_days,
                host: args.host.map(|h| checked_host(&h, "--host")).transpose()?,
                output: output(&args.report, Some(&args.pem)),
            };
            cmd::verify_chain::run(&settings)
        }
        Command::Inspect(args) => {
            let settings = cmd::inspect::Settings {
                inputs: args.files.iter().map(|a| Input::from_arg(a)).collect(),
                at: env.now,
                json: args.json,
                pem: args.pem,
            };
            cmd::inspect::run(&settings)
        }
        Command::Endpoint(args) => endpoint(*args, env),
        Command::Doctor(args) => cmd::doctor::run(&doctor_settings(*args, env)?),
        Command::Account(args) => {
            let settings = cmd::account::Settings {
                cert: Input::from_arg(&args.cert),
                client_id: args.client_id,
                thing: args.thing,
                publish: args.publish,
                subscribe: args.subscribe,
                aws: AwsSettings {
                    region: args.region,
                    profile: args.profile,
                    timeout: timeout(args.timeout)?,
                },
                json: args.json,
            };
            cmd::account::run(&settings)
        }
        Command::Device(args) => {
            let settings = cmd::device::Settings {
                cert: Input::from_arg(&args.cert),
                key: Input::from_arg(&args.key),
                ca: args.ca.iter().map(|a| Input::from_arg(a)).collect(),
                crl: args.crl.iter().map(|a| Input::from_arg(a)).collect(),
                thing: args.thing,
                at: at(&args.at, env)?,
                warn_days: args.warn_days,
                output: output(&args.report, None),
            };
            cmd::device::run(&settings)
        }
        Command::Csr(args) => cmd::csr::run(&cmd::csr::Settings {
            thing: args.thing,
            key_type: match args.key_type {
                KeyTypeChoice::EcP256 => cmd::csr::KeyType::EcP256,
                KeyTypeChoice::EcP384 => cmd::csr::KeyType::EcP384,
                KeyTypeChoice::Rsa2048 => cmd::csr::KeyType::Rsa2048,
                KeyTypeChoice::Rsa3072 => cmd::csr::KeyType::Rsa3072,
                KeyTypeChoice::Rsa4096 => cmd::csr::KeyType::Rsa4096,
            },
            out: args.out,
            json: args.json,
        }),
        Command::Explain(args) => cmd::explain::run(&cmd::explain::Settings {
            text: match (args.log, args.list) {
                (Some(log), _) => cmd::explain::Text::Log(Input::from_arg(&log)),
                (None, true) => cmd::explain::Text::List,
                (None, false) => cmd::explain::Text::Given(args.text.join(" ")),
            },
            json: args.json,
        }),
        Command::Fleet(args) => cmd::fleet::run(&fleet_settings(args, env)?, stdout),
        Command::Version(args) => Ok(cmd::version::run(args.json)),
        Command::Completions(args) => Ok(Outcome::new(manual::completions(args.shell), true)),
        Command::Man(args) => match args.out {
            Some(dir) => {
                let written = manual::write_pages(&dir)?;
                Ok(Outcome::new(written.join("\n") + "\n", true))
            }
            None => Ok(Outcome::new(manual::page(args.command.as_deref())?, true)),
        },
    }
}

/// The one way a verdict is shown, from --json, --brief, --quiet, --pem and --path.
fn output(report: &ReportArgs, pem: Option<&PemArgs>) -> Output {
    match (report, pem) {
        (_, Some(PemArgs { pem: true, path })) => {
            if *path {
                Output::PemPath
            } else {
                Output::Pem
            }
        }
        (ReportArgs { json: true, .. }, _) => Output::Json,
        (ReportArgs { quiet: true, .. }, _) => Output::Quiet,
        (ReportArgs { brief: true, .. }, _) => Output::Brief,
        _ => Output::Text,
    }
}

/// Standard input can feed one input only.
fn refuse_stdin_twice(command: &Command) -> Result<(), Error> {
    let dashes = |args: &[&String]| args.iter().filter(|a| a.as_str() == "-").count();
    let count = match command {
        Command::VerifyChain(a) => dashes(
            &a.certs
                .iter()
                .chain(&a.trust.ca)
                .chain(&a.crl)
                .collect::<Vec<_>>(),
        ),
        Command::Inspect(a) => dashes(&a.files.iter().collect::<Vec<_>>()),
        Command::Device(a) => dashes(
            &[&a.cert, &a.key]
                .into_iter()
                .chain(&a.ca)
                .chain(&a.crl)
                .collect::<Vec<_>>(),
        ),
        Command::Endpoint(a) => dashes(
            &a.targets
                .iter()
                .chain(&a.cert)
                .chain(&a.key)
                .chain(&a.trust.ca)
                .collect::<Vec<_>>(),
        ),
        Command::Fleet(a) => dashes(&a.ca.iter().chain(&a.crl).collect::<Vec<_>>()),
        Command::Doctor(_)
        | Command::Csr(_)
        | Command::Explain(_)
        | Command::Version(_)
        | Command::Completions(_)
        | Command::Man(_)
        | Command::Account(_) => 0,
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
            "{option} {:?}: an international name must be given in its ASCII (xn--) form",
            crate::quote::clipped(host)
        ))),
        Err(_) => Err(Error::Usage(format!(
            "{option} {:?} is neither a DNS name nor an IP address",
            crate::quote::clipped(host)
        ))),
    }
}

/// `fleet`: the paths, the CAs and CRLs, the pattern compiled, the output chosen.
fn fleet_settings(args: FleetArgs, env: &Env) -> Result<cmd::fleet::Settings, Error> {
    let thing_pattern = args
        .thing_pattern
        .as_deref()
        .map(crate::fleet::thing_pattern)
        .transpose()
        .map_err(Error::Usage)?;
    let output = match (args.jsonl, args.json, args.prometheus) {
        (true, _, _) => cmd::fleet::FleetOutput::Jsonl,
        (_, true, _) => cmd::fleet::FleetOutput::Json,
        (_, _, Some(path)) => cmd::fleet::FleetOutput::Prometheus(path),
        _ => cmd::fleet::FleetOutput::Summary,
    };
    Ok(cmd::fleet::Settings {
        paths: args.paths,
        ca: args.ca.iter().map(|a| Input::from_arg(a)).collect(),
        crl: args.crl.iter().map(|a| Input::from_arg(a)).collect(),
        at: at(&args.at, env)?,
        warn_days: args.warn_days,
        thing_pattern,
        output,
        progress: env.stderr_terminal,
    })
}

/// `--timeout SECS` as a duration, within its documented range.
fn timeout(seconds: f64) -> Result<Duration, Error> {
    if !(0.001..=3600.0).contains(&seconds) {
        return Err(Error::Usage(
            "--timeout takes seconds from 0.001 to 3600".into(),
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `endpoint`: one target as it always was, or several (`--targets`, two or more HOSTs, or
/// `--jsonl`), probed concurrently. The command line decides which, never the number of lines
/// in a file, so that a script always gets the shape it asked for.
fn endpoint(args: EndpointArgs, env: &Env) -> Result<Outcome, Error> {
    if args.targets.is_some() || args.target.len() > 1 || args.jsonl {
        cmd::endpoint::run_many(&many_endpoint_settings(args, env)?)
    } else {
        cmd::endpoint::run(&endpoint_settings(args, env)?)
    }
}

/// Resolves the command line of one target: target, port, names, ALPN, proxy, device
/// credentials. Without HOST, the target is the account's iot:Data-ATS endpoint, asked of AWS
/// first.
fn endpoint_settings(args: EndpointArgs, env: &Env) -> Result<cmd::endpoint::Settings, Error> {
    let output = output(&args.report, Some(&args.pem));
    if args.sig == SigChoice::Both && matches!(output, Output::Pem | Output::PemPath) {
        return Err(Error::Usage(
            "--pem prints the chain of one handshake: give --sig rsa or --sig ecdsa (or keep both chains with --save DIR)".into(),
        ));
    }
    let (target, source) = match args.target.first() {
        Some(target) => (target.clone(), EndpointSource::Given),
        None => discovered(&args)?,
    };
    let proxy = args.proxy.as_deref().map(parse_proxy).transpose()?;
    let address = target_address(&target, source, &args, proxy.as_ref(), env)?;
    let shared = shared_endpoint_settings(&args, env)?;
    // The --save target is checked (and made) before connecting, so that a report is
    // never lost to a directory that cannot be written.
    let save = match &args.save {
        Some(dir) => Some(prepared_save_dir(dir.clone(), &args)?),
        None => None,
    };
    Ok(target_settings(address, &shared, save, output))
}

/// Resolves the command line of several targets: the HOSTs given, then the lines of
/// `--targets FILE`, each resolved as one target would be (a bad line is a usage error naming
/// the file and line); a target given twice is probed once, at its first place.
fn many_endpoint_settings(
    args: EndpointArgs,
    env: &Env,
) -> Result<cmd::endpoint::ManySettings, Error> {
    let output = match output(&args.report, Some(&args.pem)) {
        _ if args.jsonl => ManyOutput::JsonLines,
        Output::Text => ManyOutput::Text,
        Output::Brief => ManyOutput::Brief,
        Output::Quiet => ManyOutput::Quiet,
        Output::Json => return Err(Error::Usage(
            "--json prints the object of one target: with several targets or --targets, give --jsonl (one JSON line per target, then a summary line)".into(),
        )),
        Output::Pem | Output::PemPath => return Err(Error::Usage(
            "--pem prints the chain of one target: with several targets or --targets, keep each target's chain with --save DIR".into(),
        )),
    };
    // Each target as given, with where it was given for messages: FILE:LINE, or nothing.
    let mut given: Vec<(String, EndpointSource, Option<String>)> = args
        .target
        .iter()
        .map(|t| (t.clone(), EndpointSource::Given, None))
        .collect();
    if let Some(file) = &args.targets {
        let input = Input::from_arg(file);
        let name = input.name();
        let text = crate::source::read_text(&input)?;
        given.extend(targets_in_file(&name, &text)?);
    }
    if given.is_empty() {
        let (host, source) = discovered(&args)?;
        given.push((host, source, None));
    }
    let proxy = args.proxy.as_deref().map(parse_proxy).transpose()?;
    let (addresses, duplicates) = target_addresses(given, &args, proxy.as_ref(), env)?;
    let shared = shared_endpoint_settings(&args, env)?;
    // With --save DIR, each target's chain goes to DIR/HOST_PORT/, all checked before any
    // connection.
    let mut save_dirs = std::collections::HashSet::new();
    let mut targets = Vec::with_capacity(addresses.len());
    for address in addresses {
        let save = match &args.save {
            Some(dir) => {
                let name = save_dir_name(&address.host, address.port);
                if !save_dirs.insert(name.clone()) {
                    return Err(Error::Usage(format!(
                        "--save: two targets would share the directory {name}: probe them in two runs"
                    )));
                }
                Some(prepared_save_dir(dir.join(name), &args)?)
            }
            None => None,
        };
        // Each target's report is rendered by the many-target view, not by this output.
        targets.push(target_settings(address, &shared, save, Output::Text));
    }
    Ok(cmd::endpoint::ManySettings {
        targets,
        concurrency: usize::from(args.concurrency),
        duplicates,
        output,
    })
}

/// A target as given, where it came from, and its place for messages (FILE:LINE, or nothing).
pub(crate) type GivenTarget = (String, EndpointSource, Option<String>);

/// The targets of a targets file's text `text`, each with its place `name:LINE`. A line of
/// more than one word, or a file naming no target, is an error naming the file (and line).
pub(crate) fn targets_in_file(name: &str, text: &str) -> Result<Vec<GivenTarget>, Error> {
    let lines = cmd::endpoint::target_lines(text)
        .map_err(|(line, why)| Error::Usage(format!("{name}:{line}: {why}")))?;
    if lines.is_empty() {
        return Err(InputError::new(
            name,
            "names no target: write one HOST[:PORT] a line (# starts a comment)",
        )
        .into());
    }
    Ok(lines
        .into_iter()
        .map(|(line, t)| (t, EndpointSource::Given, Some(format!("{name}:{line}"))))
        .collect())
}

/// Each target given resolved as one target would be (an error names its place); a target
/// given twice is kept once, at its first place. Also returns how many were dropped.
pub(crate) fn target_addresses(
    given: Vec<GivenTarget>,
    args: &EndpointArgs,
    proxy: Option<&net::Proxy>,
    env: &Env,
) -> Result<(Vec<TargetAddress>, usize), Error> {
    let mut addresses = Vec::with_capacity(given.len());
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0;
    for (text, source, place) in given {
        let address = target_address(&text, source, args, proxy, env).map_err(|e| match place {
            Some(place) => Error::Usage(format!("{place}: {e}")),
            None => e,
        })?;
        // Names are case-insensitive; a trailing dot is already gone.
        if !seen.insert((address.host.to_ascii_lowercase(), address.port)) {
            duplicates += 1;
            continue;
        }
        addresses.push(address);
    }
    Ok((addresses, duplicates))
}

/// The account's iot:Data-ATS endpoint, asked of AWS (DescribeEndpoint).
fn discovered(args: &EndpointArgs) -> Result<(String, EndpointSource), Error> {
    let aws = AwsSettings {
        region: args.aws.region.clone(),
        profile: args.aws.profile.clone(),
        timeout: timeout(args.timeout)?,
    };
    let (host, region) = cmd::endpoint::discover(&aws)?;
    Ok((
        host,
        EndpointSource::DescribeEndpoint {
            region,
            endpoint_type: "iot:Data-ATS",
        },
    ))
}

/// One target's address and names, resolved from HOST[:PORT] and the options.
pub(crate) struct TargetAddress {
    pub(crate) source: EndpointSource,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) verified_name: String,
    pub(crate) sni: Option<String>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) proxy: Option<net::Proxy>,
}

/// Resolves HOST[:PORT] with `--port`, `--servername`, `--no-sni`, `--alpn` and the proxy
/// (`--proxy`, already parsed, or HTTPS_PROXY unless NO_PROXY names the target).
fn target_address(
    target: &str,
    source: EndpointSource,
    args: &EndpointArgs,
    proxy: Option<&net::Proxy>,
    env: &Env,
) -> Result<TargetAddress, Error> {
    let (host, port_in_target) = split_target(target)?;
    let port = match (port_in_target, args.port) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::Usage(format!(
                "port {a} in {target} contradicts --port {b}"
            )))
        }
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => 8443,
    };
    let host_is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let host = host.strip_suffix('.').map(str::to_string).unwrap_or(host);
    let verified_name = match &args.servername {
        Some(name) => checked_host(name, "--servername")?,
        None => checked_host(&host, "HOST")?,
    };
    let sni = if args.no_sni || (host_is_ip && args.servername.is_none()) {
        None
    } else {
        Some(verified_name.clone())
    };
    let alpn: Vec<Vec<u8>> = match &args.alpn {
        Some(list) => list
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_bytes().to_vec())
            .collect(),
        None if port == 443 => vec![b"x-amzn-mqtt-ca".to_vec()],
        None => Vec::new(),
    };
    if let Some(p) = alpn.iter().find(|p| p.len() > 255) {
        return Err(Error::Usage(format!(
            "--alpn: a protocol name of {} bytes; TLS allows 1 to 255",
            p.len()
        )));
    }
    let proxy = match (proxy, args.no_proxy) {
        (Some(proxy), _) => Some(proxy.clone()),
        (None, false)
            if !bypasses_proxy(env.no_proxy.as_deref(), &host, args.connect.as_deref()) =>
        {
            env.https_proxy.as_deref().map(parse_proxy).transpose()?
        }
        (None, _) => None,
    };
    Ok(TargetAddress {
        source,
        host,
        port,
        verified_name,
        sni,
        alpn,
        proxy,
    })
}

/// What every target shares: the device credentials (loaded once), MQTT, trust, time, TLS.
struct SharedEndpoint {
    client: Option<net::ClientIdentity>,
    device: Option<crate::chain::Cert>,
    mqtt: Option<MqttSettings>,
    anchors: Anchors,
    at: i64,
    warn_days: u32,
    timeout: Duration,
    connect_to: Option<String>,
    versions: TlsVersions,
    sig: SigFilter,
    /// `--sig both`: two handshakes per target.
    both: bool,
    insecure: bool,
    force: bool,
}

fn shared_endpoint_settings(args: &EndpointArgs, env: &Env) -> Result<SharedEndpoint, Error> {
    let timeout = timeout(args.timeout)?;
    let (client, device) = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let (identity, device) =
                cmd::endpoint::load_identity(&Input::from_arg(cert), &Input::from_arg(key))?;
            (Some(identity), Some(device))
        }
        _ => (None, None),
    };
    let mqtt = if args.mqtt {
        let client_id = match (&args.client_id, &device) {
            (Some(id), _) => id.clone(),
            (None, Some(d)) => d.subject_cn.clone().ok_or_else(|| {
                Error::Usage("the device certificate has no CN: give --client-id".into())
            })?,
            (None, None) => return Err(Error::Usage("--mqtt needs --cert and --key".into())),
        };
        if client_id.is_empty() || client_id.len() > 128 {
            return Err(Error::Usage(format!(
                "MQTT client id of {} bytes: AWS IoT takes 1 to 128 bytes; give --client-id",
                client_id.len()
            )));
        }
        Some(MqttSettings {
            client_id,
            keep_alive_secs: 30,
        })
    } else {
        None
    };
    Ok(SharedEndpoint {
        client,
        device,
        mqtt,
        anchors: anchors(&args.trust)?,
        at: at(&args.trust.at, env)?,
        warn_days: args.trust.warn_days,
        timeout,
        connect_to: args.connect.clone(),
        versions: match args.tls {
            None => TlsVersions::Both,
            Some(TlsChoice::V12) => TlsVersions::Tls12,
            Some(TlsChoice::V13) => TlsVersions::Tls13,
        },
        sig: match args.sig {
            SigChoice::Any | SigChoice::Both => SigFilter::Any,
            SigChoice::Rsa => SigFilter::Rsa,
            SigChoice::Ecdsa => SigFilter::Ecdsa,
        },
        both: args.sig == SigChoice::Both,
        insecure: args.insecure,
        force: args.force,
    })
}

/// Checks (and makes) a `--save` directory before connecting: with `--sig both`, its `rsa/`
/// and `ecdsa/` subdirectories.
fn prepared_save_dir(dir: PathBuf, args: &EndpointArgs) -> Result<PathBuf, Error> {
    let dirs = if args.sig == SigChoice::Both {
        vec![dir.join("rsa"), dir.join("ecdsa")]
    } else {
        vec![dir.clone()]
    };
    for dir in &dirs {
        cmd::endpoint::prepare_save_dir(dir, args.force)?;
    }
    Ok(dir)
}

/// The subdirectory of `--save DIR` for one of several targets: HOST_PORT, with every
/// character other than letters, digits, dots and dashes (an IPv6 address's colons) as `_`.
pub(crate) fn save_dir_name(host: &str, port: u16) -> String {
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{host}_{port}")
}

/// One target's settings: its address with what all targets share.
fn target_settings(
    address: TargetAddress,
    shared: &SharedEndpoint,
    save: Option<PathBuf>,
    output: Output,
) -> cmd::endpoint::Settings {
    cmd::endpoint::Settings {
        source: address.source,
        classification: classify(&address.host),
        probe: ProbeSettings {
            host: address.host,
            port: address.port,
            connect_to: shared.connect_to.clone(),
            sni: address.sni,
            alpn: address.alpn,
            timeout: shared.timeout,
            deadline: None,
            mqtt_turn: None,
            proxy: address.proxy,
            versions: shared.versions,
            sig: shared.sig,
            client: shared.client.clone(),
            mqtt: shared.mqtt.clone(),
        },
        verified_name: address.verified_name,
        anchors: shared.anchors.clone(),
        at: shared.at,
        warn_days: shared.warn_days,
        both: shared.both,
        insecure: shared.insecure,
        device: shared.device.clone(),
        save,
        force: shared.force,
        output,
    }
}

/// Resolves the doctor's command line: the flags that override the device's configuration,
/// and how to probe.
fn doctor_settings(args: DoctorArgs, env: &Env) -> Result<cmd::doctor::Settings, Error> {
    let endpoint = args
        .endpoint
        .as_deref()
        .map(|e| checked_host(e, "--endpoint"))
        .transpose()?;
    let ports = match &args.ports {
        Some(ports) if ports.is_empty() || ports.contains(&0) => {
            return Err(Error::Usage(
                "--ports takes port numbers from 1 to 65535, comma-separated".into(),
            ))
        }
        Some(ports) => {
            let mut unique = Vec::new();
            for p in ports {
                if !unique.contains(p) {
                    unique.push(*p);
                }
            }
            Some(unique)
        }
        None => None,
    };
    if let Some(connect) = &args.connect {
        let (_, port) = split_target(connect).map_err(|e| match e {
            Error::Usage(why) => Error::Usage(format!("--connect {why}")),
            other => other,
        })?;
        let several = ports.as_ref().is_none_or(|p| p.len() > 1);
        if port.is_some() && several {
            return Err(Error::Usage(
                "--connect ADDR:PORT maps one port: give --ports with one port, or --connect ADDR to dial ADDR on each port".into(),
            ));
        }
    }
    let proxy = args
        .proxy
        .as_deref()
        .map(parse_proxy)
        .transpose()?
        .map(|p| {
            let (username, password) = match p.credentials {
                Some((user, password)) => (Some(user), Some(password)),
                None => (None, None),
            };
            crate::doctor::config::ProxySetting {
                host: p.host,
                port: p.port,
                username,
                password,
            }
        });
    let version = crate::report::version::VersionReport::current();
    let mut configs = args.config.into_iter();
    Ok(cmd::doctor::Settings {
        config: configs.next(),
        overrides: crate::doctor::config::Overrides {
            endpoint,
            cert: args.cert,
            key: args.key,
            ca: args.ca,
            thing: args.thing,
            client_id: args.client_id,
            ports,
            proxy,
            more_configs: configs.collect(),
        },
        home: env.home.clone(),
        connect: args.connect,
        timeout: timeout(args.timeout)?,
        at: at(&args.at, env)?,
        warn_days: args.warn_days,
        account: !args.no_account,
        report: args.report,
        force: args.force,
        json: args.json,
        provenance: crate::report::doctor::Provenance {
            version: format!(
                "iotcheck {} (commit {}, {})",
                version.version, version.commit, version.target
            ),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        },
    })
}

/// HOST, HOST:PORT, [V6] or [V6]:PORT; a bare IPv6 address is taken whole.
fn split_target(target: &str) -> Result<(String, Option<u16>), Error> {
    net::split_host_port(target).map_err(Error::Usage)
}

/// `http://[user:pass@]host:port`; the message never shows the password.
fn parse_proxy(url: &str) -> Result<net::Proxy, Error> {
    net::parse_proxy(url).map_err(Error::Usage)
}

/// True when NO_PROXY names the host or the --connect address: `*`, a name, or a domain
/// suffix (`.example.com` or `example.com`).
fn bypasses_proxy(no_proxy: Option<&str>, host: &str, connect: Option<&str>) -> bool {
    let Some(list) = no_proxy else {
        return false;
    };
    let connect_host = connect.and_then(|c| split_target(c).ok()).map(|(h, _)| h);
    let names: Vec<&str> = std::iter::once(host)
        .chain(connect_host.as_deref())
        .collect();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let domain = entry.trim_start_matches('.');
            entry == "*"
                || names.iter().any(|n| {
                    n.eq_ignore_ascii_case(domain)
                        || n.to_ascii_lowercase()
                            .ends_with(&format!(".{}", domain.to_ascii_lowercase()))
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_host_and_port() {
        let ok = |t: &str| split_target(t).unwrap();
        assert_eq!(ok("a.example:443"), ("a.example".into(), Some(443)));
        assert_eq!(ok("a.example"), ("a.example".into(), None));
        assert_eq!(ok("[::1]:8883"), ("::1".into(), Some(8883)));
        assert_eq!(ok("::1"), ("::1".into(), None));
        assert!(split_target("a.example:x").is_err());
        assert!(split_target(":443").is_err());
    }

    #[test]
    fn no_proxy_names_hosts_domains_and_connect_addresses() {
        assert!(bypasses_proxy(
            Some("localhost, .example.com"),
            "a.example.com",
            None
        ));
        assert!(bypasses_proxy(
            Some("127.0.0.1"),
            "x.iot.eu-west-1.amazonaws.com",
            Some("127.0.0.1:8443")
        ));
        assert!(bypasses_proxy(Some("*"), "anything", None));
        assert!(!bypasses_proxy(Some("example.org"), "a.example.com", None));
        assert!(!bypasses_proxy(None, "a.example.com", None));
    }
}

//! From parsed arguments to plain settings, then to the command that runs them. The
//! environment (clock, terminal, proxy variables) arrives resolved in [`Env`].

use std::time::Duration;

use crate::aws::AwsSettings;
use crate::cli::{
    Cli, Command, DoctorArgs, EndpointArgs, KeyTypeChoice, PemArgs, ReportArgs, SigChoice,
    TlsChoice, TrustArgs,
};
use crate::cmd;
use crate::error::Error;
use crate::manual;
use crate::net::{self, MqttSettings, ProbeSettings, SigFilter, TlsVersions};
use crate::report::endpoint::EndpointSource;
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
        Command::Endpoint(args) => cmd::endpoint::run(&endpoint_settings(*args, env)?),
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
                thing: args.thing,
                at: at(&args.at, env)?,
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
        Command::VerifyChain(a) => dashes(&a.certs.iter().chain(&a.trust.ca).collect::<Vec<_>>()),
        Command::Inspect(a) => dashes(&a.files.iter().collect::<Vec<_>>()),
        Command::Device(a) => dashes(
            &[&a.cert, &a.key]
                .into_iter()
                .chain(&a.ca)
                .collect::<Vec<_>>(),
        ),
        Command::Endpoint(_)
        | Command::Doctor(_)
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
            "{option} {host:?}: an international name must be given in its ASCII (xn--) form"
        ))),
        Err(_) => Err(Error::Usage(format!(
            "{option} {host:?} is neither a DNS name nor an IP address"
        ))),
    }
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

/// Resolves the command line: target, port, names, ALPN, proxy, device credentials.
/// Without HOST, the target is the account's iot:Data-ATS endpoint, asked of AWS first.
fn endpoint_settings(args: EndpointArgs, env: &Env) -> Result<cmd::endpoint::Settings, Error> {
    let output = output(&args.report, Some(&args.pem));
    if args.sig == SigChoice::Both && matches!(output, Output::Pem | Output::PemPath) {
        return Err(Error::Usage(
            "--pem prints the chain of one handshake: give --sig rsa or --sig ecdsa (or keep both chains with --save DIR)".into(),
        ));
    }
    let (target, source) = match &args.target {
        Some(target) => (target.clone(), EndpointSource::Given),
        None => {
            let aws = AwsSettings {
                region: args.aws.region.clone(),
                profile: args.aws.profile.clone(),
                timeout: timeout(args.timeout)?,
            };
            let (host, region) = cmd::endpoint::discover(&aws)?;
            (
                host,
                EndpointSource::DescribeEndpoint {
                    region,
                    endpoint_type: "iot:Data-ATS",
                },
            )
        }
    };
    let (host, port_in_target) = split_target(&target)?;
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
    if !(0.001..=3600.0).contains(&args.timeout) {
        return Err(Error::Usage(
            "--timeout takes seconds from 0.001 to 3600".into(),
        ));
    }
    let proxy = match (&args.proxy, args.no_proxy) {
        (Some(url), _) => Some(parse_proxy(url)?),
        (None, false)
            if !bypasses_proxy(env.no_proxy.as_deref(), &host, args.connect.as_deref()) =>
        {
            env.https_proxy.as_deref().map(parse_proxy).transpose()?
        }
        (None, false) => None,
        (None, true) => None,
    };
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
    // The --save target is checked (and made) before connecting, so that a report is
    // never lost to a directory that cannot be written.
    let save = match &args.save {
        Some(dir) => {
            let dirs = if args.sig == SigChoice::Both {
                vec![dir.join("rsa"), dir.join("ecdsa")]
            } else {
                vec![dir.clone()]
            };
            for dir in &dirs {
                cmd::endpoint::prepare_save_dir(dir, args.force)?;
            }
            Some(dir.clone())
        }
        None => None,
    };
    let sig = match args.sig {
        SigChoice::Any | SigChoice::Both => SigFilter::Any,
        SigChoice::Rsa => SigFilter::Rsa,
        SigChoice::Ecdsa => SigFilter::Ecdsa,
    };
    Ok(cmd::endpoint::Settings {
        source,
        classification: classify(&host),
        probe: ProbeSettings {
            host,
            port,
            connect_to: args.connect,
            sni,
            alpn,
            timeout: Duration::from_secs_f64(args.timeout),
            deadline: None,
            proxy,
            versions: match args.tls {
                None => TlsVersions::Both,
                Some(TlsChoice::V12) => TlsVersions::Tls12,
                Some(TlsChoice::V13) => TlsVersions::Tls13,
            },
            sig,
            client,
            mqtt,
        },
        verified_name,
        anchors: anchors(&args.trust)?,
        at: at(&args.trust.at, env)?,
        both: args.sig == SigChoice::Both,
        insecure: args.insecure,
        device,
        save,
        force: args.force,
        output,
    })
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

//! From parsed arguments to plain settings, then to the command that runs them. The
//! environment (clock, terminal, proxy variables) arrives resolved in [`Env`]. Nothing here
//! reads a file, asks AWS or makes a directory: every usage error is found before the command
//! does any of that.

use std::time::Duration;

use crate::aws::AwsSettings;
use crate::cli::{
    Cli, Command, Deferred, DoctorArgs, EndpointArgs, FleetArgs, KeyTypeChoice, PemArgs,
    ReportArgs, SigChoice, TlsChoice, TransportArgs, TransportChoice,
};
use crate::cmd;
use crate::descriptors;
use crate::error::Error;
use crate::manual;
use crate::net::{Authorizer, HttpsRequest, SigFilter, TlsVersions, TransportRequest};
pub use crate::outcome::Outcome;
use crate::report::targets::ManyOutput;
use crate::report::Output;
use crate::source::Input;
use crate::targets;
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
    /// The open-file limit in force (after `main` raised it as far as allowed); None when
    /// unknown or unlimited.
    pub open_files: Option<u64>,
}

/// Runs the parsed command line. A command whose output is long (`fleet`) streams it to
/// `stdout` as it goes; the others return theirs in the [`Outcome`].
pub fn run(cli: Cli, env: &Env, stdout: &mut dyn std::io::Write) -> Result<Outcome, Error> {
    crate::report::human::set_color(env.color);
    refuse_stdin_twice(&cli.command)?;
    match cli.command {
        Command::VerifyChain(Deferred(args)) => {
            let settings = cmd::verify_chain::Settings {
                inputs: args.certs.iter().map(|a| Input::from_arg(a)).collect(),
                ca: args.trust.ca.iter().map(|a| Input::from_arg(a)).collect(),
                crl: args.crl.iter().map(|a| Input::from_arg(a)).collect(),
                at: at(&args.trust.at, env)?,
                warn_days: args.trust.warn_days,
                host: args
                    .host
                    .map(|h| targets::checked_host(&h, "--host"))
                    .transpose()?,
                output: output(&args.report, Some(&args.pem)),
            };
            cmd::verify_chain::run(&settings)
        }
        Command::Inspect(Deferred(args)) => {
            let settings = cmd::inspect::Settings {
                inputs: args.files.iter().map(|a| Input::from_arg(a)).collect(),
                at: env.now,
                json: args.json,
                pem: args.pem,
            };
            cmd::inspect::run(&settings)
        }
        Command::Endpoint(Deferred(args)) => {
            cmd::endpoint::run(&endpoint_settings(*args, env)?, stdout)
        }
        Command::Doctor(Deferred(args)) => cmd::doctor::run(&doctor_settings(*args, env)?),
        Command::Account(Deferred(args)) => {
            let settings = cmd::account::Settings {
                cert: Input::from_arg(&args.cert),
                client_id: args.client_id,
                thing: args.thing,
                publish: args.publish,
                subscribe: args.subscribe,
                features: args.feature,
                config: args.config,
                suggest_policy: args.suggest_policy,
                role_alias: args.role_alias,
                endpoint: match &args.endpoint {
                    Some(target) => {
                        let (host, port) = crate::targets::split_target(target)?;
                        Some((host, port.unwrap_or(8883)))
                    }
                    None => None,
                },
                domain_configuration: args.domain_configuration,
                aws: AwsSettings {
                    region: args.region,
                    profile: args.profile,
                    timeout: timeout(args.timeout)?,
                },
                json: args.json,
            };
            cmd::account::run(&settings)
        }
        Command::Device(Deferred(args)) => {
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
        Command::Csr(Deferred(args)) => cmd::csr::run(&cmd::csr::Settings {
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
        Command::Explain(Deferred(args)) => cmd::explain::run(&cmd::explain::Settings {
            text: match (args.log, args.list) {
                (Some(log), _) => cmd::explain::Text::Log(Input::from_arg(&log)),
                (None, true) => cmd::explain::Text::List,
                (None, false) => cmd::explain::Text::Given(args.text.join(" ")),
            },
            json: args.json,
        }),
        Command::Fleet(Deferred(args)) => cmd::fleet::run(&fleet_settings(args, env)?, stdout),
        Command::Serve(Deferred(args)) => cmd::serve::run(&cmd::serve::Settings {
            config: args.config,
            listen: args.listen,
            clock: system_clock,
            version: crate::report::version::SHORT,
        }),
        Command::Version(Deferred(args)) => Ok(cmd::version::run(args.json)),
        Command::Completions(Deferred(args)) => {
            Ok(Outcome::new(manual::completions(args.shell), true))
        }
        Command::Man(Deferred(args)) => match args.out {
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
        | Command::Serve(_)
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

/// `--at`, or now.
pub(crate) fn at(text: &Option<String>, env: &Env) -> Result<i64, Error> {
    match text {
        Some(t) => parse_instant(t).map_err(|e| Error::Usage(format!("--at: {e}"))),
        None => Ok(env.now),
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

/// `--mqtt-version 3|5` as the CONNECT's protocol level.
fn mqtt_version(choice: crate::cli::MqttVersionChoice) -> crate::net::MqttVersion {
    match choice {
        crate::cli::MqttVersionChoice::V3 => crate::net::MqttVersion::V311,
        crate::cli::MqttVersionChoice::V5 => crate::net::MqttVersion::V5,
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

/// `endpoint`: one target as it always was, or several (`--targets`, two or more HOSTs, or
/// `--jsonl`), probed concurrently. The command line decides which, never the number of lines
/// in a file, so that a script always gets the shape it asked for. Every check of the command
/// line happens here, before the command reads a file or asks AWS.
fn endpoint_settings(args: EndpointArgs, env: &Env) -> Result<cmd::endpoint::Settings, Error> {
    let many = args.targets.is_some() || args.target.len() > 1 || args.jsonl;
    let output = output(&args.report, Some(&args.pem));
    let shape = if many {
        let output = match output {
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
        cmd::endpoint::Shape::Many {
            output,
            // Never more probes at once than the open files allow: a probe without a
            // descriptor would fail for a reason that is not its target's.
            concurrency: descriptors::concurrency(usize::from(args.concurrency), env.open_files),
        }
    } else {
        if args.sig == SigChoice::Both && matches!(output, Output::Pem | Output::PemPath) {
            return Err(Error::Usage(
                "--pem prints the chain of one handshake: give --sig rsa or --sig ecdsa (or keep both chains with --save DIR)".into(),
            ));
        }
        cmd::endpoint::Shape::One(output)
    };
    let transport_alpn = transport_alpn(&args.transport, args.alpn.is_none());
    let options = targets::Options {
        port: args.port,
        default_port: (args.transport.transport != TransportChoice::Tls).then_some(443),
        servername: args
            .servername
            .as_deref()
            .map(|name| targets::checked_host(name, "--servername"))
            .transpose()?,
        no_sni: args.no_sni,
        alpn: args.alpn.clone().or(transport_alpn),
        proxy: args
            .proxy
            .as_deref()
            .map(targets::parse_proxy)
            .transpose()?,
        no_proxy: args.no_proxy,
        connect: args.connect.clone(),
        https_proxy: env.https_proxy.clone(),
        no_proxy_list: env.no_proxy.clone(),
        door: match (&args.credentials, &args.https_publish) {
            (true, _) => targets::Door::Credentials,
            (false, Some(_)) => targets::Door::HttpsPublish,
            (false, None) => targets::Door::Data,
        },
    };
    let https = match (args.credentials, &args.https_publish) {
        (true, _) => {
            let alias = args.role_alias.as_deref().unwrap_or_default();
            Some(HttpsRequest::credentials(alias, args.thing.as_deref()).map_err(Error::Usage)?)
        }
        (false, Some(topic)) => {
            let payload = args.payload.as_deref().unwrap_or_default().as_bytes();
            Some(HttpsRequest::publish(topic, payload).map_err(Error::Usage)?)
        }
        (false, None) => None,
    };
    let given = targets::resolve_all(
        args.target
            .iter()
            .map(|t| targets::Given::argument(t))
            .collect(),
        &options,
    )?;
    let transport = transport_request(&args.transport)?;
    if https.is_some() && transport != TransportRequest::Tls {
        return Err(Error::Usage(
            "--credentials and --https-publish are HTTPS requests on TLS with the device certificate: not with --transport wss or custom-auth".into(),
        ));
    }
    let mqtt = match (args.mqtt, &args.cert, &args.key) {
        (false, _, _) => cmd::endpoint::Mqtt::Off,
        (true, _, _) if transport != TransportRequest::Tls => {
            let Some(id) = &args.client_id else {
                return Err(Error::Usage(
                    "--mqtt over --transport wss or custom-auth needs --client-id (no certificate names the client)".into(),
                ));
            };
            cmd::endpoint::check_client_id(id)?;
            cmd::endpoint::Mqtt::Connect {
                client_id: Some(id.clone()),
                version: mqtt_version(args.mqtt_version),
                subscribe: args.subscribe.clone(),
                publish: args.publish.clone(),
            }
        }
        (true, Some(_), Some(_)) => {
            if let Some(id) = &args.client_id {
                cmd::endpoint::check_client_id(id)?;
            }
            cmd::endpoint::Mqtt::Connect {
                client_id: args.client_id.clone(),
                version: mqtt_version(args.mqtt_version),
                subscribe: args.subscribe.clone(),
                publish: args.publish.clone(),
            }
        }
        (true, _, _) => return Err(Error::Usage("--mqtt needs --cert and --key".into())),
    };
    let timeout = timeout(args.timeout)?;
    Ok(cmd::endpoint::Settings {
        given,
        targets_file: args.targets.as_deref().map(Input::from_arg),
        options,
        aws: AwsSettings {
            region: args.aws.region,
            profile: args.aws.profile,
            timeout,
        },
        identity: match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => Some((Input::from_arg(cert), Input::from_arg(key))),
            _ => None,
        },
        mqtt,
        transport,
        https,
        ca: args.trust.ca.iter().map(|a| Input::from_arg(a)).collect(),
        at: at(&args.trust.at, env)?,
        now: env.now,
        warn_days: args.trust.warn_days,
        timeout,
        connect_to: args.connect,
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
        save: args.save,
        force: args.force,
        shape,
    })
}

/// Resolves the doctor's command line: the flags that override the device's configuration,
/// and how to probe.
fn doctor_settings(args: DoctorArgs, env: &Env) -> Result<cmd::doctor::Settings, Error> {
    let endpoint = args
        .endpoint
        .as_deref()
        .map(|e| targets::checked_host(e, "--endpoint"))
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
        let (_, port) = targets::split_target(connect).map_err(|e| match e {
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
        .map(targets::parse_proxy)
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
            mqtt_version: args.mqtt_version.map(mqtt_version),
            role_alias: args
                .role_alias
                .map(|alias| {
                    crate::net::check_role_alias(&alias)
                        .map(|()| alias)
                        .map_err(Error::Usage)
                })
                .transpose()?,
            credentials_endpoint: args
                .credentials_endpoint
                .as_deref()
                .map(|e| -> Result<String, Error> {
                    let (host, port) = crate::net::split_host_port(e)
                        .map_err(|why| Error::Usage(format!("--credentials-endpoint: {why}")))?;
                    let host = targets::checked_host(&host, "--credentials-endpoint")?;
                    Ok(match port {
                        Some(port) => format!("{host}:{port}"),
                        None => host,
                    })
                })
                .transpose()?,
        },
        home: env.home.clone(),
        connect: args.connect,
        mqtt: crate::doctor::gather::MqttPlan {
            // The version is the device's, resolved with its configuration (`--mqtt-version`
            // over it): see `doctor::config`.
            version: Default::default(),
            version_origin: String::new(),
            subscribe: args.subscribe,
            publish: args.publish,
            authorizer: None,
            features: Default::default(),
        },
        transport: transport_request(&args.transport)?,
        now: env.now,
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

/// `--transport` and the authorizer's flags, checked together.
fn transport_request(args: &TransportArgs) -> Result<TransportRequest, Error> {
    let authorizer = match (&args.authorizer, &args.token_name, &args.token) {
        (None, None, None) if args.token_signature.is_none() => None,
        (Some(name), Some(token_name), Some(token)) => {
            if name.is_empty() || token_name.is_empty() {
                return Err(Error::Usage(
                    "--authorizer and --token-name take a name: give both, not empty".into(),
                ));
            }
            Some(Authorizer {
                name: name.clone(),
                token_name: token_name.clone(),
                token: token.clone(),
                signature: args.token_signature.clone(),
            })
        }
        _ => {
            return Err(Error::Usage(
                "custom authentication needs --authorizer, --token-name and --token (or IOTCHECK_AUTHORIZER_TOKEN) together".into(),
            ))
        }
    };
    match (args.transport, authorizer) {
        (TransportChoice::Tls, None) if args.signing_region.is_none() => Ok(TransportRequest::Tls),
        (TransportChoice::Tls, _) => Err(Error::Usage(
            "--authorizer and --signing-region go with --transport wss or custom-auth".into(),
        )),
        (TransportChoice::Wss, authorizer) => {
            if authorizer.is_some() && args.signing_region.is_some() {
                return Err(Error::Usage(
                    "--signing-region is for a SigV4-signed WebSocket; with --authorizer nothing is signed".into(),
                ));
            }
            Ok(TransportRequest::Wss {
                signing_region: args.signing_region.clone(),
                authorizer,
            })
        }
        (TransportChoice::CustomAuth, Some(authorizer)) if args.signing_region.is_none() => {
            Ok(TransportRequest::CustomAuth(authorizer))
        }
        (TransportChoice::CustomAuth, Some(_)) => Err(Error::Usage(
            "--signing-region is for --transport wss: custom authentication signs nothing".into(),
        )),
        (TransportChoice::CustomAuth, None) => Err(Error::Usage(
            "--transport custom-auth needs --authorizer, --token-name and --token".into(),
        )),
    }
}

/// The ALPN a device offers for the transport, unless `--alpn` was given.
fn transport_alpn(args: &TransportArgs, default: bool) -> Option<Vec<String>> {
    let alpn = match args.transport {
        TransportChoice::Tls => None,
        TransportChoice::Wss => Some("http/1.1"),
        TransportChoice::CustomAuth => Some("mqtt"),
    };
    alpn.filter(|_| default)
        .map(|protocol| vec![protocol.to_string()])
}

/// The clock a long-running command reads (`serve`): Unix seconds now.
fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

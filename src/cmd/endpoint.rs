//! `iotcheck endpoint`: connect like a device, capture what the server serves, then verify and
//! explain it with the same model, verifier and report as `verify-chain`. Load (the device's
//! identity, the CA files, the targets file, the account's endpoint), probe and judge
//! (`verify::served`), report: for one target, or for many as they finish, in the order given.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::aws::{self, AwsSettings};
use crate::chain::Cert;
use crate::error::{Error, InputError};
use crate::finding::{Code, Finding};
use crate::identity;
use crate::net::{
    AwsCredentials, ClientIdentity, HttpsPurpose, HttpsRequest, MqttSettings, MqttVersion,
    ProbeSettings, SigFilter, TlsVersions, Transport, TransportRequest, WebSocketAuth,
    WebSocketSettings,
};
use crate::outcome::Outcome;
use crate::report::endpoint::{self as view, EndpointReport, EndpointSource, EndpointView};
use crate::report::targets::{self, ManyOutput, Summary, TargetError, TargetResult};
use crate::report::{self, json, Output, Renderings};
use crate::source::{self, Input};
use crate::targets::{self as resolve, TargetAddress};
use crate::trust::Anchors;
use crate::verify::served::{self, Families};
use crate::verify::{Classification, Policy};

/// Everything `endpoint` needs, resolved from the command line; nothing read yet.
pub struct Settings {
    /// The targets named on the command line (HOST...), resolved.
    pub given: Vec<TargetAddress>,
    /// `--targets FILE`: more targets, one a line, after those given.
    pub targets_file: Option<Input>,
    /// How a target read from the file (or asked of the account) is resolved.
    pub options: resolve::Options,
    /// Asked for the account's iot:Data-ATS endpoint when no target is named.
    pub aws: AwsSettings,
    /// `--cert` and `--key`: the device's identity, presented when asked.
    pub identity: Option<(Input, Input)>,
    pub mqtt: Mqtt,
    /// `--transport` and the authorizer: how MQTT travels and authenticates.
    pub transport: TransportRequest,
    /// `--credentials` or `--https-publish`: the HTTP request after a verified handshake.
    pub https: Option<HttpsRequest>,
    /// `--ca`: exactly these anchors; empty: the embedded Amazon roots.
    pub ca: Vec<Input>,
    pub at: i64,
    /// The current time (unix seconds): what a WebSocket URL is signed at (`--at` moves
    /// verification, not the signature).
    pub now: i64,
    pub warn_days: u32,
    pub timeout: Duration,
    pub connect_to: Option<String>,
    pub versions: TlsVersions,
    pub sig: SigFilter,
    /// `--sig both`: two handshakes per target.
    pub both: bool,
    pub insecure: bool,
    /// `--save DIR`: the served certificates go there (checked and made before connecting).
    pub save: Option<PathBuf>,
    pub force: bool,
    pub shape: Shape,
}

/// MQTT after a verified handshake: not at all, or CONNECT with a client id (given, or the
/// device certificate's CN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mqtt {
    Off,
    Connect {
        client_id: Option<String>,
        version: MqttVersion,
        /// Topic filters to subscribe to after CONNACK.
        subscribe: Vec<String>,
        /// Topics to publish to after CONNACK: only the ones the user named.
        publish: Vec<String>,
    },
}

/// One target as `endpoint` always showed it, or several (`--targets`, two or more HOSTs, or
/// `--jsonl`), probed concurrently. The command line decides which, never the number of lines
/// in a file, so that a script always gets the shape it asked for.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// With Pem or PemPath, `--sig` is not `both`: one handshake's certificates are printed.
    One(Output),
    Many {
        output: ManyOutput,
        /// How many targets are probed at once (1 or more).
        concurrency: usize,
    },
}

/// What every target shares once loaded: trust, the device's identity, how to probe.
struct Loaded<'a> {
    settings: &'a Settings,
    anchors: Anchors,
    client: Option<ClientIdentity>,
    device: Option<Cert>,
    mqtt: Option<MqttSettings>,
    signing: Option<Signing>,
}

/// SigV4 signing for `--transport wss`: the standard chain's credentials, looked up once.
struct Signing {
    credentials: AwsCredentials,
    /// `--signing-region`.
    given: Option<String>,
    /// The standard chain's region.
    chain: Option<String>,
}

pub fn run(settings: &Settings, stdout: &mut dyn Write) -> Result<Outcome, Error> {
    // Local inputs first (the CA files, the device's identity, the targets file), then the
    // account, then the --save directories: all before any connection.
    let anchors = Anchors::load(&settings.ca)?;
    let (client, device) = match &settings.identity {
        Some((cert, key)) => {
            let (identity, device) = identity::load(cert, key)?;
            (Some(identity), Some(device))
        }
        None => (None, None),
    };
    let mut mqtt = mqtt_settings(&settings.mqtt, device.as_ref())?;
    if let (TransportRequest::CustomAuth(authorizer), Some(mqtt)) = (&settings.transport, &mut mqtt)
    {
        mqtt.username = Some(authorizer.username());
    }
    let signing = match &settings.transport {
        TransportRequest::Wss {
            signing_region,
            authorizer: None,
        } => {
            let (credentials, chain) = aws::signing_credentials(&settings.aws)?;
            Some(Signing {
                credentials,
                given: signing_region.clone(),
                chain,
            })
        }
        _ => None,
    };
    let file = match &settings.targets_file {
        Some(input) => Some((input.name(), source::read_text(input)?)),
        None => None,
    };
    let mut given = settings.given.clone();
    if given.is_empty() && file.is_none() {
        given.push(discovered(settings)?);
    }
    let loaded = Loaded {
        settings,
        anchors,
        client,
        device,
        mqtt,
        signing,
    };
    match settings.shape {
        Shape::One(output) => {
            let save = settings.save.clone();
            if let Some(dir) = &save {
                prepare_save_dirs(dir, settings)?;
            }
            let address = given.swap_remove(0);
            one(&loaded, &address, save.as_deref(), output)
        }
        Shape::Many {
            output,
            concurrency,
        } => {
            let file = file
                .as_ref()
                .map(|(name, text)| (name.as_str(), text.as_str()));
            let list = TargetList::checked(given, file, settings)?;
            many(&loaded, &list, output, concurrency, stdout)
        }
    }
}

/// The targets of a many-target run, kept small until their turn: those given on the command
/// line (or asked of the account) resolved, a targets file's as the span of their line, which
/// is resolved again at its turn (it was checked, like every line, before any probe). A
/// hundred thousand targets take a few hundred kilobytes here, beside the file's text.
struct TargetList<'a> {
    given: Vec<TargetAddress>,
    text: &'a str,
    /// In the order given, duplicates dropped.
    entries: Vec<Entry>,
    /// Targets given more than once, probed once at their first place.
    duplicates: usize,
    options: &'a resolve::Options,
    save: Option<&'a Path>,
}

#[derive(Clone, Copy)]
enum Entry {
    /// An index into `given`.
    Given(usize),
    /// A line of the targets file: the byte span of its target.
    Line(u32, u32),
}

impl<'a> TargetList<'a> {
    /// Every target resolved once (a bad line is a usage error naming the file and line), each
    /// kept at its first place, and with `--save DIR` each one's directory checked and made:
    /// all before any connection, and no directory made before every line was checked.
    fn checked(
        given: Vec<TargetAddress>,
        file: Option<(&str, &'a str)>,
        settings: &'a Settings,
    ) -> Result<TargetList<'a>, Error> {
        let mut list = TargetList {
            given,
            text: file.map(|(_, text)| text).unwrap_or(""),
            entries: Vec::new(),
            duplicates: 0,
            options: &settings.options,
            save: settings.save.as_deref(),
        };
        // Names are case-insensitive; a trailing dot is already gone.
        let mut seen = std::collections::HashSet::new();
        let mut dirs = std::collections::HashSet::new();
        let mut keep = |address: &TargetAddress, entry: Entry, list: &mut TargetList| {
            if !seen.insert((address.host.to_ascii_lowercase(), address.port)) {
                list.duplicates += 1;
                return Ok(());
            }
            if list.save.is_some() {
                let name = resolve::save_dir_name(&address.host, address.port);
                if !dirs.insert(name.clone()) {
                    return Err(Error::Usage(format!(
                        "--save: two targets would share the directory {name}: probe them in two runs"
                    )));
                }
            }
            list.entries.push(entry);
            Ok(())
        };
        for i in 0..list.given.len() {
            let address = list.given[i].clone();
            keep(&address, Entry::Given(i), &mut list)?;
        }
        if let Some((name, text)) = file {
            let spans = resolve::line_spans(text)
                .map_err(|(line, why)| Error::Usage(format!("{name}:{line}: {why}")))?;
            if spans.is_empty() {
                return Err(resolve::no_target(name));
            }
            for (line, span) in spans {
                let address =
                    resolve::resolve(&text[span.clone()], EndpointSource::Given, list.options)
                        .map_err(|e| Error::Usage(format!("{name}:{line}: {e}")))?;
                // The file is at most 16 MiB: its offsets fit in 32 bits.
                let (start, end) = (u32::try_from(span.start), u32::try_from(span.end));
                let (Ok(start), Ok(end)) = (start, end) else {
                    return Err(Error::Usage(format!(
                        "{name}:{line}: the file is too large"
                    )));
                };
                keep(&address, Entry::Line(start, end), &mut list)?;
            }
        }
        if let Some(dir) = list.save {
            for i in 0..list.entries.len() {
                let address = list.address(i)?;
                prepare_save_dirs(&list.save_dir(dir, &address), settings)?;
            }
        }
        Ok(list)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The `i`th target's address, resolved as it was when checked.
    fn address(&self, i: usize) -> Result<TargetAddress, Error> {
        match self.entries[i] {
            Entry::Given(g) => Ok(self.given[g].clone()),
            Entry::Line(start, end) => resolve::resolve(
                &self.text[start as usize..end as usize],
                EndpointSource::Given,
                self.options,
            ),
        }
    }

    /// `DIR/HOST_PORT/`, where `--save DIR` keeps this target's chain.
    fn save_dir(&self, dir: &Path, address: &TargetAddress) -> PathBuf {
        dir.join(resolve::save_dir_name(&address.host, address.port))
    }
}

/// One target: probe, judge, report, rendered as `endpoint` always has.
fn one(
    loaded: &Loaded,
    address: &TargetAddress,
    save: Option<&Path>,
    output: Output,
) -> Result<Outcome, Error> {
    let (report, served) = check(loaded, address, save)?;
    let (stdout, stderr) = report::shown(
        output,
        Renderings {
            text: || view::render(&report),
            brief: || view::render_brief(&report),
            json: || json::to_line(&report),
            pem: |path| {
                if path {
                    report
                        .handshakes
                        .iter()
                        .find_map(|h| report::pem::path(&h.report))
                } else {
                    // Served order, as captured: certificates that did not parse included.
                    Some(report::pem::certificates(
                        served.iter().flatten().map(Vec::as_slice),
                    ))
                }
            },
        },
    );
    Ok(Outcome::new(stdout, report.verdict.passed()).with_stderr(stderr))
}

/// Many targets: each probed as one would be (its own `--timeout` budget from the moment its
/// probe starts), at most `concurrency` at once. Each target's report is written as soon as
/// it and every target before it are done, in the order given, then the summary; only the
/// summary's line of each target is kept to the end. A target that could not be probed is a
/// result too; the exit code is the highest of the targets' (0 ok, 1 a check failed, 2 local,
/// 3 network).
fn many(
    loaded: &Loaded,
    list: &TargetList,
    output: ManyOutput,
    concurrency: usize,
    stdout: &mut dyn Write,
) -> Result<Outcome, Error> {
    let mut summary = Summary::new(list.duplicates);
    let mut out = Sink::new(stdout);
    in_order(
        list.len(),
        concurrency,
        |i| {
            let address = match list.address(i) {
                Ok(address) => address,
                // Resolved before any probe: it resolves the same way again.
                Err(e) => return TargetResult::new(String::new(), Err(TargetError::of(&e))),
            };
            let save = list.save.map(|dir| list.save_dir(dir, &address));
            let outcome = check(loaded, &address, save.as_deref())
                .map(|(report, _)| report)
                .map_err(|e| TargetError::of(&e));
            TargetResult::new(resolve_authority(&address), outcome)
        },
        |result| {
            out.write(&targets::render_result(&result, output));
            summary.add(&result);
        },
    );
    out.write(&targets::render_summary(&summary, output));
    out.finish()?;
    Ok(Outcome {
        stdout: String::new(),
        stderr: String::new(),
        exit: summary.exit_code,
    })
}

fn resolve_authority(address: &TargetAddress) -> String {
    targets::authority(&address.host, address.port)
}

/// The served chains of a target, one per handshake that came up: DER, in served order.
type Chains = Vec<Vec<Vec<u8>>>;

/// Probes one target, judges it (`verify::served`), writes its chains to `save` and builds
/// its report; also returns the served chains (DER, served order, one per handshake) for
/// `--pem`. `Err` when no handshake saw a certificate (the network), or `--save` failed.
fn check(
    loaded: &Loaded,
    address: &TargetAddress,
    save: Option<&Path>,
) -> Result<(EndpointReport, Chains), Error> {
    let settings = loaded.settings;
    let probe = ProbeSettings {
        host: address.host.clone(),
        port: address.port,
        connect_to: settings.connect_to.clone(),
        sni: address.sni.clone(),
        alpn: address.alpn.clone(),
        timeout: settings.timeout,
        deadline: None,
        mqtt_turn: None,
        transport: transport(loaded, &address.verified_name)?,
        https: settings.https.clone(),
        proxy: address.proxy.clone(),
        versions: settings.versions,
        sig: settings.sig,
        client: loaded.client.clone(),
        mqtt: loaded.mqtt.clone(),
    };
    let policy = Policy {
        at: settings.at,
        host: Some(address.verified_name.clone()),
        device_not_before: loaded.device.as_ref().map(|d| d.not_before),
        warn_days: settings.warn_days,
    };
    let families = if settings.both {
        Families::Both
    } else {
        Families::One
    };
    let mut served = served::check(
        &probe,
        families,
        &loaded.anchors,
        &policy,
        settings.insecure,
    )?;
    if let Some(finding) = credentials_name_finding(settings, &served.classification) {
        served.findings.push(finding);
    }
    let mut saved = Vec::new();
    if let Some(dir) = save {
        for (sig, chain) in served.chains() {
            // With --sig both, each handshake's chain goes to its own subdirectory.
            let target = if settings.both {
                dir.join(sig)
            } else {
                dir.to_path_buf()
            };
            saved.extend(write_chain(&target, chain, settings.force)?);
        }
    }
    let endpoint = EndpointView {
        source: address.source.clone(),
        host: address.host.clone(),
        port: address.port,
        verified_name: address.verified_name.clone(),
        sni: address.sni.clone(),
        alpn_offered: address
            .alpn
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        classification: Classification::clone(&served.classification),
        saved,
    };
    let client_id = loaded.mqtt.as_ref().map(|m| m.client_id.as_str());
    let report = EndpointReport::of(endpoint, &served, &loaded.anchors, &policy, client_id);
    let chains = served.chains().map(|(_, chain)| chain.to_vec()).collect();
    Ok((report, chains))
}

/// How this target's MQTT travels: for a SigV4-signed WebSocket, signed for the region
/// given, else the one in the endpoint's name, else the standard chain's.
fn transport(loaded: &Loaded, name: &str) -> Result<Transport, Error> {
    let path = "/mqtt".to_string();
    match &loaded.settings.transport {
        TransportRequest::Tls | TransportRequest::CustomAuth(_) => Ok(Transport::Tls),
        TransportRequest::Wss {
            authorizer: Some(authorizer),
            ..
        } => Ok(Transport::WebSocket(WebSocketSettings {
            path,
            auth: WebSocketAuth::CustomAuth(authorizer.clone()),
        })),
        TransportRequest::Wss {
            authorizer: None, ..
        } => {
            let Some(signing) = &loaded.signing else {
                return Err(Error::Usage(
                    "no credentials to sign the WebSocket URL".into(),
                ));
            };
            let region = signing
                .given
                .clone()
                .or_else(|| crate::verify::classify(name).region)
                .or_else(|| signing.chain.clone())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "no region to sign the WebSocket URL for: {name} names none; give --signing-region or set AWS_REGION"
                    ))
                })?;
            Ok(Transport::WebSocket(WebSocketSettings {
                path,
                auth: WebSocketAuth::SigV4 {
                    credentials: signing.credentials.clone(),
                    region,
                    time: std::time::SystemTime::UNIX_EPOCH
                        + Duration::from_secs(u64::try_from(loaded.settings.now).unwrap_or(0)),
                },
            }))
        }
    }
}

/// The MQTT CONNECT's settings: its client id given, or the device certificate's CN.
fn mqtt_settings(mqtt: &Mqtt, device: Option<&Cert>) -> Result<Option<MqttSettings>, Error> {
    let Mqtt::Connect {
        client_id,
        version,
        subscribe,
        publish,
    } = mqtt
    else {
        return Ok(None);
    };
    let client_id = match (client_id, device) {
        (Some(id), _) => id.clone(),
        (None, Some(d)) => d.subject_cn.clone().ok_or_else(|| {
            Error::Usage("the device certificate has no CN: give --client-id".into())
        })?,
        (None, None) => return Err(Error::Usage("--mqtt needs --cert and --key".into())),
    };
    check_client_id(&client_id)?;
    Ok(Some(MqttSettings {
        version: *version,
        subscribe: subscribe.clone(),
        publish: publish.clone(),
        ..MqttSettings::new(client_id, 30)
    }))
}

/// AWS IoT takes a client id of 1 to 128 bytes.
pub fn check_client_id(client_id: &str) -> Result<(), Error> {
    if client_id.is_empty() || client_id.len() > 128 {
        return Err(Error::Usage(format!(
            "MQTT client id of {} bytes: AWS IoT takes 1 to 128 bytes; give --client-id",
            client_id.len()
        )));
    }
    Ok(())
}

/// The account's endpoint (DescribeEndpoint), resolved as a target: iot:CredentialProvider
/// for `--credentials`, else iot:Data-ATS.
fn discovered(settings: &Settings) -> Result<TargetAddress, Error> {
    let credentials = matches!(
        settings.https.as_ref().map(|h| &h.purpose),
        Some(HttpsPurpose::Credentials { .. })
    );
    let ((host, region), endpoint_type) = if credentials {
        (
            aws::credentials_endpoint(&settings.aws)?,
            "iot:CredentialProvider",
        )
    } else {
        (aws::data_endpoint(&settings.aws)?, "iot:Data-ATS")
    };
    let source = EndpointSource::DescribeEndpoint {
        region,
        endpoint_type,
    };
    resolve::resolve(&host, source, &settings.options)
}

/// `--credentials` to a name that is not a credentials endpoint: the data endpoint, most often,
/// which a device configured with one endpoint for both uses.
fn credentials_name_finding(settings: &Settings, name: &Classification) -> Option<Finding> {
    use crate::verify::EndpointKind;
    let Some(HttpsPurpose::Credentials { .. }) = settings.https.as_ref().map(|h| &h.purpose) else {
        return None;
    };
    match name.kind {
        EndpointKind::CredentialProvider | EndpointKind::CustomDomain | EndpointKind::IpLiteral => None,
        _ => Some(Finding::new(
            Code::CredentialsWrongEndpoint,
            "this is an AWS IoT data endpoint, not the credentials provider's: the credentials endpoint is <prefix>.credentials.iot.<region>.amazonaws.com (aws iot describe-endpoint --endpoint-type iot:CredentialProvider; Greengrass: iotCredEndpoint)",
        )),
    }
}

/// Checks (and makes) a `--save` directory before connecting: with `--sig both`, its `rsa/`
/// and `ecdsa/` subdirectories.
fn prepare_save_dirs(dir: &Path, settings: &Settings) -> Result<(), Error> {
    if settings.both {
        prepare_save_dir(&dir.join("rsa"), settings.force)?;
        prepare_save_dir(&dir.join("ecdsa"), settings.force)
    } else {
        prepare_save_dir(dir, settings.force)
    }
}

/// Runs `job` on every index below `count`, on at most `workers` threads, and hands each
/// result to `done` on this thread in the indices' order, as soon as it and every earlier one
/// are ready, whatever order they finished in. A worker takes no index more than a window
/// ahead of the next one to hand over, so that a bounded number of results wait in memory.
fn in_order<R: Send>(
    count: usize,
    workers: usize,
    job: impl Fn(usize) -> R + Sync,
    mut done: impl FnMut(R),
) {
    let workers = workers.clamp(1, count.max(1));
    let window = workers.saturating_mul(4);
    let next = AtomicUsize::new(0);
    let state = Mutex::new(Pending {
        ready: std::collections::BTreeMap::new(),
        next_out: 0,
        stopped: false,
    });
    let changed = Condvar::new();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count {
            break;
        }
        {
            let Ok(mut pending) = state.lock() else {
                return;
            };
            while i >= pending.next_out.saturating_add(window) && !pending.stopped {
                pending = match changed.wait(pending) {
                    Ok(pending) => pending,
                    Err(_) => return,
                };
            }
            if pending.stopped {
                return;
            }
        }
        let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(i)));
        let Ok(mut pending) = state.lock() else {
            return;
        };
        match finished {
            Ok(result) => {
                pending.ready.insert(i, result);
            }
            Err(panic) => {
                pending.stopped = true;
                drop(pending);
                changed.notify_all();
                std::panic::resume_unwind(panic);
            }
        }
        drop(pending);
        changed.notify_all();
    };
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for _ in 0..workers {
            // A thread the system refuses only lowers the concurrency.
            if std::thread::Builder::new()
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
            spawned += 1;
        }
        if spawned == 0 {
            for i in 0..count {
                done(job(i));
            }
            return;
        }
        for i in 0..count {
            let result = {
                let Ok(mut pending) = state.lock() else {
                    return;
                };
                loop {
                    if let Some(result) = pending.ready.remove(&i) {
                        pending.next_out = i + 1;
                        break result;
                    }
                    if pending.stopped {
                        return;
                    }
                    pending = match changed.wait(pending) {
                        Ok(pending) => pending,
                        Err(_) => return,
                    };
                }
            };
            changed.notify_all();
            done(result);
        }
    });
}

/// The results of [`in_order`] not yet handed over.
struct Pending<R> {
    ready: std::collections::BTreeMap<usize, R>,
    /// The index handed over next.
    next_out: usize,
    /// A worker stopped by a panic: the run ends (the scope passes the panic on).
    stopped: bool,
}

/// Where the results go as they come: stdout, each target's text flushed at once so that a
/// reader sees it. A reader that goes away (`| head`) is its choice: the rest is dropped
/// quietly; any other write error is reported at the end.
struct Sink<'a> {
    out: &'a mut dyn Write,
    closed: bool,
    error: Option<std::io::Error>,
}

impl<'a> Sink<'a> {
    fn new(out: &'a mut dyn Write) -> Sink<'a> {
        Sink {
            out,
            closed: false,
            error: None,
        }
    }

    fn write(&mut self, text: &str) {
        if self.closed || text.is_empty() {
            return;
        }
        if let Err(e) = self
            .out
            .write_all(text.as_bytes())
            .and_then(|_| self.out.flush())
        {
            self.closed = true;
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                self.error = Some(e);
            }
        }
    }

    fn finish(self) -> Result<(), Error> {
        match self.error {
            Some(source) => Err(Error::Write {
                path: "standard output".into(),
                source,
            }),
            None => Ok(()),
        }
    }
}

/// True for the names `--save` writes: cert_1.pem, cert_2.pem, ... Nothing else in the
/// directory is ever touched, even with `--force`.
fn is_capture_name(name: &str) -> bool {
    name.strip_prefix("cert_")
        .and_then(|rest| rest.strip_suffix(".pem"))
        .is_some_and(|n| {
            !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The files of an earlier `--save` in `dir`.
fn earlier_captures(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| is_capture_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    found.sort();
    Ok(found)
}

/// Checks, before connecting, that `--save DIR` can take the served certificates: it is a
/// directory (made if missing), writable, and holds no earlier capture unless `force`.
pub fn prepare_save_dir(dir: &Path, force: bool) -> Result<(), Error> {
    let name = dir.display().to_string();
    let input_error = |message: String| Error::Input(InputError::new(name.clone(), message));
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() && !dir.exists() => {
            return Err(input_error(
                "is a symbolic link to nothing: --save takes a directory; remove the link or choose another".into(),
            ))
        }
        Ok(_) if !dir.is_dir() => {
            return Err(input_error(
                "is not a directory: --save takes a directory for cert_1.pem, cert_2.pem, ...".into(),
            ))
        }
        Ok(_) => {}
        Err(_) => std::fs::create_dir_all(dir)
            .map_err(|e| input_error(format!("cannot be created ({e}): choose another --save directory")))?,
    }
    // Proves the directory writable now rather than after the connection.
    let probe_file = dir.join(format!(".iotcheck-save-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe_file)
        .and_then(|_| std::fs::remove_file(&probe_file))
        .map_err(|e| {
            input_error(format!(
                "cannot be written ({e}): choose another --save directory"
            ))
        })?;
    let taken = !earlier_captures(dir)
        .map_err(|e| input_error(format!("cannot be read ({e})")))?
        .is_empty();
    if taken && !force {
        return Err(input_error(
            "already holds cert_N.pem files from an earlier capture: choose another --save directory or add --force to replace them".into(),
        ));
    }
    Ok(())
}

/// Writes cert_1.pem, cert_2.pem, ... in served order. With `force`, an earlier capture's
/// cert_N.pem files are removed first, so that the directory holds one chain only.
fn write_chain(dir: &Path, served: &[Vec<u8>], force: bool) -> Result<Vec<String>, Error> {
    let write_error = |path: &Path, source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    if force {
        for old in earlier_captures(dir).map_err(|e| write_error(dir, e))? {
            std::fs::remove_file(&old).map_err(|e| write_error(&old, e))?;
        }
    }
    let mut written = Vec::new();
    for (i, der) in served.iter().enumerate() {
        let path = dir.join(format!("cert_{}.pem", i + 1));
        let text = ::pem::encode(&::pem::Pem::new("CERTIFICATE", der.clone()));
        use std::io::Write;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| write_error(&path, e))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collected(count: u64, workers: usize, job: impl Fn(usize) -> u64 + Sync) -> Vec<u64> {
        let mut out = Vec::new();
        in_order(count as usize, workers, job, |r| out.push(r));
        out
    }

    #[test]
    fn results_come_back_in_the_order_given_whatever_the_workers() {
        for workers in [1, 3, 16, 64] {
            let out = collected(50, workers, |n| {
                // Later items finish first.
                std::thread::sleep(std::time::Duration::from_micros(50 * (50 - n as u64)));
                n as u64 * 2
            });
            assert_eq!(out, (0..50).map(|n| n * 2).collect::<Vec<_>>());
        }
        assert!(collected(0, 4, |n| n as u64).is_empty());
    }

    /// A slow first target holds back the others' reports, but no worker runs ahead of the
    /// last report handed over by more than the window: memory stays bounded.
    #[test]
    fn workers_stay_within_a_window_of_the_reports_handed_over() {
        let handed = AtomicUsize::new(0);
        let workers = 3;
        let mut seen = Vec::new();
        in_order(
            200,
            workers,
            |i| {
                if i == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                // One more: the index handed over next is set before the hand-over runs.
                let limit = handed.load(Ordering::SeqCst) + workers * 4 + 1;
                assert!(i < limit, "job {i} started with {limit} as its limit");
                i
            },
            |i| {
                seen.push(i);
                handed.fetch_add(1, Ordering::SeqCst);
            },
        );
        assert_eq!(seen, (0..200).collect::<Vec<_>>());
    }

    #[test]
    fn only_capture_names_are_ours() {
        assert!(is_capture_name("cert_1.pem"));
        assert!(is_capture_name("cert_12.pem"));
        for other in [
            "cert_backup_2024.pem",
            "cert_.pem",
            "cert_01.pem",
            "cert_1.pem.bak",
            "xcert_1.pem",
            "cert_1a.pem",
        ] {
            assert!(!is_capture_name(other), "{other}");
        }
    }
}

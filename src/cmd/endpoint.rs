//! `iotcheck endpoint`: connect like a device, capture what the server serves, then verify and
//! explain it with the same model, verifier and report as `verify-chain`: probe, judge,
//! report, for each handshake.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::app::Outcome;
use crate::aws::{self, AwsSettings};
use crate::chain::{Cert, Chain};
use crate::error::{Error, InputError};
use crate::keys::PrivateKey;
use crate::net::{self, ClientIdentity, ProbeSettings, SigFilter};
use crate::report::endpoint::{
    self as view, EndpointReport, EndpointSource, EndpointView, HandshakeError, HandshakeReport,
};
use crate::report::targets::{self, ManyOutput, ManyReport, TargetError, TargetResult};
use crate::report::{self, json, ChainReport, Output, Renderings};
use crate::source::{self, Input, Kind};
use crate::trust::Anchors;
use crate::verify::{self, Classification, Connection, Policy};

/// Everything `endpoint` needs, resolved.
pub struct Settings {
    /// Where the endpoint came from: the command line, or the account (DescribeEndpoint).
    pub source: EndpointSource,
    pub probe: ProbeSettings,
    /// The name verified against the leaf (the SNI name, or HOST when no SNI is sent).
    pub verified_name: String,
    pub classification: Classification,
    pub anchors: Anchors,
    pub at: i64,
    pub warn_days: u32,
    pub both: bool,
    pub insecure: bool,
    pub device: Option<Cert>,
    /// The directory (checked and made before connecting) for the served certificates.
    pub save: Option<PathBuf>,
    pub force: bool,
    /// With Pem or PemPath, `--sig` is not `both`: one handshake's certificates are printed.
    pub output: Output,
}

/// Several targets, each probed and judged on its own with the same options.
pub struct ManySettings {
    /// One resolved target each, in the order given (duplicates already dropped).
    pub targets: Vec<Settings>,
    /// How many targets are probed at once (1 or more).
    pub concurrency: usize,
    /// Targets given more than once and probed once, at their first place.
    pub duplicates: usize,
    pub output: ManyOutput,
}

/// What a probe of one target produced: its report, and the served chains (DER, served
/// order, one per handshake) for `--pem`.
pub struct Probed {
    pub report: EndpointReport,
    pub served: Vec<Vec<Vec<u8>>>,
}

/// One target: probe, judge, report, rendered as `endpoint` always has.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let Probed { report, served } = check(settings)?;
    let (stdout, stderr) = report::shown(
        settings.output,
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

/// Many targets: each probed as `run` would (its own `--timeout` budget from the moment its
/// probe starts), at most `concurrency` at once, then every report in the order given and
/// the summary. A target that could not be probed is a result too; the exit code is the
/// highest of the targets' (0 ok, 1 a check failed, 2 local input, 3 network).
pub fn run_many(settings: &ManySettings) -> Result<Outcome, Error> {
    let results = in_order(&settings.targets, settings.concurrency, |target| {
        let result = check(target)
            .map(|probed| probed.report)
            .map_err(|e| TargetError {
                phase: error_phase(&e),
                message: e.to_string(),
                exit_code: e.exit_code(),
            });
        TargetResult::new(
            targets::authority(&target.probe.host, target.probe.port),
            result,
        )
    });
    let many = ManyReport::new(results, settings.duplicates);
    let stdout = targets::render(&many, settings.output);
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        exit: many.summary.exit_code,
    })
}

/// Probes one target and judges what it served: every handshake (two with `--sig both`)
/// within the one `--timeout` budget that starts now. `Err` when no handshake saw a
/// certificate (the network), or a local step failed (`--save`).
pub fn check(settings: &Settings) -> Result<Probed, Error> {
    let filters: &[(SigFilter, &str)] = if settings.both {
        &[(SigFilter::Rsa, "rsa"), (SigFilter::Ecdsa, "ecdsa")]
    } else {
        &[(settings.probe.sig, sig_name(settings.probe.sig))]
    };
    let policy = Policy {
        at: settings.at,
        host: Some(settings.verified_name.clone()),
        device_not_before: settings.device.as_ref().map(|d| d.not_before),
        warn_days: settings.warn_days,
    };
    let mut handshakes = Vec::new();
    let mut first_error = None;
    let mut saved = Vec::new();
    let mut served_chains = Vec::new();
    // --timeout is one budget for the target: both handshakes of --sig both share it.
    let deadline = Instant::now() + settings.probe.timeout;
    for &(sig, name) in filters {
        let mut probe_settings = settings.probe.clone();
        probe_settings.sig = sig;
        probe_settings.deadline = Some(deadline);
        match handshake(settings, &probe_settings, &policy, name) {
            Ok((report, served)) => {
                if let Some(dir) = &settings.save {
                    // With --sig both, each handshake's chain goes to its own subdirectory.
                    let target = if settings.both {
                        dir.join(name)
                    } else {
                        dir.clone()
                    };
                    saved.extend(save(&target, &served, settings.force)?);
                }
                handshakes.push(report);
                served_chains.push(served);
            }
            // With --sig both, a family the server cannot serve is a finding of its own:
            // a device that offers only that family fails the same way.
            Err(Error::Net(e)) if settings.both => {
                let error = HandshakeError {
                    phase: e.phase(),
                    message: e.to_string(),
                };
                let empty = ChainReport::empty(&settings.anchors, &policy);
                handshakes.push(HandshakeReport::failed(name, empty, error));
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(e) = first_error {
        if handshakes.iter().all(|h| h.error.is_some()) {
            return Err(Error::Net(e));
        }
    }
    let endpoint = EndpointView {
        source: settings.source.clone(),
        host: settings.probe.host.clone(),
        port: settings.probe.port,
        verified_name: settings.verified_name.clone(),
        sni: settings.probe.sni.clone(),
        alpn_offered: settings
            .probe
            .alpn
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        classification: settings.classification.clone(),
        saved,
    };
    let findings =
        verify::endpoint_findings(&settings.classification, settings.probe.sni.is_none());
    Ok(Probed {
        report: EndpointReport::new(endpoint, findings, handshakes),
        served: served_chains,
    })
}

/// The phase a target's error is named by in the summary: the network phase, or the local
/// step that failed.
fn error_phase(error: &Error) -> &'static str {
    match error {
        Error::Net(e) => e.phase(),
        Error::Write { .. } => "save",
        Error::Input(_) | Error::Usage(_) => "input",
        Error::Aws(_) => "aws",
    }
}

/// Runs `job` on every item, on at most `workers` threads (this one included), and returns
/// the results in the items' order, whatever order they finished in.
fn in_order<T: Sync, R: Send>(items: &[T], workers: usize, job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = items.get(i) else { break };
        let result = job(item);
        if let Ok(mut slot) = slots[i].lock() {
            *slot = Some(result);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..workers.min(items.len()) {
            // A thread the system refuses only lowers the concurrency: this one works too.
            if std::thread::Builder::new()
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
        }
        work();
    });
    // Every slot is filled: each index below items.len() is taken by exactly one worker, and
    // the scope joins them all before this line.
    slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().ok().flatten())
        .collect()
}

/// The targets of a targets file, with their line numbers (from 1): one HOST[:PORT] a line;
/// `#` starts a comment (no host or port holds one), blank lines are skipped. `Err` names the
/// first line that holds more than one word.
pub fn target_lines(text: &str) -> Result<Vec<(usize, String)>, (usize, String)> {
    let mut targets = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line.split_whitespace().nth(1).is_some() {
            return Err((
                i + 1,
                format!(
                    "{:?}: write one HOST[:PORT] a line (# starts a comment)",
                    crate::quote::clipped(line)
                ),
            ));
        }
        targets.push((i + 1, line.to_string()));
    }
    Ok(targets)
}

/// The account's iot:Data-ATS endpoint and the region asked (DescribeEndpoint).
pub fn discover(settings: &AwsSettings) -> Result<(String, String), Error> {
    Ok(aws::data_endpoint(settings)?)
}

/// One handshake: probe, verify what was served (inside the probe, as soon as it arrives,
/// before the device's certificate or any application data goes out), judge the connection,
/// and report; also returns the served chain (DER, served order).
fn handshake(
    settings: &Settings,
    probe: &ProbeSettings,
    policy: &Policy,
    sig: &str,
) -> Result<(HandshakeReport, Vec<Vec<u8>>), Error> {
    let (probe_result, chain) = probe_judged(probe, &settings.anchors, policy, settings.insecure)?;
    let findings = verify::connection_findings(&Connection {
        probe: &probe_result,
        chain_verified: chain.is_valid(),
        served_bytes: chain.total_bytes,
        insecure: settings.insecure,
    });
    let client_id = probe.mqtt.as_ref().map(|m| m.client_id.as_str());
    let report = HandshakeReport::new(sig, chain, &probe_result, client_id, findings);
    Ok((report, probe_result.served))
}

/// Probes, verifying the served chain inside the probe, as soon as it arrives (before the
/// device's certificate or any application data goes out; `insecure` lets them go out
/// anyway), and returns the probe with its chain's report.
pub(crate) fn probe_judged(
    probe: &ProbeSettings,
    anchors: &Anchors,
    policy: &Policy,
    insecure: bool,
) -> Result<(net::Probe, ChainReport), net::NetError> {
    let judged: Arc<Mutex<Option<ChainReport>>> = Arc::default();
    let chain_ok: Arc<net::ChainCheck> = {
        let (judged, anchors, policy) = (Arc::clone(&judged), anchors.clone(), policy.clone());
        Arc::new(move |served: &[Vec<u8>]| -> bool {
            let report = judge(served, &anchors, &policy);
            let ok = report.is_valid();
            if let Ok(mut slot) = judged.lock() {
                *slot = Some(report);
            }
            ok || insecure
        })
    };
    let probe_result = net::probe(probe, chain_ok)?;
    // The probe asks as soon as the chain arrives; judge the capture if it never did.
    let earlier = judged.lock().ok().and_then(|mut slot| slot.take());
    let chain = match earlier {
        Some(report) => report,
        None => judge(&probe_result.served, anchors, policy),
    };
    Ok((probe_result, chain))
}

/// Verifies a served chain and reports it. Certificates that do not parse are findings.
pub(crate) fn judge(served: &[Vec<u8>], anchors: &Anchors, policy: &Policy) -> ChainReport {
    let (certs, unparsable) = verify::parse_served(served);
    let mut report = if certs.is_empty() {
        ChainReport::empty(anchors, policy)
    } else {
        let chain = Chain::arrange(certs);
        let judgement = verify::verify(&chain, anchors, policy);
        ChainReport::build(&chain, anchors, policy, &judgement)
    };
    report.add(unparsable);
    report
}

/// Loads the device certificate (with any chain in its file) and key; the key must match.
pub fn load_identity(cert: &Input, key: &Input) -> Result<(ClientIdentity, Cert), Error> {
    let cert_objects = source::read_certificates(cert)?;
    let count = cert_objects.len();
    let device = Cert::from_der(&cert_objects[0].der, cert_objects[0].origin(count))
        .map_err(|e| InputError::new(cert.name(), format!("not a valid certificate ({e})")))?;
    if device.is_ca() && cert_objects.len() > 1 {
        return Err(InputError::new(
            cert.name(),
            format!(
                "starts with the CA certificate \"{}\": TLS stacks send the first certificate as the device's, so put the device certificate first",
                device.display_name()
            ),
        )
        .into());
    }
    let loaded = source::read(key)?;
    let key_object = loaded
        .objects
        .iter()
        .find(|o| matches!(o.kind, Kind::PrivateKey(_) | Kind::EncryptedPrivateKey))
        .ok_or_else(|| {
            InputError::new(
                key.name(),
                format!(
                    "holds {}, not a private key: pass the device's key file (keyPath)",
                    loaded.contents_described()
                ),
            )
        })?;
    let Kind::PrivateKey(format) = key_object.kind else {
        return Err(InputError::new(
            key.name(),
            "is an encrypted private key: devices need it unencrypted (openssl pkey -in KEY -out plain.key)",
        )
        .into());
    };
    let private = PrivateKey::load(format, &key_object.der)
        .map_err(|e| InputError::new(key.name(), format!("the private key cannot be used: {e}")))?;
    if !private.matches(&device.key) {
        return Err(InputError::new(
            key.name(),
            format!(
                "does not match the certificate {}: the key is {} (public key sha256 {}), the certificate holds {} (sha256 {}); pass the key that belongs to this certificate",
                cert.name(),
                private.public.describe(),
                &private.public.sha256[..16],
                device.key.describe(),
                &device.key.sha256[..16],
            ),
        )
        .into());
    }
    let identity = ClientIdentity {
        chain: cert_objects
            .into_iter()
            .map(|o| rustls::pki_types::CertificateDer::from(o.der))
            .collect(),
        key: private.to_der(),
    };
    Ok((identity, device))
}

fn sig_name(sig: SigFilter) -> &'static str {
    match sig {
        SigFilter::Any => "any",
        SigFilter::Rsa => "rsa",
        SigFilter::Ecdsa => "ecdsa",
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
fn save(dir: &Path, served: &[Vec<u8>], force: bool) -> Result<Vec<String>, Error> {
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

    #[test]
    fn targets_files_hold_one_target_a_line_with_comments() {
        let text = "# production\n\na-ats.iot.eu-west-1.amazonaws.com:8883  # eu\r\n  [::1]:8883\n\t#\nb.example\n";
        assert_eq!(
            target_lines(text).unwrap(),
            [
                (3, "a-ats.iot.eu-west-1.amazonaws.com:8883".to_string()),
                (4, "[::1]:8883".to_string()),
                (6, "b.example".to_string()),
            ]
        );
        assert_eq!(target_lines("# none\n\n").unwrap(), []);
        let (line, why) = target_lines("a.example\na.example b.example\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(why.contains("one HOST[:PORT] a line"), "{why}");
    }

    #[test]
    fn results_come_back_in_the_order_given_whatever_the_workers() {
        let items: Vec<u64> = (0..50).collect();
        for workers in [1, 3, 16, 64] {
            let out = in_order(&items, workers, |&n| {
                // Later items finish first.
                std::thread::sleep(std::time::Duration::from_micros(50 * (50 - n)));
                n * 2
            });
            assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        }
        assert!(in_order(&[] as &[u64], 4, |&n| n).is_empty());
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

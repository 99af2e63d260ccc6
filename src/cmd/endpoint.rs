//! `iotcheck endpoint`: connect like a device, capture what the server serves, then verify and
//! explain it with the same model, verifier and report as `verify-chain`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::app::{self, Env, Outcome};
use crate::chain::{Cert, Chain};
use crate::cli::{EndpointArgs, SigChoice, TlsChoice};
use crate::error::{Error, InputError};
use crate::keys::PrivateKey;
use crate::net::{self, ClientIdentity, MqttSettings, ProbeSettings, SigFilter, TlsVersions};
use crate::report::endpoint::{
    self as view, Classification, EndpointJson, EndpointView, FailedHandshake, HandshakeReport,
};
use crate::report::json;
use crate::report::{ChainReport, SCHEMA_VERSION};
use crate::source::{self, Input, Kind};
use crate::trust::Anchors;
use crate::verify::{self, Finding, Policy};

/// Everything `endpoint` needs, resolved.
pub struct Settings {
    pub probe: ProbeSettings,
    /// The name verified against the leaf (the SNI name, or HOST when no SNI is sent).
    pub verified_name: String,
    pub classification: Classification,
    pub anchors: Anchors,
    pub at: i64,
    pub both: bool,
    pub insecure: bool,
    pub device: Option<Cert>,
    pub save: Option<PathBuf>,
    pub force: bool,
    pub json: bool,
}

/// Resolves the command line: target, port, names, ALPN, proxy, device credentials.
pub fn settings(args: EndpointArgs, env: &Env) -> Result<Settings, Error> {
    let (host, port_in_target) = split_target(&args.target)?;
    let port = match (port_in_target, args.port) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::Usage(format!(
                "port {a} in {} contradicts --port {b}",
                args.target
            )))
        }
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => 8443,
    };
    let host_is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let host = host.strip_suffix('.').map(str::to_string).unwrap_or(host);
    let verified_name = match &args.servername {
        Some(name) => app::checked_host(name, "--servername")?,
        None => app::checked_host(&host, "HOST")?,
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
            let (identity, device) = load_identity(&Input::from_arg(cert), &Input::from_arg(key))?;
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
    if let Some(dir) = &args.save {
        refuse_overwrite(dir, args.force)?;
        if args.sig == SigChoice::Both {
            refuse_overwrite(&dir.join("rsa"), args.force)?;
            refuse_overwrite(&dir.join("ecdsa"), args.force)?;
        }
    }
    let sig = match args.sig {
        SigChoice::Any | SigChoice::Both => SigFilter::Any,
        SigChoice::Rsa => SigFilter::Rsa,
        SigChoice::Ecdsa => SigFilter::Ecdsa,
    };
    Ok(Settings {
        classification: view::classify(&host),
        probe: ProbeSettings {
            host,
            port,
            connect_to: args.connect,
            sni,
            alpn,
            timeout: Duration::from_secs_f64(args.timeout),
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
        anchors: app::anchors(&args.trust)?,
        at: app::at(&args.trust.at, env)?,
        both: args.sig == SigChoice::Both,
        insecure: args.insecure,
        device,
        save: args.save,
        force: args.force,
        json: args.json,
    })
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let filters: &[(SigFilter, &str)] = if settings.both {
        &[(SigFilter::Rsa, "rsa"), (SigFilter::Ecdsa, "ecdsa")]
    } else {
        &[(settings.probe.sig, sig_name(settings.probe.sig))]
    };
    let mut handshakes = Vec::new();
    let mut failed = Vec::new();
    let mut first_error = None;
    for &(sig, name) in filters {
        let mut probe_settings = settings.probe.clone();
        probe_settings.sig = sig;
        match handshake(settings, &probe_settings, name) {
            Ok(report) => handshakes.push(report),
            // With --sig both, a family the server cannot serve is a finding of its own:
            // a device that offers only that family fails the same way.
            Err(Error::Net(e)) if settings.both => {
                failed.push(FailedHandshake {
                    sig: name.to_string(),
                    phase: e.phase(),
                    message: e.to_string(),
                });
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    if handshakes.is_empty() {
        if let Some(e) = first_error {
            return Err(Error::Net(e));
        }
    }
    let mut saved = Vec::new();
    if let Some(dir) = &settings.save {
        for h in &handshakes {
            // With --sig both, each handshake's chain goes to its own subdirectory.
            let target = if settings.both {
                dir.join(&h.sig)
            } else {
                dir.clone()
            };
            saved.extend(save(&target, &h.served, settings.force)?);
        }
    }
    let endpoint = EndpointView {
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
    let ok = failed.is_empty() && handshakes.iter().all(HandshakeReport::passed);
    let stdout = if settings.json {
        json::to_line(&EndpointJson::new(
            SCHEMA_VERSION,
            endpoint,
            handshakes,
            failed,
            settings.both,
        ))
    } else {
        view::render(&endpoint, &handshakes, &failed)
    };
    Ok(Outcome::new(stdout, ok))
}

/// One handshake: probe, verify what was served (inside the probe, before any application
/// data), and turn the outcome into a report.
fn handshake(
    settings: &Settings,
    probe: &ProbeSettings,
    sig: &str,
) -> Result<HandshakeReport, Error> {
    let policy = Policy {
        at: settings.at,
        host: Some(settings.verified_name.clone()),
        device_not_before: settings.device.as_ref().map(|d| d.not_before),
    };
    let mut judged: Option<ChainReport> = None;
    let mut chain_ok = |served: &[Vec<u8>]| -> bool {
        let report = judge(served, &settings.anchors, &policy);
        let ok = report.is_valid();
        judged = Some(report);
        ok || settings.insecure
    };
    let probe_result = net::probe(probe, &mut chain_ok)?;
    // The callback runs only after a completed handshake; judge the capture otherwise.
    let chain = match judged {
        Some(report) => report,
        None => judge(&probe_result.served, &settings.anchors, &policy),
    };
    let mut report = HandshakeReport::new(sig, chain, probe_result, settings.insecure);
    if let (Some(view), Some(mqtt)) = (report.mqtt.as_mut(), &probe.mqtt) {
        view.client_id = Some(mqtt.client_id.clone());
    }
    report.add_endpoint_findings(&settings.classification, settings.probe.sni.is_none());
    Ok(report)
}

/// Verifies a served chain. Certificates that do not parse are problems of their own.
fn judge(served: &[Vec<u8>], anchors: &Anchors, policy: &Policy) -> ChainReport {
    let mut certs = Vec::new();
    let mut unparsable = Vec::new();
    for (i, der) in served.iter().enumerate() {
        match Cert::from_der(der, format!("served #{}", i + 1)) {
            Ok(cert) => certs.push(cert),
            Err(e) => unparsable.push(Finding {
                code: "malformed",
                certificate: None,
                message: format!("served certificate #{} does not parse: {e}", i + 1),
            }),
        }
    }
    let mut report = if certs.is_empty() {
        ChainReport::empty(anchors, policy)
    } else {
        let chain = Chain::arrange(certs);
        let verdict = verify::verify(&chain, anchors, policy);
        ChainReport::build(&chain, anchors, policy, &verdict)
    };
    if !unparsable.is_empty() {
        report.problems.extend(unparsable);
        report.verdict = "invalid";
    }
    report
}

/// Loads the device certificate (with any chain in its file) and key; the key must match.
fn load_identity(cert: &Input, key: &Input) -> Result<(ClientIdentity, Cert), Error> {
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

/// HOST, HOST:PORT, [V6] or [V6]:PORT; a bare IPv6 address is taken whole.
fn split_target(target: &str) -> Result<(String, Option<u16>), Error> {
    let bad_port = || {
        Error::Usage(format!(
            "{target:?}: the port is not a number from 1 to 65535"
        ))
    };
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| Error::Usage(format!("{target:?}: missing ']'")))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().map_err(|_| bad_port())?),
            None if after.is_empty() => None,
            None => return Err(bad_port()),
        };
        return Ok((host.to_string(), port));
    }
    if target.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok((target.to_string(), None));
    }
    match target.rsplit_once(':') {
        Some((host, port)) => Ok((
            host.to_string(),
            Some(port.parse().map_err(|_| bad_port())?),
        )),
        None => Ok((target.to_string(), None)),
    }
    .and_then(|(h, p): (String, Option<u16>)| {
        if h.is_empty() || p == Some(0) {
            Err(Error::Usage(format!("{target:?} is not HOST[:PORT]")))
        } else {
            Ok((h, p))
        }
    })
}

/// `http://[user:pass@]host:port`.
fn parse_proxy(url: &str) -> Result<net::Proxy, Error> {
    let shown = redact_password(url);
    let bad = |why: &str| {
        Error::Usage(format!(
            "proxy {shown:?}: {why}; expected http://[user:pass@]host:port"
        ))
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// proxies are supported"))?;
    let rest = rest.trim_end_matches('/');
    let (credentials, hostport) = match rest.rsplit_once('@') {
        Some((creds, hp)) => {
            let (user, pass) = creds.split_once(':').unwrap_or((creds, ""));
            (Some((user.to_string(), pass.to_string())), hp)
        }
        None => (None, rest),
    };
    let (host, port) = split_target(hostport).map_err(|_| bad("bad host or port"))?;
    Ok(net::Proxy {
        host,
        port: port.ok_or_else(|| bad("the port is missing"))?,
        credentials,
    })
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

/// The URL with any password replaced by `***`, for messages.
fn redact_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    match rest.rsplit_once('@') {
        Some((creds, host)) => {
            let user = creds.split_once(':').map_or(creds, |(u, _)| u);
            let sep = if scheme.is_empty() { "" } else { "://" };
            format!("{scheme}{sep}{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

fn sig_name(sig: SigFilter) -> &'static str {
    match sig {
        SigFilter::Any => "any",
        SigFilter::Rsa => "rsa",
        SigFilter::Ecdsa => "ecdsa",
    }
}

/// The cert_*.pem files of an earlier `--save` in `dir`.
fn earlier_captures(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("cert_") && name.ends_with(".pem")
        })
        .map(|e| e.path())
        .collect())
}

/// Refuses before connecting when `--save DIR` is not a directory or already holds served
/// certificates.
fn refuse_overwrite(dir: &Path, force: bool) -> Result<(), Error> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(InputError::new(
            dir.display().to_string(),
            "is not a directory: --save takes a directory for cert_1.pem, cert_2.pem, ...",
        )
        .into());
    }
    let taken = !earlier_captures(dir)
        .map_err(|e| InputError::new(dir.display().to_string(), format!("cannot read: {e}")))?
        .is_empty();
    if taken && !force {
        return Err(InputError::new(
            dir.display().to_string(),
            "already holds cert_*.pem files: choose another --save directory or add --force",
        )
        .into());
    }
    Ok(())
}

/// Writes cert_1.pem, cert_2.pem, ... in served order. With `force`, earlier captures'
/// cert_*.pem files are removed first, so that the directory holds one chain only.
fn save(dir: &Path, served: &[Vec<u8>], force: bool) -> Result<Vec<String>, Error> {
    let write_error = |path: &Path, source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    if force {
        for old in earlier_captures(dir).map_err(|e| write_error(dir, e))? {
            std::fs::remove_file(&old).map_err(|e| write_error(&old, e))?;
        }
    }
    let mut written = Vec::new();
    for (i, der) in served.iter().enumerate() {
        let path = dir.join(format!("cert_{}.pem", i + 1));
        let text = ::pem::encode(&::pem::Pem::new("CERTIFICATE", der.clone()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true);
        if force {
            options.create(true).truncate(true);
        } else {
            options.create_new(true);
        }
        use std::io::Write;
        options
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
    fn proxies_parse_with_and_without_credentials() {
        let p = parse_proxy("http://u:p@proxy.local:3128/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.local", 3128));
        assert_eq!(p.credentials, Some(("u".into(), "p".into())));
        assert!(parse_proxy("http://proxy.local:3128")
            .unwrap()
            .credentials
            .is_none());
        assert!(parse_proxy("https://proxy.local:3128").is_err());
        assert!(parse_proxy("http://proxy.local").is_err());
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
        let err = parse_proxy("http://user:s3cret@proxy.local")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("user:***@"),
            "{err}"
        );
    }
}

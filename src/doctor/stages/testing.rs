//! Facts made by hand for the stages' table tests: a device described by flags alone, no
//! files, no network, the account off; and helpers for ports and handshakes.

use std::path::PathBuf;

use crate::doctor::config::{self, DeviceFile, ModeRule, Overrides, Sourced};
use crate::doctor::facts::{
    AccountFacts, CaFiles, CredentialFacts, Credentials, Facts, FileFacts, FileRole, Handshake,
    LocalMillis, NetworkFacts, PortFacts, Served, TrustFacts,
};
use crate::doctor::stages::{Stage, StageId};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding, Verdict};
use crate::net::{self, ClientIdentity, NetError, Probe, TlsFacts};
use crate::trust::Anchors;
use crate::verify::served::ServedChain;
use crate::verify::Policy;

/// 2027-01-15T08:00:00Z.
pub const AT: i64 = 1_800_000_000;

/// A device described by flags alone (none given), nothing gathered.
pub fn facts() -> Facts {
    Facts {
        // Without a file and without flags, resolving reads nothing.
        device: config::resolve(None, &Overrides::default(), None).expect("flags alone"),
        at: AT,
        warn_days: 30,
        policy: Policy {
            at: AT,
            host: None,
            device_not_before: None,
            warn_days: 30,
        },
        client_id: None,
        mqtt: Default::default(),
        transport: Default::default(),
        files: Vec::new(),
        credentials: CredentialFacts::without(Credentials::NotNamed),
        trust: TrustFacts {
            anchors: Anchors::embedded(),
            files: CaFiles::NotGiven,
        },
        network: None,
        credentials_provider: None,
        data_plane: None,
        account: AccountFacts::Off,
        millis: LocalMillis::default(),
    }
}

/// A stage that failed with one finding of `code`.
pub fn failed(id: StageId, code: Code) -> Stage {
    Stage::judged(id, vec![Finding::new(code, "x")], 0.0)
}

/// The advice of stage `id` failed with `codes`.
pub fn advice_for(id: StageId, codes: &[Code], evidence: &Evidence) -> String {
    let findings = codes.iter().map(|c| Finding::new(*c, "x")).collect();
    (id.def().advice)(&Stage::judged(id, findings, 0.0), evidence)
}

/// A file `/d/k.pem` of `role` at `mode`, held to `rule`, in a directory at 0700.
pub fn file(role: FileRole, mode: u32, rule: ModeRule) -> FileFacts {
    FileFacts {
        mode: Some(mode),
        dir_mode: Some(0o700),
        ..FileFacts::new(
            role,
            &DeviceFile {
                path: Sourced::flag(PathBuf::from("/d/k.pem"), "--key"),
                mode: rule,
                dir_mode: ModeRule::Exactly(0o700),
                rule_source: "rule",
            },
        )
    }
}

/// The network: the lookup's result, and the ports.
pub fn network(
    resolved: Option<Result<Vec<std::net::SocketAddr>, NetError>>,
    ports: Vec<PortFacts>,
) -> NetworkFacts {
    NetworkFacts {
        name: "abc-ats.iot.eu-west-1.amazonaws.com".into(),
        dial: "127.0.0.1".into(),
        proxy: None,
        resolved,
        resolve_ms: 0.0,
        ports,
    }
}

/// One open port whose anonymous handshakes are `handshakes` (the first RSA, the
/// second ECDSA).
pub fn port(number: u16, handshakes: Vec<Handshake>) -> NetworkFacts {
    let mut port = PortFacts::untried(number);
    port.tcp = Some(Ok(std::net::SocketAddr::from(([127, 0, 0, 1], number))));
    let mut handshakes = handshakes.into_iter();
    port.rsa = handshakes.next();
    port.ecdsa = handshakes.next();
    network(Some(Ok(Vec::new())), vec![port])
}

/// A handshake that came up, its served chain judged with `chain` findings (valid when none
/// is an error) and the connection with `connection`.
pub fn served_ok(chain: Vec<Finding>, connection: Vec<Finding>) -> Handshake {
    Handshake {
        result: Ok(Served::judged(
            probe(),
            ServedChain {
                judged: None,
                verdict: Verdict::of(&chain),
                findings: chain,
            },
            connection,
        )),
        ms: 1.0,
    }
}

/// A handshake whose served chain did not verify.
pub fn served_unverified() -> Handshake {
    served_ok(vec![Finding::new(Code::UnknownIssuer, "no issuer")], vec![])
}

fn probe() -> Probe {
    Probe {
        peer: std::net::SocketAddr::from(([127, 0, 0, 1], 8883)),
        via_proxy: false,
        served: Vec::new(),
        tls: TlsFacts {
            version: "TLSv1.3".into(),
            cipher_suite: String::new(),
            key_exchange_group: None,
            alpn: None,
            sni: None,
        },
        timings: net::Timings::default(),
        client_auth: net::ClientAuth::default(),
        upgrade: None,
        mqtt: None,
        mqtt_version: Default::default(),
        https: None,
        handshake_error: None,
    }
}

/// An identity to present (its bytes are never used: nothing is dialed).
pub fn identity() -> ClientIdentity {
    ClientIdentity {
        chain: Vec::new(),
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(Vec::new().into()),
    }
}

pub fn refused() -> NetError {
    NetError::Connect {
        addr: "127.0.0.1:8883".into(),
        source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
    }
}

pub fn timed_out() -> NetError {
    NetError::Timeout {
        phase: net::Phase::Connect,
        target: "127.0.0.1:443".into(),
        after: std::time::Duration::from_secs(5),
    }
}

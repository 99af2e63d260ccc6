//! The one seam between the doctor and the probe-and-verify engine: a handshake probed and
//! its served chain judged, and the device's identity loaded. Everything else in `gather`
//! calls these two functions, so that moving to another engine is a change here alone.

use crate::cmd::endpoint::{load_identity, probe_judged};
use crate::doctor::facts::Served;
use crate::net::{ClientIdentity, NetError, ProbeSettings};
use crate::source::Input;
use crate::trust::Anchors;
use crate::verify::{connection_findings, Connection, Policy};

/// One handshake as `settings` describe it, the served chain judged against `anchors` under
/// `policy` as it arrives (the device's identity goes out only over a chain that verified),
/// and the connection's findings.
pub(super) fn probe(
    settings: &ProbeSettings,
    anchors: &Anchors,
    policy: &Policy,
) -> Result<Served, NetError> {
    let (probe, chain) = probe_judged(settings, anchors, policy, false)?;
    let connection = connection_findings(&Connection {
        probe: &probe,
        chain_verified: chain.is_valid(),
        served_bytes: chain.total_bytes,
        insecure: false,
    });
    Ok(Served {
        probe,
        chain,
        connection,
    })
}

/// The identity the device presents, when its certificate and key load as a pair.
pub(super) fn identity(cert: &Input, key: &Input) -> Option<ClientIdentity> {
    load_identity(cert, key).ok().map(|(identity, _)| identity)
}

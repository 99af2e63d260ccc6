//! The one seam between the doctor and the probe-and-verify engine: a handshake probed and
//! its served chain judged, and the device's identity loaded. Everything else in `gather`
//! calls these two functions, so that moving to another engine is a change here alone.

use crate::doctor::facts::Served;
use crate::net::{ClientIdentity, NetError, ProbeSettings};
use crate::source::Input;
use crate::trust::Anchors;
use crate::verify::{served, Policy};

/// One handshake as `settings` describe it, the served chain judged against `anchors` under
/// `policy` as it arrives (the device's identity goes out only over a chain that verified),
/// and the connection's findings.
pub(super) fn probe(
    settings: &ProbeSettings,
    anchors: &Anchors,
    policy: &Policy,
) -> Result<Served, NetError> {
    served::handshake(settings, anchors, policy, false)
}

/// The identity the device presents, when its certificate and key load as a pair.
pub(super) fn identity(cert: &Input, key: &Input) -> Option<ClientIdentity> {
    crate::identity::load(cert, key)
        .ok()
        .map(|(identity, _)| identity)
}

//! The one table of TLS alert advice: what an alert from the server means for a device
//! talking to AWS IoT Core, whether it ends the negotiation (before the server's certificate)
//! or answers the device's certificate. Sources: RFC 8446 section 6.2 (the alerts' own
//! meanings); the AWS IoT Core developer guide, "Troubleshooting" and "Transport security in
//! AWS IoT Core" (client certificates that are unregistered, inactive or revoked are refused
//! with an alert; ALPN on port 443; SNI for configurable endpoints). A leaf: the network edge
//! words its handshake errors with it, and the judging names what a rejection means.

/// When the server sent the alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertStage {
    /// Before its certificate: the negotiation failed.
    Negotiation,
    /// After the device's certificate: the server's answer to it.
    ClientAuth,
}

/// Advice for an alert named in snake_case ("unknown_ca") at that stage; None for alerts
/// with no advice there.
pub fn advice(alert: &str, stage: AlertStage) -> Option<&'static str> {
    ALERTS
        .iter()
        .find(|(name, at, _)| *name == alert && *at == stage)
        .map(|(_, _, advice)| *advice)
}

use AlertStage::{ClientAuth, Negotiation};

const ALERTS: &[(&str, AlertStage, &str)] = &[
    ("handshake_failure", Negotiation, "the server shares no cipher suite or signature scheme with what was offered: try another TLS version or signature filter"),
    ("insufficient_security", Negotiation, "the server shares no cipher suite or signature scheme with what was offered: try another TLS version or signature filter"),
    ("protocol_version", Negotiation, "the server does not accept the TLS version offered"),
    ("no_application_protocol", Negotiation, "the server refused the ALPN protocol offered (AWS IoT on 443: x-amzn-mqtt-ca for MQTT, x-amzn-http-ca for HTTPS, mqtt for custom authorizers)"),
    ("unrecognized_name", Negotiation, "the server does not know the SNI name sent"),
    // Client authentication: the server answers the device's certificate.
    ("unknown_ca", ClientAuth, "the certificate's issuer is not registered in this account and region (bring-your-own-CA not registered, or wrong account/region)"),
    ("bad_certificate", ClientAuth, "the certificate is not registered in this account and region, or is inactive"),
    ("certificate_unknown", ClientAuth, "the certificate is not registered in this account and region, or is inactive"),
    ("certificate_revoked", ClientAuth, "the certificate is revoked"),
    ("certificate_expired", ClientAuth, "the device certificate has expired (or the server's clock and the certificate disagree)"),
    ("certificate_required", ClientAuth, "the server requires a client certificate"),
    ("access_denied", ClientAuth, "the certificate is known but not allowed"),
    ("decrypt_error", ClientAuth, "the CertificateVerify signature did not verify: the key may not match the certificate"),
];

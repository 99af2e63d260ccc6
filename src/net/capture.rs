//! The rustls hooks that observe a handshake: the served chain, the server's
//! CertificateRequest, and TLS 1.3 session tickets.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionStore, ResolvesClientCert, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, NamedGroup, OtherError, SignatureScheme};

use super::{ChainCheck, SigFilter};

/// What the hooks saw during one handshake, shared between them and the probe.
#[derive(Debug, Default)]
pub(super) struct Observed {
    served: Mutex<Option<Vec<Vec<u8>>>>,
    /// The caller's verdict on the served chain.
    verdict: Mutex<Option<bool>>,
    /// The handshake was ended so as not to send the client certificate.
    withheld: AtomicBool,
    request: Mutex<Option<CertificateRequest>>,
    tickets: AtomicUsize,
}

/// The server's CertificateRequest as rustls hands it to the client-certificate resolver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct CertificateRequest {
    pub ca_names: Vec<Vec<u8>>,
    pub schemes: Vec<String>,
    pub sent: bool,
}

impl Observed {
    /// The served chain, end entity first, once the server's Certificate was processed.
    pub fn served(&self) -> Option<Vec<Vec<u8>>> {
        lock(&self.served).clone()
    }

    /// The caller's verdict on the served chain, once it was received.
    pub fn verdict(&self) -> Option<bool> {
        *lock(&self.verdict)
    }

    /// True when the handshake was ended to keep the client certificate from a server whose
    /// chain the caller refused.
    pub fn withheld(&self) -> bool {
        self.withheld.load(Ordering::SeqCst)
    }

    pub fn request(&self) -> Option<CertificateRequest> {
        lock(&self.request).clone()
    }

    /// TLS 1.3 NewSessionTickets received so far.
    pub fn tickets(&self) -> usize {
        self.tickets.load(Ordering::SeqCst)
    }
}

// A hook that panicked while holding the lock leaves plain data behind, still worth reporting.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records the served chain and asks the caller's `chain_ok` about it. A refused chain is
/// still accepted, so that it can be shown and the handshake's facts gathered, unless the
/// client holds an identity the server asked for: then the handshake ends here, before rustls
/// sends the client Certificate and CertificateVerify (in TLS 1.2 and 1.3 alike, the server's
/// CertificateRequest comes before this call). Handshake signatures are still checked, so
/// the server must hold the key of the certificate it served.
pub(super) struct CaptureVerifier {
    algorithms: WebPkiSupportedAlgorithms,
    schemes: Vec<SignatureScheme>,
    observed: Arc<Observed>,
    chain_ok: Arc<ChainCheck>,
    has_identity: bool,
}

// Written by hand: the callback has no Debug.
impl std::fmt::Debug for CaptureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureVerifier")
            .field("schemes", &self.schemes)
            .field("has_identity", &self.has_identity)
            .finish_non_exhaustive()
    }
}

/// Why the handshake was ended: the server sees the alert certificate_unknown.
#[derive(Debug)]
struct ChainRefused;

impl std::fmt::Display for ChainRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the served chain did not verify; the client certificate is withheld")
    }
}

impl std::error::Error for ChainRefused {}

impl CaptureVerifier {
    pub fn new(
        algorithms: WebPkiSupportedAlgorithms,
        filter: SigFilter,
        observed: Arc<Observed>,
        chain_ok: Arc<ChainCheck>,
        has_identity: bool,
    ) -> Self {
        // These schemes go into the ClientHello's signature_algorithms: a server holding an
        // RSA and an ECDSA certificate picks the chain whose key can sign with one of them.
        let schemes = algorithms
            .supported_schemes()
            .into_iter()
            .filter(|scheme| match filter {
                SigFilter::Any => true,
                SigFilter::Rsa => is_rsa(*scheme),
                SigFilter::Ecdsa => is_ecdsa(*scheme),
            })
            .collect();
        Self {
            algorithms,
            schemes,
            observed,
            chain_ok,
            has_identity,
        }
    }
}

fn is_rsa(scheme: SignatureScheme) -> bool {
    use SignatureScheme::*;
    matches!(
        scheme,
        RSA_PKCS1_SHA1
            | RSA_PKCS1_SHA256
            | RSA_PKCS1_SHA384
            | RSA_PKCS1_SHA512
            | RSA_PSS_SHA256
            | RSA_PSS_SHA384
            | RSA_PSS_SHA512
    )
}

fn is_ecdsa(scheme: SignatureScheme) -> bool {
    use SignatureScheme::*;
    matches!(
        scheme,
        ECDSA_SHA1_Legacy | ECDSA_NISTP256_SHA256 | ECDSA_NISTP384_SHA384 | ECDSA_NISTP521_SHA512
    )
}

impl ServerCertVerifier for CaptureVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<Vec<u8>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|cert| cert.as_ref().to_vec())
            .collect();
        let verified = (self.chain_ok)(&chain);
        *lock(&self.observed.served) = Some(chain);
        *lock(&self.observed.verdict) = Some(verified);
        let asked_for_identity = lock(&self.observed.request).is_some();
        if !verified && self.has_identity && asked_for_identity {
            self.observed.withheld.store(true, Ordering::SeqCst);
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(ChainRefused)),
            )));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// Records the server's CertificateRequest and answers it with the device identity, if any.
#[derive(Debug)]
pub(super) struct RecordingResolver {
    identity: Option<Arc<CertifiedKey>>,
    observed: Arc<Observed>,
}

impl RecordingResolver {
    pub fn new(identity: Option<Arc<CertifiedKey>>, observed: Arc<Observed>) -> Self {
        Self { identity, observed }
    }
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        *lock(&self.observed.request) = Some(CertificateRequest {
            ca_names: root_hint_subjects
                .iter()
                .map(|name| name.to_vec())
                .collect(),
            schemes: sigschemes
                .iter()
                .map(|scheme| scheme_name(*scheme))
                .collect(),
            sent: self.identity.is_some(),
        });
        self.identity.clone()
    }

    // rustls asks this before deciding whether client authentication is possible at all; we
    // always want `resolve` to be called so that the request is recorded.
    fn has_certs(&self) -> bool {
        true
    }
}

/// A session store that keeps nothing and only counts TLS 1.3 tickets.
///
/// A server sends NewSessionTickets only once it considers the handshake complete, that is
/// after it checked our certificate and Finished; a ticket is therefore the earliest proof
/// that a TLS 1.3 server accepted the client certificate (see `probe::settle`). Nothing is
/// stored because a probe never resumes.
#[derive(Debug)]
pub(super) struct TicketCounter {
    observed: Arc<Observed>,
}

impl TicketCounter {
    pub fn new(observed: Arc<Observed>) -> Self {
        Self { observed }
    }
}

impl ClientSessionStore for TicketCounter {
    fn set_kx_hint(&self, _server_name: ServerName<'static>, _group: NamedGroup) {}

    fn kx_hint(&self, _server_name: &ServerName<'_>) -> Option<NamedGroup> {
        None
    }

    fn set_tls12_session(
        &self,
        _server_name: ServerName<'static>,
        _value: Tls12ClientSessionValue,
    ) {
    }

    fn tls12_session(&self, _server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        None
    }

    fn remove_tls12_session(&self, _server_name: &ServerName<'static>) {}

    fn insert_tls13_ticket(
        &self,
        _server_name: ServerName<'static>,
        _value: Tls13ClientSessionValue,
    ) {
        self.observed.tickets.fetch_add(1, Ordering::SeqCst);
    }

    fn take_tls13_ticket(
        &self,
        _server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        None
    }
}

/// A signature scheme as rustls names it ("ECDSA_NISTP256_SHA256").
pub(super) fn scheme_name(scheme: SignatureScheme) -> String {
    match scheme.as_str() {
        Some(name) => name.to_string(),
        None => format!("{scheme:?}"),
    }
}

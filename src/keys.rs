//! Private keys: recognising, loading and matching them against certificates. Key material
//! never leaves this module in printable form: callers get the type, size and the public key.

use std::sync::Arc;

use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;

use crate::chain::KeyInfo;
use crate::source::KeyFormat;

/// A loaded private key. Debug output shows only the public half.
pub struct PrivateKey {
    pub format: KeyFormat,
    signer: Arc<dyn SigningKey>,
    /// Owned copy for handing to the TLS layer; never displayed.
    der: Vec<u8>,
    pub public: KeyInfo,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("format", &self.format)
            .field("public", &self.public.describe())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Loads an unencrypted key. Err says, in words, why the crypto library refused it.
    pub fn load(format: KeyFormat, der: &[u8]) -> Result<PrivateKey, String> {
        let signer = load_signer(format, der)?;
        let spki = signer
            .public_key()
            .ok_or_else(|| "the public key cannot be derived from this key".to_string())?;
        let public = KeyInfo::from_spki_der(spki.as_ref())
            .ok_or_else(|| "the derived public key does not parse".to_string())?;
        Ok(PrivateKey {
            format,
            signer,
            der: der.to_vec(),
            public,
        })
    }

    /// True when this key is the private half of the certificate's public key.
    pub fn matches(&self, cert_key: &KeyInfo) -> bool {
        self.public.spki_der == cert_key.spki_der
    }

    /// The key in the form the TLS layer takes.
    pub fn to_der(&self) -> PrivateKeyDer<'static> {
        self.format.der(&self.der)
    }

    pub fn signer(&self) -> Arc<dyn SigningKey> {
        self.signer.clone()
    }
}

fn load_signer(format: KeyFormat, der: &[u8]) -> Result<Arc<dyn SigningKey>, String> {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    provider
        .key_provider
        .load_private_key(format.der(der))
        .map_err(|_| {
            "the crypto library cannot load it: it is not an RSA key of 2048 to 8192 bits, an ECDSA P-256/P-384/P-521 key or an Ed25519 key (AWS IoT accepts RSA of at least 2048 bits and ECC P-256/P-384/P-521)".to_string()
        })
}

//! The device's identity as a handshake presents it: its certificate file (with any chain
//! after the device certificate) and its private key, read and checked to belong together.
//! No byte of the key appears in any message: they say which file, and what to do.

use crate::chain::Cert;
use crate::error::{Error, InputError};
use crate::keys::PrivateKey;
use crate::net::ClientIdentity;
use crate::source::{self, Input, Kind};

/// Loads the device certificate (with any chain in its file) and key; the key must match.
pub fn load(cert: &Input, key: &Input) -> Result<(ClientIdentity, Cert), Error> {
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

//! The pure chain model: certificates in the order they were given or served, and what that
//! order says (which one is the leaf, duplicates, a reversed bundle); and the other X.509
//! objects files hold, parsed: CSRs and CRLs.

mod cert;
mod crl;
mod csr;

pub use cert::{
    colon_hex, distinguished_name, sha256_hex, Cert, KeyInfo, San, SignatureFailure, Validity,
    DEFAULT_WARN_DAYS,
};

pub use crl::CrlSummary;
pub use csr::Csr;

use crate::error::InputError;
use crate::source::{self, Input, Object};

/// Certificates in given (or served) order, duplicates removed, with the leaf identified.
#[derive(Clone, Debug)]
pub struct Chain {
    pub certs: Vec<Cert>,
    /// Index of the end-entity certificate in `certs`.
    pub leaf: usize,
    /// Certificates dropped because they repeated an earlier one.
    pub duplicates: usize,
    /// The order was evidently reversed (root or intermediate first).
    pub reversed: bool,
    /// DER bytes of everything given, duplicates included.
    pub given_bytes: usize,
}

impl Chain {
    /// Arranges certificates given in this order. The first is the leaf, unless the order is
    /// evidently reversed: the first is a CA that issued another given certificate and exactly
    /// one given certificate is not a CA; then that one is the leaf.
    pub fn arrange(given: Vec<Cert>) -> Chain {
        let given_bytes = given.iter().map(|c| c.der.len()).sum();
        let mut certs: Vec<Cert> = Vec::with_capacity(given.len());
        let mut duplicates = 0;
        let mut seen = std::collections::HashSet::new();
        for cert in given {
            if seen.insert(cert.sha256.clone()) {
                certs.push(cert);
            } else {
                duplicates += 1;
            }
        }
        let mut leaf = 0;
        let mut reversed = false;
        if let Some(first) = certs.first() {
            let first_issued_another = certs[1..].iter().any(|c| c.names_issuer(first));
            let non_cas: Vec<usize> = (0..certs.len()).filter(|&i| !certs[i].is_ca()).collect();
            if first.is_ca() && first_issued_another && non_cas.len() == 1 {
                leaf = non_cas[0];
                reversed = true;
            }
        }
        Chain {
            certs,
            leaf,
            duplicates,
            reversed,
            given_bytes,
        }
    }

    pub fn leaf(&self) -> &Cert {
        &self.certs[self.leaf]
    }

    /// Every certificate but the leaf, in given order: the candidate intermediates.
    pub fn others(&self) -> Vec<&Cert> {
        self.certs
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != self.leaf)
            .map(|(_, c)| c)
            .collect()
    }

    /// Total DER bytes given, duplicates included: what a device's TLS buffer must hold for
    /// the Certificate message.
    pub fn total_bytes(&self) -> usize {
        self.given_bytes
    }
}

/// Reads every certificate from the inputs, in order. Files may be bundles, PEM or DER.
pub fn load(inputs: &[Input]) -> Result<Vec<Cert>, InputError> {
    let mut certs = Vec::new();
    for input in inputs {
        certs.extend(parse(&source::read_certificates(input)?)?);
    }
    Ok(certs)
}

/// Parses certificate objects of one file into the model, naming the block that fails.
pub fn parse(objects: &[Object]) -> Result<Vec<Cert>, InputError> {
    let count = objects.len();
    objects
        .iter()
        .map(|object| {
            let origin = object.origin(count);
            Cert::from_der(&object.der, origin.clone()).map_err(|e| {
                InputError::new(
                    origin,
                    format!("not a valid certificate ({e}): copy it again"),
                )
            })
        })
        .collect()
}

//! The fleet-wide indexes: what no single certificate shows. Each certificate leaves two
//! small entries behind, its public key's SHA-256 and a SHA-256 over its issuer's name and
//! serial number, with the position of the file that first had them; nothing else is kept,
//! so memory grows by those entries only. A repeat is reported on the later file (in path
//! order), naming the first.

use std::collections::HashMap;

use crate::finding::{Code, Finding};

/// What a certificate contributes to the indexes.
#[derive(Clone, Debug)]
pub struct IndexKeys {
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub key: [u8; 32],
    /// SHA-256 of the issuer's DER name followed by the serial number's DER content.
    pub issuer_serial: [u8; 32],
    /// The first 8 bytes of the certificate's own SHA-256: the same certificate in two files
    /// is a copy, not a cloned key.
    pub certificate: u64,
}

/// The keys and (issuer, serial) pairs seen so far.
#[derive(Default)]
pub struct FleetIndex {
    /// Key fingerprint → (position of the first file, its certificate's fingerprint prefix).
    keys: HashMap<[u8; 32], (u32, u64)>,
    /// (issuer, serial) fingerprint → position of the first file.
    serials: HashMap<[u8; 32], u32>,
}

impl FleetIndex {
    /// Room for `certificates` entries from the start: the walk knows how many files there
    /// are, and a map that grows by doubling would hold up to twice the room it needs.
    pub fn with_capacity(certificates: usize) -> FleetIndex {
        FleetIndex {
            keys: HashMap::with_capacity(certificates),
            serials: HashMap::with_capacity(certificates),
        }
    }

    /// Records the certificate of the file at `position` and returns the findings its
    /// repeats make; `name_of` names the file at an earlier position.
    pub fn observe(
        &mut self,
        position: u32,
        keys: &IndexKeys,
        name_of: impl Fn(u32) -> String,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut copy = false;
        match self.keys.get(&keys.key) {
            Some(&(first, certificate)) if certificate == keys.certificate => {
                copy = true;
                findings.push(Finding::new(
                    Code::DuplicateCertificate,
                    format!(
                        "the same certificate is also in {}: one device certificate stored twice",
                        name_of(first)
                    ),
                ));
            }
            Some(&(first, _)) => findings.push(Finding::new(
                Code::DuplicateKey,
                format!(
                    "the certificate's public key is also in the certificate of {}: two certificates share one private key (a cloned device, or keys made once for many); give each device its own key",
                    name_of(first)
                ),
            )),
            None => {
                self.keys.insert(keys.key, (position, keys.certificate));
            }
        }
        if copy {
            return findings;
        }
        match self.serials.get(&keys.issuer_serial) {
            Some(&first) => findings.push(Finding::new(
                Code::DuplicateSerial,
                format!(
                    "the certificate of {} has the same issuer and serial number: a CA must never issue one serial twice, and a CRL entry for it revokes both",
                    name_of(first)
                ),
            )),
            None => {
                self.serials.insert(keys.issuer_serial, position);
            }
        }
        findings
    }

    /// Certificates indexed (distinct keys).
    pub fn keys(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(key: u8, serial: u8, cert: u64) -> IndexKeys {
        IndexKeys {
            key: [key; 32],
            issuer_serial: [serial; 32],
            certificate: cert,
        }
    }

    #[test]
    fn repeats_are_reported_on_the_later_file_naming_the_first() {
        let mut index = FleetIndex::default();
        let name = |i: u32| format!("f{i}");
        assert!(index.observe(0, &keys(1, 1, 10), name).is_empty());
        assert!(index.observe(1, &keys(2, 2, 20), name).is_empty());
        let cloned = index.observe(2, &keys(1, 3, 30), name);
        assert_eq!(cloned.len(), 1);
        assert_eq!(cloned[0].code, Code::DuplicateKey);
        assert!(cloned[0].message.contains("f0"));
        let twin = index.observe(3, &keys(4, 2, 40), name);
        assert_eq!(twin[0].code, Code::DuplicateSerial);
        assert!(twin[0].message.contains("f1"));
        // The very same certificate again is a copy: neither a cloned key nor a reused serial.
        let copy = index.observe(4, &keys(2, 2, 20), name);
        assert_eq!(
            copy.iter().map(|f| f.code).collect::<Vec<_>>(),
            [Code::DuplicateCertificate]
        );
    }
}

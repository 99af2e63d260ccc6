//! The fleet-wide indexes: what no single certificate shows. Before any file is judged,
//! every file's device certificate leaves three small fingerprints (its public key's
//! SHA-256, a SHA-256 over its issuer's name and serial number, 8 bytes of its own SHA-256);
//! sorting them finds the groups of files that share a key or an (issuer, serial) pair, and
//! only those groups are kept. Each file's line then carries what it shares, the first file
//! of a group as much as the last: every holder of a cloned key is equally suspect, and a
//! line that went out `ok` could not be taken back.

use std::collections::HashMap;

use crate::finding::{Code, Finding};
use crate::quote::few;

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

/// The other files a message names before "… and N more".
const NAMED: usize = 3;

/// What the files of a group share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shared {
    Key,
    IssuerSerial,
}

/// Files (positions in path order, with their certificate's fingerprint prefix) that share
/// one key or one (issuer, serial) pair.
#[derive(Debug)]
struct Group {
    shared: Shared,
    members: Vec<(u32, u64)>,
}

/// The groups of files that share something; files that share nothing leave nothing here.
#[derive(Default)]
pub struct FleetIndex {
    groups: Vec<Group>,
    /// Position → the groups it is in.
    member_of: HashMap<u32, Vec<u32>>,
    /// Distinct public keys seen.
    keys: usize,
}

impl FleetIndex {
    /// The index of every file's certificate, by position in path order.
    pub fn build(entries: impl IntoIterator<Item = (u32, IndexKeys)>) -> FleetIndex {
        let mut all: Vec<(u32, IndexKeys)> = entries.into_iter().collect();
        let mut index = FleetIndex::default();
        all.sort_unstable_by_key(|a| (a.1.key, a.0));
        for run in all.chunk_by(|a, b| a.1.key == b.1.key) {
            index.keys += 1;
            if run.len() > 1 {
                index.add(Shared::Key, run);
            }
        }
        all.sort_unstable_by_key(|a| (a.1.issuer_serial, a.0));
        for run in all.chunk_by(|a, b| a.1.issuer_serial == b.1.issuer_serial) {
            // Copies of one certificate share its serial: that is no second issuance.
            let first = run[0].1.certificate;
            if run.iter().any(|(_, k)| k.certificate != first) {
                index.add(Shared::IssuerSerial, run);
            }
        }
        index.member_of.shrink_to_fit();
        index
    }

    fn add(&mut self, shared: Shared, run: &[(u32, IndexKeys)]) {
        let id = self.groups.len() as u32;
        for (position, _) in run {
            self.member_of.entry(*position).or_default().push(id);
        }
        self.groups.push(Group {
            shared,
            members: run.iter().map(|(p, k)| (*p, k.certificate)).collect(),
        });
    }

    /// What the file at `position` (whose certificate's fingerprint prefix is `certificate`)
    /// shares with other files, as findings; `name_of` names the file at a position.
    pub fn findings(
        &self,
        position: u32,
        certificate: u64,
        name_of: impl Fn(u32) -> String,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        let Some(groups) = self.member_of.get(&position) else {
            return findings;
        };
        let names = |members: Vec<u32>| {
            let names: Vec<String> = members.into_iter().map(&name_of).collect();
            few(&names, NAMED, ", ")
        };
        for &id in groups {
            let group = &self.groups[id as usize];
            let others = |same: bool| -> Vec<u32> {
                group
                    .members
                    .iter()
                    .filter(|(p, c)| *p != position && (*c == certificate) == same)
                    .map(|(p, _)| *p)
                    .collect()
            };
            match group.shared {
                Shared::Key => {
                    let copies = others(true);
                    if !copies.is_empty() {
                        findings.push(Finding::new(
                            Code::DuplicateCertificate,
                            format!(
                                "the same certificate is also in {}: one device certificate stored more than once",
                                names(copies)
                            ),
                        ));
                    }
                    let sharers = others(false);
                    if !sharers.is_empty() {
                        let count = sharers.len() + 1;
                        findings.push(Finding::new(
                            Code::DuplicateKey,
                            format!(
                                "the certificate's public key is also in the certificate of {}: {count} files hold certificates of one private key (a cloned device, or keys made once for many), and each of them is suspect; give each device its own key",
                                names(sharers)
                            ),
                        ));
                    }
                }
                Shared::IssuerSerial => {
                    let twins = others(false);
                    if !twins.is_empty() {
                        findings.push(Finding::new(
                            Code::DuplicateSerial,
                            format!(
                                "the certificate of {} has the same issuer and serial number: a CA must never issue one serial twice, and a CRL entry for it revokes all of them",
                                names(twins)
                            ),
                        ));
                    }
                }
            }
        }
        findings
    }

    /// Certificates indexed (distinct keys).
    pub fn keys(&self) -> usize {
        self.keys
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

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn every_sharer_is_flagged_naming_the_others() {
        let files = [
            keys(1, 1, 10), // 0: shares its key with 2
            keys(2, 2, 20), // 1: shares its serial with 3; copied in 4
            keys(1, 3, 30), // 2
            keys(4, 2, 40), // 3
            keys(2, 2, 20), // 4: a copy of 1
            keys(5, 5, 50), // 5: shares nothing
        ];
        let index = FleetIndex::build(
            files
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, k)| (i as u32, k)),
        );
        let name = |i: u32| format!("f{i}");
        let at = |i: usize| index.findings(i as u32, files[i].certificate, name);

        // The first of the pair as much as the second.
        for (me, other) in [(0, "f2"), (2, "f0")] {
            let found = at(me);
            assert_eq!(codes(&found), [Code::DuplicateKey], "f{me}");
            assert!(found[0].message.contains(other), "{}", found[0].message);
            assert!(found[0].message.contains("2 files"), "{}", found[0].message);
        }
        for (me, other) in [(1, "f3"), (3, "f1")] {
            let found = at(me);
            assert!(codes(&found).contains(&Code::DuplicateSerial), "f{me}");
            let serial = found
                .iter()
                .find(|f| f.code == Code::DuplicateSerial)
                .unwrap();
            assert!(serial.message.contains(other), "{}", serial.message);
        }
        // f4 is a copy of f1, so it is f3's twin as well, but not f1's.
        let f1 = at(1);
        let serial = f1.iter().find(|f| f.code == Code::DuplicateSerial).unwrap();
        assert!(
            !serial.message.contains("f4"),
            "a copy is no twin: {}",
            serial.message
        );
        // A copy is a copy on both sides: neither a cloned key nor a reused serial.
        for (me, other) in [(1, "f4"), (4, "f1")] {
            let found = at(me);
            let copy = found
                .iter()
                .find(|f| f.code == Code::DuplicateCertificate)
                .unwrap();
            assert!(copy.message.contains(other), "{}", copy.message);
            assert!(!codes(&found).contains(&Code::DuplicateKey), "f{me}");
        }
        assert!(at(5).is_empty());
        assert_eq!(index.keys(), 4);
    }

    #[test]
    fn a_large_group_names_a_few_and_counts_the_rest() {
        let files: Vec<(u32, IndexKeys)> =
            (0..1000).map(|i| (i, keys(9, i as u8, i as u64))).collect();
        let index = FleetIndex::build(files);
        let found = index.findings(500, 500, |i| format!("f{i}"));
        let message = &found
            .iter()
            .find(|f| f.code == Code::DuplicateKey)
            .unwrap()
            .message;
        assert!(message.contains("f0, f1, f2 … and 996 more"), "{message}");
        assert!(message.contains("1000 files"), "{message}");
    }
}

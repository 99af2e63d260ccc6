//! The fleet's running summary: counters kept as the files stream past (per finding code,
//! per issuing CA, notAfter by month), bounded whatever the fleet's size: a few file names
//! per code, at most [`MAX_CAS`] CAs by name.

use std::collections::BTreeMap;

use super::FileVerdict;
use crate::finding::{Code, Finding, Verdict};

/// File names kept per code, for the summary to point at.
pub const FIRST_FILES: usize = 5;

/// CAs counted by name; certificates of further CAs are counted under [`OTHER_CAS`].
pub const MAX_CAS: usize = 100;

/// The name the certificates of CAs beyond [`MAX_CAS`] are counted under.
pub const OTHER_CAS: &str = "(other CAs)";

/// Counts over every file judged so far.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub files: usize,
    /// Files with a device certificate.
    pub certificates: usize,
    /// Files without one (`file_not_certificate`, or a certificate too damaged to parse).
    pub other_files: usize,
    /// Files with an error finding.
    pub failing: usize,
    /// Per code: how many files have it, and the first few of them (in path order).
    pub by_code: BTreeMap<Code, CodeCount>,
    /// Certificates by the (year, month) of their notAfter.
    pub expiry_by_month: BTreeMap<(i32, u8), usize>,
    /// Per issuing CA (the device certificate's issuer name).
    pub by_ca: BTreeMap<String, CaCounts>,
    /// Symbolic links inside the directories, not followed.
    pub symlinks_skipped: usize,
    /// What is wrong with the run's own inputs (the CRLs), not with one file.
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug, Default)]
pub struct CodeCount {
    pub files: usize,
    pub first_files: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct CaCounts {
    pub certificates: usize,
    /// Certificates with an error finding.
    pub failing: usize,
    /// Certificates with a finding of each code.
    pub findings: BTreeMap<Code, usize>,
    /// The earliest notAfter of the CA's certificates (unix seconds).
    pub earliest_not_after: Option<i64>,
    /// Certificates still valid that expire within the warning window (`expires_soon`).
    pub expiring: usize,
}

impl Summary {
    pub fn new(findings: Vec<Finding>, symlinks_skipped: usize) -> Summary {
        Summary {
            findings,
            symlinks_skipped,
            ..Summary::default()
        }
    }

    /// Counts one file.
    pub fn add(&mut self, file: &FileVerdict) {
        self.files += 1;
        if file.verdict == Verdict::Fail {
            self.failing += 1;
        }
        let mut codes: Vec<Code> = file.findings.iter().map(|f| f.code).collect();
        codes.sort();
        codes.dedup();
        for &code in &codes {
            let count = self.by_code.entry(code).or_default();
            count.files += 1;
            if count.first_files.len() < FIRST_FILES {
                count.first_files.push(file.file.clone());
            }
        }
        let Some(cert) = &file.certificate else {
            self.other_files += 1;
            return;
        };
        self.certificates += 1;
        if let Some(month) = month_of(cert.not_after) {
            *self.expiry_by_month.entry(month).or_default() += 1;
        }
        let ca = if self.by_ca.contains_key(&cert.issuer) || self.by_ca.len() < MAX_CAS {
            cert.issuer.clone()
        } else {
            OTHER_CAS.to_string()
        };
        let counts = self.by_ca.entry(ca).or_default();
        counts.certificates += 1;
        if file.verdict == Verdict::Fail {
            counts.failing += 1;
        }
        for &code in &codes {
            *counts.findings.entry(code).or_default() += 1;
        }
        if codes.contains(&Code::ExpiresSoon) {
            counts.expiring += 1;
        }
        counts.earliest_not_after = Some(
            counts
                .earliest_not_after
                .map_or(cert.not_after, |e| e.min(cert.not_after)),
        );
    }

    /// Fails when a file has an error finding, or the run's own inputs do (a CRL that cannot
    /// be used: revocation was not checked as asked).
    pub fn verdict(&self) -> Verdict {
        if self.failing > 0 || self.findings.iter().any(Finding::is_error) {
            Verdict::Fail
        } else {
            Verdict::Ok
        }
    }

    /// The codes found, errors first, then by how many files have them.
    pub fn codes_by_weight(&self) -> Vec<(Code, &CodeCount)> {
        let mut codes: Vec<(Code, &CodeCount)> =
            self.by_code.iter().map(|(c, n)| (*c, n)).collect();
        codes.sort_by_key(|(code, count)| (code.severity(), std::cmp::Reverse(count.files)));
        codes
    }
}

/// (year, month) of a unix instant, UTC.
pub fn month_of(secs: i64) -> Option<(i32, u8)> {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .map(|t| (t.year(), t.month() as u8))
}

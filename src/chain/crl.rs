//! A certificate revocation list's few facts, as read, without judging it (its signature,
//! its use for revocation: that is `verify::crl`).

use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// What a CRL says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlSummary {
    pub issuer: String,
    /// Unix seconds.
    pub this_update: i64,
    pub next_update: Option<i64>,
    pub revoked: usize,
}

impl CrlSummary {
    /// Parses a DER CRL; None when it is not one.
    pub fn from_der(der: &[u8]) -> Option<CrlSummary> {
        let (_, crl) = CertificateRevocationList::from_der(der).ok()?;
        Some(CrlSummary {
            issuer: crl.issuer().to_string(),
            this_update: crl.last_update().timestamp(),
            next_update: crl.next_update().map(|t| t.timestamp()),
            revoked: crl.iter_revoked_certificates().count(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        date_time_ymd, CertificateParams, CertificateRevocationListParams, DnType, Issuer,
        KeyIdMethod, KeyPair, RevokedCertParams, SerialNumber,
    };

    #[test]
    fn a_crl_says_its_issuer_dates_and_revocations() {
        let mut params = CertificateParams::new(Vec::new()).expect("no names");
        params
            .distinguished_name
            .push(DnType::CommonName, "Fleet CA 1");
        let issuer = Issuer::new(params, KeyPair::generate().expect("a P-256 key"));
        let revoked = |serial: u64| RevokedCertParams {
            serial_number: SerialNumber::from(serial),
            revocation_time: date_time_ymd(2026, 1, 2),
            reason_code: None,
            invalidity_date: None,
        };
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2026, 1, 2),
            next_update: date_time_ymd(2026, 2, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: vec![revoked(7), revoked(8)],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer)
        .expect("a CRL");
        // 2026-01-02 and 2026-02-01, 00:00 UTC.
        assert_eq!(
            CrlSummary::from_der(crl.der()),
            Some(CrlSummary {
                issuer: "CN=Fleet CA 1".to_string(),
                this_update: 1_767_312_000,
                next_update: Some(1_769_904_000),
                revoked: 2,
            })
        );
        assert_eq!(CrlSummary::from_der(b"not a CRL"), None);
    }
}

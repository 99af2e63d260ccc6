//! `credentials`: the `device` lint of the certificate and key (key ↔ certificate, key type,
//! validity, clientAuth), less what the files stage judges by the client's rule.

use super::route::{self, Context, Engine};
use super::{round, Earlier, Stage, StageId};
use crate::doctor::facts::{Credentials, Facts};
use crate::doctor::verdict::Evidence;
use crate::finding::Code;

pub fn judge(facts: &Facts, _earlier: &Earlier) -> Stage {
    let id = StageId::Credentials;
    let stage = match &facts.credentials.state {
        Credentials::InToken => Stage::skipped(
            id,
            "the key or certificate is in a PKCS#11 token: doctor cannot read it, nor present it",
        ),
        Credentials::NotNamed => {
            Stage::blocked(id, StageId::Config, "no device certificate or key is named")
        }
        Credentials::Unreadable => Stage::blocked(
            id,
            StageId::Files,
            "the device certificate or key cannot be read",
        ),
        Credentials::NotLoaded(findings) => Stage::judged(id, findings.clone(), 0.0),
        Credentials::Linted(findings) => Stage::judged(
            id,
            route::routed(findings, Engine::Lint, Context::default(), id)
                .cloned()
                .collect(),
            0.0,
        ),
    };
    Stage {
        duration_ms: round(facts.millis.credentials),
        ..stage
    }
}

pub fn advice(stage: &Stage, _evidence: &Evidence) -> String {
    match stage.lead() {
        Some(Code::KeyMismatch) => "The private key does not belong to the device certificate: install the key created with this certificate (or the certificate AWS IoT issued for this key).".into(),
        Some(Code::Expired) => "The device certificate has expired: issue a new one (aws iot create-certificate-from-csr --set-as-active), attach the thing's policy to it and install it on the device.".into(),
        Some(Code::NotYetValid) => "The device certificate is not valid yet at the device's time: set the device's clock (NTP or SNTP), or check the certificate's notBefore.".into(),
        Some(Code::Revoked) => "The device certificate is revoked: issue and register a new one, and install it on the device.".into(),
        Some(Code::ClientAuthNotAllowed) => "The device certificate does not allow TLS client authentication (its extended key usage lacks clientAuth): issue one that does, e.g. with aws iot create-certificate-from-csr.".into(),
        Some(Code::CertIsCa) => "The file named as the device certificate holds a CA certificate: name the device's own certificate (certificate.pem.crt as AWS IoT issued it).".into(),
        Some(Code::WeakKey | Code::UnsupportedKeyType) => "AWS IoT accepts RSA keys of 2048 bits or more and ECC P-256, P-384 or P-521 keys: create such a key and a certificate for it.".into(),
        Some(Code::ThingMismatch) => "The certificate is not the thing's: install the certificate issued for this thing, or name the right thing (--thing).".into(),
        Some(Code::KeyEncrypted) => "The private key is encrypted with a passphrase, which the device's client cannot use: store it unencrypted, readable only by the device's user.".into(),
        Some(
            Code::CertFileHoldsKey
            | Code::CertFileHoldsCsr
            | Code::CertFileHoldsPublicKey
            | Code::CertFileNotCertificate
            | Code::CertOrder
            | Code::Malformed,
        ) => "The file named as the device certificate does not hold a usable one (the credentials findings say what it holds): name the certificate AWS IoT issued (certificate.pem.crt).".into(),
        Some(
            Code::KeyFileHoldsCertificate
            | Code::KeyFileHoldsPublicKey
            | Code::KeyFileHoldsCsr
            | Code::KeyFileNotKey
            | Code::KeyUnreadable
            | Code::SeveralKeys
            | Code::DerNotPem,
        ) => "The file named as the private key does not hold one usable key (the credentials findings say what it holds): name the device's private key file (private.pem.key), in PEM.".into(),
        _ => "Install the device certificate and the private key that belong together, as AWS IoT issued or registered them (the credentials findings say what is wrong).".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{facts, failed};
    use crate::doctor::stages::Status;
    use crate::finding::Finding;

    #[test]
    fn the_stage_follows_how_far_the_credentials_got() {
        let lint = vec![
            Finding::new(Code::KeyMismatch, "the key is another's"),
            Finding::new(Code::KeyPermissions, "open key"),
        ];
        let cases = [
            (Credentials::InToken, Status::Skipped, None, vec![]),
            (
                Credentials::NotNamed,
                Status::Skipped,
                Some(StageId::Config),
                vec![],
            ),
            (
                Credentials::Unreadable,
                Status::Skipped,
                Some(StageId::Files),
                vec![],
            ),
            (
                Credentials::NotLoaded(vec![Finding::new(Code::KeyFileNotKey, "no key")]),
                Status::Fail,
                None,
                vec![Code::KeyFileNotKey],
            ),
            // The key's mode is the files stage's: the lint's word on it is left out.
            (
                Credentials::Linted(lint),
                Status::Fail,
                None,
                vec![Code::KeyMismatch],
            ),
            (Credentials::Linted(vec![]), Status::Ok, None, vec![]),
        ];
        for (state, status, depends_on, codes) in cases {
            let mut facts = facts();
            facts.credentials.state = state;
            let stage = judge(&facts, &Earlier(&[]));
            assert_eq!(stage.status, status);
            assert_eq!(stage.depends_on, depends_on);
            let got: Vec<Code> = stage.findings.iter().map(|f| f.code).collect();
            assert_eq!(got, codes);
        }
    }

    #[test]
    fn the_advice_says_what_is_wrong_with_the_pair() {
        let none = Evidence::default();
        for (code, words) in [
            (
                Code::KeyMismatch,
                "does not belong to the device certificate",
            ),
            (Code::Expired, "has expired"),
            (Code::NotYetValid, "set the device's clock"),
            (Code::KeyFileNotKey, "private.pem.key"),
            (Code::CertFileHoldsKey, "certificate.pem.crt"),
        ] {
            let text = advice(&failed(StageId::Credentials, code), &none);
            assert!(text.contains(words), "{code}: {text}");
        }
    }
}

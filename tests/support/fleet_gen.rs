//! A deterministic device fleet for `iotcheck fleet`: one device CA, its CRL (current, and an
//! expired one), a second CA with a CRL of its own, `count` clean device certificates and,
//! when asked, one file per planted fault with the finding it must cause, and junk files.
//! Used by the integration tests (small fleets, in a temporary directory) and by
//! `examples/gen_fleet.rs` (the benchmark's 10,000 and 100,000).
//!
//! The same `count` and `seed` give the same file names, subjects, serial numbers, validity
//! periods, CRL entries and planted faults on every run. Not byte-identical: every key is
//! generated afresh (each clean certificate has a key of its own, so a shared key is only
//! ever a planted one), and ECDSA signatures are randomised by the crypto library.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose, PublicKeyData, RevocationReason, RevokedCertParams, SerialNumber,
    SignatureAlgorithm, PKCS_ECDSA_P256_SHA256, PKCS_ED25519,
};
use time::OffsetDateTime;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The instant the fleet is meant to be judged at: every clean certificate is valid then and
/// for more than 30 days after, the CRL is current, the expired CRL is past its nextUpdate.
pub const AT: &str = "2026-06-01T00:00:00Z";

/// The CN pattern every clean (and almost every planted) certificate matches.
pub const THING_PATTERN: &str = "Thing-[0-9]+";

/// Every clean certificate whose number is a multiple of this is on the CRL (superseded).
pub const REVOKED_EVERY: usize = 100;

/// What was written, and what each planted file must show.
pub struct Fleet {
    pub root: PathBuf,
    /// The device CA (PEM).
    pub ca: PathBuf,
    /// Its CRL, current at [`AT`].
    pub crl: PathBuf,
    /// Its CRL, past its nextUpdate at [`AT`].
    pub crl_expired: PathBuf,
    /// Another CA, and a CRL it signed.
    pub other_ca: PathBuf,
    pub crl_other_ca: PathBuf,
    /// The directory of device certificates (what `fleet` is pointed at).
    pub devices: PathBuf,
    /// Clean certificates, by path relative to `devices`: no error and no warning.
    pub clean: Vec<String>,
    /// Clean certificates listed on the CRL: `revoked` and nothing else.
    pub revoked: Vec<String>,
    /// Planted files (relative to `devices`) and the code each must show.
    pub planted: Vec<(String, &'static str)>,
}

impl Fleet {
    /// With planted faults: `keys/revoked.key` (the key of `devices/faults/revoked.pem`),
    /// and a clean pair `keys/clean.pem`, `keys/clean.key`, outside the fleet's directory.
    pub fn keys(&self) -> PathBuf {
        self.root.join("keys")
    }
}

/// Writes a fleet of `count` clean certificates (and, with `plant`, the planted faults and
/// junk) under `root`, which must exist.
pub fn generate(root: &Path, count: usize, seed: u64, plant: bool) -> Result<Fleet> {
    let ca_dir = root.join("ca");
    let devices = root.join("devices");
    fs::create_dir_all(&ca_dir)?;
    fs::create_dir_all(&devices)?;

    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let device_ca = ca_params("Fleet Device CA", seed, 0);
    let ca_cert = device_ca.self_signed(&ca_key)?;
    let ca = Issuer::new(device_ca, ca_key);
    let other_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let other_params = ca_params("Other Device CA", seed, 1);
    let other_cert = other_params.self_signed(&other_key)?;
    let other = Issuer::new(other_params, other_key);
    write(&ca_dir.join("ca.pem"), ca_cert.pem())?;
    write(&ca_dir.join("other-ca.pem"), other_cert.pem())?;

    // Clean certificates, spread over directories of 1,000, in parallel: distinct keys each.
    let clean: Vec<(String, SerialNumber, bool)> = (0..count)
        .into_par_iter()
        .map(|i| -> Result<(String, SerialNumber, bool)> {
            let name = thing(i);
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
            let params = device_params(&name, serial(seed, &name), clean_validity(i));
            let cert = params.signed_by(&key, &ca)?;
            let dir = format!("{:03}", i / 1000);
            // A few in DER, a few with their CA after them, as fleets hold them.
            let (rel, bytes) = match i % 50 {
                7 => (format!("{dir}/{name}.crt"), cert.der().to_vec()),
                13 => (
                    format!("{dir}/{name}-chain.pem"),
                    (cert.pem() + &ca_cert.pem()).into_bytes(),
                ),
                _ => (format!("{dir}/{name}.pem"), cert.pem().into_bytes()),
            };
            let path = devices.join(&rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            write(&path, bytes)?;
            Ok((
                rel,
                params
                    .serial_number
                    .clone()
                    .unwrap_or_else(|| serial(seed, &name)),
                i > 0 && i % REVOKED_EVERY == 0,
            ))
        })
        .collect::<Result<Vec<_>>>()?;

    let mut revoked_serials: Vec<(SerialNumber, RevocationReason)> = clean
        .iter()
        .filter(|(_, _, revoked)| *revoked)
        .map(|(_, s, _)| (s.clone(), RevocationReason::Superseded))
        .collect();
    let mut fleet = Fleet {
        root: root.to_path_buf(),
        ca: ca_dir.join("ca.pem"),
        crl: ca_dir.join("crl.pem"),
        crl_expired: ca_dir.join("crl-expired.pem"),
        other_ca: ca_dir.join("other-ca.pem"),
        crl_other_ca: ca_dir.join("crl-other-ca.pem"),
        devices: devices.clone(),
        clean: clean
            .iter()
            .filter(|(_, _, r)| !r)
            .map(|(rel, _, _)| rel.clone())
            .collect(),
        revoked: clean
            .iter()
            .filter(|(_, _, r)| *r)
            .map(|(rel, _, _)| rel.clone())
            .collect(),
        planted: Vec::new(),
    };

    if plant {
        let revoked_serial = plant_faults(&devices, seed, &ca, &other, &mut fleet)?;
        revoked_serials.push((revoked_serial, RevocationReason::KeyCompromise));
    }

    let crl = |next_update: OffsetDateTime, issuer: &Issuer<'_, KeyPair>| {
        CertificateRevocationListParams {
            this_update: date_time_ymd(2026, 5, 1),
            next_update,
            crl_number: SerialNumber::from(seed.wrapping_add(1)),
            issuing_distribution_point: None,
            revoked_certs: revoked_serials
                .iter()
                .map(|(serial, reason)| RevokedCertParams {
                    serial_number: serial.clone(),
                    revocation_time: date_time_ymd(2026, 3, 1),
                    reason_code: Some(*reason),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(issuer)
    };
    write(&fleet.crl, crl(date_time_ymd(2026, 7, 1), &ca)?.pem()?)?;
    write(
        &fleet.crl_expired,
        crl(date_time_ymd(2026, 5, 15), &ca)?.pem()?,
    )?;
    write(
        &fleet.crl_other_ca,
        crl(date_time_ymd(2026, 7, 1), &other)?.pem()?,
    )?;
    Ok(fleet)
}

/// One file per finding, under `faults/`, and junk under `junk/`. Returns the serial the
/// CRL must list for `faults/revoked.pem`.
fn plant_faults(
    devices: &Path,
    seed: u64,
    ca: &Issuer<'_, KeyPair>,
    other: &Issuer<'_, KeyPair>,
    fleet: &mut Fleet,
) -> Result<SerialNumber> {
    fs::create_dir_all(devices.join("faults"))?;
    fs::create_dir_all(devices.join("junk"))?;
    let good = clean_validity(1);
    let mut plant = |name: &str, code: &'static str, pem: String| -> Result<()> {
        write(&devices.join("faults").join(name), pem)?;
        fleet.planted.push((format!("faults/{name}"), code));
        Ok(())
    };
    let signed = |cn: &str,
                  validity: (OffsetDateTime, OffsetDateTime)|
     -> Result<(String, CertificateParams, KeyPair)> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let params = device_params(cn, serial(seed, cn), validity);
        let pem = params.signed_by(&key, ca)?.pem();
        Ok((pem, params, key))
    };

    let (pem, _, _) = signed(
        "Thing-900001",
        (date_time_ymd(2025, 1, 1), date_time_ymd(2026, 1, 1)),
    )?;
    plant("expired.pem", "expired", pem)?;
    let (pem, _, _) = signed(
        "Thing-900002",
        (date_time_ymd(2027, 1, 1), date_time_ymd(2029, 1, 1)),
    )?;
    plant("not-yet-valid.pem", "not_yet_valid", pem)?;
    let (pem, _, _) = signed(
        "Thing-900003",
        (date_time_ymd(2025, 6, 1), date_time_ymd(2026, 6, 15)),
    )?;
    plant("expires-soon.pem", "expires_soon", pem)?;

    let weak = RawPublicKey::rsa(include_str!("../../fixtures/keys/rsa1024.pub.pem"))?;
    let params = device_params("Thing-900004", serial(seed, "Thing-900004"), good);
    plant(
        "weak-key.pem",
        "weak_key",
        params.signed_by(&weak, ca)?.pem(),
    )?;

    let ed = KeyPair::generate_for(&PKCS_ED25519)?;
    let params = device_params("Thing-900005", serial(seed, "Thing-900005"), good);
    plant(
        "ed25519.pem",
        "unsupported_key_type",
        params.signed_by(&ed, ca)?.pem(),
    )?;

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = device_params("Thing-900006", serial(seed, "Thing-900006"), good);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    plant(
        "server-only.pem",
        "client_auth_not_allowed",
        params.signed_by(&key, ca)?.pem(),
    )?;

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = device_params("Thing-900007", serial(seed, "Thing-900007"), good);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    plant(
        "ca-as-device.pem",
        "cert_is_ca",
        params.signed_by(&key, ca)?.pem(),
    )?;

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let params = device_params("Thing-900008", serial(seed, "Thing-900008"), good);
    plant(
        "other-ca.pem",
        "device_ca_mismatch",
        params.signed_by(&key, other)?.pem(),
    )?;

    let (pem, params, key) = signed("Thing-900009", good)?;
    let revoked_serial = params
        .serial_number
        .clone()
        .unwrap_or_else(|| serial(seed, "x"));
    plant("revoked.pem", "revoked", pem)?;
    // For `device --crl`: the revoked certificate's key, and a clean pair, outside the fleet.
    let keys = devices.parent().unwrap_or(devices).join("keys");
    fs::create_dir_all(&keys)?;
    write_key(&keys.join("revoked.key"), &key)?;
    let (pem, _, key) = signed("Thing-900016", good)?;
    write(&keys.join("clean.pem"), pem)?;
    write_key(&keys.join("clean.key"), &key)?;

    // One key in two certificates: both are flagged, each naming the other.
    let shared = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let params = device_params("Thing-900010", serial(seed, "Thing-900010"), good);
    plant(
        "cloned-key-a.pem",
        "duplicate_key",
        params.signed_by(&shared, ca)?.pem(),
    )?;
    let params = device_params("Thing-900011", serial(seed, "Thing-900011"), good);
    plant(
        "cloned-key-b.pem",
        "duplicate_key",
        params.signed_by(&shared, ca)?.pem(),
    )?;

    // One serial twice from one CA, two keys.
    let twin = serial(seed, "twin");
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let params = device_params("Thing-900012", twin.clone(), good);
    plant(
        "serial-twin-a.pem",
        "duplicate_serial",
        params.signed_by(&key, ca)?.pem(),
    )?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let params = device_params("Thing-900013", twin, good);
    plant(
        "serial-twin-b.pem",
        "duplicate_serial",
        params.signed_by(&key, ca)?.pem(),
    )?;

    let (pem, _, _) = signed("printer-7", good)?;
    plant("bad-name.pem", "thing_pattern_mismatch", pem)?;

    // The same certificate stored twice: a copy, not a cloned key.
    let (pem, _, _) = signed("Thing-900014", good)?;
    plant("copy-a.pem", "duplicate_certificate", pem.clone())?;
    plant("copy-b.pem", "duplicate_certificate", pem)?;

    // Signed with SHA-1 (rcgen cannot: OpenSSL's static leaf of the fixtures).
    plant(
        "sha1.pem",
        "unsupported_signature_algorithm",
        include_str!("../../fixtures/static/sha1-leaf.pem").to_string(),
    )?;

    // A certificate block that is damaged: a broken certificate, not junk.
    let (pem, _, _) = signed("Thing-900015", good)?;
    let damaged = pem.replacen("MII", "M!I", 1);
    plant("damaged.pem", "malformed", damaged)?;

    // Junk: reported, never fatal.
    let junk: [(&str, String); 5] = [
        (
            "README.txt",
            "Device certificates, one file per thing.\n".into(),
        ),
        ("empty.pem", String::new()),
        (
            "device.key",
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?.serialize_pem(),
        ),
        ("Thing-csr.csr", csr("Thing-csr")?),
        ("notes.bin", "\u{1}\u{2}binary".into()),
    ];
    for (name, text) in junk {
        write(&devices.join("junk").join(name), text)?;
        fleet
            .planted
            .push((format!("junk/{name}"), "file_not_certificate"));
    }
    Ok(revoked_serial)
}

/// A certificate signing request, as left beside certificates.
fn csr(cn: &str) -> Result<String> {
    let mut params = CertificateParams::default();
    params.distinguished_name = common_name(cn);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    Ok(params.serialize_request(&key)?.pem()?)
}

fn ca_params(cn: &str, seed: u64, which: u8) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = common_name(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(2045, 1, 1);
    params.serial_number = Some(serial(seed, &format!("ca {which}")));
    params
}

/// A device certificate: CN = the thing name, clientAuth and serverAuth (so that
/// `verify-chain` can judge one too), digitalSignature.
fn device_params(
    cn: &str,
    serial: SerialNumber,
    (not_before, not_after): (OffsetDateTime, OffsetDateTime),
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = common_name(cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(serial);
    params
}

/// Clean certificate `i`: issued in 2025 or early 2026, expiring over the 36 months from
/// January 2027, so that the notAfter histogram has a shape.
fn clean_validity(i: usize) -> (OffsetDateTime, OffsetDateTime) {
    let start = date_time_ymd(2025, (i % 12) as u8 + 1, (i % 28) as u8 + 1);
    let month = i % 36;
    let end = date_time_ymd(
        2027 + (month / 12) as i32,
        (month % 12) as u8 + 1,
        (i % 28) as u8 + 1,
    );
    (start, end)
}

/// "Thing-000042".
pub fn thing(i: usize) -> String {
    format!("Thing-{i:06}")
}

/// 16 bytes of SHA-256 over the seed and a name, positive and without a leading zero byte.
fn serial(seed: u64, name: &str) -> SerialNumber {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("iotcheck fleet {seed} {name}").as_bytes(),
    );
    let mut bytes = digest.as_ref()[..16].to_vec();
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    SerialNumber::from_slice(&bytes)
}

fn common_name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// A private key, readable by its owner only (as `device` wants it).
fn write_key(path: &Path, key: &KeyPair) -> Result<()> {
    write(path, key.serialize_pem())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    fs::write(path, bytes.as_ref()).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// A public key given as a SubjectPublicKeyInfo: an RSA key under 2048 bits, which the crypto
/// library refuses to load as a private key.
struct RawPublicKey {
    subject_public_key: Vec<u8>,
}

impl RawPublicKey {
    fn rsa(pem_text: &str) -> Result<RawPublicKey> {
        use x509_parser::prelude::FromDer;
        let der = ::pem::parse(pem_text)?.into_contents();
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&der)
            .map_err(|e| format!("the RSA 1024 public key: {e}"))?;
        Ok(RawPublicKey {
            subject_public_key: spki.subject_public_key.data.to_vec(),
        })
    }
}

impl PublicKeyData for RawPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.subject_public_key
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

/// `count` CA certificates (PEM) named like the fleet's device CA, each with a key of its own:
/// decoys that no fleet certificate chains to.
pub fn decoy_cas(count: usize) -> Result<String> {
    let mut pem = String::new();
    for which in 0..count {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let params = ca_params("Fleet Device CA", 99, (which % 200) as u8);
        pem.push_str(&params.self_signed(&key)?.pem());
    }
    Ok(pem)
}

//! `iotcheck csr`: creates a device key and a certificate signing request for it, so that the
//! key never leaves the device. Each file is written whole or not at all (the key with mode
//! 0400 from its first byte), neither is ever overwritten, and a failure leaves neither
//! behind. Key material is written to the key file only, never shown.

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, RsaKeySize};

use crate::error::Error;
use crate::keys::PrivateKey;
use crate::outcome::Outcome;
use crate::output::{Placement, Target};
use crate::quote::shell_quote;
use crate::report::csr::{self, CsrReport};
use crate::report::{human, json, KeyView, SCHEMA_VERSION};
use crate::source::KeyFormat;

/// The key types a device key can be made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    EcP256,
    EcP384,
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

pub struct Settings {
    pub thing: String,
    pub key_type: KeyType,
    pub out: PathBuf,
    pub json: bool,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    check_thing_name(&settings.thing)?;
    if !settings.out.is_dir() {
        return Err(Error::Usage(format!(
            "--out {}: no such directory: create it first",
            settings.out.display()
        )));
    }
    let key_path = in_out(&settings.out, &format!("{}.key", settings.thing));
    let csr_path = in_out(&settings.out, &format!("{}.csr", settings.thing));
    // Both paths are checked before anything is written, so that a refusal leaves no half
    // pair behind; create_new below closes the remaining race.
    for path in [&key_path, &csr_path] {
        if path.symlink_metadata().is_ok() {
            return Err(Error::Usage(format!(
                "{} already exists and is never overwritten: nothing was written; move it away or choose another --out",
                path.display()
            )));
        }
    }

    let key_pair = generate(settings.key_type)?;
    let csr_pem = csr_for(&settings.thing, &key_pair)?;
    let key_pem = key_pair.serialize_pem();
    // Loading the key back through the same code the other commands use gives its public
    // half in the report's terms and proves the written key is one TLS libraries accept.
    let public = PrivateKey::load(KeyFormat::Pkcs8, key_pair.serialized_der())
        .map_err(|e| Error::Usage(format!("the generated key does not load ({e})")))?
        .public;

    new_file(&key_path, 0o400).write(key_pem.as_bytes())?;
    if let Err(e) = new_file(&csr_path, 0o644).write(csr_pem.as_bytes()) {
        // A key without its CSR is of no use and would block the next run.
        let _ = std::fs::remove_file(&key_path);
        return Err(e);
    }

    let key_file = key_path.display().to_string();
    let csr_file = csr_path.display().to_string();
    let next_step = format!(
        "aws iot create-certificate-from-csr --certificate-signing-request {} --set-as-active",
        shell_quote(&format!("file://{csr_file}"))
    );
    let report = CsrReport {
        schema_version: SCHEMA_VERSION,
        command: "csr",
        thing: settings.thing.clone(),
        key_file,
        csr_file,
        key_type: key_type_name(settings.key_type),
        public_key: KeyView::of(&public),
        next_step,
    };
    let stdout = if settings.json {
        json::to_line(&report)
    } else {
        csr::render(&report)
    };
    Ok(Outcome::new(stdout, true))
}

/// `name` inside `out`; plain `name` for the current directory, as the user would type it.
fn in_out(out: &Path, name: &str) -> PathBuf {
    if out == Path::new(".") {
        PathBuf::from(name)
    } else {
        out.join(name)
    }
}

/// AWS IoT thing names: 1 to 128 of `a-z A-Z 0-9 : _ -`. Also what keeps the file names
/// inside `--out`.
fn check_thing_name(thing: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-');
    if thing.is_empty() || thing.len() > 128 || !thing.chars().all(allowed) {
        return Err(Error::Usage(format!(
            "--thing {}: not a valid thing name: use 1 to 128 letters, digits, ':', '_' or '-'",
            human::clean(&format!("{thing:?}"))
        )));
    }
    Ok(())
}

fn key_type_name(choice: KeyType) -> &'static str {
    match choice {
        KeyType::EcP256 => "ec-p256",
        KeyType::EcP384 => "ec-p384",
        KeyType::Rsa2048 => "rsa-2048",
        KeyType::Rsa3072 => "rsa-3072",
        KeyType::Rsa4096 => "rsa-4096",
    }
}

fn generate(choice: KeyType) -> Result<KeyPair, Error> {
    let rsa = |size| KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size);
    let result = match choice {
        KeyType::EcP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
        KeyType::EcP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        KeyType::Rsa2048 => rsa(RsaKeySize::_2048),
        KeyType::Rsa3072 => rsa(RsaKeySize::_3072),
        KeyType::Rsa4096 => rsa(RsaKeySize::_4096),
    };
    result.map_err(|e| Error::Usage(format!("cannot generate the key: {e}")))
}

/// The CSR: subject `CN=<thing>`, signed with the new key, PEM.
fn csr_for(thing: &str, key_pair: &KeyPair) -> Result<String, Error> {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, thing);
    params.distinguished_name = name;
    let failed = |e: rcgen::Error| Error::Usage(format!("cannot create the CSR: {e}"));
    params
        .serialize_request(key_pair)
        .map_err(failed)?
        .pem()
        .map_err(failed)
}

/// A key or CSR file: created with `mode` from the start (a key is never readable by others,
/// not even for an instant) and linked into place, which fails rather than replace a file
/// that appeared meanwhile.
fn new_file(path: &Path, mode: u32) -> Target<'_> {
    Target {
        path,
        mode,
        placement: Placement::New,
        option: "--out",
        exists_hint: "it is never overwritten; move it away or choose another --out",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thing_names_follow_aws_rules() {
        for good in ["Sensor1", "a", "my:thing_1-x", &"x".repeat(128)] {
            assert!(check_thing_name(good).is_ok(), "{good}");
        }
        for bad in ["", "has space", "../etc", "a/b", "ü", &"x".repeat(129)] {
            assert!(check_thing_name(bad).is_err(), "{bad}");
        }
    }
}

//! Writes the generated test fixtures (`fixtures/roots`, `server`, `fail`, `device`, `bad`) from
//! fixed keys, fixed serial numbers and fixed dates: `cargo run --example gen_fixtures`.
//!
//! Every private key is an input, committed beside the certificates it belongs to (and in
//! `fixtures/keys/` for the intermediates whose keys no test needs). Certificates signed with
//! RSA come out byte-identical on every run; ECDSA signatures are randomised by the crypto
//! library, so the few ECDSA-signed certificates differ only in their signature bytes. Two leaves
//! that rcgen cannot express (a SHA-1 signature, an X.509 v1 certificate) are static files in
//! `fixtures/static/`; this program checks that they still chain to the intermediate it writes.
//! `fixtures/README.md` describes every file; `fixtures/check.sh` checks them with OpenSSL.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    date_time_ymd, BasicConstraints, Certificate, CertificateParams, CustomExtension,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, NameConstraints, PublicKeyData, SanType, SerialNumber, SignatureAlgorithm,
};
use time::OffsetDateTime;
use x509_parser::asn1_rs::{ToDer, Utf8String};
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate, X509CertificationRequest};
use x509_parser::x509::SubjectPublicKeyInfo;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The name every server leaf carries (CN and first SAN).
const SERVER_CN: &str = "*.iot.eu-west-1.amazonaws.com";

/// A validity period (UTC midnight, first of January of each year).
#[derive(Clone, Copy)]
struct Validity(i32, i32);

const ROOT: Validity = Validity(2025, 2045);
const GOOD: Validity = Validity(2025, 2035);
const EXPIRED: Validity = Validity(2020, 2021);
const FUTURE: Validity = Validity(2040, 2045);

/// The extension profiles of the fixtures (the `[ section ]`s of the former OpenSSL config).
#[derive(Clone, Copy, PartialEq)]
enum Profile {
    /// CA:TRUE, keyCertSign + cRLSign.
    Root,
    /// CA:TRUE pathlen:0, keyCertSign + cRLSign.
    Intermediate,
    /// CA:TRUE without a path length.
    IntermediateNoPathLen,
    /// CA:FALSE and digitalSignature only, yet used to sign.
    IntermediateNotCa,
    /// An intermediate whose nameConstraints permit only DNS `.example.org`.
    IntermediateNameConstrained,
    /// serverAuth leaf, RSA key usages, the standard names.
    ServerRsa,
    /// serverAuth leaf, ECDSA key usage, the standard names.
    ServerEc,
    /// ServerRsa with EKU clientAuth instead of serverAuth.
    ServerRsaClientEku,
    /// ServerRsa plus a private extension marked critical.
    ServerRsaCriticalUnknown,
    /// ServerRsa for `other.example.net` only.
    ServerRsaOtherName,
    /// clientAuth device certificate, RSA key usages, no SAN.
    DeviceRsa,
    /// clientAuth device certificate, digitalSignature only, no SAN.
    DeviceSig,
    /// A device certificate with EKU serverAuth only.
    DeviceServerEku,
}

fn main() -> Result<()> {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures"].iter().collect();
    let g = Gen { dir };
    g.run()?;
    println!("fixtures written to {}", g.dir.display());
    Ok(())
}

struct Gen {
    dir: PathBuf,
}

/// A CA: its parameters (for the issuer name and key identifier), key and certificate.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Cert,
}

/// A certificate as written: freshly signed, or the one on disk when only its signature would
/// differ (see [`Gen::settle`]).
struct Cert {
    der: Vec<u8>,
}

impl Cert {
    fn der(&self) -> &[u8] {
        &self.der
    }

    fn pem(&self) -> String {
        to_pem(&self.der)
    }
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

/// A public key given as a SubjectPublicKeyInfo: for RSA keys under 2048 bits, which the crypto
/// library refuses to load as private keys.
struct RawPublicKey {
    subject_public_key: Vec<u8>,
    algorithm: &'static SignatureAlgorithm,
}

impl PublicKeyData for RawPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.subject_public_key
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

impl Gen {
    fn run(&self) -> Result<()> {
        for sub in ["roots", "server", "fail", "device", "bad"] {
            fs::create_dir_all(self.dir.join(sub))?;
        }

        // roots/
        let root_rsa = self.root("roots/test-root-rsa", "iotcheck Test Root RSA")?;
        let root_ec = self.root("roots/test-root-ec", "iotcheck Test Root ECC")?;
        let other_root = self.root("roots/other-root", "iotcheck Other Root")?;
        self.write(
            "roots/test-roots.pem",
            concat(&[root_rsa.cert.pem(), root_ec.cert.pem()]),
        )?;

        // server/
        let rsa_int = self.ca(
            "server/rsa-int",
            "server/rsa-int.key",
            "iotcheck Test RSA 2048 M01",
            &root_rsa,
            Profile::Intermediate,
        )?;
        let ec_int = self.ca(
            "server/ec-int",
            "server/ec-int.key",
            "iotcheck Test ECDSA 256 M01",
            &root_ec,
            Profile::Intermediate,
        )?;
        let rsa_leaf = self.leaf(
            "server/rsa-leaf",
            "server/rsa-leaf.key",
            SERVER_CN,
            GOOD,
            &rsa_int,
            Profile::ServerRsa,
        )?;
        let ec_leaf = self.leaf(
            "server/ec-leaf",
            "server/ec-leaf.key",
            SERVER_CN,
            GOOD,
            &ec_int,
            Profile::ServerEc,
        )?;
        let (rsa_int_pem, ec_int_pem) = (rsa_int.cert.pem(), ec_int.cert.pem());
        let rsa_leaf_pem = rsa_leaf.pem();
        self.write("server/rsa-int.pem", &rsa_int_pem)?;
        self.write("server/ec-int.pem", &ec_int_pem)?;
        self.write("server/rsa-leaf.pem", &rsa_leaf_pem)?;
        self.write("server/ec-leaf.pem", ec_leaf.pem())?;
        self.write(
            "server/rsa-chain.pem",
            concat(&[rsa_leaf_pem.clone(), rsa_int_pem.clone()]),
        )?;
        self.write(
            "server/ec-chain.pem",
            concat(&[ec_leaf.pem(), ec_int_pem.clone()]),
        )?;
        self.write(
            "server/rsa-fullchain.pem",
            concat(&[
                rsa_leaf_pem.clone(),
                rsa_int_pem.clone(),
                root_rsa.cert.pem(),
            ]),
        )?;
        self.write(
            "server/rsa-chain-reversed.pem",
            concat(&[rsa_int_pem.clone(), rsa_leaf_pem.clone()]),
        )?;
        self.write("server/rsa-leaf.der", rsa_leaf.der())?;
        self.write("server/rsa-int.der", rsa_int.cert.der())?;
        // CRLF line endings, each block preceded by its subject and issuer, and a comment
        // line before and after the whole file: text a reader must skip.
        let mut text = String::from("# iotcheck test chain: leaf then intermediate\n");
        for cert in [&rsa_leaf, &rsa_int.cert] {
            let (_, x509) = X509Certificate::from_der(cert.der())?;
            text += &format!("subject={}\nissuer={}\n", x509.subject(), x509.issuer());
            text += &cert.pem();
        }
        text += "# end of chain\n";
        self.write("server/rsa-chain-crlf.pem", crlf(&text))?;

        self.fail(&rsa_int, &root_rsa, &other_root)?;
        // The expired chain again under server/, for s_server.
        self.copy("fail/expired.pem", "server/expired-chain.pem")?;
        self.copy("fail/expired.key", "server/expired-leaf.key")?;

        self.device()?;
        self.bad(rsa_leaf.der())?;
        Ok(())
    }

    /// fail/: each bundle is its leaf, then the intermediates it needs.
    fn fail(&self, rsa_int: &Ca, root_rsa: &Ca, other_root: &Ca) -> Result<()> {
        let rsa_int_pem = rsa_int.cert.pem();
        // Leaves issued by rsa-int whose own fields carry the fault.
        let leaf_faults: [(&str, Validity, Profile, &str); 6] = [
            ("expired", EXPIRED, Profile::ServerRsa, SERVER_CN),
            ("not_yet_valid", FUTURE, Profile::ServerRsa, SERVER_CN),
            (
                "required_eku_not_found",
                GOOD,
                Profile::ServerRsaClientEku,
                SERVER_CN,
            ),
            (
                "unsupported_critical_extension",
                GOOD,
                Profile::ServerRsaCriticalUnknown,
                SERVER_CN,
            ),
            (
                "name_mismatch",
                GOOD,
                Profile::ServerRsaOtherName,
                "other.example.net",
            ),
            // A good leaf, until its last signature byte is inverted.
            ("bad_signature", GOOD, Profile::ServerRsa, SERVER_CN),
        ];
        for (code, validity, profile, cn) in leaf_faults {
            let leaf = self.leaf(
                &format!("fail/{code}-leaf"),
                &format!("fail/{code}.key"),
                cn,
                validity,
                rsa_int,
                profile,
            )?;
            let pem = if code == "bad_signature" {
                to_pem(&flip_last_signature_byte(leaf.der())?)
            } else {
                leaf.pem()
            };
            self.write(&format!("fail/{code}-leaf.pem"), &pem)?;
            self.bundle(code, &[pem, rsa_int_pem.clone()])?;
        }

        // weak_key: an RSA 1024 leaf, signed normally by rsa-int; made from the public half of
        // its key, which the crypto library refuses to load.
        let weak = self.raw_public_key("keys/weak_key.pub.pem")?;
        let cert = self
            .params("fail/weak_key-leaf", SERVER_CN, GOOD, Profile::ServerRsa)
            .signed_by(&weak, &rsa_int.issuer())?;
        self.write("fail/weak_key-leaf.pem", cert.pem())?;
        self.bundle("weak_key", &[cert.pem(), rsa_int_pem.clone()])?;

        // Leaves rcgen cannot write, kept static; they must still chain to this rsa-int.
        for (code, file) in [
            ("unsupported_signature_algorithm", "static/sha1-leaf.pem"),
            ("malformed", "static/v1-leaf.pem"),
        ] {
            let pem = self.read_string(file)?;
            check_static_leaf(file, &pem, rsa_int)?;
            self.write(&format!("fail/{code}-leaf.pem"), pem.clone())?;
            self.bundle(code, &[pem, rsa_int_pem.clone()])?;
        }

        // unknown_issuer: leaf and intermediate under other-root, which tests do not trust.
        let other_int = self.ca(
            "fail/unknown_issuer-int",
            "keys/other-int.key",
            "iotcheck Other RSA 2048 M01",
            other_root,
            Profile::Intermediate,
        )?;
        self.chain_fault("unknown_issuer", &[&other_int])?;

        // not_a_ca: the "intermediate" is CA:FALSE without keyCertSign, yet signs the leaf.
        let not_ca = self.ca(
            "fail/not_a_ca-int",
            "keys/notca-int.key",
            "iotcheck Test Not A CA",
            root_rsa,
            Profile::IntermediateNotCa,
        )?;
        self.chain_fault("not_a_ca", &[&not_ca])?;

        // path_len_exceeded: test-root-rsa -> A (pathlen:0) -> B (no pathlen) -> leaf.
        let int_a = self.ca(
            "fail/path_len_exceeded-int-a",
            "keys/path-len-a.key",
            "iotcheck Test Path Length A",
            root_rsa,
            Profile::Intermediate,
        )?;
        let int_b = self.ca(
            "fail/path_len_exceeded-int-b",
            "keys/path-len-b.key",
            "iotcheck Test Path Length B",
            &int_a,
            Profile::IntermediateNoPathLen,
        )?;
        self.chain_fault("path_len_exceeded", &[&int_b, &int_a])?;

        // name_constraint_violation: the intermediate permits only DNS .example.org.
        let nc_int = self.ca(
            "fail/name_constraint_violation-int",
            "keys/name-constrained-int.key",
            "iotcheck Test Name Constrained",
            root_rsa,
            Profile::IntermediateNameConstrained,
        )?;
        self.chain_fault("name_constraint_violation", &[&nc_int])?;

        // missing_intermediate: the good RSA leaf alone.
        self.copy("server/rsa-leaf.pem", "fail/missing_intermediate.pem")?;
        self.copy("server/rsa-leaf.key", "fail/missing_intermediate.key")?;
        Ok(())
    }

    /// A good server leaf under `intermediates[0]`, bundled with the intermediates.
    fn chain_fault(&self, code: &str, intermediates: &[&Ca]) -> Result<()> {
        let leaf = self.leaf(
            &format!("fail/{code}-leaf"),
            &format!("fail/{code}.key"),
            SERVER_CN,
            GOOD,
            intermediates[0],
            Profile::ServerRsa,
        )?;
        let mut pems = vec![leaf.pem()];
        pems.extend(intermediates.iter().map(|ca| ca.cert.pem()));
        self.bundle(code, &pems)
    }

    /// `fail/CODE.pem` (all blocks) and `fail/CODE-intermediates.pem` (all but the leaf, for
    /// `s_server -cert_chain`, which must not repeat the leaf).
    fn bundle(&self, code: &str, pems: &[String]) -> Result<()> {
        self.write(&format!("fail/{code}.pem"), concat(pems))?;
        self.write(
            &format!("fail/{code}-intermediates.pem"),
            concat(&pems[1..]),
        )
    }

    fn device(&self) -> Result<()> {
        let device_ca = self.root("device/device-ca", "iotcheck Test Device CA")?;
        let other_ca = self.root("device/other-device-ca", "iotcheck Other Device CA")?;
        let devices: [(&str, Validity, &Ca, Profile); 8] = [
            ("rsa", GOOD, &device_ca, Profile::DeviceRsa),
            ("ec", GOOD, &device_ca, Profile::DeviceSig),
            ("ec384", GOOD, &device_ca, Profile::DeviceSig),
            ("ec521", GOOD, &device_ca, Profile::DeviceSig),
            ("ed25519", GOOD, &device_ca, Profile::DeviceSig),
            ("expired", EXPIRED, &device_ca, Profile::DeviceSig),
            ("untrusted", GOOD, &other_ca, Profile::DeviceSig),
            ("server-eku", GOOD, &device_ca, Profile::DeviceServerEku),
        ];
        for (name, validity, ca, profile) in devices {
            let cert = self.leaf(
                &format!("device/{name}"),
                &format!("device/{name}.key"),
                &format!("TestThing-{name}"),
                validity,
                ca,
                profile,
            )?;
            self.write(&format!("device/{name}.pem"), cert.pem())?;
        }
        // RSA 1024: a weak key, given by its public half.
        let weak = self.raw_public_key("keys/rsa1024.pub.pem")?;
        let cert = self
            .params(
                "device/rsa1024",
                "TestThing-rsa1024",
                GOOD,
                Profile::DeviceRsa,
            )
            .signed_by(&weak, &device_ca.issuer())?;
        self.write("device/rsa1024.pem", cert.pem())?;

        // The same key and certificate in other forms, and files of the wrong kind.
        let ec_key = self.key("device/ec.key")?;
        let ec_pem = self.read_string("device/ec.pem")?;
        let mut csr = CertificateParams::default();
        csr.distinguished_name = common_name("TestThing-ec");
        let csr = csr.serialize_request(&ec_key)?;
        self.write(
            "device/ec.csr",
            self.settle_csr("device/ec.csr", csr.der())?,
        )?;
        self.write("device/ec.der", ::pem::parse(&ec_pem)?.into_contents())?;
        self.write("device/ec.key.der", ec_key.serialize_der())?;
        self.write("device/ec-pub.pem", ec_key.public_key_pem())?;
        self.write(
            "device/two-keys.key",
            concat(&[
                self.read_string("device/ec.key")?,
                self.read_string("device/rsa.key")?,
            ]),
        )?;
        self.write("device/ec-crlf.pem", crlf(&ec_pem))?;
        self.write("device/ec-bom.pem", format!("\u{feff}{ec_pem}"))?;
        self.write(
            "device/ec-trailing.pem",
            format!("{ec_pem}garbage after the certificate\n"),
        )?;
        self.write(
            "device/rsa-chain.pem",
            concat(&[self.read_string("device/rsa.pem")?, device_ca.cert.pem()]),
        )?;
        Ok(())
    }

    fn bad(&self, rsa_leaf_der: &[u8]) -> Result<()> {
        self.write("bad/empty.pem", Vec::new())?;
        // 256 bytes that look random and are the same on every run: SHA-256 in counter mode.
        let random: Vec<u8> = (0u8..8)
            .flat_map(|i| sha256([b"iotcheck bad/random.bin ".as_slice(), &[i]].concat()))
            .collect();
        self.write("bad/random.bin", random)?;
        self.write(
            "bad/broken-base64.pem",
            "-----BEGIN CERTIFICATE-----\nMIIB!!this is not base64 at all###@@@\n\
             %%%%invalid%%%%\n-----END CERTIFICATE-----\n",
        )?;
        self.write("bad/truncated.der", &rsa_leaf_der[..100])?;
        self.write(
            "bad/trailing.der",
            [rsa_leaf_der, &[1, 2, 3, 4, 5]].concat(),
        )?;
        self.write(
            "bad/text.txt",
            "This is a plain text file, not a certificate or key.\n",
        )?;
        Ok(())
    }

    /// A self-signed root from `BASE.key`, written to `BASE.pem`.
    fn root(&self, base: &str, cn: &str) -> Result<Ca> {
        let key = self.key(&format!("{base}.key"))?;
        let params = self.params(base, cn, ROOT, Profile::Root);
        let cert = self.settle(base, params.self_signed(&key)?, None)?;
        self.write(&format!("{base}.pem"), cert.pem())?;
        Ok(Ca { params, key, cert })
    }

    /// An intermediate issued by `issuer`; `id` names it (and seeds its serial).
    fn ca(&self, id: &str, key: &str, cn: &str, issuer: &Ca, profile: Profile) -> Result<Ca> {
        let key = self.key(key)?;
        let params = self.params(id, cn, GOOD, profile);
        let cert = params.signed_by(&key, &issuer.issuer())?;
        let cert = self.settle(id, cert, Some(issuer.cert.der()))?;
        Ok(Ca { params, key, cert })
    }

    /// A leaf for the key in `key`, issued by `issuer`; `id` names it (and seeds its serial).
    fn leaf(
        &self,
        id: &str,
        key: &str,
        cn: &str,
        validity: Validity,
        issuer: &Ca,
        profile: Profile,
    ) -> Result<Cert> {
        let key = self.key(key)?;
        let cert = self
            .params(id, cn, validity, profile)
            .signed_by(&key, &issuer.issuer())?;
        self.settle(id, cert, Some(issuer.cert.der()))
    }

    /// Keeps the certificate already in `ID.pem` when it has exactly the to-be-signed bytes
    /// of `new` and a valid signature by the same issuer (`None`: self-signed): an ECDSA
    /// signature differs on every run, and a rerun should not change files whose content did
    /// not. Otherwise `new`.
    fn settle(&self, id: &str, new: Certificate, issuer: Option<&[u8]>) -> Result<Cert> {
        let new = Cert {
            der: new.der().to_vec(),
        };
        let Ok(text) = fs::read_to_string(self.dir.join(format!("{id}.pem"))) else {
            return Ok(new);
        };
        let Ok(old) = ::pem::parse(text) else {
            return Ok(new);
        };
        let old = Cert {
            der: old.into_contents(),
        };
        let (Ok((_, old_x509)), Ok((_, new_x509))) = (
            X509Certificate::from_der(old.der()),
            X509Certificate::from_der(new.der()),
        ) else {
            return Ok(new);
        };
        let issuer_x509 = match issuer {
            Some(der) => Some(X509Certificate::from_der(der)?.1),
            None => None,
        };
        let same_tbs = old_x509.tbs_certificate.as_ref() == new_x509.tbs_certificate.as_ref();
        let signed = old_x509
            .verify_signature(issuer_x509.as_ref().map(|i| i.public_key()))
            .is_ok();
        Ok(if same_tbs && signed { old } else { new })
    }

    /// [`Gen::settle`] for a CSR: the one in `rel` if only its signature differs from `new`.
    fn settle_csr(&self, rel: &str, new: &[u8]) -> Result<String> {
        let new_pem = to_pem_labelled("CERTIFICATE REQUEST", new);
        let Ok(text) = fs::read_to_string(self.dir.join(rel)) else {
            return Ok(new_pem);
        };
        let Ok(old) = ::pem::parse(&text) else {
            return Ok(new_pem);
        };
        let (Ok((_, old_csr)), Ok((_, new_csr))) = (
            X509CertificationRequest::from_der(old.contents()),
            X509CertificationRequest::from_der(new),
        ) else {
            return Ok(new_pem);
        };
        let same = old_csr.certification_request_info.raw == new_csr.certification_request_info.raw;
        Ok(if same && old_csr.verify_signature().is_ok() {
            to_pem_labelled("CERTIFICATE REQUEST", old.contents())
        } else {
            new_pem
        })
    }

    /// The fixed fields of one certificate; `id` (its file name) seeds its serial number.
    fn params(
        &self,
        id: &str,
        cn: &str,
        validity: Validity,
        profile: Profile,
    ) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name = common_name(cn);
        p.serial_number = Some(serial(id));
        p.not_before = year(validity.0);
        p.not_after = year(validity.1);
        p.use_authority_key_identifier_extension = true;
        use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};
        use KeyUsagePurpose::{CrlSign, DigitalSignature, KeyCertSign, KeyEncipherment};
        let ca_usages = vec![KeyCertSign, CrlSign];
        let rsa_usages = vec![DigitalSignature, KeyEncipherment];
        match profile {
            Profile::Root => {
                p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                p.key_usages = ca_usages;
            }
            Profile::Intermediate => {
                p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                p.key_usages = ca_usages;
            }
            Profile::IntermediateNoPathLen => {
                p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                p.key_usages = ca_usages;
            }
            Profile::IntermediateNotCa => {
                p.is_ca = IsCa::ExplicitNoCa;
                p.key_usages = vec![DigitalSignature];
            }
            Profile::IntermediateNameConstrained => {
                p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                p.key_usages = ca_usages;
                p.name_constraints = Some(NameConstraints {
                    permitted_subtrees: vec![GeneralSubtree::DnsName(".example.org".into())],
                    excluded_subtrees: Vec::new(),
                });
            }
            Profile::ServerRsa
            | Profile::ServerEc
            | Profile::ServerRsaClientEku
            | Profile::ServerRsaCriticalUnknown
            | Profile::ServerRsaOtherName => {
                p.is_ca = IsCa::ExplicitNoCa;
                p.key_usages = if profile == Profile::ServerEc {
                    vec![DigitalSignature]
                } else {
                    rsa_usages
                };
                p.extended_key_usages = if profile == Profile::ServerRsaClientEku {
                    vec![ClientAuth]
                } else {
                    vec![ServerAuth]
                };
                let names: &[&str] = if profile == Profile::ServerRsaOtherName {
                    &["other.example.net"]
                } else {
                    &[SERVER_CN, "localhost"]
                };
                p.subject_alt_names = names
                    .iter()
                    .map(|n| SanType::DnsName((*n).try_into().expect("a valid DNS name")))
                    .collect();
                if profile == Profile::ServerRsaCriticalUnknown {
                    let value = Utf8String::new("iotcheck")
                        .to_der_vec()
                        .expect("a short UTF8String encodes");
                    let mut ext =
                        CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], value);
                    ext.set_criticality(true);
                    p.custom_extensions = vec![ext];
                }
            }
            Profile::DeviceRsa | Profile::DeviceSig | Profile::DeviceServerEku => {
                p.is_ca = IsCa::ExplicitNoCa;
                p.key_usages = if profile == Profile::DeviceRsa {
                    rsa_usages
                } else {
                    vec![DigitalSignature]
                };
                p.extended_key_usages = if profile == Profile::DeviceServerEku {
                    vec![ServerAuth]
                } else {
                    vec![ClientAuth]
                };
            }
        }
        p
    }

    fn key(&self, rel: &str) -> Result<KeyPair> {
        KeyPair::from_pem(&self.read_string(rel)?).map_err(|e| format!("{rel}: {e}").into())
    }

    fn raw_public_key(&self, rel: &str) -> Result<RawPublicKey> {
        let der = ::pem::parse(self.read_string(rel)?)?.into_contents();
        let (_, spki) = SubjectPublicKeyInfo::from_der(&der)?;
        if spki.algorithm.algorithm != x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION {
            return Err(format!("{rel}: not an RSA public key").into());
        }
        Ok(RawPublicKey {
            subject_public_key: spki.subject_public_key.data.to_vec(),
            algorithm: &rcgen::PKCS_RSA_SHA256,
        })
    }

    fn read_string(&self, rel: &str) -> Result<String> {
        fs::read_to_string(self.dir.join(rel)).map_err(|e| format!("{rel}: {e}").into())
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        write_file(&self.dir.join(rel), bytes.as_ref())
    }

    fn copy(&self, from: &str, to: &str) -> Result<()> {
        self.write(to, fs::read(self.dir.join(from))?)
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn common_name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// 16 bytes of SHA-256 over the certificate's file name, positive: fixed, and unique per file.
fn serial(id: &str) -> SerialNumber {
    let mut bytes = sha256(format!("iotcheck fixture {id}"))[..16].to_vec();
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

fn year(y: i32) -> OffsetDateTime {
    date_time_ymd(y, 1, 1)
}

fn concat(pems: &[String]) -> String {
    pems.concat()
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

fn to_pem(der: &[u8]) -> String {
    to_pem_labelled("CERTIFICATE", der)
}

fn to_pem_labelled(label: &str, der: &[u8]) -> String {
    ::pem::encode_config(
        &::pem::Pem::new(label, der),
        ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF),
    )
}

/// Inverts the last byte of a certificate: the signature BIT STRING is its last field, so the
/// certificate still parses and only its signature is wrong.
fn flip_last_signature_byte(der: &[u8]) -> Result<Vec<u8>> {
    let mut bad = der.to_vec();
    let last = bad.last_mut().ok_or("empty certificate")?;
    *last ^= 0xff;
    let (_, good_cert) = X509Certificate::from_der(der)?;
    let (rest, bad_cert) = X509Certificate::from_der(&bad)?;
    let signature = good_cert.signature_value.data.as_ref();
    if !rest.is_empty()
        || good_cert.tbs_certificate.as_ref() != bad_cert.tbs_certificate.as_ref()
        || !der.ends_with(signature)
    {
        return Err("the last byte is not part of the signature".into());
    }
    Ok(bad)
}

/// A static leaf must name `issuer` as its issuer, carry its key identifier (if it has one)
/// and verify with its key: then it chains exactly as a generated leaf would.
fn check_static_leaf(file: &str, pem: &str, issuer: &Ca) -> Result<()> {
    let der = ::pem::parse(pem)?.into_contents();
    let (_, leaf) = X509Certificate::from_der(&der)?;
    let (_, ca) = X509Certificate::from_der(issuer.cert.der())?;
    if leaf.issuer() != ca.subject() {
        return Err(format!("{file}: not issued by {}", ca.subject()).into());
    }
    let ski = ca
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0),
            _ => None,
        });
    let aki = leaf
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => Some(aki.key_identifier.as_ref()?.0),
            _ => None,
        });
    if aki.is_some() && aki != ski {
        return Err(format!("{file}: its authority key identifier is not the issuer's").into());
    }
    leaf.verify_signature(Some(ca.public_key()))
        .map_err(|e| format!("{file}: signature does not verify with the issuer's key: {e}"))?;
    Ok(())
}

/// SHA-256 with the crypto backend the project already uses.
fn sha256(data: impl AsRef<[u8]>) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data.as_ref())
        .as_ref()
        .to_vec()
}

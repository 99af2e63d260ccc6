//! Trust anchors: the embedded Amazon roots (with provenance in `src/trust/README.md`) or the
//! anchors a device's CA file (`--ca`) holds.

use crate::chain::Cert;
use crate::error::InputError;
use crate::source::{self, Input};

/// A root the tool knows by name, whether or not it is trusted in this run.
pub struct KnownRoot {
    pub file: &'static str,
    /// SHA-256 of the DER certificate, lowercase hex (pinned by a test).
    pub sha256: &'static str,
    pub label: &'static str,
    /// The certificate's display name (CN, else the subject) and notAfter (RFC 3339), pinned
    /// by a test, so that `--version` names the anchors without parsing them on every start.
    pub name: &'static str,
    pub not_after: &'static str,
    pem: &'static str,
    /// Trusted when no `--ca` is given.
    pub default: bool,
}

/// Every root the tool ships. The defaults are the AWS IoT ATS server-authentication roots.
pub const KNOWN_ROOTS: &[KnownRoot] = &[
    KnownRoot {
        file: "AmazonRootCA1.pem",
        name: "Amazon Root CA 1",
        not_after: "2038-01-17T00:00:00Z",
        sha256: "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
        label: "Amazon Root CA 1 (RSA 2048)",
        pem: include_str!("trust/AmazonRootCA1.pem"),
        default: true,
    },
    KnownRoot {
        file: "AmazonRootCA2.pem",
        name: "Amazon Root CA 2",
        not_after: "2040-05-26T00:00:00Z",
        sha256: "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
        label: "Amazon Root CA 2 (RSA 4096)",
        pem: include_str!("trust/AmazonRootCA2.pem"),
        default: true,
    },
    KnownRoot {
        file: "AmazonRootCA3.pem",
        name: "Amazon Root CA 3",
        not_after: "2040-05-26T00:00:00Z",
        sha256: "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
        label: "Amazon Root CA 3 (ECC P-256)",
        pem: include_str!("trust/AmazonRootCA3.pem"),
        default: true,
    },
    KnownRoot {
        file: "AmazonRootCA4.pem",
        name: "Amazon Root CA 4",
        not_after: "2040-05-26T00:00:00Z",
        sha256: "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
        label: "Amazon Root CA 4 (ECC P-384)",
        pem: include_str!("trust/AmazonRootCA4.pem"),
        default: true,
    },
    KnownRoot {
        file: "SFSRootCAG2.pem",
        name: "Starfield Services Root Certificate Authority - G2",
        not_after: "2037-12-31T23:59:59Z",
        sha256: "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
        label: "Starfield Services Root CA G2",
        pem: include_str!("trust/SFSRootCAG2.pem"),
        default: true,
    },
    KnownRoot {
        file: "StarfieldClass2CA.pem",
        name: "C=US, O=Starfield Technologies, Inc., OU=Starfield Class 2 Certification Authority",
        not_after: "2034-06-29T17:39:16Z",
        sha256: "1465fa205397b876faa6f0a9958e5590e40fcc7faa4fb7c2c8677521fb5fb658",
        label: "Starfield Class 2 CA",
        pem: include_str!("trust/StarfieldClass2CA.pem"),
        default: false,
    },
    KnownRoot {
        file: "VeriSign_Class3_Public_Primary_CA_G5.pem",
        name: "VeriSign Class 3 Public Primary Certification Authority - G5",
        not_after: "2036-07-16T23:59:59Z",
        sha256: "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df",
        label: "VeriSign Class 3 Public Primary CA G5 (legacy iot:Data endpoints)",
        pem: include_str!("trust/VeriSign_Class3_Public_Primary_CA_G5.pem"),
        default: false,
    },
];

/// Amazon intermediates the tool knows by name, for hints only: never used to build a path.
const KNOWN_INTERMEDIATES: &[&str] = &[
    include_str!("trust/intermediates/Amazon_RSA_2048_M01.pem"),
    include_str!("trust/intermediates/Amazon_RSA_2048_M02.pem"),
    include_str!("trust/intermediates/Amazon_RSA_2048_M03.pem"),
    include_str!("trust/intermediates/Amazon_RSA_2048_M04.pem"),
    include_str!("trust/intermediates/Amazon_RSA_4096_M02.pem"),
    include_str!("trust/intermediates/Amazon_ECDSA_256_M01.pem"),
    include_str!("trust/intermediates/Amazon_ECDSA_256_M02.pem"),
    include_str!("trust/intermediates/Amazon_ECDSA_384_M02.pem"),
    include_str!("trust/intermediates/Amazon_Server_CA_1A.pem"),
    include_str!("trust/intermediates/Amazon_Server_CA_1B.pem"),
];

/// The known Amazon intermediate that issued `cert` (by name and signature), with the known
/// root that issued the intermediate.
pub fn known_issuer_of(cert: &Cert) -> Option<(Cert, &'static KnownRoot)> {
    KNOWN_INTERMEDIATES.iter().find_map(|pem_text| {
        // Embedded at build time and covered by a test, so parsing cannot fail at run time.
        let der = ::pem::parse(pem_text).expect("embedded intermediate is valid PEM");
        let intermediate =
            Cert::from_der(der.contents(), "embedded").expect("embedded intermediate parses");
        if !cert.names_issuer(&intermediate) || cert.signature_check(&intermediate).is_err() {
            return None;
        }
        let root = KNOWN_ROOTS.iter().find(|k| {
            let root = k.cert();
            intermediate.names_issuer(root) && intermediate.signature_check(root).is_ok()
        })?;
        Some((intermediate, root))
    })
}

/// The file name of the legacy VeriSign root in [`KNOWN_ROOTS`].
pub const LEGACY_VERISIGN: &str = "VeriSign_Class3_Public_Primary_CA_G5.pem";

impl KnownRoot {
    /// The parsed certificate, parsed once per process.
    pub fn cert(&self) -> &'static Cert {
        static PARSED: std::sync::OnceLock<Vec<Cert>> = std::sync::OnceLock::new();
        let parsed = PARSED.get_or_init(|| {
            KNOWN_ROOTS
                .iter()
                .map(|k| {
                    // The embedded PEM files are fixed at build time and pinned by a test, so
                    // parsing cannot fail at run time.
                    let der = ::pem::parse(k.pem).expect("embedded root is valid PEM");
                    Cert::from_der(der.contents(), format!("embedded {}", k.file))
                        .expect("embedded root parses")
                })
                .collect()
        });
        let index = KNOWN_ROOTS
            .iter()
            .position(|k| k.file == self.file)
            .expect("a KnownRoot is one of KNOWN_ROOTS");
        &parsed[index]
    }

    /// The known root whose certificate this is (by fingerprint), if any.
    pub fn find(cert: &Cert) -> Option<&'static KnownRoot> {
        KNOWN_ROOTS.iter().find(|k| k.sha256 == cert.sha256)
    }
}

/// Where the anchors of a run come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorSource {
    Embedded,
    /// The `--ca` files, as named.
    Files(Vec<String>),
}

/// The trust anchors of one run.
#[derive(Clone, Debug)]
pub struct Anchors {
    pub certs: Vec<Cert>,
    pub source: AnchorSource,
}

impl Anchors {
    /// The embedded default roots.
    pub fn embedded() -> Anchors {
        Anchors {
            certs: KNOWN_ROOTS
                .iter()
                .filter(|k| k.default)
                .map(|k| k.cert().clone())
                .collect(),
            source: AnchorSource::Embedded,
        }
    }

    /// The anchors of `--ca`: exactly these files' certificates, or with none given, the
    /// embedded default roots.
    pub fn load(inputs: &[Input]) -> Result<Anchors, InputError> {
        if inputs.is_empty() {
            Ok(Anchors::embedded())
        } else {
            Anchors::from_files(inputs)
        }
    }

    /// Exactly the certificates in these CA files (bundles allowed), as on a device's caPath.
    pub fn from_files(inputs: &[Input]) -> Result<Anchors, InputError> {
        let mut certs: Vec<Cert> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for input in inputs {
            for cert in crate::chain::parse(&source::read_certificates(input)?)? {
                if seen.insert(cert.sha256.clone()) {
                    certs.push(cert);
                }
            }
        }
        Ok(Anchors {
            certs,
            source: AnchorSource::Files(inputs.iter().map(Input::name).collect()),
        })
    }

    /// "embedded Amazon roots" or "ca.pem, more.pem".
    pub fn describe(&self) -> String {
        match &self.source {
            AnchorSource::Embedded => "the embedded Amazon roots".to_string(),
            AnchorSource::Files(files) => files.join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::when::rfc3339;

    /// The fingerprints published with the roots; a changed file must fail here.
    #[test]
    fn embedded_roots_are_pinned() {
        let pinned = [
            (
                "AmazonRootCA1.pem",
                "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
            ),
            (
                "AmazonRootCA2.pem",
                "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
            ),
            (
                "AmazonRootCA3.pem",
                "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
            ),
            (
                "AmazonRootCA4.pem",
                "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
            ),
            (
                "SFSRootCAG2.pem",
                "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
            ),
            (
                "StarfieldClass2CA.pem",
                "1465fa205397b876faa6f0a9958e5590e40fcc7faa4fb7c2c8677521fb5fb658",
            ),
            (
                LEGACY_VERISIGN,
                "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df",
            ),
        ];
        assert_eq!(pinned.len(), KNOWN_ROOTS.len());
        for (root, (file, sha)) in KNOWN_ROOTS.iter().zip(pinned) {
            assert_eq!(root.file, file);
            assert_eq!(root.cert().sha256, sha, "{file}");
            assert_eq!(root.sha256, sha, "{file}");
            assert!(root.cert().self_signed(), "{file}");
            assert_eq!(root.name, root.cert().display_name(), "{file}");
            assert_eq!(root.not_after, rfc3339(root.cert().not_after), "{file}");
        }
    }

    #[test]
    fn known_intermediates_parse_and_lead_to_known_roots() {
        for pem_text in KNOWN_INTERMEDIATES {
            let der = ::pem::parse(pem_text).unwrap();
            let int = Cert::from_der(der.contents(), "t").unwrap();
            let root = KNOWN_ROOTS
                .iter()
                .find(|k| int.names_issuer(k.cert()) && int.signature_check(k.cert()).is_ok());
            assert!(root.is_some(), "{}", int.subject);
        }
    }

    #[test]
    fn defaults_are_the_four_amazon_roots_and_starfield_services() {
        let names: Vec<String> = Anchors::embedded()
            .certs
            .iter()
            .map(|c| c.display_name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "Amazon Root CA 1",
                "Amazon Root CA 2",
                "Amazon Root CA 3",
                "Amazon Root CA 4",
                "Starfield Services Root Certificate Authority - G2"
            ]
        );
    }
}

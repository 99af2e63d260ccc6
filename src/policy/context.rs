//! What a policy is evaluated in: the account, the client id, the thing the connection
//! resolves to, the certificate's attributes; and how a policy variable (or condition key)
//! resolves in it.

use std::collections::BTreeMap;

/// The facts of one connection, as far as they are known offline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    pub region: String,
    pub account: String,
    /// The MQTT client id.
    pub client_id: String,
    /// The thing the connection resolves to: set only when the client id is the name of a
    /// thing attached to the certificate (AWS resolves the thing variables from it).
    pub thing: Option<Thing>,
    /// Things attached to the certificate, whatever the client id.
    pub attached_things: Vec<String>,
    /// Certificate variables present in the certificate: `iot:CertificateId`,
    /// `iot:Certificate.Subject.CommonName`, ... (names from [`CERTIFICATE_VARIABLES`],
    /// with every value the certificate holds).
    pub certificate: BTreeMap<String, Vec<String>>,
}

/// The thing a connection resolves to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thing {
    pub name: String,
    pub type_name: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

/// Why a known variable has no value in this context.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Absence {
    /// A thing variable: the client id is not the name of a thing attached to the certificate.
    ThingNotResolved,
    /// The thing has no such attribute, or no type.
    NotOnThing(String),
    /// The certificate has no such attribute.
    NotInCertificate(String),
}

impl Absence {
    pub fn describe(&self, context: &Context) -> String {
        match self {
            Absence::ThingNotResolved => {
                let things = if context.attached_things.is_empty() {
                    "no thing is attached to the certificate".to_string()
                } else {
                    format!(
                        "the things attached to the certificate are {}",
                        context.attached_things.join(", ")
                    )
                };
                format!(
                    "the thing variables resolve only when the client id is the name of a thing attached to the certificate: the client id is {:?} and {things}",
                    context.client_id
                )
            }
            Absence::NotOnThing(what) => format!("the thing has no {what}"),
            Absence::NotInCertificate(name) => {
                format!("the certificate has no value for {name}")
            }
        }
    }
}

/// How a variable or condition key resolves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Values(Vec<String>),
    /// Known, but without a value in this context.
    Absent(Absence),
    /// Not evaluable offline: why.
    Unknown(String),
}

/// The X.509 certificate variables AWS IoT documents (without the `iot:` prefix), per
/// <https://docs.aws.amazon.com/iot/latest/developerguide/cert-policy-variables.html>, that
/// iotcheck reads from a certificate: one missing from [`Context::certificate`] is absent
/// from the certificate. The others (serial number, validity, issuer alternative names,
/// directory names) are written in forms iotcheck does not reproduce: cannot tell.
pub const CERTIFICATE_VARIABLES: &[&str] = &[
    "CertificateId",
    "Certificate.Subject.DistinguishedNameQualifier",
    "Certificate.Subject.Country",
    "Certificate.Subject.Organization",
    "Certificate.Subject.OrganizationalUnit",
    "Certificate.Subject.State",
    "Certificate.Subject.CommonName",
    "Certificate.Subject.SerialNumber",
    "Certificate.Subject.Title",
    "Certificate.Subject.Surname",
    "Certificate.Subject.GivenName",
    "Certificate.Subject.Initials",
    "Certificate.Subject.Pseudonym",
    "Certificate.Subject.GenerationQualifier",
    "Certificate.Issuer.DistinguishedNameQualifier",
    "Certificate.Issuer.Country",
    "Certificate.Issuer.Organization",
    "Certificate.Issuer.OrganizationalUnit",
    "Certificate.Issuer.State",
    "Certificate.Issuer.CommonName",
    "Certificate.Issuer.SerialNumber",
    "Certificate.Issuer.Title",
    "Certificate.Issuer.Surname",
    "Certificate.Issuer.GivenName",
    "Certificate.Issuer.Initials",
    "Certificate.Issuer.Pseudonym",
    "Certificate.Issuer.GenerationQualifier",
    "Certificate.Subject.AlternativeName.RFC822Name",
    "Certificate.Subject.AlternativeName.DNSName",
    "Certificate.Subject.AlternativeName.UniformResourceIdentifier",
    "Certificate.Subject.AlternativeName.IPAddress",
];

impl Context {
    /// Resolves a policy variable or condition key (`iot:ClientId`, ...), case as AWS
    /// writes it. Multi-valued certificate attributes resolve to every value; a `.List`
    /// suffix (for `ForAnyValue`/`ForAllValues` conditions) names the same values.
    pub fn resolve(&self, name: &str) -> Resolved {
        let thing = |f: &dyn Fn(&Thing) -> Resolved| match &self.thing {
            Some(t) => f(t),
            None => Resolved::Absent(Absence::ThingNotResolved),
        };
        match name {
            "iot:ClientId" => Resolved::Values(vec![self.client_id.clone()]),
            "iot:Connection.Thing.ThingName" => thing(&|t| Resolved::Values(vec![t.name.clone()])),
            "iot:Connection.Thing.ThingTypeName" => thing(&|t| match &t.type_name {
                Some(type_name) => Resolved::Values(vec![type_name.clone()]),
                None => Resolved::Absent(Absence::NotOnThing("thing type".into())),
            }),
            "iot:Connection.Thing.IsAttached" => thing(&|_| Resolved::Values(vec!["true".into()])),
            // A device connecting with a certificate always uses TLS.
            "aws:SecureTransport" => Resolved::Values(vec!["true".into()]),
            _ => {
                if let Some(attribute) = name
                    .strip_prefix("iot:Connection.Thing.Attributes[")
                    .and_then(|rest| rest.strip_suffix(']'))
                {
                    return thing(&|t| match t.attributes.get(attribute) {
                        Some(v) => Resolved::Values(vec![v.clone()]),
                        None => Resolved::Absent(Absence::NotOnThing(format!(
                            "attribute {attribute:?}"
                        ))),
                    });
                }
                // A `.List` suffix (ForAnyValue / ForAllValues) names the same values.
                let short = name.strip_suffix(".List").unwrap_or(name);
                if let Some(values) = self.certificate.get(short).filter(|v| !v.is_empty()) {
                    return Resolved::Values(values.clone());
                }
                if short
                    .strip_prefix("iot:")
                    .is_some_and(|n| CERTIFICATE_VARIABLES.contains(&n))
                {
                    return Resolved::Absent(Absence::NotInCertificate(short.to_string()));
                }
                Resolved::Unknown(format!(
                    "{name} depends on the live connection or is not known to iotcheck"
                ))
            }
        }
    }
}

/// A condition key in the spelling [`Context::resolve`] knows: IAM compares condition key
/// names without regard to case (`aws:SourceIP` is `aws:SourceIp`); an attribute name in
/// `iot:Connection.Thing.Attributes[NAME]` keeps its own case.
pub(crate) fn canonical_key(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    const FIXED: &[&str] = &[
        "iot:ClientId",
        "iot:Connection.Thing.ThingName",
        "iot:Connection.Thing.ThingTypeName",
        "iot:Connection.Thing.IsAttached",
        "aws:SecureTransport",
    ];
    if let Some(fixed) = FIXED.iter().find(|f| f.to_ascii_lowercase() == lower) {
        return fixed.to_string();
    }
    const ATTRIBUTES: &str = "iot:connection.thing.attributes[";
    if lower.starts_with(ATTRIBUTES) {
        return format!(
            "iot:Connection.Thing.Attributes[{}",
            &key[ATTRIBUTES.len()..]
        );
    }
    let (body, list) = match lower.strip_suffix(".list") {
        Some(body) => (body, ".List"),
        None => (lower.as_str(), ""),
    };
    match CERTIFICATE_VARIABLES
        .iter()
        .find(|v| format!("iot:{}", v.to_ascii_lowercase()) == body)
    {
        Some(v) => format!("iot:{v}{list}"),
        None => key.to_string(),
    }
}

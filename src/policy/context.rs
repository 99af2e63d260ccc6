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
    /// The thing the connection resolves to: the thing attached to the certificate whose
    /// name is the client id, or the thing attached to it exclusively (whatever the client
    /// id). AWS resolves the thing variables from it and applies its thing groups' policies.
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
    /// Attached to the certificate with `EXCLUSIVE_THING` (`ListThingPrincipalsV2`): the only
    /// thing the certificate may have, and the thing variables resolve to it whatever the
    /// client id.
    pub exclusive: bool,
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
    /// An indexed certificate variable (`...CommonName.2`) asks for a value the attribute
    /// does not have: AWS makes no substitution and authorisation fails.
    NoSuchIndex {
        name: String,
        index: usize,
        values: usize,
    },
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
                    "the thing variables resolve only when the client id is the name of a thing attached to the certificate (or the certificate is attached to one thing exclusively): the client id is {:?} and {things}",
                    context.client_id
                )
            }
            Absence::NotOnThing(what) => format!("the thing has no {what}"),
            Absence::NotInCertificate(name) => {
                format!("the certificate has no value for {name}")
            }
            Absence::NoSuchIndex {
                name,
                index,
                values,
            } => format!(
                "{name}.{index} asks for value {} of {name}, which has {values} in the certificate (the index counts from 0: .1 is the second value); AWS makes no substitution and authorisation fails",
                index + 1
            ),
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
/// from the certificate. The others (the alternative names' `DirectoryName`, whose text form
/// the guide does not give, and `Certificate.AvailableKeys`, whose value it does not give)
/// cannot be told.
pub const CERTIFICATE_VARIABLES: &[&str] = &[
    "CertificateId",
    "Certificate.SerialNumber",
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
    "Certificate.Issuer.AlternativeName.RFC822Name",
    "Certificate.Issuer.AlternativeName.DNSName",
    "Certificate.Issuer.AlternativeName.UniformResourceIdentifier",
    "Certificate.Issuer.AlternativeName.IPAddress",
];

/// "Certificate attributes that contain arrays are limited to five items. Additional items
/// are ignored." (cert-policy-variables, limitations)
pub const CERTIFICATE_ARRAY_LIMIT: usize = 5;

/// "All string values are limited to 1024 characters. If a certificate attribute contains a
/// string longer than 1024 characters, the policy variable is not replaced."
pub const CERTIFICATE_STRING_LIMIT: usize = 1024;

/// "If wildcard characters are present in certificate attributes, the policy variable is not
/// replaced by the certificate attribute value. This will leave the `${policy-variable}` text
/// in the policy document. [...] The following wildcard characters can be used: `*`, `$`,
/// `+`, `?`, and `#`."
pub const CERTIFICATE_WILDCARDS: &[char] = &['*', '$', '+', '?', '#'];

/// How a variable was substituted in a policy: shown with a decision, so that a reader sees
/// what the policy said once AWS had filled it in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Substitution {
    /// The variable as written, e.g. `iot:Connection.Thing.ThingName`.
    pub variable: String,
    /// The text put in its place; None when it has none here (the pattern matches nothing).
    pub value: Option<String>,
    /// Why it was substituted so (first of several values, not substituted because of a
    /// wildcard character, ...), when it is not plain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

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
            // "This variable has value true or false": once a connection exists it is never
            // absent; false when the connection resolves to no attached thing.
            "iot:Connection.Thing.IsAttached" => {
                Resolved::Values(vec![self.thing.is_some().to_string()])
            }
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
                if let Some(resolved) = self.certificate_variable(name) {
                    return resolved;
                }
                if matches!(
                    name,
                    "iot:Certificate.Subject.AlternativeName.DirectoryName"
                        | "iot:Certificate.Issuer.AlternativeName.DirectoryName"
                        | "iot:Certificate.AvailableKeys"
                ) {
                    return Resolved::Unknown(format!(
                        "{name} is a certificate variable whose text form AWS does not document"
                    ));
                }
                Resolved::Unknown(format!(
                    "{name} depends on the live connection or is not known to iotcheck"
                ))
            }
        }
    }
}

impl Context {
    /// A certificate variable: `NAME` (its first value, as AWS substitutes it), `NAME.List`
    /// (every value, for `ForAnyValue`/`ForAllValues`), `NAME.N` (the value at index N, from
    /// 0: "`iot:Certificate.Subject.Country.1` is replaced by the second country name"). At
    /// most five values count. None when `name` is no certificate variable.
    fn certificate_variable(&self, name: &str) -> Option<Resolved> {
        let known = |n: &str| {
            n.strip_prefix("iot:")
                .is_some_and(|n| CERTIFICATE_VARIABLES.contains(&n))
        };
        let (base, selector) = if known(name) {
            (name, Selector::First)
        } else if let Some(base) = name.strip_suffix(".List").filter(|b| known(b)) {
            (base, Selector::All)
        } else {
            let (base, index) = name.rsplit_once('.')?;
            if !known(base) || index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (base, Selector::Index(index.parse().unwrap_or(usize::MAX)))
        };
        let values: Vec<String> = self
            .certificate
            .get(base)
            .map(|v| v.iter().take(CERTIFICATE_ARRAY_LIMIT).cloned().collect())
            .unwrap_or_default();
        if values.is_empty() {
            return Some(Resolved::Absent(Absence::NotInCertificate(
                base.to_string(),
            )));
        }
        Some(match selector {
            Selector::All => Resolved::Values(values),
            Selector::First => Resolved::Values(vec![values[0].clone()]),
            Selector::Index(index) => match values.get(index) {
                Some(value) => Resolved::Values(vec![value.clone()]),
                None => Resolved::Absent(Absence::NoSuchIndex {
                    name: base.to_string(),
                    index,
                    values: values.len(),
                }),
            },
        })
    }

    /// What AWS puts in place of `${name}` in a policy: the variable's one value, or, for
    /// a certificate variable whose value holds a wildcard character or is longer than 1,024
    /// characters, the `${name}` text itself (AWS does not substitute it).
    pub(crate) fn substitute(&self, name: &str) -> (Resolved, Option<String>) {
        let resolved = self.resolve(name);
        let Resolved::Values(values) = &resolved else {
            return (resolved, None);
        };
        let Some(value) = values.first() else {
            return (resolved, None);
        };
        if name.starts_with("iot:Certificate") {
            let literal = || Resolved::Values(vec![format!("${{{name}}}")]);
            if value.contains(CERTIFICATE_WILDCARDS) {
                return (
                    literal(),
                    Some(format!(
                        "not substituted: the certificate's value {value:?} holds a wildcard character (* $ + ? #), so AWS leaves the ${{{name}}} text in the policy"
                    )),
                );
            }
            if value.chars().count() > CERTIFICATE_STRING_LIMIT {
                return (
                    literal(),
                    Some(format!(
                        "not substituted: the certificate's value is longer than {CERTIFICATE_STRING_LIMIT} characters, so AWS leaves the ${{{name}}} text in the policy"
                    )),
                );
            }
            let all = self
                .certificate
                .get(name)
                .map(|v| v.len().min(CERTIFICATE_ARRAY_LIMIT))
                .unwrap_or(0);
            if all > 1 {
                return (
                    resolved,
                    Some(format!(
                        "the first of {all} values (AWS substitutes the first; {name}.1 is the second)"
                    )),
                );
            }
        }
        (resolved, None)
    }
}

enum Selector {
    First,
    All,
    Index(usize),
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
        Some(body) => (body, ".List".to_string()),
        None => match lower.rsplit_once('.') {
            Some((body, index))
                if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (body, format!(".{index}"))
            }
            _ => (lower.as_str(), String::new()),
        },
    };
    match CERTIFICATE_VARIABLES
        .iter()
        .find(|v| format!("iot:{}", v.to_ascii_lowercase()) == body)
    {
        Some(v) => format!("iot:{v}{list}"),
        None => key.to_string(),
    }
}

/// A big-endian unsigned integer (a serial number's bytes) in decimal.
pub fn decimal(bytes: &[u8]) -> String {
    // Base 10^9 limbs, least significant first.
    let mut limbs: Vec<u32> = vec![0];
    for &byte in bytes {
        let mut carry = u64::from(byte);
        for limb in limbs.iter_mut() {
            let value = u64::from(*limb) * 256 + carry;
            *limb = (value % 1_000_000_000) as u32;
            carry = value / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push((carry % 1_000_000_000) as u32);
            carry /= 1_000_000_000;
        }
    }
    let mut text = limbs.last().map(|l| l.to_string()).unwrap_or_default();
    for limb in limbs.iter().rev().skip(1) {
        text.push_str(&format!("{limb:09}"));
    }
    text
}

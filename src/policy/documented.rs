//! AWS's documented semantics of policy variables, as table tests: each row is an example of
//! the developer guide's pages, with the sentence that decides the expected answer.
//!
//! Pages: <https://docs.aws.amazon.com/iot/latest/developerguide/cert-policy-variables.html>
//! (CERT), <https://docs.aws.amazon.com/iot/latest/developerguide/use-policy-variables.html>
//! (USE), <https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html>
//! (THING), <https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-variables.html>
//! (VARIABLES), <https://docs.aws.amazon.com/iot/latest/developerguide/pub-sub-policy.html>
//! (PUBSUB).
//!
//! Where the pages are silent, iotcheck decides as follows (and these rows say so): a
//! certificate value with a wildcard character is compared as it is when it is a condition
//! *key* (the pages speak only of substitution into the policy text); an index of `.0` is the
//! first value (the pages give `.1` as the second).

use std::collections::BTreeMap;

use super::*;

use Action::{Connect, Publish};
use Outcome::{Allowed, Denied};

const ARN: &str = "arn:aws:iot:us-east-1:123456789012";

struct Row {
    page: &'static str,
    /// The sentence of the page that decides the answer.
    says: &'static str,
    /// The policy, with `ARN` for the account's ARN prefix.
    policy: &'static str,
    /// Certificate attributes: (variable without `iot:`, values).
    certificate: &'static [(&'static str, &'static [&'static str])],
    client: &'static str,
    /// Attached things: (name, exclusive).
    things: &'static [(&'static str, bool)],
    action: Action,
    resource: &'static str,
    expect: Outcome,
}

const COUNTRIES: &[(&str, &[&str])] = &[("Certificate.Subject.Country", &["US", "CA"])];
const CLIENT_IS_COUNTRY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Certificate.Subject.Country}"}]}"#;
const CLIENT_IS_COUNTRY_1: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Certificate.Subject.Country.1}"}]}"#;
const CLIENT_IS_COUNTRY_2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Certificate.Subject.Country.2}"}]}"#;
const ANY_COUNTRY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"iot:Certificate.Subject.Country.List":"CA"}}}]}"#;
const SIX_OUS: &[(&str, &[&str])] = &[(
    "Certificate.Subject.OrganizationalUnit",
    &["a", "b", "c", "d", "e", "f"],
)];
const CLIENT_IS_OU_4: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Certificate.Subject.OrganizationalUnit.4}"}]}"#;
const CLIENT_IS_OU_5: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Certificate.Subject.OrganizationalUnit.5}"}]}"#;
const WILD_CN: &[(&str, &[&str])] = &[("Certificate.Subject.CommonName", &["sensor-*"])];
const HASH_CN: &[(&str, &[&str])] = &[("Certificate.Subject.CommonName", &["room/#"])];
const CLIENT_IS_CN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Certificate.Subject.CommonName}"}]}"#;
const CN_EQUALS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringEquals":{"iot:Certificate.Subject.CommonName":"sensor-*"}}}]}"#;
// USE, "Example policies using certificate policy variables".
const SERIAL_AND_ORGANIZATION: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["ARN:client/${iot:Certificate.SerialNumber}"]},
 {"Effect":"Allow","Action":["iot:Publish"],"Resource":["ARN:topic/${iot:Certificate.Subject.Organization}/device-stats/${iot:ClientId}/*"]}]}"#;
const SERIAL_ORG: &[(&str, &[&str])] = &[
    ("Certificate.SerialNumber", &["10525622389124227206"]),
    ("Certificate.Subject.Organization", &["IoT Devices"]),
];
const SERIAL_ONLY: &[(&str, &[&str])] = &[("Certificate.SerialNumber", &["10525622389124227206"])];
// USE, the Null example.
const NULL_SERIAL_AND_CN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iot:Connect"],"Resource":["ARN:client/*"],
 "Condition":{"Null":{"iot:Certificate.SerialNumber":"false","iot:Certificate.Subject.CommonName":"false"}}}]}"#;
const SERIAL_AND_CN: &[(&str, &[&str])] = &[
    ("Certificate.SerialNumber", &["123"]),
    ("Certificate.Subject.CommonName", &["LightBulb Device Cert"]),
];
// THING: IsAttached.
const CONNECT_IF_ATTACHED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/*","Condition":{"Bool":{"iot:Connection.Thing.IsAttached":["true"]}}}]}"#;
const DENY_IF_NOT_ATTACHED: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/*"},
 {"Effect":"Deny","Action":"iot:Connect","Resource":"*","Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"false"}}}]}"#;
const CLIENT_IS_THING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/things/${iot:Connection.Thing.ThingName}/data"}]}"#;
// VARIABLES: "The characters + and # are treated as literal strings in a policy."
const PUBLISH_PLUS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/room/+/temp"}]}"#;
const PUBLISH_STAR: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/room/*"}]}"#;
const PUBLISH_ESCAPED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/room/${*}"}]}"#;

const NO_CERT: &[(&str, &[&str])] = &[];
const NO_THINGS: &[(&str, bool)] = &[];
const BULB: &[(&str, bool)] = &[("bulb-1", false)];
const BULB_EXCLUSIVE: &[(&str, bool)] = &[("bulb-1", true)];

const FIRST: &str = "By default, the policy variables for each multi-value attribute return the first value. For example, the Certificate.Subject.Country attribute might contain a list of country names, but when evaluated in a policy, iot:Certificate.Subject.Country is replaced by the first country name.";
const INDEX: &str = "You can request a specific attribute value other than the first value by using a one-based index. For example, iot:Certificate.Subject.Country.1 is replaced by the second country name in the Certificate.Subject.Country attribute.";
const NO_INDEX: &str = "If you specify an index value that does not exist (for example, if you ask for a third value when there are only two values assigned to the attribute), no substitution is made and authorization fails.";
const LIST: &str = "You can use the .List suffix on the policy variable name to specify all values of the attribute.";
const ARRAYS: &str = "Certificate attributes that contain arrays are limited to five items. Additional items are ignored.";
const WILDCARDS: &str = "If wildcard characters are present in certificate attributes, the policy variable is not replaced by the certificate attribute value. This will leave the ${policy-variable} text in the policy document. This might cause authorization failure. The following wildcard characters can be used: *, $, +, ?, and #.";
const SERIAL: &str = "The following policy document allows connections with client ID that matches the certificate serial number and publishing to the topic that matches the pattern: ${iot:Certificate.Subject.Organization}/device-stats/${iot:ClientId}/*.";
const MISSING: &str = "For example, if you attach the following policy document to a certificate that doesn't contain the iot:Certificate.Subject.Organization attribute, the iot:Certificate.Subject.Organization certificate policy variables won't be populated during the policy evaluation.";
const NULL: &str = "The following policy document allows iot:Connect with certificates only when the Certificate Serial Number and Certificate Subject Common name attributes are present.";
const IS_ATTACHED: &str = "iot:Connection.Thing.IsAttached: [\"true\"] enforces that only the devices that are both registered in AWS IoT and attached to principal can access the permissions inside the policy. [...] This variable has value true or false indicating that the connecting thing is attached to the certificate or Amazon Cognito identity in the registry with AttachThingPrincipal API.";
const NON_EXCLUSIVE: &str = "If non-exclusive thing association is in place, when you're replacing thing names with thing policy variables, the value of clientId in the MQTT connect message or the TLS connection must exactly match the thing name.";
const LITERAL: &str = "The characters + and # are treated as literal strings in a policy.";
const STAR: &str =
    "Inserting an * (asterik) in the string can be treated as a wildcard, matching any characters.";
const SPECIAL: &str = "You can also use predefined policy variables with fixed values to represent characters that otherwise have special meaning. These special characters include $(*), $(?), and $($).";
const SILENT_KEY: &str = "(silent) the limitation speaks of substitution into the policy text; a condition key is compared with the certificate's value as it is";

#[rustfmt::skip]
const ROWS: &[Row] = &[
    Row { page: "CERT", says: FIRST, policy: CLIENT_IS_COUNTRY, certificate: COUNTRIES, client: "US", things: NO_THINGS, action: Connect, resource: "US", expect: Allowed },
    Row { page: "CERT", says: FIRST, policy: CLIENT_IS_COUNTRY, certificate: COUNTRIES, client: "CA", things: NO_THINGS, action: Connect, resource: "CA", expect: Denied },
    Row { page: "CERT", says: INDEX, policy: CLIENT_IS_COUNTRY_1, certificate: COUNTRIES, client: "CA", things: NO_THINGS, action: Connect, resource: "CA", expect: Allowed },
    Row { page: "CERT", says: INDEX, policy: CLIENT_IS_COUNTRY_1, certificate: COUNTRIES, client: "US", things: NO_THINGS, action: Connect, resource: "US", expect: Denied },
    Row { page: "CERT", says: NO_INDEX, policy: CLIENT_IS_COUNTRY_2, certificate: COUNTRIES, client: "US", things: NO_THINGS, action: Connect, resource: "US", expect: Denied },
    Row { page: "CERT", says: NO_INDEX, policy: CLIENT_IS_COUNTRY_2, certificate: COUNTRIES, client: "${iot:Certificate.Subject.Country.2}", things: NO_THINGS, action: Connect, resource: "${iot:Certificate.Subject.Country.2}", expect: Denied },
    Row { page: "CERT", says: LIST, policy: ANY_COUNTRY, certificate: COUNTRIES, client: "x", things: NO_THINGS, action: Connect, resource: "x", expect: Allowed },
    Row { page: "USE", says: ARRAYS, policy: CLIENT_IS_OU_4, certificate: SIX_OUS, client: "e", things: NO_THINGS, action: Connect, resource: "e", expect: Allowed },
    Row { page: "USE", says: ARRAYS, policy: CLIENT_IS_OU_5, certificate: SIX_OUS, client: "f", things: NO_THINGS, action: Connect, resource: "f", expect: Denied },
    Row { page: "USE", says: WILDCARDS, policy: CLIENT_IS_CN, certificate: WILD_CN, client: "sensor-1", things: NO_THINGS, action: Connect, resource: "sensor-1", expect: Denied },
    Row { page: "USE", says: WILDCARDS, policy: CLIENT_IS_CN, certificate: WILD_CN, client: "sensor-*", things: NO_THINGS, action: Connect, resource: "sensor-*", expect: Denied },
    Row { page: "USE", says: WILDCARDS, policy: CLIENT_IS_CN, certificate: WILD_CN, client: "${iot:Certificate.Subject.CommonName}", things: NO_THINGS, action: Connect, resource: "${iot:Certificate.Subject.CommonName}", expect: Allowed },
    Row { page: "USE", says: WILDCARDS, policy: CLIENT_IS_CN, certificate: HASH_CN, client: "room/#", things: NO_THINGS, action: Connect, resource: "room/#", expect: Denied },
    Row { page: "USE", says: SILENT_KEY, policy: CN_EQUALS, certificate: WILD_CN, client: "x", things: NO_THINGS, action: Connect, resource: "x", expect: Allowed },
    Row { page: "USE", says: SERIAL, policy: SERIAL_AND_ORGANIZATION, certificate: SERIAL_ORG, client: "10525622389124227206", things: NO_THINGS, action: Connect, resource: "10525622389124227206", expect: Allowed },
    Row { page: "USE", says: SERIAL, policy: SERIAL_AND_ORGANIZATION, certificate: SERIAL_ORG, client: "92:12:85:cb:b7:a5:e0:86", things: NO_THINGS, action: Connect, resource: "92:12:85:cb:b7:a5:e0:86", expect: Denied },
    Row { page: "USE", says: SERIAL, policy: SERIAL_AND_ORGANIZATION, certificate: SERIAL_ORG, client: "d1", things: NO_THINGS, action: Publish, resource: "IoT Devices/device-stats/d1/cpu", expect: Allowed },
    Row { page: "USE", says: SERIAL, policy: SERIAL_AND_ORGANIZATION, certificate: SERIAL_ORG, client: "d1", things: NO_THINGS, action: Publish, resource: "IoT Devices/device-stats/d2/cpu", expect: Denied },
    Row { page: "USE", says: MISSING, policy: SERIAL_AND_ORGANIZATION, certificate: SERIAL_ONLY, client: "d1", things: NO_THINGS, action: Publish, resource: "/device-stats/d1/cpu", expect: Denied },
    Row { page: "USE", says: NULL, policy: NULL_SERIAL_AND_CN, certificate: SERIAL_AND_CN, client: "d1", things: NO_THINGS, action: Connect, resource: "d1", expect: Allowed },
    Row { page: "USE", says: NULL, policy: NULL_SERIAL_AND_CN, certificate: SERIAL_ONLY, client: "d1", things: NO_THINGS, action: Connect, resource: "d1", expect: Denied },
    Row { page: "THING", says: IS_ATTACHED, policy: CONNECT_IF_ATTACHED, certificate: NO_CERT, client: "bulb-1", things: BULB, action: Connect, resource: "bulb-1", expect: Allowed },
    Row { page: "THING", says: IS_ATTACHED, policy: CONNECT_IF_ATTACHED, certificate: NO_CERT, client: "bulb-2", things: BULB, action: Connect, resource: "bulb-2", expect: Denied },
    Row { page: "THING", says: IS_ATTACHED, policy: DENY_IF_NOT_ATTACHED, certificate: NO_CERT, client: "bulb-2", things: BULB, action: Connect, resource: "bulb-2", expect: Denied },
    Row { page: "THING", says: IS_ATTACHED, policy: DENY_IF_NOT_ATTACHED, certificate: NO_CERT, client: "bulb-1", things: BULB, action: Connect, resource: "bulb-1", expect: Allowed },
    Row { page: "THING", says: IS_ATTACHED, policy: DENY_IF_NOT_ATTACHED, certificate: NO_CERT, client: "anyone", things: NO_THINGS, action: Connect, resource: "anyone", expect: Denied },
    Row { page: "THING", says: NON_EXCLUSIVE, policy: CLIENT_IS_THING, certificate: NO_CERT, client: "bulb-1", things: BULB, action: Publish, resource: "things/bulb-1/data", expect: Allowed },
    Row { page: "THING", says: NON_EXCLUSIVE, policy: CLIENT_IS_THING, certificate: NO_CERT, client: "other", things: BULB, action: Publish, resource: "things/bulb-1/data", expect: Denied },
    Row { page: "THING", says: NON_EXCLUSIVE, policy: CLIENT_IS_THING, certificate: NO_CERT, client: "other", things: BULB_EXCLUSIVE, action: Publish, resource: "things/bulb-1/data", expect: Allowed },
    Row { page: "THING", says: NON_EXCLUSIVE, policy: DENY_IF_NOT_ATTACHED, certificate: NO_CERT, client: "other", things: BULB_EXCLUSIVE, action: Connect, resource: "other", expect: Allowed },
    Row { page: "VARIABLES", says: LITERAL, policy: PUBLISH_PLUS, certificate: NO_CERT, client: "d1", things: NO_THINGS, action: Publish, resource: "room/1/temp", expect: Denied },
    Row { page: "VARIABLES", says: LITERAL, policy: PUBLISH_PLUS, certificate: NO_CERT, client: "d1", things: NO_THINGS, action: Publish, resource: "room/+/temp", expect: Allowed },
    Row { page: "VARIABLES", says: STAR, policy: PUBLISH_STAR, certificate: NO_CERT, client: "d1", things: NO_THINGS, action: Publish, resource: "room/1/temp", expect: Allowed },
    Row { page: "VARIABLES", says: SPECIAL, policy: PUBLISH_ESCAPED, certificate: NO_CERT, client: "d1", things: NO_THINGS, action: Publish, resource: "room/1", expect: Denied },
    Row { page: "VARIABLES", says: SPECIAL, policy: PUBLISH_ESCAPED, certificate: NO_CERT, client: "d1", things: NO_THINGS, action: Publish, resource: "room/*", expect: Allowed },
];

fn context(row: &Row) -> Context {
    let certificate: BTreeMap<String, Vec<String>> = row
        .certificate
        .iter()
        .map(|(name, values)| {
            (
                format!("iot:{name}"),
                values.iter().map(|v| v.to_string()).collect(),
            )
        })
        .collect();
    let thing = |name: &str, exclusive: bool| Thing {
        name: name.to_string(),
        exclusive,
        ..Thing::default()
    };
    let resolved = row
        .things
        .iter()
        .find(|(name, _)| *name == row.client)
        .or_else(|| row.things.iter().find(|(_, exclusive)| *exclusive))
        .map(|(name, exclusive)| thing(name, *exclusive));
    Context {
        partition: "aws".into(),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        client_id: row.client.into(),
        thing: resolved,
        attached_things: row.things.iter().map(|(n, _)| n.to_string()).collect(),
        certificate,
    }
}

#[test]
fn the_documented_examples() {
    let mut failures = Vec::new();
    for (i, row) in ROWS.iter().enumerate() {
        let text = row.policy.replace("ARN:", &format!("{ARN}:"));
        let document = Document::parse(&text).unwrap_or_else(|e| panic!("row {i}: {e}"));
        let ctx = context(row);
        let decision = evaluate(
            &[("P", &document)],
            &Request::new(row.action, row.resource, &ctx),
            &ctx,
        );
        if decision.outcome != row.expect {
            failures.push(format!(
                "row {i} ({}: {:?} {} by {}): expected {:?} because {:?}; got {:?}",
                row.page, row.action, row.resource, row.client, row.expect, row.says, decision
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_substitution_that_decides_is_named() {
    let row = &ROWS[0];
    let text = row.policy.replace("ARN:", &format!("{ARN}:"));
    let document = Document::parse(&text).unwrap();
    let ctx = context(row);
    let decision = evaluate(
        &[("P", &document)],
        &Request::new(Connect, "US", &ctx),
        &ctx,
    );
    assert_eq!(decision.substitutions.len(), 1, "{decision:?}");
    let s = &decision.substitutions[0];
    assert_eq!(s.variable, "iot:Certificate.Subject.Country");
    assert_eq!(s.value.as_deref(), Some("US"));
    assert!(
        s.note.as_deref().unwrap_or("").contains("first of 2"),
        "{s:?}"
    );
}

#[test]
fn a_wildcard_value_is_left_unsubstituted_and_said_so() {
    let row = &ROWS[9];
    let text = row.policy.replace("ARN:", &format!("{ARN}:"));
    let document = Document::parse(&text).unwrap();
    let ctx = context(row);
    let decision = evaluate(
        &[("P", &document)],
        &Request::new(Connect, "sensor-1", &ctx),
        &ctx,
    );
    assert_eq!(decision.outcome, Denied);
    // The Allow did not apply, so no statement decides; the note is on the statement that
    // would have, when there is one.
    let ctx_literal = Context {
        client_id: "${iot:Certificate.Subject.CommonName}".into(),
        ..ctx
    };
    let decision = evaluate(
        &[("P", &document)],
        &Request::new(
            Connect,
            "${iot:Certificate.Subject.CommonName}",
            &ctx_literal,
        ),
        &ctx_literal,
    );
    assert_eq!(decision.outcome, Allowed);
    let note = decision.substitutions[0].note.clone().unwrap_or_default();
    assert!(note.contains("wildcard"), "{note}");
}

#[test]
fn the_serial_number_is_decimal() {
    // USE: "Serial Number: 92:12:85:cb:b7:a5:e0:86" is
    // "iot:Certificate.SerialNumber = 10525622389124227206".
    assert_eq!(
        super::decimal(&[0x92, 0x12, 0x85, 0xcb, 0xb7, 0xa5, 0xe0, 0x86]),
        "10525622389124227206"
    );
    assert_eq!(super::decimal(&[]), "0");
    assert_eq!(super::decimal(&[0x01, 0x00]), "256");
    assert_eq!(
        super::decimal(&[0xff; 20]),
        "1461501637330902918203684832716283019655932542975"
    );
}

//! The evaluator's table. Policies marked "AWS:" are AWS's documented examples for devices,
//! as published (account 123456789012, region us-east-1) on the page named beside them.

use std::collections::BTreeMap;

use super::*;

use Action::{Connect, Publish, Receive, Subscribe};
use Outcome::{Allowed, CannotTell, Denied};

// AWS: https://docs.aws.amazon.com/iot/latest/developerguide/connect-and-pub.html
// (registered devices: client id and topic are the thing name).
const THING_CONNECT_AND_PUBLISH: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Publish"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:Connection.Thing.ThingName}"]},
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]}]}"#;

// AWS: same page (unregistered devices: client id client1, topic the client id).
const CLIENT1_CONNECT_AND_PUBLISH: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Publish"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}"]},
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/client1"]}]}"#;

// AWS: https://docs.aws.amazon.com/iot/latest/developerguide/connect-policy.html
// (explicit Deny of client1 and client2; Allow of the attached thing's name).
const DENY_CLIENTS_ALLOW_THING: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Deny","Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/client1","arn:aws:iot:us-east-1:123456789012:client/client2"]},
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"],
  "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}}]}"#;

// AWS: https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-examples.html
const CONNECT_IF_ATTACHED: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["*"],"Condition":{"Bool":{"iot:Connection.Thing.IsAttached":["true"]}}}]}"#;

// AWS: same page (thing type and attribute conditions).
const PUBLISH_IF_TYPE_AND_ATTRIBUTE: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Publish"],"Resource":"arn:aws:iot:us-east-1:123456789012:topic/device/stats",
  "Condition":{"StringEquals":{"iot:Connection.Thing.Attributes[attributeName]":"attributeValue","iot:Connection.Thing.ThingTypeName":"Thing_Type_Name"},
               "Bool":{"iot:Connection.Thing.IsAttached":"true"}}}]}"#;

// AWS: https://docs.aws.amazon.com/iot/latest/developerguide/certificate-policy-examples.html
const PUBLISH_TO_CERTIFICATE_ID: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Publish"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/${iot:CertificateId}"]},
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]}]}"#;

// AWS: https://docs.aws.amazon.com/iot/latest/developerguide/pub-sub-policy.html
// (topics specific to each device: the thing name in topic and topic filter).
const PER_THING_TOPICS: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"]},
 {"Effect":"Allow","Action":["iot:Publish"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/things/${iot:Connection.Thing.ThingName}/*"]},
 {"Effect":"Allow","Action":["iot:Subscribe"],"Resource":["arn:aws:iot:us-east-1:123456789012:topicfilter/things/${iot:Connection.Thing.ThingName}/*"]},
 {"Effect":"Allow","Action":["iot:Receive"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/things/${iot:Connection.Thing.ThingName}/*"]}]}"#;

// AWS: same page (deny publishing to subtopics of a topic).
const DENY_SUBTOPICS: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Connect"],"Resource":["arn:aws:iot:us-east-1:123456789012:client/${iot:ClientId}"]},
 {"Effect":"Allow","Action":["iot:Publish"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/department/*"]},
 {"Effect":"Deny","Action":["iot:Publish"],"Resource":["arn:aws:iot:us-east-1:123456789012:topic/department/admin/*"]}]}"#;

// AWS: same page (MQTT wildcards are literal characters in a policy).
const MQTT_WILDCARD_FILTER: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iot:Subscribe"],"Resource":["arn:aws:iot:us-east-1:123456789012:topicfilter/room/+/temp"]}]}"#;

const CLIENT_PREFIX: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/sensor-*"}]}"#;

const CLIENT_ONE_CHARACTER: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/sensor-?"}]}"#;

const IOT_STAR: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#;
const STAR: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
const UPPER_CASE_ACTION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"IOT:CONNECT","Resource":"arn:aws:iot:us-east-1:123456789012:client/*"}]}"#;
const NOT_ACTION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iot:Publish","Resource":"*"}]}"#;
const NOT_RESOURCE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","NotResource":"arn:aws:iot:us-east-1:123456789012:topic/secret"}]}"#;
const CAPITAL_CLIENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/Sensor-1"}]}"#;
const OLD_VERSION: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/${iot:ClientId}"}]}"#;
const SOURCE_IP: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
const UNKNOWN_VARIABLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/${aws:username}"}]}"#;
const ALLOW_BUT_UNKNOWN_DENY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/*"},
 {"Effect":"Deny","Action":"iot:Connect","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
const ONLY_UNKNOWN_DENY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Deny","Action":"iot:Connect","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
const NO_STATEMENTS: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;
const DENY_CONNECT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoConnect","Effect":"Deny","Action":"iot:Connect","Resource":"*"}]}"#;
const PUBLISH_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"*"}]}"#;
const CONNECT_ANY_CLIENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/*"}]}"#;
const CLIENT_LIKE_CONDITION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringLike":{"iot:ClientId":"sensor-*"}}}]}"#;
const NOT_EQUALS_ABSENT_TYPE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringNotEquals":{"iot:Connection.Thing.ThingTypeName":"Camera"}}}]}"#;
const EQUALS_IF_EXISTS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringEqualsIfExists":{"iot:Connection.Thing.ThingTypeName":"Camera"}}}]}"#;
const NULL_TYPE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"Null":{"iot:Connection.Thing.ThingTypeName":"true"}}}]}"#;
const CLIENT_IS_CN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/${iot:Certificate.Subject.CommonName}"}]}"#;
const CLIENT_IS_TITLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/${iot:Certificate.Subject.Title}"}]}"#;
const CLIENT_IS_DNS_NAME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:client/${iot:Certificate.Subject.AlternativeName.DNSName}"}]}"#;
// Multi-valued certificate attributes (several SAN DNS names), set-qualified: see
// https://docs.aws.amazon.com/iot/latest/developerguide/use-policy-variables.html
// ("X.509 Certificate policy variable limitations") and IAM's ForAnyValue/ForAllValues.
const ANY_DNS_NAME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"iot:Certificate.Subject.AlternativeName.DNSName.List":["b.example"]}}}]}"#;
const ALL_DNS_NAMES: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"ForAllValues:StringLike":{"iot:Certificate.Subject.AlternativeName.DNSName.List":["*.example"]}}}]}"#;
const ESCAPED_STAR: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:123456789012:topic/a${*}"}]}"#;
const TOPIC_FROM_CLIENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}/x"}]}"#;
const DATE_CONDITION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}"#;
const BOOL_CAPITALISED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"True"}}}]}"#;
const ORGANIZATION: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringEquals":{"iot:Certificate.Subject.Organization":"Example Corp"}}}]}"#;
const SERIAL_NUMERIC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"NumericLessThan":{"iot:Certificate.SerialNumber":"100"}}}]}"#;
const CLIENT_ID_IS_THING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"StringEquals":{"iot:ClientId":"${iot:Connection.Thing.ThingName}"}}}]}"#;
const KEY_IN_OTHER_CASE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"Bool":{"IOT:connection.thing.isattached":"true"}}}]}"#;
const ARN_LIKE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*","Condition":{"ArnLike":{"iot:Connection.Thing.Attributes[site]":"arn:aws:iot:*:123456789012:*"}}}]}"#;

/// What a case checks beyond the outcome.
#[derive(Clone, Copy, Debug)]
enum Also {
    Nothing,
    ExplicitDeny,
    ThingNotResolved,
    /// Decided by this statement (from 0) of this policy (from 0 in the case's list).
    DecidedBy(usize, usize),
}

struct Case {
    name: &'static str,
    policies: &'static [&'static str],
    client: &'static str,
    things: &'static [&'static str],
    action: Action,
    resource: &'static str,
    expect: Outcome,
    also: Also,
}

// One row of the table, read left to right like the table itself.
#[allow(clippy::too_many_arguments)]
const fn case(
    name: &'static str,
    policies: &'static [&'static str],
    client: &'static str,
    things: &'static [&'static str],
    action: Action,
    resource: &'static str,
    expect: Outcome,
    also: Also,
) -> Case {
    Case {
        name,
        policies,
        client,
        things,
        action,
        resource,
        expect,
        also,
    }
}

const ONE: &[&str] = &["sensor-1"];
const NONE: &[&str] = &[];
use Also::{DecidedBy, ExplicitDeny, Nothing, ThingNotResolved};

#[rustfmt::skip]
const CASES: &[Case] = &[
    case("thing name: connect as the attached thing", &[THING_CONNECT_AND_PUBLISH], "sensor-1", ONE, Connect, "sensor-1", Allowed, DecidedBy(0, 1)),
    case("thing name: publish to the thing's topic", &[THING_CONNECT_AND_PUBLISH], "sensor-1", ONE, Publish, "sensor-1", Allowed, DecidedBy(0, 0)),
    case("thing name: publish to another topic", &[THING_CONNECT_AND_PUBLISH], "sensor-1", ONE, Publish, "other", Denied, Nothing),
    case("thing name: client id is not the thing", &[THING_CONNECT_AND_PUBLISH], "other-id", ONE, Connect, "other-id", Denied, ThingNotResolved),
    case("thing name: no thing attached", &[THING_CONNECT_AND_PUBLISH], "sensor-1", NONE, Connect, "sensor-1", Denied, ThingNotResolved),
    case("client1: connects", &[CLIENT1_CONNECT_AND_PUBLISH], "client1", NONE, Connect, "client1", Allowed, Nothing),
    case("client1: client2 does not", &[CLIENT1_CONNECT_AND_PUBLISH], "client2", NONE, Connect, "client2", Denied, Nothing),
    case("client1: publishes to its client id", &[CLIENT1_CONNECT_AND_PUBLISH], "client1", NONE, Publish, "client1", Allowed, Nothing),
    case("deny list: client1 denied even as a thing", &[DENY_CLIENTS_ALLOW_THING], "client1", &["client1"], Connect, "client1", Denied, ExplicitDeny),
    case("deny list: attached thing allowed", &[DENY_CLIENTS_ALLOW_THING], "sensor-1", ONE, Connect, "sensor-1", Allowed, DecidedBy(0, 1)),
    case("deny list: unattached client denied", &[DENY_CLIENTS_ALLOW_THING], "sensor-9", ONE, Connect, "sensor-9", Denied, ThingNotResolved),
    case("is attached: attached", &[CONNECT_IF_ATTACHED], "sensor-1", ONE, Connect, "sensor-1", Allowed, Nothing),
    case("is attached: not attached", &[CONNECT_IF_ATTACHED], "sensor-1", NONE, Connect, "sensor-1", Denied, ThingNotResolved),
    case("type and attribute: both match", &[PUBLISH_IF_TYPE_AND_ATTRIBUTE], "sensor-1", ONE, Publish, "device/stats", Allowed, Nothing),
    case("type and attribute: other type", &[PUBLISH_IF_TYPE_AND_ATTRIBUTE], "sensor-2", &["sensor-2"], Publish, "device/stats", Denied, Nothing),
    case("type and attribute: no attribute", &[PUBLISH_IF_TYPE_AND_ATTRIBUTE], "sensor-3", &["sensor-3"], Publish, "device/stats", Denied, Nothing),
    case("certificate id: publish to it", &[PUBLISH_TO_CERTIFICATE_ID], "sensor-1", ONE, Publish, "abc123", Allowed, Nothing),
    case("certificate id: another topic", &[PUBLISH_TO_CERTIFICATE_ID], "sensor-1", ONE, Publish, "abc124", Denied, Nothing),
    case("prefix: sensor-42", &[CLIENT_PREFIX], "sensor-42", NONE, Connect, "sensor-42", Allowed, Nothing),
    case("prefix: pump-1", &[CLIENT_PREFIX], "pump-1", NONE, Connect, "pump-1", Denied, Nothing),
    case("one character: sensor-1", &[CLIENT_ONE_CHARACTER], "sensor-1", NONE, Connect, "sensor-1", Allowed, Nothing),
    case("one character: sensor-10", &[CLIENT_ONE_CHARACTER], "sensor-10", NONE, Connect, "sensor-10", Denied, Nothing),
    case("per thing: connect", &[PER_THING_TOPICS], "sensor-1", ONE, Connect, "sensor-1", Allowed, Nothing),
    case("per thing: subscribe to its filter", &[PER_THING_TOPICS], "sensor-1", ONE, Subscribe, "things/sensor-1/#", Allowed, DecidedBy(0, 2)),
    case("per thing: receive on its topic", &[PER_THING_TOPICS], "sensor-1", ONE, Receive, "things/sensor-1/cmd", Allowed, DecidedBy(0, 3)),
    case("per thing: receive on another thing's topic", &[PER_THING_TOPICS], "sensor-1", ONE, Receive, "things/sensor-2/cmd", Denied, Nothing),
    case("per thing: subscribe to everything", &[PER_THING_TOPICS], "sensor-1", ONE, Subscribe, "things/#", Denied, Nothing),
    case("subtopics: admin denied", &[DENY_SUBTOPICS], "sensor-1", NONE, Publish, "department/admin/pay", Denied, ExplicitDeny),
    case("subtopics: sales allowed", &[DENY_SUBTOPICS], "sensor-1", NONE, Publish, "department/sales", Allowed, Nothing),
    case("mqtt wildcard is literal: concrete filter", &[MQTT_WILDCARD_FILTER], "sensor-1", NONE, Subscribe, "room/1/temp", Denied, Nothing),
    case("mqtt wildcard is literal: the same filter", &[MQTT_WILDCARD_FILTER], "sensor-1", NONE, Subscribe, "room/+/temp", Allowed, Nothing),
    case("iot:* on *", &[IOT_STAR], "anything", NONE, Receive, "x/y", Allowed, Nothing),
    case("* on * (one statement object)", &[STAR], "anything", NONE, Connect, "anything", Allowed, Nothing),
    case("actions compare without case", &[UPPER_CASE_ACTION], "sensor-1", NONE, Connect, "sensor-1", Allowed, Nothing),
    case("NotAction: connect", &[NOT_ACTION], "sensor-1", NONE, Connect, "sensor-1", Allowed, Nothing),
    case("NotAction: publish", &[NOT_ACTION], "sensor-1", NONE, Publish, "t", Denied, Nothing),
    case("NotResource: open topic", &[NOT_RESOURCE], "sensor-1", NONE, Publish, "open", Allowed, Nothing),
    case("NotResource: the secret topic", &[NOT_RESOURCE], "sensor-1", NONE, Publish, "secret", Denied, Nothing),
    case("resources compare with case", &[CAPITAL_CLIENT], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("2008-10-17: variables are literal", &[OLD_VERSION], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("2008-10-17: the literal text matches", &[OLD_VERSION], "${iot:ClientId}", NONE, Connect, "${iot:ClientId}", Allowed, Nothing),
    case("source ip: cannot tell", &[SOURCE_IP], "sensor-1", NONE, Connect, "sensor-1", CannotTell, DecidedBy(0, 0)),
    case("unknown variable: cannot tell", &[UNKNOWN_VARIABLE], "sensor-1", NONE, Connect, "sensor-1", CannotTell, Nothing),
    case("allowed, unknown deny: cannot tell", &[ALLOW_BUT_UNKNOWN_DENY], "sensor-1", NONE, Connect, "sensor-1", CannotTell, DecidedBy(0, 1)),
    case("nothing allows, unknown deny: denied", &[ONLY_UNKNOWN_DENY], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("no statements", &[NO_STATEMENTS], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("no policy at all", &[], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("deny in one policy beats allow in another", &[IOT_STAR, DENY_CONNECT], "sensor-1", NONE, Connect, "sensor-1", Denied, DecidedBy(1, 0)),
    case("allow from the second policy", &[PUBLISH_ONLY, CONNECT_ANY_CLIENT], "sensor-1", NONE, Connect, "sensor-1", Allowed, DecidedBy(1, 0)),
    case("StringLike on the client id", &[CLIENT_LIKE_CONDITION], "sensor-7", NONE, Connect, "sensor-7", Allowed, Nothing),
    case("StringLike on the client id: no match", &[CLIENT_LIKE_CONDITION], "pump-7", NONE, Connect, "pump-7", Denied, Nothing),
    case("StringNotEquals on an absent key holds", &[NOT_EQUALS_ABSENT_TYPE], "sensor-3", &["sensor-3"], Connect, "sensor-3", Allowed, Nothing),
    case("StringEqualsIfExists on an absent key holds", &[EQUALS_IF_EXISTS], "sensor-3", &["sensor-3"], Connect, "sensor-3", Allowed, Nothing),
    case("StringEqualsIfExists on another type fails", &[EQUALS_IF_EXISTS], "sensor-1", ONE, Connect, "sensor-1", Denied, Nothing),
    case("Null: no thing type", &[NULL_TYPE], "sensor-3", &["sensor-3"], Connect, "sensor-3", Allowed, Nothing),
    case("Null: a thing type", &[NULL_TYPE], "sensor-1", ONE, Connect, "sensor-1", Denied, Nothing),
    case("client id is the certificate's CN", &[CLIENT_IS_CN], "device-cn", NONE, Connect, "device-cn", Allowed, Nothing),
    case("client id is not the certificate's CN", &[CLIENT_IS_CN], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("certificate attribute not in the certificate", &[CLIENT_IS_TITLE], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("several DNS names in a resource: the first", &[CLIENT_IS_DNS_NAME], "a.example", NONE, Connect, "a.example", Allowed, Nothing),
    case("several DNS names in a resource: not the second", &[CLIENT_IS_DNS_NAME], "b.example", NONE, Connect, "b.example", Denied, Nothing),
    case("ForAnyValue over the DNS names", &[ANY_DNS_NAME], "sensor-1", NONE, Connect, "sensor-1", Allowed, Nothing),
    case("ForAllValues over the DNS names", &[ALL_DNS_NAMES], "sensor-1", NONE, Connect, "sensor-1", Allowed, Nothing),
    case("${*} is a literal star: a*", &[ESCAPED_STAR], "sensor-1", NONE, Publish, "a*", Allowed, Nothing),
    case("${*} is a literal star: ab", &[ESCAPED_STAR], "sensor-1", NONE, Publish, "ab", Denied, Nothing),
    case("a star in a client id is no wildcard", &[TOPIC_FROM_CLIENT], "a*", NONE, Publish, "abc/x", Denied, Nothing),
    case("a star in a client id matches itself", &[TOPIC_FROM_CLIENT], "a*", NONE, Publish, "a*/x", Allowed, Nothing),
    case("date operators: cannot tell", &[DATE_CONDITION], "sensor-1", NONE, Connect, "sensor-1", CannotTell, Nothing),
    case("Bool compares without case", &[BOOL_CAPITALISED], "sensor-1", ONE, Connect, "sensor-1", Allowed, Nothing),
    case("subject organization", &[ORGANIZATION], "sensor-1", NONE, Connect, "sensor-1", Allowed, Nothing),
    case("numeric serial number", &[SERIAL_NUMERIC], "sensor-1", NONE, Connect, "sensor-1", Allowed, Nothing),
    case("a variable in a condition value", &[CLIENT_ID_IS_THING], "sensor-1", ONE, Connect, "sensor-1", Allowed, Nothing),
    case("a variable in a condition value: no thing", &[CLIENT_ID_IS_THING], "sensor-1", NONE, Connect, "sensor-1", Denied, Nothing),
    case("ArnLike on a thing attribute", &[ARN_LIKE], "sensor-1", ONE, Connect, "sensor-1", Allowed, Nothing),
    case("condition keys compare without case", &[KEY_IN_OTHER_CASE], "sensor-1", ONE, Connect, "sensor-1", Allowed, Nothing),
    case("condition keys compare without case: not attached", &[KEY_IN_OTHER_CASE], "sensor-1", NONE, Connect, "sensor-1", Denied, ThingNotResolved),
];

/// The things of the table: sensor-1 has the documented type and attribute; sensor-2 another
/// type; sensor-3 no type and no attributes.
fn thing(name: &str) -> Thing {
    let mut attributes = BTreeMap::new();
    let type_name = match name {
        "sensor-1" => Some("Thing_Type_Name"),
        "sensor-2" => Some("Other_Type"),
        _ => None,
    };
    if name != "sensor-3" {
        attributes.insert("attributeName".to_string(), "attributeValue".to_string());
        attributes.insert(
            "site".to_string(),
            "arn:aws:iot:us-east-1:123456789012:thinggroup/plant".to_string(),
        );
    }
    Thing {
        name: name.to_string(),
        type_name: type_name.map(str::to_string),
        attributes,
        exclusive: false,
    }
}

fn context(client: &str, things: &[&str]) -> Context {
    let certificate = [
        ("iot:CertificateId", vec!["abc123"]),
        ("iot:Certificate.Subject.CommonName", vec!["device-cn"]),
        ("iot:Certificate.Subject.Organization", vec!["Example Corp"]),
        ("iot:Certificate.SerialNumber", vec!["42"]),
        (
            "iot:Certificate.Subject.AlternativeName.DNSName",
            vec!["a.example", "b.example"],
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
    .collect();
    Context {
        partition: "aws".into(),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        client_id: client.into(),
        thing: things.contains(&client).then(|| thing(client)),
        attached_things: things.iter().map(|t| t.to_string()).collect(),
        certificate,
    }
}

#[test]
fn the_table() {
    assert!(CASES.len() >= 40);
    let mut failures = Vec::new();
    for c in CASES {
        let documents: Vec<Document> = c
            .policies
            .iter()
            .map(|p| Document::parse(p).unwrap_or_else(|e| panic!("{}: {e}", c.name)))
            .collect();
        let names: Vec<String> = (0..documents.len()).map(|i| format!("p{i}")).collect();
        let policies: Vec<(&str, &Document)> = names
            .iter()
            .map(String::as_str)
            .zip(documents.iter())
            .collect();
        let ctx = context(c.client, c.things);
        let decision = evaluate(&policies, &Request::new(c.action, c.resource, &ctx), &ctx);
        let also_ok = match c.also {
            Also::Nothing => true,
            Also::ExplicitDeny => decision.explicit_deny,
            Also::ThingNotResolved => decision.thing_not_resolved,
            Also::DecidedBy(policy, statement) => decision
                .decided_by
                .as_ref()
                .is_some_and(|d| d.policy == format!("p{policy}") && d.index == statement),
        };
        if decision.outcome != c.expect || !also_ok {
            failures.push(format!(
                "{}: expected {:?} {:?}, got {decision:?}",
                c.name, c.expect, c.also
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_denial_by_thing_variables_says_why() {
    let document = Document::parse(THING_CONNECT_AND_PUBLISH).unwrap();
    let ctx = context("other-id", ONE);
    let decision = evaluate(
        &[("DevicePolicy", &document)],
        &Request::new(Connect, "other-id", &ctx),
        &ctx,
    );
    assert!(decision
        .reason
        .contains("statement 2 of policy DevicePolicy would"));
    assert!(
        decision.reason.contains("the client id is \"other-id\""),
        "{}",
        decision.reason
    );
    assert!(decision.reason.contains("sensor-1"));
}

#[test]
fn resources_are_arns_of_the_account() {
    let ctx = context("c", NONE);
    assert_eq!(
        Request::new(Subscribe, "a/#", &ctx).resource,
        "arn:aws:iot:us-east-1:123456789012:topicfilter/a/#"
    );
    assert_eq!(
        Request::new(Connect, "c", &ctx).resource,
        "arn:aws:iot:us-east-1:123456789012:client/c"
    );
}

#[test]
fn malformed_documents_are_refused_in_words() {
    for (text, says) in [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        (r#"{"Version":"2012-10-17"}"#, "no Statement"),
        (
            r#"{"Statement":[{"Action":"iot:Connect","Resource":"*"}]}"#,
            "statement 1: no Effect",
        ),
        (
            r#"{"Statement":[{"Effect":"Maybe","Action":"iot:Connect","Resource":"*"}]}"#,
            "neither Allow nor Deny",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"iot:Connect"}]}"#,
            "neither Resource nor NotResource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a","NotAction":"b","Resource":"*"}]}"#,
            "both Action and NotAction",
        ),
    ] {
        let error = Document::parse(text).unwrap_err();
        assert!(error.contains(says), "{text}: {error}");
    }
}

#[test]
fn broad_statements_are_named() {
    let broad = |text: &str| too_broad(&Document::parse(text).unwrap());
    assert_eq!(broad(IOT_STAR).len(), 1);
    assert!(broad(IOT_STAR)[0].1.contains("every action (iot:*)"));
    assert!(broad(IOT_STAR)[0].1.contains("every resource (*)"));
    assert!(broad(NOT_ACTION)[0].1.contains("NotAction"));
    assert!(broad(THING_CONNECT_AND_PUBLISH).is_empty());
    assert!(broad(DENY_CONNECT).is_empty(), "a broad Deny is no risk");
    assert_eq!(
        broad(r#"{"Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:123456789012:*"}]}"#)[0].0,
        0
    );
}

/// Whether the pattern (wildcards, no variables) matches the text, and the matcher's turns.
fn steps(pattern: &str, text: &str) -> (bool, u64) {
    let pattern::Compiled::Tokens(tokens) =
        pattern::compile(pattern, &Context::default(), false, true)
    else {
        panic!("{pattern} has no variables");
    };
    let mut steps = 0;
    let matched = pattern::matches_counting(&tokens, text, false, &mut steps);
    (matched, steps)
}

/// Resources such as `a*a*a*…b` against long topics: a matcher that tried every way of
/// sharing the text among the stars would take exponential time in the number of stars; this
/// one's turns grow linearly with the pattern and the topic together. Counted, not timed.
#[test]
fn pathological_patterns_cost_linear_steps() {
    let prefix = "arn:aws:iot:us-east-1:123456789012:topic/";
    // (name, pattern for n, topic for n, whether it matches)
    type Family = (&'static str, fn(usize) -> String, fn(usize) -> String, bool);
    let families: [Family; 5] = [
        (
            "a*a*…b against a…a",
            |n| "a*".repeat(n) + "b",
            |n| "a".repeat(20 * n),
            false,
        ),
        (
            "a*a*…b against a…ab",
            |n| "a*".repeat(n) + "b",
            |n| "a".repeat(20 * n) + "b",
            true,
        ),
        (
            "a*?a*?…b against a…a",
            |n| "a*?".repeat(n) + "b",
            |n| "a".repeat(20 * n),
            false,
        ),
        (
            "*a*a*a*a*a*a*a*a*b (fixed) against a…a",
            |_| "*a".repeat(8) + "*b",
            |n| "a".repeat(20 * n),
            false,
        ),
        (
            "a/*/a/*/…/b against a/x/a/x/…",
            |n| "a/*/".repeat(n) + "b",
            |n| "a/x/".repeat(5 * n) + "c",
            false,
        ),
    ];
    for (name, pattern, topic, matches) in families {
        let mut previous: Option<u64> = None;
        for n in [125, 250, 500, 1000, 2000] {
            let (pattern, topic) = (
                format!("{prefix}{}", pattern(n)),
                format!("{prefix}{}", topic(n)),
            );
            let (matched, count) = steps(&pattern, &topic);
            assert_eq!(matched, matches, "{name}, n = {n}");
            // Every turn consumes a pattern token or a text character, or retries the last
            // star one character further: a few turns per character at most.
            let size = (pattern.len() + topic.len()) as u64;
            assert!(
                count <= 3 * size,
                "{name}, n = {n}: {count} turns for {size} characters"
            );
            if let Some(previous) = previous {
                // Doubling the sizes at most doubles the turns (and a little for the prefix).
                assert!(
                    count * 100 <= previous * 210,
                    "{name}: {previous} turns at n/2, {count} at n = {n}"
                );
            }
            previous = Some(count);
        }
    }
}

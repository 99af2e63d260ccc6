//! Integration tests: `iotcheck account --role-alias` against moto's server (AWS IoT role
//! aliases, IAM roles), seeded with boto3, in the hermetic environment of `account`'s tests.
//!
//! What moto 5.2.1 answers here, field by field: DescribeRoleAlias gives every field AWS
//! documents (roleAlias, roleAliasArn, roleArn, owner, credentialDurationSeconds, the dates);
//! it does not check that the role exists when the alias is created, as AWS does not either.
//! IAM GetRole gives the trust policy URL-encoded, as AWS does, and MaxSessionDuration
//! (3600 unless the role was created with another). IAM is reached through the same
//! `AWS_ENDPOINT_URL` as AWS IoT: the SDK applies it to every service that has no
//! `AWS_ENDPOINT_URL_<SERVICE>` of its own.

use serde_json::{json, Value};

use crate::account::{codes_of, message, no_secrets, registered_device, thing_policy, Moto};

const DEVICE: &str = "device/ec.pem";

/// The trust policy of AWS's credentials provider guide.
pub(crate) fn trust(service: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

/// The device policy, and iot:AssumeRoleWithCertificate on the aliases named Alias*.
fn policy() -> Value {
    let mut policy = thing_policy();
    policy["Statement"].as_array_mut().unwrap().push(json!(
        {"Effect": "Allow", "Action": "iot:AssumeRoleWithCertificate",
         "Resource": "arn:aws:iot:eu-west-1:123456789012:rolealias/Alias*"}));
    policy
}

/// A registered device with its thing and policy, two roles (one trusting the credentials
/// provider, one trusting EC2) and an alias for each case, in one seeding run.
fn seeded() -> Moto {
    let moto = Moto::start();
    let mut calls = registered_device(&policy());
    calls.extend([
        role("TokenExchangeRole", "credentials.iot.amazonaws.com"),
        role("Ec2Role", "ec2.amazonaws.com"),
        alias("AliasHealthy", "TokenExchangeRole", 3600),
        alias("AliasNoRole", "DoesNotExist", 3600),
        alias("AliasNoTrust", "Ec2Role", 3600),
        alias("AliasLong", "TokenExchangeRole", 7200),
        alias("OtherAlias", "TokenExchangeRole", 3600),
    ]);
    moto.seed(Value::Array(calls));
    moto
}

/// IAM's CreateRole of `name`, trusted by `service`.
pub(crate) fn role(name: &str, service: &str) -> Value {
    json!({"service": "iam", "call": "create_role", "args": {
        "RoleName": name, "AssumeRolePolicyDocument": trust(service)}})
}

/// CreateRoleAlias of `name` for the role `role` of the test account.
pub(crate) fn alias(name: &str, role: &str, seconds: u32) -> Value {
    json!({"call": "create_role_alias", "args": {
        "roleAlias": name, "roleArn": format!("arn:aws:iam::123456789012:role/{role}"),
        "credentialDurationSeconds": seconds}})
}

#[test]
fn a_healthy_role_alias_passes_and_each_failure_has_its_code() {
    let moto = seeded();
    // Without --role-alias, no alias is asked about nor checked.
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["role_alias"], Value::Null);
    assert!(j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["action"] != "iot:AssumeRoleWithCertificate"));

    let r = moto.account(DEVICE, &["--json", "--role-alias", "AliasHealthy"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert!(codes_of(&j).is_empty(), "{j}");
    let alias = &j["role_alias"];
    assert_eq!(alias["name"], "AliasHealthy");
    assert_eq!(alias["exists"], true);
    assert_eq!(
        alias["arn"],
        "arn:aws:iot:eu-west-1:123456789012:rolealias/AliasHealthy"
    );
    assert_eq!(
        alias["role_arn"],
        "arn:aws:iam::123456789012:role/TokenExchangeRole"
    );
    assert_eq!(alias["credential_duration_seconds"], 3600);
    assert_eq!(alias["role"]["exists"], true);
    assert_eq!(alias["role"]["name"], "TokenExchangeRole");
    assert_eq!(alias["role"]["max_session_duration"], 3600);
    assert_eq!(alias["role"]["trusts_credentials_provider"], true);
    let check = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "iot:AssumeRoleWithCertificate")
        .expect("the AssumeRoleWithCertificate check");
    assert_eq!(check["outcome"], "allowed");
    assert_eq!(
        check["resource"],
        "arn:aws:iot:eu-west-1:123456789012:rolealias/AliasHealthy"
    );
    assert_eq!(check["decided_by"]["index"], 3);
    no_secrets(&r);

    // In words.
    let r = moto.account(
        DEVICE,
        &["--role-alias", "AliasHealthy", "--color", "never"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for line in [
        "role alias    AliasHealthy",
        "   role          arn:aws:iam::123456789012:role/TokenExchangeRole",
        "   trust         statement 1 lets credentials.iot.amazonaws.com call sts:AssumeRole",
        "   duration      3600 s (the role allows up to 3600 s)",
        "✓ iot:AssumeRoleWithCertificate AliasHealthy",
    ] {
        assert!(r.stdout.contains(line), "{line:?} in\n{}", r.stdout);
    }

    for (alias, code, words) in [
        (
            "AliasMissing",
            "role_alias_missing",
            "no role alias AliasMissing in this account in region eu-west-1",
        ),
        (
            "AliasNoRole",
            "role_missing",
            "names the role arn:aws:iam::123456789012:role/DoesNotExist, which does not exist in IAM",
        ),
        (
            "AliasNoTrust",
            "role_trust_missing",
            "the trust policy of the role Ec2Role does not let credentials.iot.amazonaws.com assume it",
        ),
        (
            "AliasLong",
            "role_session_too_short",
            "asks for credentials of 7200 s, over the 3600 s the role TokenExchangeRole allows",
        ),
        (
            "OtherAlias",
            "policy_denies_assume_role",
            "no statement allows iot:AssumeRoleWithCertificate on arn:aws:iot:eu-west-1:123456789012:rolealias/OtherAlias",
        ),
    ] {
        let r = moto.account(DEVICE, &["--json", "--role-alias", alias]);
        assert_eq!(r.code, 1, "{alias}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(
            codes_of(&j),
            [(code.to_string(), "error".to_string())],
            "{alias}"
        );
        let m = message(&j, code);
        assert!(m.contains(words), "{alias}: {words:?} in {m}");
        let view = &j["role_alias"];
        match alias {
            "AliasMissing" => {
                assert_eq!(view["exists"], false);
                assert_eq!(view["role"], Value::Null);
            }
            "AliasNoRole" => assert_eq!(view["role"]["exists"], false),
            "AliasNoTrust" => assert_eq!(view["role"]["trusts_credentials_provider"], false),
            _ => assert_eq!(view["role"]["trusts_credentials_provider"], true),
        }
    }
}

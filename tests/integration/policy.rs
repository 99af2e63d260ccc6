//! Integration tests: policies as AWS applies them, through `iotcheck account` against moto:
//! thing-group policies up the hierarchy, `IsAttached` false for a client id that is no
//! attached thing, the substitutions that decide.

use serde_json::{json, Value};

use crate::account::{has, message, no_secrets, Moto, DEVICE};

const ACCOUNT_ARN: &str = "arn:aws:iot:eu-west-1:123456789012";

fn connect_only() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]})
}

#[test]
fn thing_group_policies_apply_up_the_hierarchy_to_the_thing() {
    let moto = Moto::start();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(&arn, "ConnectOnly", connect_only());
    let publish = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnTopics", "Effect": "Allow", "Action": "iot:Publish",
         "Resource": format!("{ACCOUNT_ARN}:topic/things/${{iot:Connection.Thing.ThingName}}/*")}]});
    moto.seed(json!([
        {"call": "create_thing_group", "args": {"thingGroupName": "plant"}, "save": {"PLANT": "thingGroupArn"}},
        {"call": "create_thing_group", "args": {"thingGroupName": "line-1", "parentGroupName": "plant"}},
        {"call": "add_thing_to_thing_group", "args": {"thingGroupName": "line-1", "thingName": "TestThing-ec"}},
        {"call": "create_policy", "args": {"policyName": "PlantPolicy", "policyDocument": publish.to_string()}},
        {"call": "attach_policy", "args": {"policyName": "PlantPolicy", "target": "{PLANT}"}},
    ]));
    let r = moto.account(DEVICE, &["--json", "--publish", "things/TestThing-ec/data"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let names: Vec<&str> = j["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ConnectOnly",
            "PlantPolicy (thing group plant, parent of line-1)"
        ],
        "{j}"
    );
    let publish = &j["checks"][1];
    assert_eq!(publish["action"], "iot:Publish");
    assert_eq!(publish["outcome"], "allowed", "{j}");
    assert_eq!(
        publish["decided_by"]["policy"],
        "PlantPolicy (thing group plant, parent of line-1)"
    );
    assert_eq!(publish["decided_by"]["sid"], "OwnTopics");
    assert_eq!(
        publish["substitutions"][0]["variable"],
        "iot:Connection.Thing.ThingName"
    );
    assert_eq!(publish["substitutions"][0]["value"], "TestThing-ec");
    no_secrets(&r);

    // Another client id: the connection resolves to no thing, so no group's policy applies.
    let r = moto.account(
        DEVICE,
        &[
            "--json",
            "--client-id",
            "laptop",
            "--publish",
            "things/TestThing-ec/data",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["policies"].as_array().unwrap().len(), 1, "{j}");
    assert!(has(&j, "policy_denies_publish"), "{j}");
}

#[test]
fn is_attached_is_false_for_a_client_id_that_is_no_attached_thing() {
    let moto = Moto::start();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(
        &arn,
        "AttachedOnly",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"},
            {"Sid": "NotAttached", "Effect": "Deny", "Action": "iot:Connect", "Resource": "*",
             "Condition": {"Bool": {"iot:Connection.Thing.IsAttached": "false"}}}]}),
    );
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = moto.account(DEVICE, &["--json", "--client-id", "laptop"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let words = message(&j, "policy_denies_connect");
    assert!(
        words.contains("statement 2 (\"NotAttached\") of policy AttachedOnly denies"),
        "{words}"
    );
    assert_eq!(j["checks"][0]["explicit_deny"], true);
}

/// A Device Client config with jobs and the sample shadow on (tunneling off), and a
/// Greengrass config.yaml: `account --config` checks what each feature needs, and
/// `--suggest-policy` gives a policy under which all of it is allowed.
#[test]
fn the_features_of_a_config_are_checked_and_a_policy_suggested() {
    let moto = Moto::start();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    let thing = "${iot:Connection.Thing.ThingName}";
    // Jobs allowed; the sample shadow's update publish missing.
    moto.attach_policy(
        &arn,
        "JobsOnly",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": format!("{ACCOUNT_ARN}:client/{thing}")},
            {"Sid": "Jobs", "Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
             "Resource": format!("{ACCOUNT_ARN}:topic/$aws/things/{thing}/jobs/*")},
            {"Effect": "Allow", "Action": "iot:Subscribe",
             "Resource": format!("{ACCOUNT_ARN}:topicfilter/$aws/things/{thing}/*")},
            {"Effect": "Allow", "Action": "iot:Receive",
             "Resource": format!("{ACCOUNT_ARN}:topic/$aws/things/{thing}/shadow/*")}]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aws-iot-device-client.conf");
    std::fs::write(
        &config,
        json!({"endpoint": "example-ats.iot.eu-west-1.amazonaws.com", "cert": "c", "key": "k",
               "root-ca": "r", "thing-name": "TestThing-ec",
               "tunneling": {"enabled": false},
               "sample-shadow": {"enabled": true, "shadow-name": "settings"}})
        .to_string(),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let r = moto.account(DEVICE, &["--json", "--config", config, "--suggest-policy"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let features: Vec<(&str, &str)> = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| Some((c["feature"].as_str()?, c["outcome"].as_str()?)))
        .collect();
    assert!(
        features.iter().any(|(f, _)| *f == "jobs")
            && features
                .iter()
                .all(|(f, o)| *f != "jobs" || *o == "allowed"),
        "{features:?}"
    );
    assert!(
        !features.iter().any(|(f, _)| *f == "tunneling"),
        "{features:?}"
    );
    let words = message(&j, "feature_denied");
    assert!(
        words.contains("feature shadow:settings: iot:Publish on $aws/things/TestThing-ec/shadow/name/settings/update is denied")
            && words.contains("missing: a statement allowing iot:Publish on arn:aws:iot:eu-west-1:123456789012:topic/$aws/things/TestThing-ec/shadow/name/settings/update")
            && words.contains("source/shadow/SampleShadowFeature.cpp:400"),
        "{words}"
    );
    let suggested = &j["suggested_policy"];
    assert_eq!(suggested["not_allowed"], json!([]), "{suggested}");
    assert_eq!(suggested["thing_variable"], true);
    assert!(suggested["length"].as_u64().unwrap() <= 2048);

    // The suggestion, attached instead, allows every feature and is not too broad.
    let document = suggested["document"].clone();
    moto.seed(json!([
        {"call": "detach_policy", "args": {"policyName": "JobsOnly", "target": arn}},
        {"call": "create_policy", "args": {"policyName": "Suggested", "policyDocument": document.to_string()}},
        {"call": "attach_policy", "args": {"policyName": "Suggested", "target": arn}},
    ]));
    let r = moto.account(DEVICE, &["--json", "--config", config]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert!(
        !has(&j, "policy_too_broad") && !has(&j, "feature_denied"),
        "{j}"
    );
    no_secrets(&r);

    // A Greengrass core: the same certificate as a core device, its role alias from the
    // nucleus configuration; the data-plane actions are not in the suggestion's policy.
    let yaml = dir.path().join("config.yaml");
    std::fs::write(
        &yaml,
        "system:\n  thingName: TestThing-ec\n  certificateFilePath: c\n  privateKeyPath: k\n  rootCaPath: r\nservices:\n  aws.greengrass.Nucleus:\n    configuration:\n      awsRegion: eu-west-1\n      iotDataEndpoint: example-ats.iot.eu-west-1.amazonaws.com\n      iotCredEndpoint: example.credentials.iot.eu-west-1.amazonaws.com\n      iotRoleAlias: GreengrassCoreTokenExchangeRoleAlias\n",
    )
    .unwrap();
    let r = moto.account(
        DEVICE,
        &[
            "--json",
            "--config",
            yaml.to_str().unwrap(),
            "--suggest-policy",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let words = message(&j, "feature_denied");
    assert!(words.contains("feature greengrass: "), "{words}");
    let suggested = &j["suggested_policy"];
    assert_eq!(suggested["thing_variable"], false, "{suggested}");
    assert_eq!(suggested["not_allowed"], json!([]), "{suggested}");
    let text = suggested["document"].to_string();
    assert!(
        text.contains("greengrass:GetComponentVersionArtifact"),
        "{text}"
    );
    assert!(
        text.contains("rolealias/GreengrassCoreTokenExchangeRoleAlias"),
        "{text}"
    );
}

/// Policies from the API that cannot be evaluated: 10 MB (over the answer guard's bound, so
/// its GetPolicy answer is not read), nested 100,000 levels, a condition operator and a
/// variable iotcheck does not know. Each sits beside a policy that allows the connect and
/// holds a `Deny` that AWS would apply: the answer is "cannot tell" with the policy named,
/// never "allowed", and the run ends (bounded only against a hang).
#[test]
fn policies_that_cannot_be_evaluated_never_allow() {
    let moto = Moto::start();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    moto.attach_policy(&arn, "ConnectOnly", connect_only());
    let deny = |extra: Value| {
        let mut statement = json!({"Sid": "Quarantine", "Effect": "Deny", "Action": "iot:Connect", "Resource": "*"});
        for (key, value) in extra.as_object().unwrap() {
            statement[key] = value.clone();
        }
        statement
    };
    // 10 MB of statements, the Deny last.
    let padding = json!({"Effect": "Allow", "Action": "iot:Publish",
        "Resource": format!("{ACCOUNT_ARN}:topic/{}", "p".repeat(200))});
    let mut statements = vec![padding; 10 * 1024 * 1024 / 270];
    statements.push(deny(json!({})));
    let huge = json!({"Version": "2012-10-17", "Statement": statements});
    assert!(huge.to_string().len() >= 10 * 1000 * 1000);
    let deep = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"iot:Connect","Resource":"*","Condition":{{"StringEquals":{{"iot:ClientId":{}"x"{}}}}}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: [(&str, String, &str); 4] = [
        ("Huge", huge.to_string(), "over the 1 MiB"),
        ("Deep", deep, "not JSON"),
        (
            "OddOperator",
            json!({"Version": "2012-10-17", "Statement": [deny(json!({"Condition":
                {"StringFancy": {"iot:ClientId": "TestThing-ec"}}}))]})
            .to_string(),
            "the condition operator StringFancy",
        ),
        (
            "OddVariable",
            json!({"Version": "2012-10-17", "Statement": [deny(json!({"Resource":
                format!("{ACCOUNT_ARN}:client/${{iot:Connection.Thing.Nickname}}")}))]})
            .to_string(),
            "iot:Connection.Thing.Nickname",
        ),
    ];
    for (name, document, says) in cases {
        moto.seed(json!([
            {"call": "create_policy", "args": {"policyName": name, "policyDocument": document}},
            {"call": "attach_policy", "args": {"policyName": name, "target": arn}},
        ]));
        let r = moto.account(DEVICE, &["--json", "--timeout", "30"]);
        assert_eq!(
            r.code, 0,
            "{name}: cannot tell is no failure: {}{}",
            r.stdout, r.stderr
        );
        let j = r.json();
        let connect = &j["checks"][0];
        assert_eq!(connect["action"], "iot:Connect", "{name}: {j}");
        assert_eq!(connect["outcome"], "cannot_tell", "{name}: {j}");
        let words = message(&j, "policy_unknown");
        assert!(
            words.contains(name) && words.contains(says),
            "{name}: {words}"
        );
        assert!(
            r.stdout.len() < 100_000,
            "{name}: the document is not echoed"
        );
        no_secrets(&r);
        moto.seed(json!([
            {"call": "detach_policy", "args": {"policyName": name, "target": arn}},
        ]));
    }
    // With only the readable policy left, the connect is allowed again.
    let r = moto.account(DEVICE, &["--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["checks"][0]["outcome"], "allowed");
}

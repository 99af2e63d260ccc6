//! Integration tests: policies as AWS applies them, through `iotcheck account` against moto:
//! thing-group policies up the hierarchy, `IsAttached` false for a client id that is no
//! attached thing, the substitutions that decide.

use serde_json::{json, Value};

use crate::account::{has, message, no_secrets, Moto, SharedMoto, DEVICE};
use crate::common::*;

const ACCOUNT_ARN: &str = "arn:aws:iot:eu-west-1:123456789012";
/// The moto server of this module's tests, one test at a time.
static MOTO: SharedMoto = SharedMoto::new();

fn connect_only() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]})
}

#[test]
fn thing_group_policies_apply_up_the_hierarchy_to_the_thing() {
    let moto = MOTO.turn();
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
    let moto = MOTO.turn();
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
    let moto = MOTO.turn();
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
    let moto = MOTO.turn();
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

/// The device's certificate and key (0600) in a directory, under the names devices use.
fn device_install() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("device/ec.pem"),
        dir.path().join("certificate.pem.crt"),
    )
    .unwrap();
    let key = dir.path().join("private.pem.key");
    std::fs::copy(fixture("device/ec.key"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::copy(
        fixture("roots/test-roots.pem"),
        dir.path().join("root-ca.pem"),
    )
    .unwrap();
    // The Device Client requires exactly 0700 on the certificates' directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// The finding messages of doctor's account stage with this code.
fn account_stage(j: &Value, code: &str) -> Vec<String> {
    let stage = j["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "account")
        .unwrap_or_else(|| panic!("no account stage: {j}"));
    stage["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// Moto's policies replaced: only `document`, as `name`, on the certificate.
fn only_policy(
    moto: &Moto,
    arn: &str,
    attached: &mut Option<String>,
    name: &str,
    document: &Value,
) {
    let mut calls = Vec::new();
    if let Some(previous) = attached.take() {
        calls.push(
            json!({"call": "detach_policy", "args": {"policyName": previous, "target": arn}}),
        );
    }
    calls.push(json!({"call": "create_policy", "args": {"policyName": name, "policyDocument": document.to_string()}}));
    calls.push(json!({"call": "attach_policy", "args": {"policyName": name, "target": arn}}));
    moto.seed(Value::Array(calls));
    *attached = Some(name.to_string());
}

/// A Device Client configuration with jobs and a named sample shadow on (tunneling off) and a
/// Greengrass config.yaml, each through `doctor --config` (its account stage) and `account
/// --config`, against moto: under the policy `--suggest-policy` gives, every feature is
/// allowed; with a `Deny` of one feature's topics, or the statement one feature needs
/// removed, that feature and no other is denied, with the statement named.
#[test]
fn doctor_and_account_check_each_feature_of_a_config_file() {
    let moto = MOTO.turn();
    let arn = moto.register(DEVICE, "ACTIVE");
    moto.attach_thing(&arn, "TestThing-ec");
    let (broker, _broker_dir) = crate::doctor::broker(true);
    let install = device_install();
    let dir = install.path();
    let device_client = dir.join("aws-iot-device-client.conf");
    std::fs::write(
        &device_client,
        json!({"endpoint": ENDPOINT, "cert": dir.join("certificate.pem.crt"),
               "key": dir.join("private.pem.key"), "root-ca": dir.join("root-ca.pem"),
               "thing-name": "TestThing-ec",
               "jobs": {"enabled": true}, "tunneling": {"enabled": false},
               "sample-shadow": {"enabled": true, "shadow-name": "settings"}})
        .to_string(),
    )
    .unwrap();
    let greengrass = dir.join("config.yaml");
    std::fs::write(
        &greengrass,
        format!(
            "system:\n  certificateFilePath: \"{cert}\"\n  privateKeyPath: \"{key}\"\n  \
             rootCaPath: \"{ca}\"\n  rootpath: \"{root}\"\n  thingName: \"TestThing-ec\"\n\
             services:\n  aws.greengrass.Nucleus:\n    componentType: \"NUCLEUS\"\n    \
             configuration:\n      awsRegion: \"eu-west-1\"\n      \
             iotDataEndpoint: \"{ENDPOINT}\"\n      mqtt:\n        port: {port}\n      \
             greengrassDataPlaneEndpoint: \"iotdata\"\n      greengrassDataPlanePort: {port}\n",
            cert = dir.join("certificate.pem.crt").display(),
            key = dir.join("private.pem.key").display(),
            ca = dir.join("root-ca.pem").display(),
            root = dir.display(),
            port = broker.port,
        ),
    )
    .unwrap();
    let doctor = |config: &std::path::Path| {
        let mut cmd = iotcheck();
        cmd.arg("doctor")
            .arg("--config")
            .arg(config)
            .args([
                "--connect",
                "127.0.0.1",
                "--ports",
                &broker.port.to_string(),
            ])
            .args(["--at", AT, "--timeout", "5", "--json"]);
        crate::account::with_aws(&mut cmd, &moto.url(), moto.config.path());
        run_cmd(&mut cmd)
    };
    let account = |config: &std::path::Path| {
        moto.account(DEVICE, &["--json", "--config", config.to_str().unwrap()])
    };
    let mut attached = None;
    only_policy(&moto, &arn, &mut attached, "Placeholder", &connect_only());

    let thing = "$aws/things/TestThing-ec";
    let deny = |sid: &str, resource: String| {
        json!({"Sid": sid, "Effect": "Deny", "Action": ["iot:Publish", "iot:Subscribe", "iot:Receive"],
               "Resource": [format!("{ACCOUNT_ARN}:topic/{resource}"), format!("{ACCOUNT_ARN}:topicfilter/{resource}")]})
    };
    // Each configuration with the features it turns on.
    let configs: [(&std::path::Path, &[&str]); 2] = [
        (&device_client, &["jobs", "shadow:settings"]),
        (&greengrass, &["greengrass"]),
    ];
    for (config, features) in configs {
        let r = moto.account(
            DEVICE,
            &[
                "--json",
                "--config",
                config.to_str().unwrap(),
                "--suggest-policy",
            ],
        );
        let suggested = r.json()["suggested_policy"]["document"].clone();
        assert!(suggested.is_object(), "{}{}", r.stdout, r.stderr);
        let statements = suggested["Statement"].as_array().unwrap().clone();
        let with = |extra: Value| {
            let mut document = suggested.clone();
            document["Statement"].as_array_mut().unwrap().push(extra);
            document
        };
        // (policy, the feature it denies, what the finding names)
        let mut variants: Vec<(String, Value, &str, String)> = Vec::new();
        for feature in features {
            match *feature {
                "jobs" => variants.push((
                    "NoJobs".into(),
                    with(deny("NoJobs", format!("{thing}/jobs/*"))),
                    "jobs",
                    "(\"NoJobs\")".into(),
                )),
                "shadow:settings" => variants.push((
                    "NoShadow".into(),
                    with(deny("NoShadow", format!("{thing}/shadow/name/settings/*"))),
                    "shadow:settings",
                    "(\"NoShadow\")".into(),
                )),
                _ => {
                    variants.push((
                        "NoDataPlane".into(),
                        with(json!({"Sid": "NoDataPlane", "Effect": "Deny", "Action": "greengrass:*", "Resource": "*"})),
                        "greengrass",
                        "(\"NoDataPlane\")".into(),
                    ));
                    // The suggestion without its statement of data-plane actions.
                    let mut document = suggested.clone();
                    let kept: Vec<Value> = statements
                        .iter()
                        .filter(|s| !s["Action"].to_string().contains("greengrass:"))
                        .cloned()
                        .collect();
                    assert_eq!(kept.len() + 1, statements.len(), "{suggested}");
                    document["Statement"] = Value::Array(kept);
                    variants.push((
                        "NoDataPlaneStatement".into(),
                        document,
                        "greengrass",
                        "missing: a statement allowing greengrass:".into(),
                    ));
                }
            }
        }
        // Under the suggestion: every feature allowed, in both commands.
        only_policy(
            &moto,
            &arn,
            &mut attached,
            &format!("Suggested-{}", features[0].replace(':', "-")),
            &suggested,
        );
        let r = doctor(config);
        assert_eq!(r.code, 0, "{config:?}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert!(account_stage(&j, "feature_denied").is_empty(), "{j}");
        assert!(account_stage(&j, "policy_too_broad").is_empty(), "{j}");
        let r = account(config);
        assert_eq!(r.code, 0, "{config:?}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        for feature in features {
            assert!(
                j["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["feature"] == *feature && c["outcome"] == "allowed"),
                "{feature}: {j}"
            );
        }
        // One feature denied at a time, named with the statement that decides.
        for (name, document, denied, says) in variants {
            only_policy(&moto, &arn, &mut attached, &name, &document);
            let r = doctor(config);
            assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
            let j = r.json();
            assert_eq!(j["first_failure"], "account", "{name}: {j}");
            let words = account_stage(&j, "feature_denied").join("\n");
            assert!(
                words.contains(&format!("feature {denied}: ")) && words.contains(&says),
                "{name}: {words}"
            );
            for other in features.iter().filter(|f| **f != denied) {
                assert!(
                    !words.contains(&format!("feature {other}: ")),
                    "{name}: {words}"
                );
            }
            let r = account(config);
            assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
            let j = r.json();
            let from_account = message(&j, "feature_denied");
            assert!(
                from_account.contains(&format!("feature {denied}: "))
                    && from_account.contains(&says),
                "{name}: {from_account}"
            );
            no_secrets(&r);
        }
    }
}

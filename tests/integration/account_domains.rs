//! Integration tests: `iotcheck account --endpoint / --domain-configuration` against moto's
//! server (AWS IoT domain configurations), seeded with boto3, in the hermetic environment of
//! `account`'s tests.
//!
//! What moto 5.2.1 answers: ListDomainConfigurations (name, ARN; no pagination) and
//! DescribeDomainConfiguration with the name, ARN, domain name, status (ENABLED at creation,
//! DISABLED after UpdateDomainConfiguration says so), service type, domain type
//! (CUSTOMER_MANAGED), the authorizer, and each server certificate as VALID with no detail (it
//! never validates one). It keeps none of authenticationType, applicationProtocol, tlsConfig
//! and serverCertificateConfig: `tests/support/moto_server.py` keeps those four as given and
//! describes them back, as AWS does. It has no AWS-managed configurations (`iot:Data-ATS`).
//! Neither moto nor AWS says when a server certificate expires (that is ACM's, and the served
//! chain's, which `endpoint` judges on the domain's name).

use serde_json::{json, Value};

use crate::account::{codes_of, message, registered_device, Moto};

const DEVICE: &str = "device/ec.pem";
const CERTIFICATE: &str =
    "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";

/// A registered device and one domain configuration per case.
fn seeded() -> Moto {
    let moto = Moto::start();
    let domain = |name: &str, service: &str, more: Value| {
        let mut args = json!({
            "domainConfigurationName": name,
            "domainName": format!("{name}.example.com"),
            "serverCertificateArns": [CERTIFICATE],
            "serviceType": service,
        });
        for (key, value) in more.as_object().unwrap() {
            args[key] = value.clone();
        }
        json!({"call": "create_domain_configuration", "args": args})
    };
    let x509 = |protocol: &str, policy: &str| {
        json!({"authenticationType": "AWS_X509", "applicationProtocol": protocol,
               "tlsConfig": {"securityPolicy": policy}})
    };
    let tls12 = "IoTSecurityPolicy_TLS13_1_2_2022_10";
    let mut calls = registered_device(&crate::account::thing_policy());
    calls.extend([
        domain("devices", "DATA", x509("SECURE_MQTT", tls12)),
        domain("https", "DATA", x509("HTTPS", tls12)),
        domain(
            "sigv4",
            "DATA",
            json!({"authenticationType": "AWS_SIGV4", "applicationProtocol": "DEFAULT"}),
        ),
        domain("creds", "CREDENTIAL_PROVIDER", x509("DEFAULT", tls12)),
        domain(
            "tls13",
            "DATA",
            x509("SECURE_MQTT", "IoTSecurityPolicy_TLS13_1_3_2022_10"),
        ),
        domain("disabled", "DATA", x509("SECURE_MQTT", tls12)),
        json!({"call": "update_domain_configuration", "args": {
            "domainConfigurationName": "disabled", "domainConfigurationStatus": "DISABLED"}}),
        domain("bare", "DATA", json!({})),
    ]);
    moto.seed(Value::Array(calls));
    moto
}

#[test]
fn the_endpoints_domain_configuration_is_found_and_judged_for_the_devices_port() {
    let moto = seeded();
    let r = moto.account(DEVICE, &["--json", "--endpoint", "devices.example.com"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert!(codes_of(&j).is_empty(), "{j}");
    let d = &j["domain_configuration"];
    assert_eq!(d["by"], "host");
    assert_eq!(d["asked"], "devices.example.com");
    assert_eq!(d["found"], true);
    assert_eq!(d["name"], "devices");
    assert_eq!(d["domain_name"], "devices.example.com");
    assert_eq!(d["status"], "ENABLED");
    assert_eq!(d["service_type"], "DATA");
    assert_eq!(d["domain_type"], "CUSTOMER_MANAGED");
    assert_eq!(d["authentication_type"], "AWS_X509");
    assert_eq!(d["application_protocol"], "SECURE_MQTT");
    assert_eq!(d["tls_policy"], "IoTSecurityPolicy_TLS13_1_2_2022_10");
    assert_eq!(
        d["server_certificates"],
        json!([{"arn": CERTIFICATE, "status": "VALID", "detail": null}])
    );
    assert!(d["described"].as_u64().unwrap() >= 1);

    // In words.
    let r = moto.account(
        DEVICE,
        &["--endpoint", "devices.example.com", "--color", "never"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for line in [
        "domain        devices (devices.example.com)",
        "   status        ENABLED",
        "   auth          AWS_X509",
        "   protocol      SECURE_MQTT",
        "   tls policy    IoTSecurityPolicy_TLS13_1_2_2022_10",
    ] {
        assert!(r.stdout.contains(line), "{line:?} in\n{}", r.stdout);
    }

    for (args, code, words) in [
        (
            &["--endpoint", "devices.example.com:8443"][..],
            Some("domain_protocol_mismatch"),
            "serves the application protocol SECURE_MQTT: a device on port 8443 talks HTTPS",
        ),
        (&["--endpoint", "https.example.com:8443"][..], None, ""),
        (
            &["--endpoint", "https.example.com:443"][..],
            Some("domain_protocol_mismatch"),
            "serves the application protocol HTTPS: a device on port 443 talks MQTT",
        ),
        (
            &["--endpoint", "sigv4.example.com"][..],
            Some("domain_auth_mismatch"),
            "authenticates with AWS_SIGV4: it does not take a device that connects with MQTT over TLS with its X.509 certificate",
        ),
        (
            &["--endpoint", "creds.example.com"][..],
            Some("domain_service_mismatch"),
            "serves CREDENTIAL_PROVIDER, not the data plane",
        ),
        (
            &["--endpoint", "disabled.example.com"][..],
            Some("domain_disabled"),
            "the domain configuration disabled is DISABLED",
        ),
        (
            &["--endpoint", "unknown.example.com"][..],
            Some("domain_config_missing"),
            "no domain configuration of this account in region eu-west-1 serves unknown.example.com",
        ),
        (
            &["--domain-configuration", "nosuch"][..],
            Some("domain_config_missing"),
            "no domain configuration nosuch in this account in region eu-west-1",
        ),
        // Named, for the port of --endpoint.
        (
            &[
                "--domain-configuration",
                "https",
                "--endpoint",
                "https.example.com:8883",
            ][..],
            Some("domain_protocol_mismatch"),
            "a device on port 8883 talks MQTT",
        ),
    ] {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let r = moto.account(DEVICE, &all);
        let j = r.json();
        match code {
            None => {
                assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
                assert!(codes_of(&j).is_empty(), "{args:?}: {j}");
            }
            Some(code) => {
                assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
                assert_eq!(
                    codes_of(&j),
                    [(code.to_string(), "error".to_string())],
                    "{args:?}"
                );
                let m = message(&j, code);
                assert!(m.contains(words), "{args:?}: {words:?} in {m}");
            }
        }
    }

    // A TLS 1.3-only policy warns: devices limited to TLS 1.2 fail.
    let r = moto.account(DEVICE, &["--json", "--endpoint", "tls13.example.com"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        codes_of(&r.json()),
        [("domain_tls13_only".into(), "warning".into())]
    );

    // What the configuration does not say is not judged (moto's own answer).
    let r = moto.account(DEVICE, &["--json", "--endpoint", "bare.example.com:8443"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert!(codes_of(&j).is_empty(), "{j}");
    assert_eq!(
        j["domain_configuration"]["authentication_type"],
        Value::Null
    );
    assert_eq!(
        j["domain_configuration"]["application_protocol"],
        Value::Null
    );

    // AWS's own endpoint needs no configuration of the account's.
    let r = moto.account(
        DEVICE,
        &[
            "--json",
            "--endpoint",
            "abc123-ats.iot.eu-west-1.amazonaws.com:8883",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert!(codes_of(&j).is_empty(), "{j}");
    assert_eq!(j["domain_configuration"]["found"], false);
}

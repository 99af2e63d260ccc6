//! The configuration readers against the examples of the Device Client and Greengrass
//! documentation, each surprise of those clients, and hostile files.

use std::path::{Path, PathBuf};

use super::*;
use crate::finding::Severity;

/// The Device Client's `config-template.json` with its placeholders filled (the connectivity
/// keys verbatim; features that do not matter here disabled).
const DEVICE_CLIENT: &str = r#"{
  "endpoint": "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com",
  "cert": "~/certs/device.pem.crt",
  "key": "~/certs/private.pem.key",
  "root-ca": "~/certs/AmazonRootCA1.pem",
  "thing-name": "pump-0042",
  "logging": { "level": "DEBUG", "type": "FILE", "file": "/var/log/aws-iot-device-client/aws-iot-device-client.log" },
  "jobs": { "enabled": true, "handler-directory": "~/.aws-iot-device-client/jobs" },
  "tunneling": { "enabled": true },
  "device-defender": { "enabled": false, "interval": 300 },
  "fleet-provisioning": { "enabled": false, "template-parameters": "", "template-name": "", "csr-file": "", "device-key": "" },
  "samples": { "pub-sub": { "enabled": false, "publish-topic": "", "publish-file": "", "subscribe-topic": "", "subscribe-file": "" } },
  "config-shadow": { "enabled": false },
  "sample-shadow": { "enabled": false, "shadow-name": "", "shadow-input-file": "", "shadow-output-file": "" },
  "secure-element": {
    "enabled": false,
    "pkcs11-lib": "",
    "secure-element-pin": "",
    "secure-element-key-label": "",
    "secure-element-slot-id": 0,
    "secure-element-token-label": ""
  }
}"#;

/// The sample of the Device Client's docs/HTTP_PROXY.md, verbatim.
const PROXY: &str = r#"{
  "http-proxy-enabled": true,
  "http-proxy-host": "10.0.0.140",
  "http-proxy-port": "9999",
  "http-proxy-auth-method": "UserNameAndPassword",
  "http-proxy-username": "MyUserName",
  "http-proxy-password": "password12345"
}"#;

/// The "customize ports and network proxy" example of the Greengrass developer guide's
/// manual-installation.md, verbatim.
const GREENGRASS: &str = r#"---
system:
  certificateFilePath: "/greengrass/v2/device.pem.crt"
  privateKeyPath: "/greengrass/v2/private.pem.key"
  rootCaPath: "/greengrass/v2/AmazonRootCA1.pem"
  rootpath: "/greengrass/v2"
  thingName: "MyGreengrassCore"
services:
  aws.greengrass.Nucleus:
    componentType: "NUCLEUS"
    version: "2.9.4"
    configuration:
      awsRegion: "us-west-2"
      iotRoleAlias: "GreengrassCoreTokenExchangeRoleAlias"
      iotCredEndpoint: "device-credentials-prefix.credentials.iot.us-west-2.amazonaws.com"
      iotDataEndpoint: "device-data-prefix-ats.iot.us-west-2.amazonaws.com"
      mqtt:
        port: 443
      greengrassDataPlanePort: 443
      networkProxy:
        noProxyAddresses: "http://192.168.0.1,www.example.com"
        proxy:
          url: "https://my-proxy-server:1100"
          username: "Mary_Major"
          password: "pass@word1357"
"#;

/// A home directory with the Device Client's folder and the files the example names.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(home.path().join(".aws-iot-device-client")).unwrap();
        std::fs::create_dir_all(home.path().join("certs")).unwrap();
        for f in ["device.pem.crt", "private.pem.key", "AmazonRootCA1.pem"] {
            std::fs::write(home.path().join("certs").join(f), "x").unwrap();
        }
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `~/.aws-iot-device-client/<name>`.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(".aws-iot-device-client").join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn resolve(&self, config: &Path, overrides: &Overrides) -> DeviceSettings {
        resolve(Some(config), overrides, Some(self.path())).unwrap()
    }

    /// The one-line error for `text` in a file named `name`.
    fn error(&self, name: &str, text: &[u8]) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        let message = resolve(Some(&path), &Overrides::default(), Some(self.path()))
            .unwrap_err()
            .to_string();
        assert!(!message.contains('\n'), "one line: {message}");
        assert!(
            message.starts_with(&path.display().to_string()),
            "{message}"
        );
        message
    }
}

fn codes(settings: &DeviceSettings) -> Vec<Code> {
    settings.findings.iter().map(|f| f.code).collect()
}

fn finding(settings: &DeviceSettings, code: Code) -> &Finding {
    settings
        .findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", settings.findings))
}

fn errors(settings: &DeviceSettings) -> Vec<&Finding> {
    settings
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

/// No message may quote a secret of the files.
fn assert_no_secret(settings: &DeviceSettings) {
    let all = format!("{settings:?}");
    for secret in ["password12345", "pass@word1357", "s3cret-pin"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

#[test]
fn device_client_example_with_its_proxy_file_beside_it() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    let proxy_file = home.write("http-proxy.conf", PROXY);
    let s = home.resolve(&config, &Overrides::default());

    assert_eq!(s.client, Client::DeviceClient);
    assert_eq!(s.config_file.as_deref(), Some(config.as_path()));
    assert_eq!(s.proxy_file.as_deref(), Some(proxy_file.as_path()));
    // The Device Client has no MQTT version setting: its SDK client speaks 3.1.1.
    assert_eq!(s.mqtt_version.value, crate::net::MqttVersion::V311);
    assert!(origin_words(&s.mqtt_version.origin).contains("Device Client speaks MQTT 3.1.1"));
    let endpoint = s.endpoint.as_ref().unwrap();
    assert_eq!(
        endpoint.value,
        "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com"
    );
    assert_eq!(
        endpoint.origin,
        Origin::File {
            file: config.clone(),
            key: "endpoint".into()
        }
    );
    // `~` is the home directory, as wordexp expands it.
    let cert = s.cert.as_ref().unwrap();
    assert_eq!(cert.path.value, home.path().join("certs/device.pem.crt"));
    assert_eq!(cert.mode, ModeRule::Exactly(0o644));
    assert_eq!(cert.dir_mode, ModeRule::Exactly(0o700));
    let key = s.key.as_ref().unwrap();
    assert_eq!(key.path.value, home.path().join("certs/private.pem.key"));
    // Equality: a 0400 key is refused by the Device Client.
    assert_eq!(key.mode, ModeRule::Exactly(0o600));
    assert_eq!(key.dir_mode, ModeRule::Exactly(0o700));
    assert!(
        key.rule_source.contains("PERMISSIONS.md"),
        "{}",
        key.rule_source
    );
    assert_eq!(s.ca.len(), 1);
    assert_eq!(s.ca[0].mode, ModeRule::Exactly(0o644));
    // thing-name is the MQTT client id.
    assert_eq!(s.thing.as_ref().unwrap().value, "pump-0042");
    let client_id = s.client_id.as_ref().unwrap();
    assert_eq!(client_id.value, "pump-0042");
    assert_eq!(
        client_id.origin,
        Origin::File {
            file: config.clone(),
            key: "thing-name".into()
        }
    );
    assert_eq!(s.ports.value, vec![443, 8883]);
    assert!(matches!(s.ports.origin, Origin::Default { .. }));
    assert_eq!(s.region.as_ref().unwrap().value, "us-east-1");

    let proxy = &s.proxy.as_ref().unwrap().value;
    assert_eq!((proxy.host.as_str(), proxy.port), ("10.0.0.140", 9999));
    assert_eq!(proxy.username.as_deref(), Some("MyUserName"));
    assert_eq!(proxy.password.as_deref(), Some("password12345"));

    // The config file (640 recommended) and the proxy file (600 recommended).
    let modes: Vec<ModeRule> = s.config_files.iter().map(|f| f.mode).collect();
    assert_eq!(
        modes,
        vec![ModeRule::Recommended(0o640), ModeRule::Recommended(0o600)]
    );
    assert!(matches!(
        s.config_files[1].path.origin,
        Origin::Default { .. }
    ));
    assert!(errors(&s).is_empty(), "{:#?}", s.findings);
    assert_no_secret(&s);
    // The password is kept for the probe, never serialised.
    let json = serde_json::to_string(&s.config_files).unwrap();
    assert!(!json.contains("password12345"));
}

#[test]
fn device_client_root_ca_missing_falls_back_to_the_system_store() {
    let home = Home::new();
    let text = DEVICE_CLIENT.replace("AmazonRootCA1.pem", "gone.pem");
    let config = home.write("aws-iot-device-client.conf", &text);
    let s = home.resolve(&config, &Overrides::default());
    assert!(s.ca.is_empty());
    let f = finding(&s, Code::CaSystemStore);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("gone.pem"), "{}", f.message);
    assert!(f.message.contains("system trust store"), "{}", f.message);

    // No root-ca key at all: the same fallback.
    let text = DEVICE_CLIENT.replace(r#""root-ca": "~/certs/AmazonRootCA1.pem","#, "");
    let config = home.write("aws-iot-device-client.conf", &text);
    let s = home.resolve(&config, &Overrides::default());
    assert!(finding(&s, Code::CaSystemStore)
        .message
        .contains("no `root-ca`"));
    assert!(errors(&s).is_empty());

    // --ca names the file: no fallback.
    let overrides = Overrides {
        ca: vec![PathBuf::from("/etc/ca.pem")],
        ..Overrides::default()
    };
    let s = home.resolve(&config, &overrides);
    assert!(!codes(&s).contains(&Code::CaSystemStore));
    assert_eq!(s.ca[0].mode, ModeRule::Exactly(0o644));
}

#[test]
fn device_client_mandatory_values_missing() {
    let home = Home::new();
    let config = home.write(
        "aws-iot-device-client.conf",
        r#"{"logging": {"level": "DEBUG"}}"#,
    );
    let s = home.resolve(&config, &Overrides::default());
    let missing: Vec<&str> = s
        .findings
        .iter()
        .filter(|f| f.code == Code::ConfigMissingValue)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(missing.len(), 4, "{missing:#?}");
    for (key, flag) in [
        ("`endpoint`", "--endpoint"),
        ("`cert`", "--cert"),
        ("`key`", "--key"),
        ("`thing-name`", "--thing"),
    ] {
        assert!(
            missing.iter().any(|m| m.contains(key) && m.contains(flag)),
            "{key}: {missing:#?}"
        );
    }
    assert!(s
        .findings
        .iter()
        .all(|f| f.subject == Some(crate::finding::Subject::File(config.display().to_string()))));

    // The flags fill them in.
    let overrides = Overrides {
        endpoint: Some("abc-ats.iot.eu-west-1.amazonaws.com".into()),
        cert: Some("/c.pem".into()),
        key: Some("/k.pem".into()),
        thing: Some("t".into()),
        ..Overrides::default()
    };
    let s = home.resolve(&config, &overrides);
    assert!(errors(&s).is_empty(), "{:#?}", s.findings);
    assert_eq!(s.key.as_ref().unwrap().mode, ModeRule::Exactly(0o600));
    assert_eq!(
        s.client_id.as_ref().unwrap().origin,
        Origin::Flag {
            flag: "--thing".into()
        }
    );
}

#[test]
fn flags_override_the_file() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    let overrides = Overrides {
        endpoint: Some("other-ats.iot.eu-west-1.amazonaws.com".into()),
        key: Some("/k.pem".into()),
        client_id: Some("id-1".into()),
        ports: Some(vec![18883]),
        proxy: Some(ProxySetting {
            host: "127.0.0.1".into(),
            port: 3128,
            username: None,
            password: None,
        }),
        ..Overrides::default()
    };
    let s = home.resolve(&config, &overrides);
    assert_eq!(
        s.endpoint.as_ref().unwrap().origin,
        Origin::Flag {
            flag: "--endpoint".into()
        }
    );
    assert_eq!(s.region.as_ref().unwrap().value, "eu-west-1");
    assert_eq!(s.key.as_ref().unwrap().path.value, PathBuf::from("/k.pem"));
    assert_eq!(s.client_id.as_ref().unwrap().value, "id-1");
    assert_eq!(s.thing.as_ref().unwrap().value, "pump-0042");
    assert_eq!(s.ports.value, vec![18883]);
    assert_eq!(s.proxy.as_ref().unwrap().value.port, 3128);
    // The cert still comes from the file.
    assert!(matches!(
        s.cert.as_ref().unwrap().path.origin,
        Origin::File { .. }
    ));
}

#[test]
fn device_client_proxy_surprises() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    let with_proxy = |text: &str| {
        home.write("http-proxy.conf", text);
        home.resolve(&config, &Overrides::default())
    };

    // A host name, or a public address: the Device Client refuses to start.
    for host in ["proxy.example.com", "8.8.8.8", "172.32.0.1"] {
        let s = with_proxy(&PROXY.replace("10.0.0.140", host));
        let f = finding(&s, Code::ConfigRefused);
        assert!(f.message.contains("private IPv4"), "{}", f.message);
        assert!(f.message.contains("`http-proxy-host`"), "{}", f.message);
        assert_eq!(
            f.subject,
            Some(crate::finding::Subject::File(
                home.path()
                    .join(".aws-iot-device-client/http-proxy.conf")
                    .display()
                    .to_string()
            ))
        );
        assert_no_secret(&s);
    }
    for host in ["172.16.0.1", "192.168.1.1", "10.1.2.3"] {
        let s = with_proxy(&PROXY.replace("10.0.0.140", host));
        assert!(errors(&s).is_empty(), "{host}: {:#?}", s.findings);
    }

    // The port is a string; a JSON number is refused.
    let s = with_proxy(&PROXY.replace(r#""9999""#, "9999"));
    assert!(finding(&s, Code::ConfigRefused)
        .message
        .contains("JSON number"));
    assert_eq!(s.proxy.as_ref().unwrap().value.port, 9999);
    let s = with_proxy(&PROXY.replace(r#""9999""#, r#""http""#));
    assert!(finding(&s, Code::ConfigRefused)
        .message
        .contains("port number"));
    assert!(s.proxy.is_none());

    // The auth method is case-sensitive: anything else connects without credentials.
    let s = with_proxy(&PROXY.replace("UserNameAndPassword", "usernameandpassword"));
    assert!(finding(&s, Code::ConfigIgnored)
        .message
        .contains("case-sensitive"));
    let proxy = &s.proxy.as_ref().unwrap().value;
    assert_eq!(
        (proxy.username.as_ref(), proxy.password.as_ref()),
        (None, None)
    );
    let s = with_proxy(&PROXY.replace("UserNameAndPassword", "None"));
    assert!(s.proxy.as_ref().unwrap().value.password.is_none());
    assert!(errors(&s).is_empty());

    // Disabled, or enabled with a string: no proxy.
    let s = with_proxy(&PROXY.replace("true", "false"));
    assert!(s.proxy.is_none());
    assert!(errors(&s).is_empty());
    let s = with_proxy(&PROXY.replace("true", r#""true""#));
    assert!(s.proxy.is_none());
    assert!(finding(&s, Code::ConfigIgnored)
        .message
        .contains("reads it as false"));

    // Credentials demanded but missing.
    let s = with_proxy(&PROXY.replace(r#""http-proxy-password": "password12345""#, r#""x": 1"#));
    assert!(finding(&s, Code::ConfigMissingValue)
        .message
        .contains("http-proxy-password"));
}

#[test]
fn a_proxy_file_named_with_a_second_config() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    let elsewhere = home.path().join("my-proxy.json");
    std::fs::write(&elsewhere, PROXY.replace("10.0.0.140", "192.168.7.7")).unwrap();
    // Found beside the config, but the one named wins.
    home.write("http-proxy.conf", PROXY);
    let overrides = Overrides {
        more_configs: vec![elsewhere.clone()],
        ..Overrides::default()
    };
    let s = home.resolve(&config, &overrides);
    assert_eq!(s.proxy_file.as_deref(), Some(elsewhere.as_path()));
    assert_eq!(s.proxy.as_ref().unwrap().value.host, "192.168.7.7");
    assert_eq!(
        s.config_files[1].path.origin,
        Origin::Flag {
            flag: "--config".into()
        }
    );

    // The proxy file alone: a Device Client whose other values come from the flags.
    let s = resolve(Some(&elsewhere), &Overrides::default(), None).unwrap();
    assert_eq!(s.client, Client::DeviceClient);
    assert!(s.proxy.is_some());
    assert!(codes(&s).contains(&Code::ConfigMissingValue));
}

#[test]
fn a_broken_proxy_file_beside_the_config_is_ignored_like_the_client_does() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    home.write(
        "http-proxy.conf",
        "{\n \"http-proxy-password\": \"password12345\",\n \"http-proxy-port\": 99 99\n}",
    );
    let s = home.resolve(&config, &Overrides::default());
    assert!(s.proxy.is_none());
    let f = finding(&s, Code::ConfigIgnored);
    assert!(f.message.contains("line 3"), "{}", f.message);
    assert_no_secret(&s);
}

#[test]
fn secure_element_key_is_not_a_file() {
    let home = Home::new();
    let text = DEVICE_CLIENT
        .replace(
            r#""enabled": false,
    "pkcs11-lib""#,
            r#""enabled": true,
    "pkcs11-lib""#,
        )
        .replace(
            r#""secure-element-pin": """#,
            r#""secure-element-pin": "s3cret-pin""#,
        );
    let config = home.write("aws-iot-device-client.conf", &text);
    let s = home.resolve(&config, &Overrides::default());
    assert!(s.key.is_none());
    assert!(s.cert.is_some());
    let f = finding(&s, Code::CredentialInToken);
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.message.contains("secure-element.enabled"),
        "{}",
        f.message
    );
    assert!(errors(&s).is_empty(), "{:#?}", s.findings);
    assert_no_secret(&s);
}

#[test]
fn runtime_config_after_fleet_provisioning_wins() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    let runtime = home.write(
        "aws-iot-device-client-runtime.conf",
        r#"{"runtime-config": {"completed-fp": true, "cert": "~/fp/cert.pem", "key": "~/fp/key.pem", "thing-name": "fp-thing", "device-config": "{}"}}"#,
    );
    let s = home.resolve(&config, &Overrides::default());
    assert_eq!(
        s.cert.as_ref().unwrap().path.value,
        home.path().join("fp/cert.pem")
    );
    assert_eq!(
        s.key.as_ref().unwrap().path.origin,
        Origin::File {
            file: runtime.clone(),
            key: "runtime-config.key".into()
        }
    );
    assert_eq!(s.client_id.as_ref().unwrap().value, "fp-thing");
    assert!(codes(&s).contains(&Code::ConfigNote));
    assert_eq!(s.config_files.len(), 2);

    // Not completed: ignored.
    home.write(
        "aws-iot-device-client-runtime.conf",
        r#"{"runtime-config": {"completed-fp": false, "cert": "/a", "key": "/b", "thing-name": "c"}}"#,
    );
    let s = home.resolve(&config, &Overrides::default());
    assert_eq!(s.thing.as_ref().unwrap().value, "pump-0042");
}

#[test]
fn device_client_paths_and_sizes() {
    let home = Home::new();
    let text = DEVICE_CLIENT
        .replace("~/certs/device.pem.crt", "certs/device.pem.crt")
        .replace("~/certs/private.pem.key", "$HOME/certs/private.pem.key");
    let config = home.write("aws-iot-device-client.conf", &text);
    let s = home.resolve(&config, &Overrides::default());
    assert_eq!(
        s.cert.as_ref().unwrap().path.value,
        PathBuf::from("certs/device.pem.crt")
    );
    assert!(finding(&s, Code::ConfigNote)
        .message
        .contains("relative path"));
    assert_eq!(
        s.key.as_ref().unwrap().path.value,
        home.path().join("certs/private.pem.key")
    );

    // Over 5000 bytes: the Device Client refuses the file.
    let padded = DEVICE_CLIENT.replacen('{', &format!("{{\"x\": \"{}\",", "y".repeat(5000)), 1);
    let config = home.write("aws-iot-device-client.conf", &padded);
    let s = home.resolve(&config, &Overrides::default());
    assert!(finding(&s, Code::ConfigRefused).message.contains("5000"));
}

#[test]
fn endpoints_that_are_not_ats_data_endpoints() {
    let home = Home::new();
    for (endpoint, code) in [
        (
            "a1b2c3d4e5f6g7.iot.us-east-1.amazonaws.com",
            Code::LegacyEndpoint,
        ),
        (
            "c1b2c3.credentials.iot.us-east-1.amazonaws.com",
            Code::EndpointNotData,
        ),
        ("192.0.2.1", Code::IpLiteral),
    ] {
        let text =
            DEVICE_CLIENT.replace("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com", endpoint);
        let config = home.write("aws-iot-device-client.conf", &text);
        let s = home.resolve(&config, &Overrides::default());
        assert!(codes(&s).contains(&code), "{endpoint}: {:#?}", s.findings);
    }
}

#[test]
fn greengrass_example() {
    let home = Home::new();
    let config = home.path().join("config.yaml");
    std::fs::write(&config, GREENGRASS).unwrap();
    let s = home.resolve(&config, &Overrides::default());
    assert_eq!(s.client, Client::Greengrass);
    assert_eq!(
        s.endpoint.as_ref().unwrap().value,
        "device-data-prefix-ats.iot.us-west-2.amazonaws.com"
    );
    assert_eq!(
        s.cert.as_ref().unwrap().path.value,
        PathBuf::from("/greengrass/v2/device.pem.crt")
    );
    assert_eq!(
        s.cert.as_ref().unwrap().path.origin,
        Origin::File {
            file: config.clone(),
            key: "system.certificateFilePath".into()
        }
    );
    assert_eq!(s.key.as_ref().unwrap().mode, ModeRule::AtMost(0o600));
    assert_eq!(
        s.ca[0].path.value,
        PathBuf::from("/greengrass/v2/AmazonRootCA1.pem")
    );
    assert_eq!(s.thing.as_ref().unwrap().value, "MyGreengrassCore");
    assert_eq!(s.client_id.as_ref().unwrap().value, "MyGreengrassCore");
    assert_eq!(s.region.as_ref().unwrap().value, "us-west-2");
    // Both ports 443: one port to check.
    assert_eq!(s.ports.value, vec![443]);
    assert!(!codes(&s).contains(&Code::PortSplit));
    // An https proxy: its CA must be appended to rootCaPath; doctor's probe cannot use it.
    assert!(s.proxy.is_none());
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigNote && f.message.contains("rootCaPath")));
    assert!(errors(&s).is_empty(), "{:#?}", s.findings);
    assert_no_secret(&s);
}

fn greengrass(home: &Home, text: &str) -> DeviceSettings {
    let config = home.path().join("effectiveConfig.yaml");
    std::fs::write(&config, text).unwrap();
    home.resolve(&config, &Overrides::default())
}

#[test]
fn greengrass_ports() {
    let home = Home::new();
    // MQTT on 443 alone: the data plane still needs 8443.
    let s = greengrass(
        &home,
        &GREENGRASS.replace("      greengrassDataPlanePort: 443\n", ""),
    );
    assert_eq!(s.ports.value, vec![443, 8443]);
    let f = finding(&s, Code::PortSplit);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("greengrassDataPlanePort: 443"),
        "{}",
        f.message
    );

    // Neither: the defaults, 8883 and 8443.
    let text = GREENGRASS
        .replace("      greengrassDataPlanePort: 443\n", "")
        .replace("      mqtt:\n        port: 443\n", "");
    let s = greengrass(&home, &text);
    assert_eq!(s.ports.value, vec![8883, 8443]);
    assert!(matches!(s.ports.origin, Origin::Default { .. }));

    // Numbers written as strings, values unquoted: read all the same.
    let text = GREENGRASS
        .replace("port: 443", "port: \"8883\"")
        .replace(
            "greengrassDataPlanePort: 443",
            "greengrassDataPlanePort: '443'",
        )
        .replace("\"us-west-2\"", "us-west-2");
    let s = greengrass(&home, &text);
    assert_eq!(s.ports.value, vec![8883, 443]);
    assert_eq!(s.region.as_ref().unwrap().value, "us-west-2");

    let s = greengrass(&home, &GREENGRASS.replace("port: 443", "port: eighty"));
    assert!(codes(&s).contains(&Code::ConfigRefused));
}

#[test]
fn greengrass_mqtt_version_as_the_nucleus_reads_it() {
    use crate::net::MqttVersion;
    let home = Home::new();
    let origin = |s: &DeviceSettings| origin_words(&s.mqtt_version.origin);
    // The example names nucleus 2.9.4 and no `mqtt.version`: before MQTT 5 came (v2.10.0).
    let s = greengrass(&home, GREENGRASS);
    assert_eq!(s.mqtt_version.value, MqttVersion::V311);
    assert!(
        origin(&s).contains("2.9.4 predates MQTT 5"),
        "{}",
        origin(&s)
    );
    // A later nucleus without the key: its default, mqtt5.
    let later = GREENGRASS.replace("version: \"2.9.4\"", "version: \"2.12.1\"");
    let s = greengrass(&home, &later);
    assert_eq!(s.mqtt_version.value, MqttVersion::V5);
    assert!(origin(&s).contains("defaults to mqtt5"), "{}", origin(&s));
    // The key, in any case, is the file's say.
    let with_key = |value: &str| {
        later.replace(
            "      mqtt:\n        port: 443\n",
            &format!("      mqtt:\n        port: 443\n        version: {value}\n"),
        )
    };
    for (value, version) in [
        ("mqtt3", MqttVersion::V311),
        ("MQTT5", MqttVersion::V5),
        ("mqtt5", MqttVersion::V5),
    ] {
        let s = greengrass(&home, &with_key(value));
        assert_eq!(s.mqtt_version.value, version, "{value}");
        assert!(origin(&s).contains("mqtt.version"), "{}", origin(&s));
        assert!(!s
            .findings
            .iter()
            .any(|f| f.message.contains("mqtt.version")));
    }
    // Anything else is MQTT 3.1.1 to the nucleus, and said so.
    let s = greengrass(&home, &with_key("\"5\""));
    assert_eq!(s.mqtt_version.value, MqttVersion::V311);
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigNote && f.message.contains("neither mqtt5 nor mqtt3")));
    // mqtt5 on a nucleus that predates it: ignored by the nucleus.
    let old = with_key("mqtt5").replace("version: \"2.12.1\"", "version: \"2.9.4\"");
    let s = greengrass(&home, &old);
    assert_eq!(s.mqtt_version.value, MqttVersion::V311);
    assert!(codes(&s).contains(&Code::ConfigIgnored));
    // Before v2.4.0 a nucleus behind a proxy used a SigV4 WebSocket: said, with what to check.
    let websocket = |s: &DeviceSettings| {
        s.findings
            .iter()
            .any(|f| f.code == Code::ConfigNote && f.message.contains("--transport wss"))
    };
    assert!(!websocket(&greengrass(&home, GREENGRASS)));
    let s = greengrass(&home, &GREENGRASS.replace("\"2.9.4\"", "\"2.3.0\""));
    assert!(websocket(&s), "{:#?}", s.findings);
    // Neither the key nor the nucleus version: 3.1.1, and why.
    let s = greengrass(&home, &GREENGRASS.replace("    version: \"2.9.4\"\n", ""));
    assert_eq!(s.mqtt_version.value, MqttVersion::V311);
    assert!(origin(&s).contains("names neither"), "{}", origin(&s));
    // The flag wins over the file; the Device Client speaks 3.1.1.
    let config = home.path().join("config.yaml");
    std::fs::write(&config, with_key("mqtt5")).unwrap();
    let overrides = Overrides {
        mqtt_version: Some(MqttVersion::V311),
        ..Overrides::default()
    };
    let s = home.resolve(&config, &overrides);
    assert_eq!(s.mqtt_version.value, MqttVersion::V311);
    assert_eq!(origin(&s), "--mqtt-version");
}

#[test]
fn greengrass_pkcs11_and_missing_root_ca() {
    let home = Home::new();
    let text = GREENGRASS
        .replace(
            "\"/greengrass/v2/device.pem.crt\"",
            "\"pkcs11:object=iotdevicekey;type=cert\"",
        )
        .replace(
            "\"/greengrass/v2/private.pem.key\"",
            "\"pkcs11:object=iotdevicekey;type=private;pin-value=s3cret-pin\"",
        )
        .replace("  rootCaPath: \"/greengrass/v2/AmazonRootCA1.pem\"\n", "");
    let s = greengrass(&home, &text);
    assert!(s.cert.is_none() && s.key.is_none());
    assert_eq!(
        codes(&s)
            .iter()
            .filter(|c| **c == Code::CredentialInToken)
            .count(),
        2
    );
    let missing: Vec<&Finding> = errors(&s);
    assert_eq!(missing.len(), 1, "{missing:#?}");
    assert_eq!(missing[0].code, Code::ConfigMissingValue);
    assert!(missing[0].message.contains("Failed to get trust manager"));
    assert!(missing[0].message.contains("system.rootCaPath"));
    assert_no_secret(&s);
}

#[test]
fn greengrass_proxy_and_paths() {
    let home = Home::new();
    let text = GREENGRASS
        .replace(
            "https://my-proxy-server:1100",
            "http://Mary%20Major:pass%40word1357@10.0.0.2:3128",
        )
        .replace(
            "/greengrass/v2/device.pem.crt",
            "~root/certs/device.pem.crt",
        )
        .replace("/greengrass/v2/private.pem.key", "~/gg/private.pem.key")
        .replace("/greengrass/v2/AmazonRootCA1.pem", "certs/root.pem");
    let s = greengrass(&home, &text);
    let proxy = &s.proxy.as_ref().unwrap().value;
    assert_eq!((proxy.host.as_str(), proxy.port), ("10.0.0.2", 3128));
    // The URL's user info wins over username/password.
    assert_eq!(proxy.username.as_deref(), Some("Mary Major"));
    assert_eq!(proxy.password.as_deref(), Some("pass@word1357"));
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigNote && f.message.contains("user info")));
    assert_no_secret(&s);
    assert_eq!(
        s.cert.as_ref().unwrap().path.value,
        PathBuf::from("/greengrass/v2/certs/device.pem.crt")
    );
    assert_eq!(
        s.key.as_ref().unwrap().path.value,
        home.path().join("gg/private.pem.key")
    );
    assert_eq!(s.ca[0].path.value, PathBuf::from("certs/root.pem"));
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigNote && f.message.contains("relative path")));

    // noProxyAddresses are regular expressions matched against the endpoint.
    let text = GREENGRASS
        .replace("https://my-proxy-server:1100", "http://10.0.0.2:3128")
        .replace(
            "www.example.com",
            ".*-ats\\\\.iot\\\\.us-west-2\\\\.amazonaws\\\\.com",
        );
    let s = greengrass(&home, &text);
    assert!(s.proxy.is_none(), "{:#?}", s.findings);
    assert!(s
        .findings
        .iter()
        .any(|f| f.message.contains("noProxyAddresses")));
}

#[test]
fn flags_alone() {
    let overrides = Overrides {
        endpoint: Some("abc-ats.iot.eu-west-1.amazonaws.com".into()),
        key: Some("/k.pem".into()),
        thing: Some("t".into()),
        ..Overrides::default()
    };
    let s = resolve(None, &overrides, None).unwrap();
    assert_eq!(s.client, Client::Flags);
    assert_eq!(s.ports.value, DEFAULT_PORTS.to_vec());
    assert_eq!(s.key.as_ref().unwrap().mode, ModeRule::AtMost(0o600));
    assert!(matches!(
        s.client_id.as_ref().unwrap().origin,
        Origin::Default { .. }
    ));
    assert!(s.findings.is_empty(), "{:#?}", s.findings);
    assert!(s.config_files.is_empty());
}

#[test]
fn two_main_configurations_are_refused() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    let gg = home.path().join("config.yaml");
    std::fs::write(&gg, GREENGRASS).unwrap();
    let overrides = Overrides {
        more_configs: vec![gg.clone()],
        ..Overrides::default()
    };
    let e = resolve(Some(&config), &overrides, None).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("already read"), "{e}");

    let proxy = home.write("http-proxy.conf", PROXY);
    let overrides = Overrides {
        more_configs: vec![proxy],
        ..Overrides::default()
    };
    let e = resolve(Some(&gg), &overrides, None).unwrap_err();
    assert!(e.to_string().contains("Greengrass"), "{e}");
}

#[test]
fn hostile_and_broken_files_give_one_line() {
    let home = Home::new();
    // The template as shipped: a bare word where the slot id belongs.
    let template = DEVICE_CLIENT.replace(
        r#""secure-element-slot-id": 0"#,
        r#""secure-element-slot-id": replace_with_secure_element_slot_id_integer"#,
    );
    let e = home.error("template.conf", template.as_bytes());
    assert!(e.contains("line 20, column 31"), "{e}");
    assert!(e.contains("secure-element.secure-element-slot-id"), "{e}");
    assert!(!e.contains("replace_with"), "{e}");

    let truncated = &PROXY[..PROXY.find("password12345").unwrap() + 4];
    let e = home.error("truncated.conf", truncated.as_bytes());
    assert!(e.contains("not valid JSON") && e.contains("line 7"), "{e}");
    // The key path is named; the value cut short is not quoted.
    assert!(
        e.contains("`http-proxy-password`") && !e.contains("\"pass"),
        "{e}"
    );

    let e = home.error("deep.json", "[".repeat(100_000).as_bytes());
    assert!(e.contains("not valid JSON"), "{e}");
    let e = home.error(
        "deep.yaml",
        format!("a: {}", "[".repeat(100_000)).as_bytes(),
    );
    assert!(e.contains("not valid YAML"), "{e}");
    let e = home.error(
        "deep-block.yaml",
        (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect::<String>()
            .as_bytes(),
    );
    assert!(e.contains("not valid YAML"), "{e}");

    let e = home.error("two.json", b"{\"endpoint\": \"x\"}\n{}");
    assert!(e.contains("line 2") && e.contains("closing brace"), "{e}");
    let e = home.error("array.json", b"[{\"endpoint\": \"x\"}]");
    assert!(e.contains("a list") && e.contains("Greengrass"), "{e}");
    let e = home.error("empty.conf", b"  \n");
    assert!(e.contains("is empty"), "{e}");
    let e = home.error("latin1.conf", b"{\"endpoint\": \"caf\xe9\"}");
    assert!(e.contains("not UTF-8"), "{e}");
    let e = home.error(
        "key.pem",
        b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFm\n-----END PRIVATE KEY-----\n",
    );
    assert!(e.contains("PEM") && !e.contains("MC4C"), "{e}");
    let e = home.error("other.json", b"{\"name\": \"secret-value\"}");
    assert!(
        e.contains("doctor reads") && !e.contains("secret-value"),
        "{e}"
    );
    let e = home.error("words.txt", b"hello world\n");
    assert!(e.contains("a single text value"), "{e}");
    let e = home.error("bad.yaml", b"system:\n  thingName: [unclosed\n");
    assert!(e.contains("not valid YAML") && e.contains("line"), "{e}");

    let dir = home.path().join("a-directory");
    std::fs::create_dir(&dir).unwrap();
    let e = resolve(Some(&dir), &Overrides::default(), None).unwrap_err();
    assert!(e.to_string().contains("directory"), "{e}");
    assert_eq!(e.exit_code(), 2);
}

/// Nine levels of nine aliases ("billion laughs") would expand to 9^9 (387 million) strings:
/// the alias replay budget stops it within a bounded number of events.
#[test]
fn yaml_alias_bomb_neither_hangs_nor_exhausts_memory() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    bomb.push_str("system:\n  thingName: *i\n");
    let started = std::time::Instant::now();
    let e = read::recognise("bomb.yaml", bomb.as_bytes()).unwrap_err();
    let elapsed = started.elapsed();
    assert!(e.message.contains("aliases expand too far"), "{e}");
    // A hang bound, not a speed check: the expansion it guards against runs for minutes; the
    // margin leaves room for a loaded machine (timings live in benches/).
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
    // The process's peak resident memory stays far below what the expansion would take.
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let peak_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        assert!(peak_kib < 1024 * 1024, "peak {peak_kib} KiB");
    }
}

/// `noProxyAddresses` entries are regular expressions from the file: each is compiled with
/// Java's ASCII classes and within a bounded size, so that a short hostile list (in Unicode,
/// each `\w{500}` compiled to megabytes, a minute for this list) cannot stall the run. An
/// entry too large to compile matches nothing, like an invalid one; the others still apply.
#[test]
fn hostile_no_proxy_expressions_neither_hang_nor_hide_the_others() {
    let home = Home::new();
    let mut list = vec![r"\\w{500}"; 60];
    list.extend([r"(?:\\w{50}){50}"; 60]);
    // A realistic entry, with classes, still fits and matches.
    list.push(r"[\\w-]+-ats\\.iot\\.\\w+-\\w+-\\d\\.amazonaws\\.com");
    let text = GREENGRASS
        .replace("https://my-proxy-server:1100", "http://10.0.0.2:3128")
        .replace("http://192.168.0.1,www.example.com", &list.join(","));
    let started = std::time::Instant::now();
    let s = greengrass(&home, &text);
    let elapsed = started.elapsed();
    assert!(s.proxy.is_none(), "{:#?}", s.findings);
    // A hang bound, not a speed check: the expansion it guards against runs for minutes; the
    // margin leaves room for a loaded machine (timings live in benches/).
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
}

/// The bytes-level reader (the fuzz targets' entry) reads as `resolve` does: the same settings
/// and findings for the same files, and the same refusal of two main configurations.
#[test]
fn bytes_read_as_files_are() {
    let home = Home::new();
    let config = home.write("aws-iot-device-client.conf", DEVICE_CLIENT);
    let proxy = home.write("http-proxy.conf", PROXY);
    // Both named, as the bytes are.
    let both = Overrides {
        more_configs: vec![proxy.clone()],
        ..Overrides::default()
    };
    let from_files = home.resolve(&config, &both);
    let config_name = config.display().to_string();
    let proxy_name = proxy.display().to_string();
    let from_bytes = resolve_bytes(
        &[
            (config_name.as_str(), DEVICE_CLIENT.as_bytes()),
            (proxy_name.as_str(), PROXY.as_bytes()),
        ],
        &Overrides::default(),
        Some(home.path()),
    )
    .unwrap();
    assert_eq!(format!("{from_bytes:?}"), format!("{from_files:?}"));

    let gg = home.path().join("config.yaml");
    let gg_name = gg.display().to_string();
    let from_files = greengrass(&home, GREENGRASS);
    let from_bytes = resolve_bytes(
        &[(gg_name.as_str(), GREENGRASS.as_bytes())],
        &Overrides::default(),
        Some(home.path()),
    )
    .unwrap();
    // The same but for the file's name.
    let from_files = format!("{from_files:?}").replace("effectiveConfig.yaml", "config.yaml");
    assert_eq!(format!("{from_bytes:?}"), from_files);

    let error = resolve_bytes(
        &[
            ("a.conf", DEVICE_CLIENT.as_bytes()),
            ("b.yaml", GREENGRASS.as_bytes()),
        ],
        &Overrides::default(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with(
            "b.yaml: the Greengrass nucleus configuration is already read from a.conf"
        ),
        "{error}"
    );
}

/// An SDK sample's command line in `~/<name>`, resolved.
fn sample(home: &Home, name: &str, line: &str) -> DeviceSettings {
    let path = home.path().join(name);
    std::fs::write(&path, line).unwrap();
    home.resolve(&path, &Overrides::default())
}

fn file_key(origin: &Origin) -> &str {
    match origin {
        Origin::File { key, .. } => key,
        other => panic!("not from the file: {other:?}"),
    }
}

#[test]
fn sample_pre_2025_pubsub_line() {
    let home = Home::new();
    // aws-crt-python#463, the shape of the pre-2025 v2 samples.
    let s = sample(
        &home,
        "run.sh",
        "python3 aws-iot-device-sdk-python-v2/samples/pubsub.py \\\n  --endpoint a1b2c3d4e5f6g7-ats.iot.ap-southeast-1.amazonaws.com \\\n  --ca_file /home/student/root-CA.crt \\\n  --cert /home/student/test.cert.pem \\\n  --key /home/student/test.private.key \\\n  --client_id basicPubSub --topic sdk/test/python --count 0 --port 8883\n",
    );
    assert_eq!(s.client, Client::SdkSample);
    let endpoint = s.endpoint.as_ref().unwrap();
    assert_eq!(
        endpoint.value,
        "a1b2c3d4e5f6g7-ats.iot.ap-southeast-1.amazonaws.com"
    );
    assert_eq!(file_key(&endpoint.origin), "--endpoint");
    let cert = s.cert.as_ref().unwrap();
    assert_eq!(
        cert.path.value,
        PathBuf::from("/home/student/test.cert.pem")
    );
    assert_eq!(file_key(&cert.path.origin), "--cert");
    assert_eq!(
        s.key.as_ref().unwrap().path.value,
        PathBuf::from("/home/student/test.private.key")
    );
    assert_eq!(s.key.as_ref().unwrap().mode, ModeRule::AtMost(0o600));
    assert_eq!(s.ca.len(), 1);
    assert_eq!(file_key(&s.ca[0].path.origin), "--ca_file");
    let client_id = s.client_id.as_ref().unwrap();
    assert_eq!(client_id.value, "basicPubSub");
    assert_eq!(file_key(&client_id.origin), "--client_id");
    assert_eq!(s.ports.value, vec![8883]);
    assert_eq!(file_key(&s.ports.origin), "--port");
    assert_eq!(s.mqtt_version.value, MqttVersion::V311);
    assert_eq!(s.region.as_ref().unwrap().value, "ap-southeast-1");
    assert!(s.transport.is_none());
    assert_eq!(
        s.features,
        vec![crate::policy::features::Feature::PubSub {
            publish: Some("sdk/test/python".into()),
            subscribe: Some("sdk/test/python".into())
        }]
    );
    // --topic, --count are known sample arguments: nothing to say; a sample needs no thing.
    assert!(s.findings.is_empty(), "{:#?}", s.findings);
}

#[test]
fn sample_current_mqtt5_x509_defaults() {
    let home = Home::new();
    let s = sample(
        &home,
        "cmd",
        "python3 mqtt5_x509.py --endpoint a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com --cert certs/dev.pem.crt --key certs/dev.private.key\n",
    );
    assert_eq!(s.client, Client::SdkSample);
    assert_eq!(s.mqtt_version.value, MqttVersion::V5);
    assert_eq!(
        file_key(&s.mqtt_version.origin),
        "the program mqtt5_x509.py"
    );
    // No --port: the builder's 443 with ALPN x-amzn-mqtt-ca, else 8883.
    assert_eq!(s.ports.value, vec![443, 8883]);
    let Origin::Default { why } = &s.ports.origin else {
        panic!("{:?}", s.ports.origin)
    };
    assert!(why.contains("443 with ALPN x-amzn-mqtt-ca"), "{why}");
    // No --client_id: the random default hangs up on a policy allowing a fixed id.
    assert!(s.client_id.is_none());
    assert!(s.findings.iter().any(|f| f.code == Code::ConfigNote
        && f.message.contains("mqtt5-sample-<8 hex>")
        && f.message.contains("fixed client id")));
    // No --ca_file: the system trust store.
    assert!(s.ca.is_empty());
    assert!(finding(&s, Code::CaSystemStore)
        .message
        .contains("system trust store"));
    // Relative paths are noted, as for the other formats.
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigNote && f.message.contains("relative path")));
    // `--mqtt_version 5` says the same for any sample.
    let s = sample(
        &home,
        "cmd",
        "./pubsub --endpoint x-ats.iot.us-east-1.amazonaws.com --cert /c --key /k --client_id a --mqtt_version 5",
    );
    assert_eq!(s.mqtt_version.value, MqttVersion::V5);
    assert_eq!(file_key(&s.mqtt_version.origin), "--mqtt_version");
}

#[test]
fn sample_cpp_binary_and_root_ca_spelling() {
    let home = Home::new();
    let s = sample(
        &home,
        "cmd",
        "basic-pub-sub --endpoint a1bli8kvdl3b9v-ats.iot.us-east-2.amazonaws.com --cert /d/c.pem.crt --key /d/p.pem.key --topic sdk/test/Python --root-ca /d/root.ca --client_id x",
    );
    assert_eq!(s.client, Client::SdkSample);
    assert_eq!(s.ca[0].path.value, PathBuf::from("/d/root.ca"));
    assert_eq!(file_key(&s.ca[0].path.origin), "--root-ca");
}

#[test]
fn sample_v1_short_flags() {
    let home = Home::new();
    // aws-iot-device-sdk-python#165.
    let s = sample(
        &home,
        "cmd",
        "$ python basicPubSub.py -e a1b2c3d4e5f6g7-ats.iot.us-west-2.amazonaws.com -r /r/root-CA.crt -c /r/d.cert.pem -k /r/d.private.key -id dev1 -t sdk/test -M hello",
    );
    assert_eq!(s.client, Client::SdkSample);
    assert_eq!(file_key(&s.endpoint.as_ref().unwrap().origin), "-e");
    assert_eq!(s.ca[0].path.value, PathBuf::from("/r/root-CA.crt"));
    assert_eq!(file_key(&s.ca[0].path.origin), "-r");
    assert_eq!(file_key(&s.cert.as_ref().unwrap().path.origin), "-c");
    assert_eq!(file_key(&s.key.as_ref().unwrap().path.origin), "-k");
    assert_eq!(s.client_id.as_ref().unwrap().value, "dev1");
    assert!(s.findings.is_empty(), "{:#?}", s.findings);
}

#[test]
fn sample_quoted_paths_with_spaces_and_home() {
    let home = Home::new();
    let s = sample(
        &home,
        "cmd",
        "python3 pubsub.py --endpoint=e-ats.iot.us-east-1.amazonaws.com --cert \"/My Certs/dev cert.pem\" --key '/My Certs/dev key.pem' --ca_file ~/certs/AmazonRootCA1.pem --client_id 'a b'",
    );
    assert_eq!(
        s.cert.as_ref().unwrap().path.value,
        PathBuf::from("/My Certs/dev cert.pem")
    );
    assert_eq!(
        s.key.as_ref().unwrap().path.value,
        PathBuf::from("/My Certs/dev key.pem")
    );
    assert_eq!(
        s.ca[0].path.value,
        home.path().join("certs/AmazonRootCA1.pem")
    );
    assert_eq!(
        s.endpoint.as_ref().unwrap().value,
        "e-ats.iot.us-east-1.amazonaws.com"
    );
    assert_eq!(s.client_id.as_ref().unwrap().value, "a b");
}

#[test]
fn sample_proxy_websocket_and_signing_region() {
    let home = Home::new();
    let s = sample(
        &home,
        "cmd",
        "python3 pubsub.py --endpoint e-ats.iot.us-east-1.amazonaws.com --cert /c --key /k --client_id a --proxy_host 10.0.0.5 --proxy_port 3128 --signing_region eu-west-1",
    );
    let proxy = s.proxy.as_ref().unwrap();
    assert_eq!(
        (proxy.value.host.as_str(), proxy.value.port),
        ("10.0.0.5", 3128)
    );
    assert_eq!(file_key(&proxy.origin), "--proxy_host");
    let transport = s.transport.as_ref().unwrap();
    assert_eq!(
        transport.value,
        crate::net::TransportRequest::Wss {
            signing_region: Some("eu-west-1".into()),
            authorizer: None
        }
    );
    assert_eq!(file_key(&transport.origin), "--signing_region");
    // A websocket sample by its name, and the v2 flag.
    for line in [
        "python3 websocket_connect.py --endpoint e-ats.iot.us-east-1.amazonaws.com --client_id a",
        "python3 mqtt5_websocket_sigv4.py --endpoint e-ats.iot.us-east-1.amazonaws.com --client_id a",
        "python3 pubsub.py --endpoint e-ats.iot.us-east-1.amazonaws.com --use_websocket --client_id a",
    ] {
        let s = sample(&home, "cmd", line);
        assert!(
            matches!(
                s.transport.as_ref().map(|t| &t.value),
                Some(crate::net::TransportRequest::Wss {
                    signing_region: None,
                    authorizer: None
                })
            ),
            "{line}"
        );
    }
}

#[test]
fn sample_custom_auth_keeps_the_token_secret() {
    let home = Home::new();
    let s = sample(
        &home,
        "cmd",
        "python3 mqtt5_custom_auth_signed.py --endpoint e-ats.iot.us-east-1.amazonaws.com --client_id a --custom_auth_authorizer_name MyAuth --custom_auth_token_key_name tok --custom_auth_token_value s3cret-token --custom_auth_authorizer_signature s3cret-sig== --custom_auth_username u --custom_auth_password s3cret-pass --pin s3cret-pin --mystery s3cret-unknown",
    );
    let transport = s.transport.as_ref().unwrap();
    let crate::net::TransportRequest::CustomAuth(authorizer) = &transport.value else {
        panic!("{transport:?}")
    };
    assert_eq!(authorizer.name, "MyAuth");
    assert_eq!(authorizer.token_name, "tok");
    assert_eq!(authorizer.token, "s3cret-token");
    assert_eq!(authorizer.signature.as_deref(), Some("s3cret-sig=="));
    assert_eq!(file_key(&transport.origin), "--custom_auth_authorizer_name");
    assert_eq!(s.mqtt_version.value, MqttVersion::V5);
    // The unknown argument is named, its value never.
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigIgnored && f.message.contains("`--mystery`")));
    let all = format!("{s:?}");
    for secret in [
        "s3cret-token",
        "s3cret-sig",
        "s3cret-pass",
        "s3cret-pin",
        "s3cret-unknown",
    ] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
    // An authorizer without a token: a note, no transport.
    let s = sample(
        &home,
        "cmd",
        "python3 x.py --endpoint e-ats.iot.us-east-1.amazonaws.com --client_id a --custom_auth_authorizer_name MyAuth --custom_auth_username u --custom_auth_password s3cret-pass",
    );
    assert!(s.transport.is_none());
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigNote && f.message.contains("--custom_auth_token_value")));
    assert!(!format!("{s:?}").contains("s3cret-pass"));
}

#[test]
fn sample_detection_and_hostile_lines() {
    let home = Home::new();
    // Not a command line: no --endpoint / -e, a YAML mapping, an option first.
    for text in [
        "python3 pubsub.py --cert /c --key /k\n",
        "mystery: --endpoint\n",
        "--endpoint x python3\n",
    ] {
        let message = home.error("not-a-sample", text.as_bytes());
        assert!(message.contains("SDK"), "{message}");
    }
    // Unbalanced quotes are not a command line either (shlex refuses them).
    let message = home.error("quote", b"python3 pubsub.py --endpoint 'e\n");
    assert!(message.contains("SDK"), "{message}");
    // A value missing at the end, a bad port, a word that is not an option.
    let s = sample(
        &home,
        "cmd",
        "python3 pubsub.py stray --endpoint e-ats.iot.us-east-1.amazonaws.com --client_id a --port 99999 --cert",
    );
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigIgnored && f.message.contains("`--cert` ends the line")));
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigRefused && f.message.contains("`--port`")));
    assert!(s
        .findings
        .iter()
        .any(|f| f.code == Code::ConfigIgnored && f.message.contains("not an option")));
    assert!(codes(&s).contains(&Code::ConfigMissingValue));
    // A Device Client proxy file beside a sample's line is refused with both named.
    let line = home.path().join("line");
    std::fs::write(&line, "python3 p.py --endpoint e --client_id a").unwrap();
    let proxy = home.write("http-proxy.conf", PROXY);
    let err = resolve(
        Some(&line),
        &Overrides {
            more_configs: vec![proxy],
            ..Overrides::default()
        },
        Some(home.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("SDK sample"), "{err}");
}

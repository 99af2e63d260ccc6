//! The command line of an AWS IoT Device SDK v2 sample (`pubsub.py`, `mqtt5_x509.py`, the C++
//! `basic-pub-sub`...) or of the v1 Python SDK's samples (`-e -r -c -k`), kept in a file and
//! read as the sample reads its arguments (`samples/utils/command_line_utils.py` before
//! 2025-09, the current `samples/mqtt/*.md`, and `awsiot/mqtt_connection_builder.py` for the
//! defaults the arguments hide). The line is split into words by the `shlex` crate, as a POSIX
//! shell splits it (quotes, escapes, `#` comments; backslash line continuations are joined
//! first, as the shell joins them).
//!
//! Recognised by content: the first word is a program (not an option, not a `key:`), and one
//! word is `--endpoint`, `--endpoint=...` or `-e`. A leading `$ ` prompt is skipped.

use std::path::{Path, PathBuf};

use super::{from_file, relative_note, Client, Credential, FileSettings, Named, Names, Sourced};
use crate::finding::{Code, Finding};
use crate::net::{Authorizer, MqttVersion, TransportRequest};

/// Where the rules of the `files` stage come from.
pub const RULE_SOURCE: &str = "the SDK samples set no file modes: a private key must not be \
readable by group or others";

pub(super) const NAMES: Names = Names {
    endpoint: "--endpoint",
    endpoint_missing: "the sample refuses to start without it",
    cert: "--cert",
    cert_missing: "the sample connects with a certificate and refuses to start without it",
    key: "--key",
    key_missing: "the sample connects with a certificate and refuses to start without it",
    thing: "--thing_name",
    thing_missing: "the samples do not need it",
    ca: "--ca_file",
    ca_missing: "the sample uses the system trust store",
};

/// The ports when the line names none: the connection builder's 443 with ALPN, else 8883.
pub const DEFAULT_PORTS_WHY: &str = "no --port: the SDK's connection builder connects on 443 \
with ALPN x-amzn-mqtt-ca where ALPN is available, else on 8883 (the pre-2025 samples passed \
--port 8883 themselves)";

/// The version when the line says nothing: the v2 samples' `mqtt_connection_builder` client.
pub const MQTT_VERSION_WHY: &str = "the sample's MQTT 3.1.1 client (mqtt_connection_builder): \
no --mqtt_version 5 and not an mqtt5_* sample";

/// Each argument the samples take, what it means, and whether a value follows it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arg {
    Endpoint,
    Cert,
    Key,
    Ca,
    Port,
    ClientId,
    ProxyHost,
    ProxyPort,
    MqttVersion,
    SigningRegion,
    WebSocket,
    AuthorizerName,
    AuthUsername,
    AuthPassword,
    TokenKeyName,
    TokenValue,
    TokenSignature,
    ThingName,
    Topic,
    /// A sample argument that does not change how the device connects (`--message`,
    /// `--count`...), or one doctor does not check (PKCS#11, PKCS#12): ignored.
    Other,
    /// As [`Arg::Other`], without a value.
    OtherFlag,
}

/// The samples' arguments: the v2 samples of both generations (`--snake_case`), the C++
/// samples' `--root-ca`, and the v1 Python samples' short and camel-case forms.
const ARGS: &[(&str, Arg)] = &[
    ("--endpoint", Arg::Endpoint),
    ("-e", Arg::Endpoint),
    ("--cert", Arg::Cert),
    ("-c", Arg::Cert),
    ("--key", Arg::Key),
    ("-k", Arg::Key),
    ("--ca_file", Arg::Ca),
    ("--root-ca", Arg::Ca),
    ("--rootCA", Arg::Ca),
    ("-r", Arg::Ca),
    ("--port", Arg::Port),
    ("-p", Arg::Port),
    ("--client_id", Arg::ClientId),
    ("--clientId", Arg::ClientId),
    ("-id", Arg::ClientId),
    ("--proxy_host", Arg::ProxyHost),
    ("--proxy_port", Arg::ProxyPort),
    ("--mqtt_version", Arg::MqttVersion),
    ("--signing_region", Arg::SigningRegion),
    ("--use_websocket", Arg::WebSocket),
    ("--websocket", Arg::WebSocket),
    ("-w", Arg::WebSocket),
    ("--custom_auth_authorizer_name", Arg::AuthorizerName),
    ("--custom_auth_username", Arg::AuthUsername),
    ("--custom_auth_password", Arg::AuthPassword),
    ("--custom_auth_token_key_name", Arg::TokenKeyName),
    ("--custom_auth_token_value", Arg::TokenValue),
    ("--custom_auth_authorizer_signature", Arg::TokenSignature),
    ("--thing_name", Arg::ThingName),
    ("--topic", Arg::Topic),
    ("-t", Arg::Topic),
    ("--message", Arg::Other),
    ("-M", Arg::Other),
    ("--count", Arg::Other),
    ("--verbosity", Arg::Other),
    ("-v", Arg::Other),
    ("--mode", Arg::Other),
    ("-m", Arg::Other),
    ("--is_ci", Arg::Other),
    ("--pkcs11_lib", Arg::Other),
    ("--pin", Arg::Other),
    ("--token_label", Arg::Other),
    ("--slot_id", Arg::Other),
    ("--key_label", Arg::Other),
    ("--pkcs12_file", Arg::Other),
    ("--pkcs12_password", Arg::Other),
    ("--x509_endpoint", Arg::Other),
    ("--x509_role_alias", Arg::Other),
    ("--x509_thing_name", Arg::Other),
    ("--x509_cert", Arg::Other),
    ("--x509_key", Arg::Other),
    ("--x509_ca_file", Arg::Other),
    ("--x509_proxy_host", Arg::Other),
    ("--x509_proxy_port", Arg::Other),
    ("--x509_use_proxy_tls", Arg::OtherFlag),
    ("--region", Arg::Other),
    ("--shadow_property", Arg::Other),
    ("--job_time", Arg::Other),
    ("--template_name", Arg::Other),
    ("--template_parameters", Arg::Other),
    ("--csr", Arg::Other),
    ("--print_discover_resp_only", Arg::OtherFlag),
    ("--help", Arg::OtherFlag),
];

/// Programs that run a sample rather than being it: the sample is their first word that is
/// not an option.
const RUNNERS: &[&str] = &[
    "python", "python3", "python2", "node", "java", "env", "sudo",
];

/// The words of a sample's command line, when `text` is one (see the module's rule).
pub fn command_line(text: &str) -> Option<Vec<String>> {
    let first = text.trim_start().chars().next()?;
    if matches!(first, '{' | '[' | '-' | '#') {
        return None;
    }
    // A backslash before a line end continues the line (POSIX sh); shlex 1.3 keeps the line
    // end as a word instead, so the pairs are removed first, as the shell removes them.
    let joined = text.replace("\\\r\n", "").replace("\\\n", "");
    let mut words = shlex::split(&joined)?;
    if words.first().is_some_and(|w| w == "$") {
        words.remove(0);
    }
    let program = words.first()?;
    if program.starts_with('-') || program.ends_with(':') || program.contains('=') {
        return None;
    }
    let endpoint = words
        .iter()
        .any(|w| w == "--endpoint" || w == "-e" || w.starts_with("--endpoint="));
    endpoint.then_some(words)
}

/// The sample's name: the program, or the script a runner (`python3`, `node`...) runs.
fn sample_name(words: &[String]) -> (String, usize) {
    let base = |w: &str| {
        Path::new(w)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| w.to_string())
    };
    let mut at = 0;
    while at < words.len() {
        let name = base(&words[at]);
        let runner = RUNNERS
            .iter()
            .any(|r| name == *r || name.starts_with("python3."));
        if !runner {
            return (name, at + 1);
        }
        at += 1;
        // A runner's own options (`python3 -u x.py`, `java -jar x.jar`).
        while at < words.len() && words[at].starts_with('-') {
            at += 1;
        }
    }
    (base(&words[0]), 1)
}

/// Reads a sample's command line.
pub(super) fn read(main: &Named, home: Option<&Path>) -> FileSettings {
    let mut settings = FileSettings::new(Client::SdkSample);
    let file = main.path.clone();
    settings.config_file = Some(file.clone());
    settings.config_files.push(super::DeviceFile {
        path: Sourced {
            value: file.clone(),
            origin: main.origin(),
        },
        mode: super::ModeRule::Any,
        dir_mode: super::ModeRule::Any,
        rule_source: RULE_SOURCE,
    });
    let words = &main.file.args.0;
    let (sample, first_arg) = sample_name(words);
    let program_key = format!("the program {sample}");

    let mut values: Vec<(Arg, String, String)> = Vec::new();
    let mut websocket: Option<String> = None;
    let mut at = first_arg;
    while at < words.len() {
        let word = &words[at];
        at += 1;
        let (name, inline) = match word.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (word.as_str(), None),
        };
        let Some(&(_, arg)) = ARGS.iter().find(|(n, _)| *n == name) else {
            let what = if name.starts_with('-') {
                format!("`{name}`")
            } else {
                format!("word {at} (not an option)")
            };
            settings.findings.push(
                Finding::new(
                    Code::ConfigIgnored,
                    format!("{what} is not an argument of the SDK samples doctor knows: not understood, ignored"),
                )
                .on_file(&main.name()),
            );
            continue;
        };
        match arg {
            Arg::WebSocket => websocket = Some(name.to_string()),
            Arg::OtherFlag => {}
            _ => {
                let value = match inline {
                    Some(v) => Some(v),
                    None if at < words.len() => {
                        at += 1;
                        Some(words[at - 1].clone())
                    }
                    None => None,
                };
                match value {
                    Some(v) => values.push((arg, name.to_string(), v)),
                    None => settings.findings.push(
                        Finding::new(
                            Code::ConfigIgnored,
                            format!("`{name}` ends the line without its value: ignored"),
                        )
                        .on_file(&main.name()),
                    ),
                }
            }
        }
    }
    let get = |want: Arg| {
        values
            .iter()
            .rev()
            .find(|(a, _, _)| *a == want)
            .map(|(_, n, v)| (n.clone(), v.clone()))
    };
    let sourced = |(name, value): (String, String)| Sourced {
        value,
        origin: from_file(&file, &name),
    };

    settings.endpoint = get(Arg::Endpoint).map(sourced);
    let mut path = |arg: Arg| {
        get(arg).map(|(name, value)| {
            let origin = from_file(&file, &name);
            let path = resolve(&value, home);
            if let Some(note) = relative_note(&path, &origin, "the sample") {
                settings.findings.push(note.on_file(&main.name()));
            }
            Sourced {
                value: path,
                origin,
            }
        })
    };
    let cert = path(Arg::Cert);
    let key = path(Arg::Key);
    let ca = path(Arg::Ca);
    settings.cert = cert.map(Credential::File);
    settings.key = key.map(Credential::File);
    settings.ca = ca;
    settings.thing = get(Arg::ThingName).map(sourced);
    // The pub/sub samples subscribe to --topic and publish to it: as the Device Client's
    // pub/sub sample, doctor subscribes on the wire and checks the publish in the policy only.
    if let Some((_, topic)) = get(Arg::Topic) {
        settings
            .features
            .push(crate::policy::features::Feature::PubSub {
                publish: Some(topic.clone()),
                subscribe: Some(topic),
            });
    }
    settings.client_id = get(Arg::ClientId).map(sourced);
    if settings.client_id.is_none() {
        settings.findings.push(
            Finding::new(
                Code::ConfigNote,
                "no --client_id: the sample connects with a random client id (test-<uuid4> in the pre-2025 samples, mqtt5-sample-<8 hex> in the current ones), so a policy that allows only a fixed client id (client/<thing name>) hangs it up right after CONNECT; pass --client_id with the id the policy allows, and give doctor the same with --client-id",
            )
            .on_file(&main.name()),
        );
    }

    settings.mqtt_version = Some(match get(Arg::MqttVersion) {
        Some((name, v)) => Sourced {
            value: if v.trim() == "5" {
                MqttVersion::V5
            } else {
                MqttVersion::V311
            },
            origin: from_file(&file, &name),
        },
        None if sample.starts_with("mqtt5") => Sourced {
            value: MqttVersion::V5,
            origin: from_file(&file, &program_key),
        },
        None => Sourced::default(MqttVersion::V311, MQTT_VERSION_WHY),
    });

    let mut port = |arg: Arg| {
        let (name, v) = get(arg)?;
        match v.trim().parse::<u16>() {
            Ok(p) if p > 0 => Some(Sourced {
                value: p,
                origin: from_file(&file, &name),
            }),
            _ => {
                settings.findings.push(
                    Finding::new(
                        Code::ConfigRefused,
                        format!("`{name}` is not a port number from 1 to 65535: the sample cannot connect with it"),
                    )
                    .on_file(&main.name()),
                );
                None
            }
        }
    };
    let mqtt_port = port(Arg::Port);
    let proxy_port = port(Arg::ProxyPort);
    settings.ports = Some(match mqtt_port {
        Some(p) => Sourced {
            value: vec![p.value],
            origin: p.origin,
        },
        None => Sourced::default(vec![443, 8883], DEFAULT_PORTS_WHY),
    });
    if let Some((name, host)) = get(Arg::ProxyHost) {
        let port = proxy_port.map(|p| p.value).unwrap_or(8080);
        settings.proxy = Some(Sourced {
            value: super::ProxySetting {
                host,
                port,
                username: None,
                password: None,
            },
            origin: from_file(&file, &name),
        });
    }

    // How the MQTT travels: a custom authorizer, a SigV4 WebSocket, or TLS with the certificate.
    let authorizer = get(Arg::AuthorizerName);
    let websocket_sample = sample.starts_with("websocket_connect")
        || sample.starts_with("mqtt5_websocket")
        || sample.contains("websocket");
    if let Some((name_arg, name)) = authorizer {
        let token_name = get(Arg::TokenKeyName).map(|(_, v)| v);
        let token = get(Arg::TokenValue).map(|(_, v)| v);
        match (token_name, token) {
            (Some(token_name), Some(token)) => {
                let transport = TransportRequest::CustomAuth(Authorizer {
                    name,
                    token_name,
                    token,
                    signature: get(Arg::TokenSignature).map(|(_, v)| v),
                });
                settings.transport = Some(Sourced {
                    value: transport,
                    origin: from_file(&file, &name_arg),
                });
            }
            _ => settings.findings.push(
                Finding::new(
                    Code::ConfigNote,
                    format!(
                        "`{name_arg}` names a custom authorizer, but the line has no --custom_auth_token_key_name and --custom_auth_token_value: doctor sends a token, not the user name and password (--custom_auth_username/--custom_auth_password); check it with --transport custom-auth --authorizer NAME --token-name NAME and the token in IOTCHECK_AUTHORIZER_TOKEN"
                    ),
                )
                .on_file(&main.name()),
            ),
        }
    } else if let Some((region_arg, region)) = get(Arg::SigningRegion) {
        settings.transport = Some(Sourced {
            value: TransportRequest::Wss {
                signing_region: Some(region),
                authorizer: None,
            },
            origin: from_file(&file, &region_arg),
        });
    } else if websocket.is_some() || websocket_sample {
        let key = websocket.unwrap_or(program_key);
        settings.transport = Some(Sourced {
            value: TransportRequest::Wss {
                signing_region: None,
                authorizer: None,
            },
            origin: from_file(&file, &key),
        });
    }
    settings
}

/// A path as the shell hands it to the sample: `~/` is the home directory (an unquoted `~`
/// in the file is expanded by the shell that runs the line).
fn resolve(value: &str, home: Option<&Path>) -> PathBuf {
    match (value.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(value),
    }
}

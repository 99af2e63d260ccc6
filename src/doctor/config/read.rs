//! Reading one configuration file: its bytes through [`crate::source`], its syntax (JSON or
//! YAML, into one tree), and which client's file it is, judged by its keys, never by its name.
//! Errors say where (line, column, key path) and never quote what the file holds: a config file
//! may hold a proxy password or a PKCS#11 PIN.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::InputError;

/// Which configuration file a file is, by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The AWS IoT Device Client's `aws-iot-device-client.conf` (JSON).
    DeviceClient,
    /// The Device Client's `http-proxy.conf` (JSON with `http-proxy-*` keys).
    DeviceClientProxy,
    /// The Device Client's runtime config written by fleet provisioning
    /// (`aws-iot-device-client-runtime.conf`: JSON with only `runtime-config`).
    DeviceClientRuntime,
    /// The AWS IoT Greengrass v2 nucleus `config.yaml` / `effectiveConfig.yaml`.
    Greengrass,
    /// An AWS IoT Device SDK sample's command line (`python3 pubsub.py --endpoint ...`):
    /// a first word that is a program and an `--endpoint` or `-e` word ([`super::sample`]).
    SdkSample,
}

/// One configuration file, read and recognised.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    pub format: Format,
    /// The top-level mapping.
    pub root: Map<String, Value>,
    /// The file's size in bytes (the Device Client refuses configs over 5000 bytes).
    pub size: usize,
    /// An SDK sample's command line, split into words (empty for the other formats).
    pub args: Words,
}

/// A command line's words. They may hold a custom authorizer's token or a PKCS#11 PIN: the
/// Debug form shows only how many there are.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Words(pub Vec<String>);

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Words({} words, not shown)", self.0.len())
    }
}

/// What doctor reads, for the error that refuses anything else.
pub const FORMATS: &str = "doctor reads the AWS IoT Device Client JSON config \
(aws-iot-device-client.conf), its http-proxy.conf and runtime config, and the AWS IoT \
Greengrass v2 config.yaml or effectiveConfig.yaml, and a file holding an AWS IoT Device SDK \
sample's command line (python3 pubsub.py --endpoint ... --cert ... --key ...)";

/// The top-level keys of the Device Client's JSON config (`source/config/Config.h`,
/// `JSON_KEY_*`, awslabs/aws-iot-device-client @2e20e21).
const DEVICE_CLIENT_KEYS: &[&str] = &[
    "endpoint",
    "cert",
    "key",
    "root-ca",
    "thing-name",
    "logging",
    "jobs",
    "tunneling",
    "device-defender",
    "fleet-provisioning",
    "runtime-config",
    "samples",
    "config-shadow",
    "sample-shadow",
    "secure-element",
    "sensor-publish",
];

/// Reads `path` and tells which configuration file it is. `name` is the file as the user named
/// it, for messages.
pub fn read(path: &Path, name: &str) -> Result<ConfigFile, InputError> {
    let bytes = crate::source::read_regular(path, name)?;
    recognise(name, &bytes)
}

/// Parses `bytes` (JSON or YAML) and tells which configuration file they are.
pub fn recognise(name: &str, bytes: &[u8]) -> Result<ConfigFile, InputError> {
    let refuse = |what: String| InputError::new(name, what);
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        refuse(format!(
            "is not UTF-8 text (line {}): {FORMATS}",
            line_of(body, e.valid_up_to())
        ))
    })?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(refuse(format!("is empty: {FORMATS}")));
    }
    if trimmed.starts_with("-----BEGIN ") {
        return Err(refuse(format!(
            "holds a PEM block (a certificate or key), not a configuration: pass it with --cert, --key or --ca; {FORMATS}"
        )));
    }
    if let Some(args) = super::sample::command_line(text) {
        return Ok(ConfigFile {
            format: Format::SdkSample,
            root: Map::new(),
            size: bytes.len(),
            args: Words(args),
        });
    }
    let root = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match parse_json(text) {
            Ok(value) => value,
            // A YAML flow mapping also starts with `{`: a Greengrass config written that way
            // is still read; anything else is reported as the JSON it looks like.
            Err(json_error) => match parse_yaml(text) {
                Ok(value) if detect(&value) == Some(Format::Greengrass) => value,
                _ => return Err(refuse(json_error.describe("JSON"))),
            },
        }
    } else {
        parse_yaml(text).map_err(|e| refuse(e.describe("YAML")))?
    };
    let format = detect(&root).ok_or_else(|| refuse(unrecognised(&root)))?;
    let Value::Object(root) = root else {
        return Err(refuse(unrecognised(&root)));
    };
    Ok(ConfigFile {
        format,
        root,
        size: bytes.len(),
        args: Words::default(),
    })
}

/// Which format a parsed tree is, by its keys.
fn detect(value: &Value) -> Option<Format> {
    let Value::Object(map) = value else {
        return None;
    };
    let has = |k: &str| map.contains_key(k);
    if has("system") || has("services") {
        return Some(Format::Greengrass);
    }
    if map.keys().any(|k| k.starts_with("http-proxy-")) {
        return Some(Format::DeviceClientProxy);
    }
    if has("runtime-config") && map.len() == 1 {
        return Some(Format::DeviceClientRuntime);
    }
    if DEVICE_CLIENT_KEYS.iter().any(|k| has(k)) {
        return Some(Format::DeviceClient);
    }
    None
}

/// The error for a well-formed file that is none of the formats read. Says what its top level
/// is, never what it holds.
fn unrecognised(value: &Value) -> String {
    let what = match value {
        Value::Object(map) if map.is_empty() => "an empty mapping",
        Value::Object(_) => "a mapping with none of the keys of these formats",
        Value::Array(_) => "a list (a JSON array)",
        Value::String(_) => "a single text value",
        Value::Number(_) => "a single number",
        Value::Bool(_) => "a single true/false",
        Value::Null => "nothing but a null",
    };
    format!("holds {what}, not a device configuration: {FORMATS}")
}

/// A parse failure: where, in which key, and what kind of failure, never the text.
struct ParseError {
    line: Option<u64>,
    column: Option<u64>,
    /// The key path being read when it failed (`secure-element.secure-element-slot-id`).
    path: Option<String>,
    what: &'static str,
}

impl ParseError {
    fn describe(&self, syntax: &str) -> String {
        let at = match (self.line, self.column) {
            (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
            (Some(l), None) => format!(" at line {l}"),
            _ => String::new(),
        };
        let key = match &self.path {
            Some(p) if !p.is_empty() && p != "." && p != "?" => format!(" (in `{p}`)"),
            _ => String::new(),
        };
        format!("is not valid {syntax}{at}{key}: {}", self.what)
    }
}

fn parse_json(text: &str) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, Value>(&mut de) {
        Ok(value) => de.end().map(|()| value).map_err(|e| json_error(&e, None)),
        Err(e) => {
            let path = e.path().to_string();
            Err(json_error(e.inner(), Some(path)))
        }
    }
}

fn json_error(e: &serde_json::Error, path: Option<String>) -> ParseError {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => {
            "the file ends in the middle of a value: it is cut short or a closing brace is missing"
        }
        // serde_json stops at 128 levels; no configuration comes near.
        Category::Syntax if e.to_string().starts_with("recursion limit") => {
            "it is nested deeper than any configuration"
        }
        Category::Syntax if e.to_string().starts_with("trailing characters") => {
            "text follows the closing brace (two objects in one file, or a stray character)"
        }
        Category::Syntax => {
            "a bare word, a missing comma or quote, or a trailing comma (config-template.json ships bare placeholder words such as the secure element's slot id: put a number or a quoted string there)"
        }
        Category::Io | Category::Data => "check the file's syntax",
    };
    ParseError {
        line: Some(e.line() as u64),
        column: Some(e.column() as u64),
        path,
        what,
    }
}

/// The limits a configuration file must stay within. A Greengrass `effectiveConfig.yaml` with
/// many components holds a few thousand nodes; these bounds are far above that and far below
/// what could exhaust memory. Aliases are replayed as events, and the replay is bounded in
/// total and in nesting, so an alias bomb ("billion laughs") stops after at most
/// [`MAX_REPLAYED_EVENTS`] events.
const MAX_REPLAYED_EVENTS: usize = 100_000;

fn parse_yaml(text: &str) -> Result<Value, ParseError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 64,
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_documents: 1,
            max_events: 1_000_000,
            max_nodes: 250_000,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
            max_replay_stack_depth: 16,
        },
        // The rendered snippet would quote the file.
        with_snippet: false,
    };
    let mut path = None;
    let parsed = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize::<_, Value>(de).map_err(|e| {
            path = Some(e.path().to_string());
            e.into_inner()
        })
    });
    parsed.map_err(|e| {
        let location = e.location();
        let what = yaml_error_words(&e);
        ParseError {
            line: location.map(|l| l.line()).filter(|&l| l > 0),
            column: location.map(|l| l.column()).filter(|&c| c > 0),
            path,
            what,
        }
    })
}

/// serde-saphyr's own messages may quote a scalar or an anchor name: only the kind of failure is
/// kept.
fn yaml_error_words(e: &serde_saphyr::Error) -> &'static str {
    use serde_saphyr::Error as E;
    match e.without_snippet() {
        // An error met while replaying an alias, with the alias's and the anchor's locations.
        E::AliasError { error, .. } => yaml_error_words(error),
        E::Budget { .. } => {
            "it exceeds the limits of a configuration file (nesting, aliases, anchors or size)"
        }
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => {
            "its aliases expand too far (an alias bomb, or aliases nested too deep)"
        }
        E::MultipleDocuments { .. } => "it holds more than one YAML document (---)",
        E::Eof { .. } => "the file ends in the middle of a value",
        E::UnknownAnchor { .. } => "an alias names an anchor that is not defined",
        E::DuplicateMappingKey { .. } => "a key appears twice in one mapping",
        _ => "check the indentation, colons and quotes",
    }
}

/// 1-based line number of byte `offset`.
fn line_of(body: &[u8], offset: usize) -> usize {
    1 + body[..offset.min(body.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

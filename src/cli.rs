//! Command-line syntax (clap derive only). Every subcommand's help ends with examples and the
//! exit codes.

use std::path::PathBuf;

use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

const TOP_HELP: &str = "EXAMPLES:
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com
  iotcheck device --cert certificate.pem.crt --key private.pem.key
  iotcheck verify-chain --at 2026-03-01T00:00:00Z fixtures/aws/eu-central-1-chain.pem

EXIT CODES:
  0  ok
  1  a check failed (the report says which)
  2  bad usage or unreadable local input
  3  network or TLS failure before any certificate was seen";

/// Explains why a device cannot connect securely to AWS IoT Core.
#[derive(Debug, Parser)]
#[command(
    name = "iotcheck",
    version = crate::report::version::SHORT,
    long_version = crate::report::version::long(),
    after_help = TOP_HELP
)]
pub struct Cli {
    /// When to color the output: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

// Every command's arguments are `Deferred`: clap defines them only for the command that runs
// (or when the help, a man page or a completion script needs them all).
//
// The help lists the commands in the order a field engineer reaches for them (display_order;
// gaps leave room): the endpoint as the device sees it, the device's own files, then the
// offline tools, then the tool's own documentation. A new command takes a display_order too
// (without one, clap ranks it by its position among the variants, ahead of these): a doctor
// goes first, below 10.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Checks every layer a device's connection passes through, from its own configuration to
    /// MQTT, and names the first that fails with what to do.
    #[command(after_help = DOCTOR_HELP, display_order = 5)]
    Doctor(Deferred<Box<DoctorArgs>>),
    /// Verifies a certificate chain offline, as a device would, and explains every failure.
    #[command(after_help = VERIFY_CHAIN_HELP, display_order = 30)]
    VerifyChain(Deferred<VerifyChainArgs>),
    /// Shows every certificate, key, CSR or CRL in the files, without a trust decision.
    #[command(after_help = INSPECT_HELP, display_order = 40)]
    Inspect(Deferred<InspectArgs>),
    /// Connects to an endpoint like a device, captures the served chain, verifies and explains it.
    #[command(after_help = ENDPOINT_HELP, display_order = 10)]
    Endpoint(Deferred<Box<EndpointArgs>>),
    /// Lints a device's certificate and private key offline.
    #[command(after_help = DEVICE_HELP, display_order = 20)]
    Device(Deferred<DeviceArgs>),
    /// Creates a device key (mode 0400, never overwritten) and a CSR for it.
    #[command(after_help = CSR_HELP, display_order = 50)]
    Csr(Deferred<CsrArgs>),
    /// Explains a line of a device log (or a whole log): its likely causes and the checks that confirm them.
    #[command(after_help = EXPLAIN_HELP, display_order = 15)]
    Explain(Deferred<ExplainArgs>),
    /// Shows the version, the commit it was built from, the TLS stack and the embedded anchors.
    #[command(after_help = VERSION_HELP, display_order = 90)]
    Version(Deferred<VersionArgs>),
    /// Prints a shell completion script.
    #[command(after_help = COMPLETIONS_HELP, display_order = 91)]
    Completions(Deferred<CompletionsArgs>),
    /// Prints the man page of iotcheck or of one command, or writes them all to a directory.
    #[command(after_help = MAN_HELP, display_order = 92)]
    Man(Deferred<ManArgs>),
    /// Asks AWS IoT about a device certificate: registered, active, things, and whether the
    /// attached policies let the client id connect, publish and subscribe.
    #[command(after_help = ACCOUNT_HELP, display_order = 25)]
    Account(Deferred<AccountArgs>),
    /// Audits every device certificate under the paths at once: the device checks, revocation,
    /// and what only a fleet shows (shared keys, repeated serials, names outside a pattern).
    #[command(after_help = FLEET_HELP, display_order = 35)]
    Fleet(Deferred<FleetArgs>),
    /// Runs a Prometheus exporter: probes endpoints on each scrape (/probe, the blackbox
    /// exporter's convention) and audits fleets in the background (/metrics).
    #[command(after_help = SERVE_HELP, display_order = 37)]
    Serve(Deferred<ServeArgs>),
}

/// A command's arguments, defined only when that command is the one parsed (clap's
/// `Command::defer`). Building every command's arguments on every start cost more than a third
/// of `iotcheck --version`'s instructions; `build()` (help, man pages, completions) still
/// defines them all.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args_for_update))
    }

    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

/// Adds the arguments and keeps the command's own about text. Eagerly, the variant's doc comment
/// is set after the arguments; deferred, the arguments come last, and the doc comment of a
/// flattened group (`PemArgs`, ...) would replace the command's.
fn keep_about(cmd: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = augment(cmd);
    let cmd = match about {
        Some(text) => cmd.about(text),
        None => cmd.about(None::<&'static str>),
    };
    match long_about {
        Some(text) => cmd.long_about(text),
        None => cmd.long_about(None::<&'static str>),
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

const DOCTOR_HELP: &str = "EXAMPLES:
  iotcheck doctor --config ~/.aws-iot-device-client/aws-iot-device-client.conf
  iotcheck doctor --config /greengrass/v2/config/effectiveConfig.yaml --report ticket.md
  iotcheck doctor --endpoint abc123-ats.iot.eu-west-1.amazonaws.com --cert c.pem --key k.pem
  iotcheck doctor --endpoint abc123-ats.iot.eu-west-1.amazonaws.com --ports 8883 --json

Stages, in order: config, files, credentials, trust, clock, dns, tcp, tls, client_auth, mqtt,
account. --connect ADDR dials ADDR on each port of --ports; the endpoint stays the name sent
(SNI) and verified. Port 443 is probed with ALPN x-amzn-mqtt-ca, 8443 as HTTPS (no MQTT).

EXIT CODES:
  0  no stage failed (warnings allowed)
  1  a stage failed (network failures included: they are findings)
  2  bad usage, an unreadable configuration file, or a --report file that exists";

const VERIFY_CHAIN_HELP: &str = "EXAMPLES:
  iotcheck verify-chain --at 2026-03-01T00:00:00Z fixtures/aws/eu-central-1-chain.pem
  iotcheck verify-chain --brief --ca AmazonRootCA3.pem fixtures/aws/eu-central-1-chain.pem
  iotcheck verify-chain --ca AmazonRootCA1.pem --host abc-ats.iot.eu-west-1.amazonaws.com chain.pem
  iotcheck verify-chain --pem --path cert_1.pem cert_2.pem > ca-path.pem

EXIT CODES:
  0  a valid path exists (and the name matches, with --host)
  1  no valid path, or a problem that fails the check
  2  bad usage or unreadable input";

const INSPECT_HELP: &str = "EXAMPLES:
  iotcheck inspect certificate.pem.crt
  iotcheck inspect --json private.pem.key device.csr
  iotcheck inspect --pem bundle.pem > certificates.pem

EXIT CODES:
  0  every file was read
  2  bad usage or unreadable input";

const ENDPOINT_HELP: &str = "EXAMPLES:
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com:8883 --cert cert.pem --key key.pem --mqtt
  iotcheck endpoint --targets endpoints.txt --concurrency 32 --jsonl
  iotcheck endpoint --cert c.pem --key k.pem --credentials --role-alias TokenAlias --thing Sensor1

EXIT CODES:
  0  the chain verified (and the client certificate, if sent, was accepted)
  1  the chain did not verify, the client certificate was rejected, MQTT or HTTP refused
  2  bad usage or unreadable local files (including a key that does not match its certificate)
  3  no TLS session (resolve, connect, proxy, timeout, not TLS, early handshake failure)
  3  without HOST: the AWS API could not be asked for the endpoint
  0-3  several targets: the highest of the targets' codes (network 3 above failed check 1)";

const DEVICE_HELP: &str = "EXAMPLES:
  iotcheck device --cert certificate.pem.crt --key private.pem.key
  iotcheck device --cert cert.pem --key key.pem --ca my-device-ca.pem --thing Sensor1
  iotcheck device --cert certificate.pem.crt --key private.pem.key --brief

EXIT CODES:
  0  no error findings (warnings allowed)
  1  an error finding
  2  unreadable input";

const CSR_HELP: &str = "EXAMPLES:
  iotcheck csr --thing Sensor1
  iotcheck csr --thing Sensor1 --key-type rsa-2048 --out /etc/device

EXIT CODES:
  0  key and CSR written
  2  bad usage, or the key file already exists (it is never overwritten)";

const EXPLAIN_HELP: &str = "EXAMPLES:
  iotcheck explain 'mbedtls_ssl_handshake returned -0x2700'
  iotcheck explain AWS_ERROR_MQTT_UNEXPECTED_HANGUP
  iotcheck explain --log device.log
  journalctl -u aws-iot-device-client | iotcheck explain --log -

EXIT CODES:
  0  a known message was recognised (or --list)
  1  nothing recognised: try iotcheck doctor
  2  bad usage or an unreadable log";
const VERSION_HELP: &str = "EXAMPLES:
  iotcheck version
  iotcheck version --json

EXIT CODES:
  0  always";

const COMPLETIONS_HELP: &str = "EXAMPLES:
  iotcheck completions bash > /etc/bash_completion.d/iotcheck
  iotcheck completions zsh > ~/.zfunc/_iotcheck
  iotcheck completions fish > ~/.config/fish/completions/iotcheck.fish

EXIT CODES:
  0  the script was printed
  2  bad usage";

const MAN_HELP: &str = "EXAMPLES:
  iotcheck man | man -l -
  iotcheck man endpoint | man -l -
  iotcheck man --out /usr/local/share/man/man1

EXIT CODES:
  0  the page was printed, or the pages written
  2  bad usage (no such command), or the directory cannot be written";

const ACCOUNT_HELP: &str = "EXAMPLES:
  iotcheck account --cert certificate.pem.crt --thing Sensor1 --region eu-west-1
  iotcheck account --cert cert.pem --config /etc/.aws-iot-device-client/aws-iot-device-client.conf
  iotcheck account --cert cert.pem --thing Sensor1 --feature jobs,shadow --suggest-policy
  iotcheck account --cert certificate.pem.crt --role-alias GreengrassV2TokenExchangeRoleAlias

AWS credentials and region come from the standard chain (environment, profile, web identity,
container or instance metadata); --profile and --region override it. AWS_ENDPOINT_URL and
AWS_ENDPOINT_URL_IOT (and AWS_ENDPOINT_URL_IAM for --role-alias) are honoured. Only read-only
calls are made (docs/account.md lists them). --suggest-policy prints a policy to start from:
review it, do not apply it blindly.

EXIT CODES:
  0  nothing wrong (warnings allowed)
  1  a finding fails the device: not registered, not active, no policy, a policy denies
  2  bad usage, unreadable certificate, no AWS credentials or no region
  3  the AWS API could not be asked: unreachable, timeout, throttled, access denied";

const SERVE_HELP: &str = "EXAMPLES:
  iotcheck serve --config /etc/iotcheck/serve.toml
  iotcheck serve --config serve.toml --listen 0.0.0.0:9877

Scrape http://ADDR:PORT/probe?target=HOST[:PORT]&module=NAME and /metrics. It runs until
SIGTERM or SIGINT; SIGHUP reloads the configuration file (an invalid one is reported and the
one in force stays). The configuration and the metrics: docs/serve.md.

EXIT CODES:
  0  stopped by SIGTERM or SIGINT
  2  the configuration file is invalid or the address cannot be listened on";

const FLEET_HELP: &str = "EXAMPLES:
  iotcheck fleet --ca device-ca.pem /var/lib/devices/certs
  iotcheck fleet --ca device-ca.pem --crl device-ca.crl --warn-days 90 --jsonl certs > fleet.jsonl
  iotcheck fleet --ca old-ca.pem --ca new-ca.pem --thing-pattern 'Sensor-[0-9]+' --json certs
  iotcheck fleet --ca device-ca.pem --prometheus /var/lib/node_exporter/iotcheck.prom certs

EXIT CODES:
  0  no certificate has an error finding
  1  a certificate has an error finding, or a CRL given cannot be used
  2  bad usage, or an unreadable --ca, --crl or PATH";

/// Trust and time options shared by the commands that verify a chain.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Trust exactly the certificates in FILE (repeatable; bundles allowed) instead of the
    /// embedded Amazon roots, as a device whose caPath holds them.
    #[arg(long = "ca", value_name = "FILE")]
    pub ca: Vec<String>,

    /// Verify at this instant: RFC 3339, a date (2026-01-01) or @UNIX_SECONDS [default: now].
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Warn (expires_soon) when a certificate of the chain expires within N days.
    #[arg(long, value_name = "N", default_value_t = crate::chain::DEFAULT_WARN_DAYS)]
    pub warn_days: u32,
}

#[derive(Debug, Args)]
pub struct VerifyChainArgs {
    /// Certificate files (PEM or DER, bundles allowed; - for standard input), leaf first.
    #[arg(required = true, value_name = "CERT")]
    pub certs: Vec<String>,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// Check the leaf against this DNS name or IP address.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,

    /// Check every certificate of the path against its CA's revocation list (PEM or DER;
    /// repeatable).
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<String>,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub pem: PemArgs,
}

/// How a verdict is shown: in full, in brief, as JSON, or only by the exit code.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print one JSON object (schema in docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,

    /// Print the verdict line and the findings only, without per-certificate detail.
    #[arg(long, conflicts_with = "json")]
    pub brief: bool,

    /// Print nothing: the exit code is the answer (an error that stops the command is still
    /// one line on stderr).
    #[arg(short, long, conflicts_with_all = ["json", "brief"])]
    pub quiet: bool,
}

/// The certificates themselves, as PEM.
#[derive(Debug, Args)]
pub struct PemArgs {
    /// Print the certificates as PEM on stdout, in the order given or served; the verdict and
    /// findings go to stderr, the exit code stays.
    #[arg(long, conflicts_with_all = ["json", "quiet"])]
    pub pem: bool,

    /// With --pem: print the verified path instead, from the leaf up to and including the
    /// trusted anchor (nothing when no path verifies).
    #[arg(long, requires = "pem")]
    pub path: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files to show (PEM or DER; - for standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,

    /// Print the certificates in the files as PEM on stdout, in file order; never keys, CSRs
    /// or CRLs: what was left out is said on stderr.
    #[arg(long, conflicts_with = "json")]
    pub pem: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SigChoice {
    /// Offer every signature scheme (the server chooses).
    Any,
    /// Offer only RSA schemes: a dual-certificate endpoint serves its RSA chain.
    Rsa,
    /// Offer only ECDSA schemes: a dual-certificate endpoint serves its ECC chain.
    Ecdsa,
    /// Two handshakes, RSA then ECDSA, each verified on its own.
    Both,
}

/// `--mqtt-version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MqttVersionChoice {
    /// MQTT 3.1.1.
    #[value(name = "3")]
    V3,
    #[value(name = "5")]
    V5,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TlsChoice {
    #[value(name = "1.2")]
    V12,
    #[value(name = "1.3")]
    V13,
}

#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// The endpoint, e.g. abc123-ats.iot.eu-west-1.amazonaws.com, with an optional :PORT;
    /// several are probed concurrently, each with every option given
    /// [default: the account's iot:Data-ATS endpoint, asked of AWS (DescribeEndpoint)].
    #[arg(value_name = "HOST[:PORT]")]
    pub target: Vec<String>,

    /// Probe the targets listed in FILE too (- for standard input): one HOST[:PORT] a line,
    /// # comments and blank lines allowed.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["region", "profile"])]
    pub targets: Option<String>,

    /// How many targets are probed at once (1-256); each has its own --timeout.
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Print one JSON object per target, one a line, then a summary line (schema in
    /// docs/json.md).
    #[arg(long, conflicts_with_all = ["json", "brief", "quiet", "pem"])]
    pub jsonl: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// Port [default: 8443, or the one in HOST:PORT].
    #[arg(long)]
    pub port: Option<u16>,

    /// Connect to this address instead (IP, [::1], another name; optional :PORT); HOST stays
    /// the SNI and the name verified.
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub connect: Option<String>,

    /// Send and verify this server name instead of HOST.
    #[arg(long, value_name = "NAME")]
    pub servername: Option<String>,

    /// Send no SNI, to reproduce a device that omits it.
    #[arg(long)]
    pub no_sni: bool,

    /// ALPN protocols to offer, comma-separated [default: x-amzn-mqtt-ca on 443, none otherwise].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub alpn: Option<Vec<String>>,

    /// Seconds for the whole probe, all phases together (resolve, connect, proxy, handshake,
    /// post-handshake read, MQTT; with --sig both, both handshakes); the phase that runs out
    /// is named.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,

    /// Tunnel through an HTTP CONNECT proxy: http://[user:pass@]host:port, user and password
    /// percent-encoded, IPv6 hosts in brackets [default: $HTTPS_PROXY].
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Ignore HTTPS_PROXY.
    #[arg(long)]
    pub no_proxy: bool,

    /// Offer only this TLS version [default: 1.2 and 1.3].
    #[arg(long, value_enum)]
    pub tls: Option<TlsChoice>,

    /// Which signature schemes to offer, selecting the RSA or the ECC chain.
    #[arg(long, value_enum, default_value_t = SigChoice::Any)]
    pub sig: SigChoice,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// The device certificate to present (PEM; may hold the device's chain).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<String>,

    /// The device's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<String>,

    /// After a verified handshake, send MQTT CONNECT and wait for CONNACK (with a certificate,
    /// or over --transport wss or custom-auth with --client-id).
    #[arg(long)]
    pub mqtt: bool,

    /// MQTT client id [default: the device certificate's CN].
    #[arg(long, value_name = "ID", requires = "mqtt")]
    pub client_id: Option<String>,

    /// The MQTT version of the CONNECT: 3 (3.1.1) or 5, whose CONNACK, SUBACK, PUBACK and
    /// DISCONNECT carry the broker's reason codes and reason strings.
    #[arg(long, value_name = "3|5", value_enum, default_value_t = MqttVersionChoice::V3, requires = "mqtt")]
    pub mqtt_version: MqttVersionChoice,

    /// After CONNACK, SUBSCRIBE (QoS 1) to FILTER and wait for its SUBACK (repeatable).
    #[arg(long, value_name = "FILTER", requires = "mqtt")]
    pub subscribe: Vec<String>,

    /// After CONNACK (and the subscribes), PUBLISH an empty QoS 1 message, not retained, to
    /// TOPIC and wait for its PUBACK (repeatable). Nothing is ever published without this
    /// flag: a device's topics may drive real actions (rules, jobs, actuators).
    #[arg(long, value_name = "TOPIC", requires = "mqtt")]
    pub publish: Vec<String>,

    /// After a verified handshake, ask the credentials provider for AWS credentials as a
    /// device does (GET /role-aliases/ALIAS/credentials; port 443, no ALPN, by default);
    /// reports the answer, never the secret key or the session token
    /// [default HOST: the account's iot:CredentialProvider endpoint (DescribeEndpoint)].
    #[arg(long, requires_all = ["cert", "role_alias"], conflicts_with_all = ["mqtt", "https_publish"])]
    pub credentials: bool,

    /// The role alias to ask credentials for (Greengrass: iotRoleAlias).
    #[arg(long, value_name = "ALIAS", requires = "credentials")]
    pub role_alias: Option<String>,

    /// The thing name sent in the x-amzn-iot-thingname header (Greengrass: system.thingName).
    #[arg(long, value_name = "NAME", requires = "credentials")]
    pub thing: Option<String>,

    /// After a verified handshake, publish to TOPIC over HTTPS with the device certificate
    /// (POST /topics/TOPIC?qos=1; 8443, or 443 with ALPN x-amzn-http-ca) and report the answer.
    #[arg(long, value_name = "TOPIC", requires = "cert", conflicts_with = "mqtt")]
    pub https_publish: Option<String>,

    /// The message --https-publish sends [default: empty].
    #[arg(long, value_name = "TEXT", requires = "https_publish")]
    pub payload: Option<String>,

    /// Send application data (MQTT, an HTTP request) even when the server chain did not verify.
    #[arg(long)]
    pub insecure: bool,

    #[command(flatten)]
    pub transport: TransportArgs,

    /// Write the served certificates to DIR as cert_1.pem, cert_2.pem, ... in served order.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// Replace an earlier capture (its cert_*.pem files) in the --save directory.
    #[arg(long, requires = "save")]
    pub force: bool,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub pem: PemArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The device's configuration: an AWS IoT Device Client JSON config, a Greengrass v2
    /// config.yaml / effectiveConfig.yaml, or a file holding an AWS IoT Device SDK sample's
    /// command line (detected by content); flags override its values.
    /// Again for the Device Client's http-proxy.conf or runtime config.
    #[arg(long, value_name = "FILE")]
    pub config: Vec<PathBuf>,

    /// The AWS IoT endpoint, e.g. abc123-ats.iot.eu-west-1.amazonaws.com.
    #[arg(long, value_name = "HOST")]
    pub endpoint: Option<String>,

    /// The device certificate (certPath).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,

    /// The device's private key (keyPath).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// The root CA file the device trusts (caPath; repeatable).
    #[arg(long = "ca", value_name = "FILE")]
    pub ca: Vec<PathBuf>,

    /// The thing name (the Device Client's MQTT client id).
    #[arg(long, value_name = "NAME")]
    pub thing: Option<String>,

    /// The MQTT client id [default: the configuration's, else the thing name, else the
    /// certificate's CN].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// The MQTT version to CONNECT with: 3 (3.1.1) or 5 [default: the version the
    /// configuration sets for the device's client, else 3.1.1].
    #[arg(long, value_name = "3|5", value_enum)]
    pub mqtt_version: Option<MqttVersionChoice>,

    /// After CONNACK, SUBSCRIBE to FILTER and wait for its SUBACK (repeatable); the topic
    /// filters the configuration's features subscribe to (the Device Client's jobs, shadows,
    /// tunneling...; a Greengrass core's own) are subscribed to as well.
    #[arg(long, value_name = "FILTER")]
    pub subscribe: Vec<String>,

    /// After CONNACK, PUBLISH an empty QoS 1 message to TOPIC and wait for its PUBACK
    /// (repeatable). Nothing is ever published without this flag, not even the topics the
    /// configuration's features publish to: a device's topics may drive real actions.
    #[arg(long, value_name = "TOPIC")]
    pub publish: Vec<String>,

    /// Ports to check, comma-separated [default: the configuration's, else 8883,443,8443].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub ports: Option<Vec<u16>>,

    /// Dial this address (IP or name) on each port instead of the endpoint's addresses; the
    /// endpoint stays the SNI and the name verified. ADDR:PORT only with one port.
    #[arg(long, value_name = "ADDR")]
    pub connect: Option<String>,

    /// The device's HTTP CONNECT proxy: http://[user:pass@]host:port [default: the
    /// configuration's; HTTPS_PROXY is not used: the device's settings decide].
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Seconds for each port's whole probe: resolve, connect, handshakes and MQTT together.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,

    /// Judge certificates at this instant: RFC 3339, a date or @UNIX_SECONDS [default: now].
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Warn (expires_soon) when the device's or a served certificate expires within N days.
    #[arg(long, value_name = "N", default_value_t = crate::chain::DEFAULT_WARN_DAYS)]
    pub warn_days: u32,

    /// Do not ask AWS about the certificate (the account stage is skipped).
    #[arg(long)]
    pub no_account: bool,

    #[command(flatten)]
    pub transport: TransportArgs,

    /// The role alias the device asks the credentials provider for (Greengrass: iotRoleAlias);
    /// adds the credentials_provider stage.
    #[arg(long, value_name = "ALIAS")]
    pub role_alias: Option<String>,

    /// The credentials provider's endpoint, HOST[:PORT] [default: the configuration's
    /// iotCredEndpoint, else the account's iot:CredentialProvider endpoint (DescribeEndpoint)].
    #[arg(long, value_name = "HOST")]
    pub credentials_endpoint: Option<String>,

    /// Write a Markdown support report to FILE (never overwritten without --force); it holds
    /// no key material and no secret.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Replace an existing --report file.
    #[arg(long, requires = "report")]
    pub force: bool,

    /// Print one JSON object (schema in docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeviceArgs {
    /// The device certificate (certPath).
    #[arg(long, value_name = "FILE")]
    pub cert: String,

    /// The device private key (keyPath).
    #[arg(long, value_name = "FILE")]
    pub key: String,

    /// The CA that issued device certificates (bring-your-own-CA registration).
    #[arg(long = "ca", value_name = "FILE")]
    pub ca: Vec<String>,

    /// Check the certificate against its CA's revocation list (PEM or DER; repeatable; the CRL
    /// must be signed by a --ca given or a CA in the certificate file).
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<String>,

    /// The thing name the certificate's CN should carry.
    #[arg(long, value_name = "NAME")]
    pub thing: Option<String>,

    /// Check validity at this instant [default: now].
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Warn (expires_soon) when the device certificate expires within N days.
    #[arg(long, value_name = "N", default_value_t = crate::chain::DEFAULT_WARN_DAYS)]
    pub warn_days: u32,

    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyTypeChoice {
    #[value(name = "ec-p256")]
    EcP256,
    #[value(name = "ec-p384")]
    EcP384,
    #[value(name = "rsa-2048")]
    Rsa2048,
    #[value(name = "rsa-3072")]
    Rsa3072,
    #[value(name = "rsa-4096")]
    Rsa4096,
}

#[derive(Debug, Args)]
pub struct CsrArgs {
    /// The thing name: the CSR's subject CN and the files' base name.
    #[arg(long, value_name = "NAME")]
    pub thing: String,

    /// The key to create.
    #[arg(long, value_enum, default_value_t = KeyTypeChoice::EcP256)]
    pub key_type: KeyTypeChoice,

    /// Directory for NAME.key and NAME.csr.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A line (or lines) of a device log; several words are one text.
    #[arg(value_name = "TEXT", required_unless_present_any = ["log", "list"], conflicts_with_all = ["log", "list"])]
    pub text: Vec<String>,

    /// Scan a whole log (- for standard input): every known message once, with its first
    /// line and count.
    #[arg(long, value_name = "FILE", conflicts_with = "list")]
    pub log: Option<String>,

    /// List every known message, with its causes, checks and sources.
    #[arg(long)]
    pub list: bool,

    /// Print one JSON object (schema in docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Where to ask AWS; only for the commands that ask it.
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// AWS region [default: the standard chain: AWS_REGION, the profile's region, ...].
    #[arg(long, value_name = "REGION", conflicts_with = "target")]
    pub region: Option<String>,

    /// AWS profile of the shared config files [default: AWS_PROFILE, else "default"].
    #[arg(long, value_name = "PROFILE", conflicts_with = "target")]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccountArgs {
    /// The device certificate (PEM or DER; - for standard input).
    #[arg(long, value_name = "FILE")]
    pub cert: String,

    /// The MQTT client id the device uses [default: --thing, else the certificate's CN].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// The thing the device is meant to be (checked to be attached to the certificate).
    #[arg(long, value_name = "NAME")]
    pub thing: Option<String>,

    /// A topic the device publishes to (repeatable): checks iot:Publish.
    #[arg(long, value_name = "TOPIC")]
    pub publish: Vec<String>,

    /// A topic filter the device subscribes to (repeatable): checks iot:Subscribe, and
    /// iot:Receive when it names one topic.
    #[arg(long, value_name = "FILTER")]
    pub subscribe: Vec<String>,

    /// Features the device uses (comma-separated, repeatable): each one's actions and topics
    /// are checked. jobs, tunneling, shadow (classic), shadow:NAME, config-shadow,
    /// device-defender, fleet-provisioning:TEMPLATE, fleet-provisioning-csr:TEMPLATE,
    /// pub-sub:PUBLISH:SUBSCRIBE, greengrass, greengrass:ROLE_ALIAS.
    #[arg(long, value_name = "LIST")]
    pub feature: Vec<String>,

    /// The device's AWS IoT Device Client config or Greengrass config.yaml: the features it
    /// turns on are checked (and its thing name is the default --thing).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,

    /// Print a minimal policy that would allow what was asked and what the features need: a
    /// starting point to review, not to apply blindly.
    #[arg(long)]
    pub suggest_policy: bool,

    /// The role alias the device asks the credentials provider for: checks that it exists,
    /// that its IAM role exists, trusts credentials.iot.amazonaws.com and allows the alias's
    /// credential duration, and that the policies allow iot:AssumeRoleWithCertificate on it.
    #[arg(long, value_name = "ALIAS")]
    pub role_alias: Option<String>,

    /// The endpoint the device connects to (HOST[:PORT], port 8883 when not given): the
    /// domain configuration serving HOST is found and judged for a device on PORT (8443:
    /// HTTPS, any other: MQTT).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub endpoint: Option<String>,

    /// The domain configuration to judge, by name, instead of the one serving --endpoint's host.
    #[arg(long, value_name = "NAME")]
    pub domain_configuration: Option<String>,

    /// AWS region [default: the standard chain: AWS_REGION, the profile's region, ...].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// AWS profile of the shared config files [default: AWS_PROFILE, else "default"].
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Seconds for everything asked of AWS, credentials included.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,

    /// Print one JSON object (schema in docs/json.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print, e.g. endpoint [default: iotcheck's own page].
    #[arg(value_name = "COMMAND", conflicts_with = "out")]
    pub command: Option<String>,

    /// Write every page (iotcheck.1, iotcheck-COMMAND.1, ...) into DIR instead, replacing
    /// pages of the same names.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Certificate files and directories, searched recursively (PEM or DER by content, any
    /// extension; symbolic links inside directories are not followed).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The device CA every certificate should chain to (repeatable; bundles allowed).
    #[arg(long = "ca", value_name = "FILE", required = true)]
    pub ca: Vec<String>,

    /// The CAs' revocation lists (PEM or DER; repeatable); each must be signed by a --ca.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<String>,

    /// Warn (expires_soon) when a certificate expires within N days.
    #[arg(long, value_name = "N", default_value_t = crate::chain::DEFAULT_WARN_DAYS)]
    pub warn_days: u32,

    /// Judge at this instant: RFC 3339, a date (2026-01-01) or @UNIX_SECONDS [default: now].
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// A regular expression every certificate's whole CN must match (thing_pattern_mismatch).
    #[arg(long, value_name = "REGEX")]
    pub thing_pattern: Option<String>,

    /// Print one JSON line per file, then a summary line (schema in docs/json.md).
    #[arg(long, conflicts_with_all = ["json", "prometheus"])]
    pub jsonl: bool,

    /// Print one JSON object (schema in docs/json.md).
    #[arg(long, conflicts_with = "prometheus")]
    pub json: bool,

    /// Write the summary as a node_exporter textfile to FILE (atomically), not to stdout.
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
}

/// How the device's MQTT travels and authenticates: `endpoint` and `doctor`.
#[derive(Debug, Args)]
pub struct TransportArgs {
    /// tls: MQTT on TLS with the client certificate. wss: MQTT over WebSocket on 443 (path
    /// /mqtt, subprotocol mqtt), presigned with SigV4 from the AWS SDK's standard credential
    /// chain, or with --authorizer's headers. custom-auth: MQTT on 443 with ALPN mqtt and the
    /// authorizer's parameters in the user name.
    #[arg(long, value_enum, default_value_t = TransportChoice::Tls)]
    pub transport: TransportChoice,

    /// The region a WebSocket URL is signed for [default: the one in the endpoint's name,
    /// else the standard chain's: AWS_REGION, the profile's].
    #[arg(long, value_name = "REGION")]
    pub signing_region: Option<String>,

    /// The custom authorizer's name (x-amz-customauthorizer-name).
    #[arg(long, value_name = "NAME")]
    pub authorizer: Option<String>,

    /// The authorizer's token key name: the parameter or header that carries the token.
    #[arg(long, value_name = "NAME", requires = "authorizer")]
    pub token_name: Option<String>,

    /// The token: a secret, never printed. Prefer the environment variable, which keeps it
    /// out of the shell history.
    #[arg(
        long,
        value_name = "VALUE",
        env = "IOTCHECK_AUTHORIZER_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// The token's signature (x-amz-customauthorizer-signature, base64), when the authorizer
    /// signs tokens: a secret, never printed.
    #[arg(
        long,
        value_name = "SIG",
        env = "IOTCHECK_AUTHORIZER_SIGNATURE",
        hide_env_values = true
    )]
    pub token_signature: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransportChoice {
    Tls,
    Wss,
    CustomAuth,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The exporter's configuration file (TOML): allowed targets, modules, fleets.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// Listen on ADDR:PORT [default: the file's listen, else 127.0.0.1:9877].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
}

//! Command-line syntax (clap derive only). Every subcommand's help ends with examples and the
//! exit codes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "EXIT CODES:
  0  ok
  1  a check failed (the report says which)
  2  bad usage or unreadable local input
  3  network or TLS failure before any certificate was seen";

/// Explains why a device cannot connect securely to AWS IoT Core.
#[derive(Debug, Parser)]
#[command(name = "iotcheck", version, after_help = EXIT_CODES)]
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verifies a certificate chain offline, as a device would, and explains every failure.
    #[command(after_help = VERIFY_CHAIN_HELP)]
    VerifyChain(VerifyChainArgs),
    /// Shows every certificate, key, CSR or CRL in the files, without a trust decision.
    #[command(after_help = INSPECT_HELP)]
    Inspect(InspectArgs),
    /// Connects to an endpoint like a device, captures the served chain, verifies and explains it.
    #[command(after_help = ENDPOINT_HELP)]
    Endpoint(Box<EndpointArgs>),
    /// Lints a device's certificate and private key offline.
    #[command(after_help = DEVICE_HELP)]
    Device(DeviceArgs),
    /// Creates a device key (mode 0400, never overwritten) and a CSR for it.
    #[command(after_help = CSR_HELP)]
    Csr(CsrArgs),
    /// Asks AWS IoT about a device certificate: registered, active, things, and whether the
    /// attached policies let the client id connect, publish and subscribe.
    #[command(after_help = ACCOUNT_HELP)]
    Account(AccountArgs),
}

const VERIFY_CHAIN_HELP: &str = "EXAMPLES:
  iotcheck verify-chain cert_1.pem cert_2.pem
  iotcheck verify-chain --ca AmazonRootCA1.pem --host abc-ats.iot.eu-west-1.amazonaws.com chain.pem
  iotcheck verify-chain --at 2026-01-01 --json fullchain.pem

EXIT CODES:
  0  a valid path exists (and the name matches, with --host)
  1  no valid path, or a problem that fails the check
  2  bad usage or unreadable input";

const INSPECT_HELP: &str = "EXAMPLES:
  iotcheck inspect certificate.pem.crt
  iotcheck inspect --json private.pem.key device.csr

EXIT CODES:
  0  every file was read
  2  bad usage or unreadable input";

const ENDPOINT_HELP: &str = "EXAMPLES:
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com
  iotcheck endpoint --region eu-west-1     (the account's iot:Data-ATS endpoint, from AWS)
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com:443 --ca AmazonRootCA1.pem
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com --sig both
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com:8883 --cert certificate.pem.crt --key private.pem.key --mqtt
  iotcheck endpoint abc123-ats.iot.eu-west-1.amazonaws.com --proxy http://user:pass@proxy:3128

EXIT CODES:
  0  the chain verified (and the client certificate, if sent, was accepted)
  1  the chain did not verify, the client certificate was rejected, or MQTT refused
  2  bad usage or unreadable local files (including a key that does not match its certificate)
  3  no TLS session: resolve, connect, proxy, timeout, not a TLS server, early handshake
     failure; without HOST, also: the AWS API could not be asked";

const DEVICE_HELP: &str = "EXAMPLES:
  iotcheck device --cert certificate.pem.crt --key private.pem.key
  iotcheck device --cert certificate.pem.crt --key private.pem.key --ca my-device-ca.pem --thing Sensor1

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

const ACCOUNT_HELP: &str = "EXAMPLES:
  iotcheck account --cert certificate.pem.crt
  iotcheck account --cert certificate.pem.crt --thing Sensor1 --region eu-west-1
  iotcheck account --cert certificate.pem.crt --client-id Sensor1 --publish sensors/Sensor1/data --subscribe cmd/Sensor1/#
  AWS_PROFILE=factory iotcheck account --cert certificate.pem.crt --json

AWS credentials and region come from the standard chain (environment, profile, web identity,
container or instance metadata); --profile and --region override it. AWS_ENDPOINT_URL and
AWS_ENDPOINT_URL_IOT are honoured. Only read-only calls are made (the README lists them).

EXIT CODES:
  0  nothing wrong (warnings allowed)
  1  a finding fails the device: not registered, not active, no policy, a policy denies
  2  bad usage, unreadable certificate, no AWS credentials or no region
  3  the AWS API could not be asked: unreachable, timeout, throttled, access denied";

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

    /// Print one JSON object (schema in the README) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files to show (PEM or DER; - for standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TlsChoice {
    #[value(name = "1.2")]
    V12,
    #[value(name = "1.3")]
    V13,
}

#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// The endpoint, e.g. abc123-ats.iot.eu-west-1.amazonaws.com, with an optional :PORT
    /// [default: the account's iot:Data-ATS endpoint, asked of AWS (DescribeEndpoint)].
    #[arg(value_name = "HOST[:PORT]")]
    pub target: Option<String>,

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

    /// After a verified handshake, send MQTT CONNECT and wait for CONNACK.
    #[arg(long, requires = "cert")]
    pub mqtt: bool,

    /// MQTT client id [default: the device certificate's CN].
    #[arg(long, value_name = "ID", requires = "mqtt")]
    pub client_id: Option<String>,

    /// Send application data (MQTT) even when the server chain did not verify.
    #[arg(long)]
    pub insecure: bool,

    /// Write the served certificates to DIR as cert_1.pem, cert_2.pem, ... in served order.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// Replace an earlier capture (its cert_*.pem files) in the --save directory.
    #[arg(long, requires = "save")]
    pub force: bool,

    /// Print one JSON object (schema in the README) instead of text.
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

    /// The thing name the certificate's CN should carry.
    #[arg(long, value_name = "NAME")]
    pub thing: Option<String>,

    /// Check validity at this instant [default: now].
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
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

    /// AWS region [default: the standard chain: AWS_REGION, the profile's region, ...].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// AWS profile of the shared config files [default: AWS_PROFILE, else "default"].
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Seconds for everything asked of AWS, credentials included.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,

    /// Print one JSON object (schema in the README) instead of text.
    #[arg(long)]
    pub json: bool,
}

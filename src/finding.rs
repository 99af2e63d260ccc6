//! The one finding model: every judgement any command makes is a [`Finding`] with a typed
//! [`Code`]. A code carries its severity and its documentation line; codes are serialised as
//! stable snake_case strings, added and never renamed. The code tables of `docs/codes.md` are
//! held against [`Code::ALL`] (code, severity and meaning) by `tests/integration/docs.rs`.

use serde::Serialize;

/// How much a finding matters. Only errors fail a check (exit 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Error,
    /// Does not fail the check, but a strict device or a later change may trip on it.
    Warning,
    /// A known field failure recognised behind the errors, said in plain words.
    Hint,
    /// Something that was not checked, and why.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "hint",
            Severity::Info => "info",
        }
    }
}

/// Declares the codes: variant, serialised name, severity, one line of documentation.
macro_rules! codes {
    ($($variant:ident $name:literal $severity:ident $doc:literal;)*) => {
        /// A stable finding code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in the order of the tables of `docs/codes.md`.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The serialised name (snake_case): stable, never renamed.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// What the code means, in one line (the table of `docs/codes.md` says the same).
            pub fn doc(self) -> &'static str {
                match self {
                    $(Code::$variant => $doc,)*
                }
            }
        }
    };
}

codes! {
    // The chain: what fails a verification.
    Expired "expired" Error "a certificate is past its notAfter at the verification time";
    NotYetValid "not_yet_valid" Error "a certificate is before its notBefore at the verification time";
    UnknownIssuer "unknown_issuer" Error "the path ends at a certificate whose issuer is neither given nor trusted";
    BadSignature "bad_signature" Error "a link's signature does not verify with the issuer's key";
    NameMismatch "name_mismatch" Error "the leaf is not valid for `--host` (or the endpoint name)";
    NotACa "not_a_ca" Error "a certificate that issued another is not a CA (basicConstraints)";
    CaUsedAsLeaf "ca_used_as_leaf" Error "the leaf is a CA certificate";
    PathLenExceeded "path_len_exceeded" Error "an issuer's pathLenConstraint is exceeded";
    NameConstraintViolation "name_constraint_violation" Error "the leaf's names are outside an issuer's name constraints";
    RequiredEkuNotFound "required_eku_not_found" Error "the leaf's extended key usage does not allow serverAuth";
    UnsupportedSignatureAlgorithm "unsupported_signature_algorithm" Error "signed with an algorithm TLS verifiers refuse (SHA-1, MD5, ...)";
    WeakKey "weak_key" Error "RSA under 2048 bits, or a curve AWS IoT does not accept (P-256, P-384, P-521 only)";
    UnsupportedCriticalExtension "unsupported_critical_extension" Error "a critical extension no verifier may ignore";
    Malformed "malformed" Error "rustls-webpki cannot read the certificate (an X.509 v1 certificate, a damaged encoding)";
    PathTooComplex "path_too_complex" Error "path building gave up within its budget (too many candidate certificates)";
    Revoked "revoked" Error "a certificate is on its CA's CRL given with `--crl` (the date and reason are named)";
    // The chain: what does not fail it.
    WrongOrder "wrong_order" Warning "the certificates are not in leaf-to-root order";
    DuplicateCertificate "duplicate_certificate" Warning "a certificate was given more than once";
    RootIncluded "root_included" Warning "a root is included in the chain: harmless, but bytes a device must buffer";
    UnusedCertificate "unused_certificate" Warning "a certificate belongs to no path from the leaf";
    IntermediateAnchor "intermediate_anchor" Warning "the anchor is an intermediate, trusted only because a CA file holds it";
    AnchorOutsideValidity "anchor_outside_validity" Warning "the anchor is outside its own validity at the verification time";
    ExpiresSoon "expires_soon" Warning "a certificate expires within `--warn-days` (default 30)";
    NameNotChecked "name_not_checked" Warning "no name was checked against the leaf";
    NoAnchors "no_anchors" Warning "the CA files hold no certificate";
    // Known field failures, recognised behind the errors.
    MissingRoot "missing_root" Hint "the chain ends at an Amazon root your CA file lacks";
    LegacyRoot "legacy_root" Hint "your CA file holds the VeriSign G5 root of the retired iot:Data endpoints";
    LegacyEndpoint "legacy_endpoint" Hint "a legacy iot:Data endpoint or its VeriSign chain: use the -ats endpoint";
    MissingIntermediate "missing_intermediate" Hint "the intermediate that issued the top certificate was not given or served";
    UntrustedRoot "untrusted_root" Hint "the chain leads to a root that is not among the trusted anchors";
    ClockUnset "clock_unset" Hint "the verification time is before 2000 or before the device certificate existed";
    SingleRoot "single_root" Hint "your CA file holds only one of Amazon Root CA 1 (RSA) and 3 (ECC)";
    // The connection (endpoint).
    ClientCertRejected "client_cert_rejected" Error "the server rejected the device certificate (the alert is named)";
    HandshakeFailed "handshake_failed" Error "the TLS handshake failed after the server's certificate";
    NoChainForSignature "no_chain_for_signature" Error "with `--sig both`: no handshake came up when only this signature family was offered";
    MqttRefused "mqtt_refused" Error "the broker refused CONNECT (the return code is named)";
    MqttClosed "mqtt_closed" Error "the broker closed the connection after CONNECT without CONNACK (on AWS IoT: policy or duplicate client id)";
    MqttTimeout "mqtt_timeout" Error "no CONNACK within the timeout";
    MqttUnexpected "mqtt_unexpected" Error "the broker answered CONNECT with something other than a CONNACK";
    MqttNotSent "mqtt_not_sent" Warning "MQTT CONNECT was not sent (the chain did not verify, or the TLS session was gone)";
    // MQTT 5 reason codes and what follows CONNECT (--publish, --subscribe).
    MqttNotAuthorized "mqtt_not_authorized" Error "the broker answered with MQTT 5 reason code 0x87 not authorized (CONNACK or DISCONNECT): on AWS IoT, no policy allows it";
    MqttBadCredentials "mqtt_bad_credentials" Error "MQTT 5 CONNACK 0x86 bad user name or password or 0x8C bad authentication method: on AWS IoT, the custom authorizer refused";
    MqttClientIdInvalid "mqtt_client_id_invalid" Error "MQTT 5 CONNACK 0x85 client identifier not valid";
    MqttThrottled "mqtt_throttled" Error "MQTT 5 quota exceeded (0x97), connection rate exceeded (0x9F), message rate too high (0x96) or server busy (0x89): AWS IoT throttled the client";
    MqttSessionTakenOver "mqtt_session_taken_over" Error "MQTT 5 DISCONNECT 0x8E session taken over: another connection used the same client id";
    MqttDisconnected "mqtt_disconnected" Error "the broker ended the session with an MQTT 5 DISCONNECT (its reason code is named)";
    MqttSubscribeRefused "mqtt_subscribe_refused" Error "a SUBACK refused the subscription (MQTT 5 reason code, or 3.1.1's 0x80 failure)";
    MqttPublishRefused "mqtt_publish_refused" Error "an MQTT 5 PUBACK refused the publish (its reason code is named)";
    MqttOperationClosed "mqtt_operation_closed" Error "the broker closed the connection after a SUBSCRIBE or PUBLISH without answering it (with MQTT 3.1.1, AWS IoT's signal of a policy denial)";
    MqttAckTimeout "mqtt_ack_timeout" Error "no SUBACK or PUBACK within the timeout";
    MqttAckUnexpected "mqtt_ack_unexpected" Error "a SUBSCRIBE or PUBLISH was answered with something other than its SUBACK or PUBACK";
    MqttVersion "mqtt_version" Info "which MQTT version the doctor's CONNECT spoke (3.1.1 or 5), and why";
    MqttFeatureTopics "mqtt_feature_topics" Info "the doctor subscribed to the topic filters the configuration's features use; their publish topics are published only with --publish";
    ClientCertNotSent "client_cert_not_sent" Warning "the server asked for a client certificate and none was given";
    ClientCertWithheld "client_cert_withheld" Warning "the device certificate was withheld: the server asked for it, but its chain did not verify (`--insecure` sends it)";
    NoSni "no_sni" Warning "no SNI was sent";
    IpLiteral "ip_literal" Warning "an IP address was used as the name: no SNI, and no certificate name can match";
    Insecure "insecure" Warning "`--insecure` let application data flow over a chain that did not verify";
    LargeChain "large_chain" Warning "more than 4096 bytes of certificates served: too much for small device TLS buffers";
    // MQTT over WebSocket (`--transport wss`): the HTTP upgrade's answer.
    WsSignatureMismatch "ws_signature_mismatch" Error "the WebSocket upgrade was refused (403): the SigV4 signature does not match (secret key, region, or host signed)";
    WsSignatureExpired "ws_signature_expired" Error "the WebSocket upgrade was refused (403): the signature expired or is not yet valid (the device's clock)";
    WsSecurityToken "ws_security_token" Error "the WebSocket upgrade was refused (403): the session token is missing, invalid or expired";
    WsForbidden "ws_forbidden" Error "the WebSocket upgrade was refused (403) for another reason (the body is quoted)";
    WsUpgradeRefused "ws_upgrade_refused" Error "the WebSocket upgrade was answered with another status than 101 (426, 404, ...)";
    WsUpgradeFailed "ws_upgrade_failed" Error "the answer to the WebSocket upgrade is not a valid upgrade (too large, closed, a bad accept key)";
    WsUpgradeTimeout "ws_upgrade_timeout" Error "no answer to the WebSocket upgrade within the timeout";
    WsUpgradeNotSent "ws_upgrade_not_sent" Warning "the WebSocket upgrade was not asked for (the chain did not verify)";
    // The credentials provider, HTTPS publish and the Greengrass data plane (endpoint --credentials,
    // --https-publish; doctor's credentials_provider and data_plane stages).
    CredentialsCertInvalid "credentials_cert_invalid" Error "the credentials provider answered 403 \"Certificate is invalid on this endpoint\": the certificate is not registered and active in the endpoint's account and region, or the name asked for (SNI) is not the account's credentials endpoint";
    CredentialsThingInvalid "credentials_thing_invalid" Error "the credentials provider answered 403 \"Invalid thing name passed\": the `x-amzn-iot-thingname` header names a thing not attached to the certificate";
    CredentialsAccessDenied "credentials_access_denied" Error "the credentials provider answered 403 \"Access Denied\": no policy of the certificate allows `iot:AssumeRoleWithCertificate` on the role alias's ARN (said before whether the alias exists)";
    CredentialsForbidden "credentials_forbidden" Error "the credentials provider answered 403 with a message it does not document";
    CredentialsAliasNotFound "credentials_alias_not_found" Error "the credentials provider answered 404: the role alias does not exist in this account and region";
    CredentialsRoleUnassumable "credentials_role_unassumable" Error "the credentials provider answered 400 \"Unable to assume the role\": the alias's role does not exist, or its trust policy does not name `credentials.iot.amazonaws.com` (one answer for both)";
    CredentialsDurationTooLong "credentials_duration_too_long" Error "the credentials provider answered 400: the role alias's credentialDurationSeconds exceeds the role's MaxSessionDuration";
    CredentialsRefused "credentials_refused" Error "the credentials provider answered a status it does not document for a device's request (5xx included)";
    CredentialsAnswerInvalid "credentials_answer_invalid" Error "the credentials provider answered 200 with a body that is not the credentials JSON (invalid JSON, missing fields)";
    CredentialsUnreachable "credentials_unreachable" Error "`doctor`: the credentials endpoint gave no TLS session (resolve, connect, timeout, not TLS, handshake)";
    PublishForbidden "publish_forbidden" Error "HTTPS publish answered 403: no policy of the certificate allows `iot:Publish` on the topic (or the certificate is not authorised)";
    PublishNotFound "publish_not_found" Error "HTTPS publish answered 404: the path or host is wrong (AWS IoT takes `POST /topics/<topic>?qos=1` on the data endpoint)";
    PublishRefused "publish_refused" Error "HTTPS publish answered another status than 200 (400 invalid topic, 413 too large, 429 throttled, 5xx)";
    HttpRedirect "http_redirect" Error "the server answered the request with a redirect (3xx): never followed, and never AWS IoT's answer";
    HttpMalformed "http_malformed" Error "the answer is not HTTP/1.x (HTTP/0.9, garbage) or its framing is broken";
    HttpTooLarge "http_too_large" Error "the answer's head (16 KiB) or body (64 KiB) exceeds the bounds: the rest was not read";
    HttpTimeout "http_timeout" Error "no complete answer to the request within the timeout (a silent server, a slow drip)";
    HttpClosed "http_closed" Error "the connection ended after the request (an alert, close_notify, a reset) before a complete answer";
    DataPlaneFailed "data_plane_failed" Error "`doctor`: the Greengrass data plane (its endpoint and port) gave no verified TLS session that accepted the device certificate";
    CredentialsNotSent "credentials_not_sent" Warning "the credentials request was not sent (the chain did not verify, or the TLS session was gone)";
    PublishNotSent "publish_not_sent" Warning "the HTTPS publish was not sent (the chain did not verify, or the TLS session was gone)";
    CredentialsWrongEndpoint "credentials_wrong_endpoint" Warning "the credentials request went to a name that is not a credentials endpoint (`<prefix>.credentials.iot.<region>.amazonaws.com`)";
    CredentialsNoThingName "credentials_no_thing_name" Info "no `x-amzn-iot-thingname` header was sent (`--thing`): thing policy variables cannot resolve";
    // The device's credentials (device).
    CertFileHoldsKey "cert_file_holds_key" Error "the certificate file holds a private key (and no certificate)";
    CertFileHoldsCsr "cert_file_holds_csr" Error "the certificate file holds a CSR: it still has to be signed";
    CertFileHoldsPublicKey "cert_file_holds_public_key" Error "the certificate file holds a bare public key";
    CertFileNotCertificate "cert_file_not_certificate" Error "the certificate file holds some other PEM object (a CRL, an unknown label)";
    KeyFileHoldsCertificate "key_file_holds_certificate" Error "the key file holds a certificate (and no private key)";
    KeyFileHoldsPublicKey "key_file_holds_public_key" Error "the key file holds a public key: it cannot sign";
    KeyFileHoldsCsr "key_file_holds_csr" Error "the key file holds a CSR";
    KeyFileNotKey "key_file_not_key" Error "the key file holds some other PEM object";
    KeyEncrypted "key_encrypted" Error "the only key is encrypted: device SDKs cannot ask for a passphrase";
    DerNotPem "der_not_pem" Error "the certificate or key file is DER: most device SDKs read PEM only";
    SeveralKeys "several_keys" Error "the key file holds more than one private key";
    KeyUnreadable "key_unreadable" Error "a key block the crypto library cannot load (damaged, or an unsupported algorithm)";
    KeyNotMatched "key_not_matched" Info "the key was not compared: an RSA key under 2048 bits, refused by the crypto library, like the certificate's";
    KeyMismatch "key_mismatch" Error "the private key is not the certificate's key (\"key values mismatch\")";
    UnsupportedKeyType "unsupported_key_type" Error "a key type AWS IoT does not accept for device certificates (Ed25519, other curves)";
    KeyPermissions "key_permissions" Warning "the key file can be read or written by its group or by others";
    KeyPermissionsUnknown "key_permissions_unknown" Info "the key came from standard input: no file mode to check";
    CertOrder "cert_order" Error "the certificate file starts with a CA certificate and the device certificate comes later";
    KeyInCertFile "key_in_cert_file" Warning "the certificate file also holds a private key";
    CertIsCa "cert_is_ca" Error "the device certificate is a CA certificate (Amazon Root CA 1 belongs in caPath)";
    ClientAuthNotAllowed "client_auth_not_allowed" Error "the device certificate's extended key usage lacks clientAuth";
    ThingMismatch "thing_mismatch" Error "with `--thing`: the certificate's CN is not the thing name";
    DeviceCaMismatch "device_ca_mismatch" Error "with `--ca`: no CA given issued the device certificate";
    DeviceCaRejected "device_ca_rejected" Error "with `--ca`: a CA given issued it, but the path is refused for TLS client authentication";
    DeviceCaNotChecked "device_ca_not_checked" Info "no `--ca` given: the chain to the device CA was not judged";
    PemBom "pem_bom" Warning "a file starts with a UTF-8 byte-order mark (\"no start line\" on many devices)";
    PemCrlf "pem_crlf" Warning "a file has Windows (CRLF) line endings";
    PemTrailingText "pem_trailing_text" Warning "a file has text outside its BEGIN/END blocks";
    // The account (account): what AWS IoT says about the certificate, its things and policies.
    CertNotRegistered "cert_not_registered" Error "the certificate is not registered in this account and region";
    CertInactive "cert_inactive" Error "the certificate is INACTIVE (or REGISTER_INACTIVE): AWS IoT refuses it in the handshake";
    CertRevoked "cert_revoked" Error "the certificate is REVOKED";
    CertPendingTransfer "cert_pending_transfer" Error "the certificate is PENDING_TRANSFER to another account";
    CertPendingActivation "cert_pending_activation" Error "the certificate is PENDING_ACTIVATION";
    CaInactive "ca_inactive" Error "the CA the certificate was registered under is not ACTIVE";
    NoPolicy "no_policy" Error "no policy is attached to the certificate";
    PolicyDeniesConnect "policy_denies_connect" Error "the attached policies do not allow `iot:Connect` for the client id (the deciding statement is named)";
    PolicyDeniesPublish "policy_denies_publish" Error "with `--publish`: the attached policies do not allow `iot:Publish` on the topic";
    PolicyDeniesSubscribe "policy_denies_subscribe" Error "with `--subscribe`: the attached policies do not allow `iot:Subscribe` on the topic filter";
    PolicyDeniesReceive "policy_denies_receive" Error "with `--subscribe`: the attached policies do not allow `iot:Receive` on the topic";
    FeatureDenied "feature_denied" Error "with `--feature`/`--config`: the policies deny an action a feature of the device needs (the feature, the action, the topic, the source line and the missing or denying statement are named)";
    PolicyDeniesAssumeRole "policy_denies_assume_role" Error "with a role alias: the attached policies do not allow `iot:AssumeRoleWithCertificate` on it (the credentials provider answers 403)";
    // The account (account): the role alias of the credentials provider and its IAM role.
    RoleAliasMissing "role_alias_missing" Error "with a role alias: no role alias by that name in the account and region (the credentials provider answers 404)";
    RoleMissing "role_missing" Error "the IAM role the role alias names does not exist (the credentials provider answers 400)";
    RoleTrustMissing "role_trust_missing" Error "the trust policy of the alias's IAM role does not let `credentials.iot.amazonaws.com` call `sts:AssumeRole` (the credentials provider answers 400)";
    RoleSessionTooShort "role_session_too_short" Error "the role alias's credential duration is over the IAM role's maximum session duration";
    RoleUnknown "role_unknown" Warning "iotcheck cannot tell whether the credentials provider may assume the alias's role (IAM could not be asked, or its trust policy has a condition)";
    // The account (account): the domain configuration of the endpoint.
    DomainConfigMissing "domain_config_missing" Error "the domain configuration named does not exist, or none of the account serves the endpoint's custom domain";
    DomainDisabled "domain_disabled" Error "the endpoint's domain configuration is DISABLED";
    DomainAuthMismatch "domain_auth_mismatch" Error "the endpoint's domain configuration authenticates with CUSTOM_AUTH or AWS_SIGV4: no X.509 device certificate is taken";
    DomainProtocolMismatch "domain_protocol_mismatch" Error "the endpoint's domain configuration serves another application protocol than the device's port speaks (HTTPS on an MQTT device, ...)";
    DomainServiceMismatch "domain_service_mismatch" Error "the endpoint's domain configuration serves the credentials provider or jobs, not the data plane";
    DomainCertInvalid "domain_cert_invalid" Error "the endpoint's domain configuration has no VALID server certificate";
    DomainTls13Only "domain_tls13_only" Warning "the endpoint's TLS security policy accepts TLS 1.3 only: devices limited to TLS 1.2 fail the handshake";
    ThingNotAttached "thing_not_attached" Warning "no thing (or not the `--thing` named) is attached to the certificate";
    ClientIdNotThing "client_id_not_thing" Warning "the client id is not the name of a thing attached to the certificate: thing policy variables do not resolve";
    PolicyTooBroad "policy_too_broad" Warning "a policy allows every action (`iot:*`) or every resource (`*`)";
    PolicyUnknown "policy_unknown" Warning "iotcheck cannot tell what a policy decides (an unknown condition key, an unreadable document)";
    // fleet: what only the whole fleet shows, and the CRLs of `--crl` (fleet, verify-chain, device).
    DuplicateKey "duplicate_key" Error "the same public key is in another certificate (a cloned or mass-produced key); every holder is flagged, naming the others";
    DuplicateSerial "duplicate_serial" Error "one CA issued this serial number to another certificate too; every holder is flagged, naming the others";
    ThingPatternMismatch "thing_pattern_mismatch" Error "with `--thing-pattern`: the certificate's CN does not match the pattern";
    FileNotCertificate "file_not_certificate" Warning "a file under the fleet's paths holds no certificate (or is a pipe, socket or device): reported and skipped";
    PathUnreadable "path_unreadable" Error "a directory or file under the fleet's paths cannot be read, so what it holds was not judged (the audit is incomplete)";
    CrlUnreadable "crl_unreadable" Error "a `--crl` file holds no CRL rustls-webpki can use (damaged, not a CRL, v1, no nextUpdate): not used";
    CrlNotSignedByCa "crl_not_signed_by_ca" Error "a CRL given is not signed by any CA given: not used, so revocation was not checked against it";
    NoCertificates "no_certificates" Error "`fleet`: no device certificate was found under the paths given (an unmounted store, the wrong directory)";
    CrlExpired "crl_expired" Warning "a CRL given is past its nextUpdate: still used, but revocations since are missing from it";
    // doctor: configuration
    ConfigMissingValue "config_missing_value" Error "the configuration and the flags leave unset a value the client needs (endpoint, certificate, key, thing name; Greengrass: the root CA)";
    ConfigRefused "config_refused" Error "the client refuses a value and does not start or connect (the Device Client: a proxy host that is not a private IPv4 address, a proxy port that is not a string, a config file over 5000 bytes)";
    EndpointNotData "endpoint_not_data" Error "the endpoint is the credential provider's, not the AWS IoT data endpoint (iot:Data-ATS)";
    ConfigIgnored "config_ignored" Warning "the client ignores a value or reads it otherwise than written (a string where it wants true or false, an unknown proxy auth method, an empty value)";
    CaSystemStore "ca_system_store" Warning "no root CA file: the Device Client falls back to the system trust store, so the connection depends on the OS CA bundle";
    PortSplit "port_split" Warning "Greengrass: MQTT on port 443 but the data plane on 8443 (a firewall that opens only 443 needs both on 443)";
    CredentialInToken "credential_in_token" Info "the key or certificate is in a PKCS#11 token (a `pkcs11:` URI, the Device Client's secure element): no file to check";
    ConfigNote "config_note" Info "how the client reads a value (a relative path, a runtime config that wins, a proxy URL's user info, an HTTPS proxy's CA in rootCaPath)";
    // doctor: stages
    FileMissing "file_missing" Error "a file the device reads is missing, unreadable or not a regular file";
    FileModeRecommended "file_mode_recommended" Warning "a file or its directory does not have the mode its client recommends (the client warns, and starts)";
    FileMode "file_mode" Error "a file or its directory does not have the mode its client requires (the Device Client compares for equality)";
    CaNotGiven "ca_not_given" Info "no root CA file is named: the served chains were verified against the embedded Amazon roots";
    ClockSkew "clock_skew" Error "the clock (or `--at`) is before 2000, or outside the validity of the certificates the server serves (with none served, before every certificate the device holds)";
    DnsFailed "dns_failed" Error "the name to connect to did not resolve (no such name, no address, no answer in time)";
    TcpRefused "tcp_refused" Error "a port refused the TCP connection, or the network reported it unreachable";
    TcpTimeout "tcp_timeout" Error "a port did not answer the TCP connection within the timeout: a firewall drops it";
    NoTlsSession "no_tls_session" Error "a port that accepts TCP gave no TLS session (closed, silent, not TLS, or refused the negotiation)";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The serialised name; width and alignment apply, so a column of codes lines up.
impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A certificate, by its index in the report's `chain`.
    Certificate(usize),
    /// A file, as the user named it.
    File(String),
}

/// One judgement: what, how much it matters, about what, and in plain words what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    /// Always `code.severity()`; serialised so that a consumer need not know the code.
    pub severity: Severity,
    /// None when the finding concerns the whole report.
    pub subject: Option<Subject>,
    pub message: String,
}

impl Finding {
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            subject: None,
            message: message.into(),
        }
    }

    /// About a certificate (index into the chain), when known.
    pub fn on_certificate(mut self, index: Option<usize>) -> Finding {
        self.subject = index.map(Subject::Certificate);
        self
    }

    pub fn on_file(mut self, file: &str) -> Finding {
        self.subject = Some(Subject::File(file.to_string()));
        self
    }

    pub fn certificate(&self) -> Option<usize> {
        match self.subject {
            Some(Subject::Certificate(i)) => Some(i),
            _ => None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The outcome of a check: it passes when no finding is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Fail,
}

impl Verdict {
    pub fn of(findings: &[Finding]) -> Verdict {
        if findings.iter().any(Finding::is_error) {
            Verdict::Fail
        } else {
            Verdict::Ok
        }
    }

    pub fn passed(self) -> bool {
        self == Verdict::Ok
    }
}

/// Sorts findings by severity, keeping the given order within one severity (so the lead
/// error stays first, and the rest stay in chain order).
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| f.severity);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            // snake_case: lower-case letters, digits (`domain_tls13_only`) and underscores,
            // starting with a letter.
            assert!(
                name.starts_with(|c: char| c.is_ascii_lowercase())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            assert!(!code.doc().is_empty());
            assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{name}\""));
        }
    }

    #[test]
    fn findings_serialise_in_one_shape() {
        let f = Finding::new(Code::Expired, "x").on_certificate(Some(1));
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"code":"expired","severity":"error","subject":{"certificate":1},"message":"x"}"#
        );
        let f = Finding::new(Code::PemCrlf, "y").on_file("a.pem");
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"code":"pem_crlf","severity":"warning","subject":{"file":"a.pem"},"message":"y"}"#
        );
        let mut all = vec![
            Finding::new(Code::SingleRoot, "h"),
            Finding::new(Code::NameNotChecked, "w"),
            Finding::new(Code::UnknownIssuer, "e1"),
            Finding::new(Code::Expired, "e2"),
        ];
        sort(&mut all);
        let codes: Vec<Code> = all.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                Code::UnknownIssuer,
                Code::Expired,
                Code::NameNotChecked,
                Code::SingleRoot
            ]
        );
        assert_eq!(Verdict::of(&all), Verdict::Fail);
    }
}

//! The SigV4-presigned URL of an AWS IoT MQTT-over-WebSocket connection, signed by the SDK's
//! own signer (`aws-sigv4`), never by hand.
//!
//! AWS IoT wants the request presigned in the query for the service `iotdevicegateway`, the
//! payload hash that of the empty string, `host` the only signed header, and a session token
//! appended to the query *after* signing, outside the canonical request (the AWS IoT
//! developer guide, "MQTT over the WebSocket protocol": "If you have temporary credentials,
//! add the session token to the query string after signing"; the Device SDKs'
//! `omit_session_token`). aws-sigv4's `SessionTokenMode::Exclude` does the first half; the
//! token is appended here.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SessionTokenMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::AwsCredentials;

/// The service name AWS IoT's data plane signs WebSocket connections for.
const SERVICE: &str = "iotdevicegateway";

/// How long the presigned URL is valid: it is used at once. The Device SDKs sign for a day;
/// a short validity makes a skewed clock show sooner, which is what a check should do.
const EXPIRES: Duration = Duration::from_secs(300);

/// The presigned `wss://` URL, and the values in it that must never be shown.
pub(super) struct Presigned {
    pub url: String,
    pub secrets: Vec<String>,
}

/// Presigns `GET wss://authority/path` at `time` for `region`. `authority` is the Host the
/// request will carry (`host`, or `host:port` off 443).
pub(super) fn presign(
    authority: &str,
    path: &str,
    region: &str,
    credentials: &AwsCredentials,
    time: SystemTime,
) -> Result<Presigned, String> {
    let identity: Identity = Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        // Excluded from the signature below, appended afterwards.
        None,
        None,
        "iotcheck",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(EXPIRES);
    settings.session_token_mode = SessionTokenMode::Exclude;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|error| format!("the SigV4 parameters are incomplete: {error}"))?;
    let https = format!("https://{authority}{path}");
    let request = SignableRequest::new(
        "GET",
        https.as_str(),
        std::iter::once(("host", authority)),
        SignableBody::Bytes(&[]),
    )
    .map_err(|error| format!("the URL cannot be signed: {error}"))?;
    let (instructions, signature) = sign(request, &params.into())
        .map_err(|error| format!("SigV4 signing failed: {error}"))?
        .into_parts();
    let mut url = url::Url::parse(&format!("wss://{authority}{path}"))
        .map_err(|error| format!("the WebSocket URL is not valid: {error}"))?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in instructions.params() {
            query.append_pair(name, value);
        }
        if let Some(token) = &credentials.session_token {
            query.append_pair("X-Amz-Security-Token", token);
        }
    }
    let mut secrets = vec![signature, credentials.secret_access_key.clone()];
    secrets.extend(credentials.session_token.clone());
    Ok(Presigned {
        url: url.to_string(),
        secrets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(token: Option<&str>) -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".to_string(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
            session_token: token.map(str::to_string),
        }
    }

    // 2015-08-30T12:36:00Z, the date of AWS's SigV4 test suite.
    const AT: u64 = 1_440_938_160;

    #[test]
    fn the_token_is_appended_after_the_signature_and_not_signed() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(AT);
        let without = presign(
            "example.iot.us-east-1.amazonaws.com",
            "/mqtt",
            "us-east-1",
            &credentials(None),
            time,
        )
        .expect("signed");
        let with = presign(
            "example.iot.us-east-1.amazonaws.com",
            "/mqtt",
            "us-east-1",
            &credentials(Some("FQoG/token+x=")),
            time,
        )
        .expect("signed");
        // The same signature: the token is not part of the canonical request.
        assert_eq!(with.secrets[0], without.secrets[0]);
        assert!(with.url.starts_with(&without.url), "{}", with.url);
        assert!(
            with.url
                .ends_with("&X-Amz-Security-Token=FQoG%2Ftoken%2Bx%3D"),
            "{}",
            with.url
        );
        assert!(without.url.starts_with(
            "wss://example.iot.us-east-1.amazonaws.com/mqtt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiotdevicegateway%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature="
        ), "{}", without.url);
        assert!(!with.url.contains("wJalrXUtnFEMI"));
    }
}

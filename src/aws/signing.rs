//! Credentials for signing a WebSocket URL (`endpoint --transport wss`): the standard chain's,
//! as every other AWS call here gets them, resolved once before any connection.

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_iot::config::ProvideCredentials;

use super::{AwsError, AwsSettings};
use crate::net::AwsCredentials;

/// The longest credential resolution may take (as for the API calls).
const RESOLUTION: Duration = Duration::from_secs(4);

/// The chain's credentials, and its region when it has one (the signing region's fallback).
pub(super) fn signing_credentials(
    settings: &AwsSettings,
) -> Result<(AwsCredentials, Option<String>), AwsError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AwsError::NoCredentials(format!("no async runtime ({e})")))?;
    runtime.block_on(async {
        let started = Instant::now();
        let budget = RESOLUTION.min(settings.timeout);
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        let config = tokio::time::timeout(budget, loader.load())
            .await
            .map_err(|_| {
                AwsError::NoCredentials("the configuration did not load in time".into())
            })?;
        let region = config.region().map(|region| region.to_string());
        let provider = config
            .credentials_provider()
            .ok_or_else(|| AwsError::NoCredentials("no credential provider".into()))?;
        let left = budget.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, provider.provide_credentials()).await {
            Ok(Ok(credentials)) => Ok((
                AwsCredentials {
                    access_key_id: credentials.access_key_id().to_string(),
                    secret_access_key: credentials.secret_access_key().to_string(),
                    session_token: credentials.session_token().map(str::to_string),
                },
                region,
            )),
            Ok(Err(error)) => Err(AwsError::NoCredentials(words(&error))),
            Err(_) => Err(AwsError::NoCredentials(format!(
                "none found within {} s",
                budget.as_secs_f64()
            ))),
        }
    })
}

/// What the credential chain said (its words name providers, never a credential).
fn words(error: &dyn std::error::Error) -> String {
    let words = error.to_string();
    if words.is_empty() {
        "the credential chain found none".to_string()
    } else {
        words
    }
}

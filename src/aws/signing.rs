//! Credentials for signing a WebSocket URL (`endpoint --transport wss`): the standard chain's,
//! as every other AWS call here gets them, resolved once before any connection.

use std::time::{Duration, Instant};

use aws_config::Region;
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
        // The two provider chains alone, not the whole SDK configuration: loading that builds
        // an HTTPS client (and reads the system's roots) that signing never uses.
        let mut regions = aws_config::default_provider::region::DefaultRegionChain::builder();
        let mut chain =
            aws_config::default_provider::credentials::DefaultCredentialsChain::builder();
        if let Some(profile) = &settings.profile {
            regions = regions.profile_name(profile);
            chain = chain.profile_name(profile);
        }
        let region = match &settings.region {
            Some(region) => Some(region.clone()),
            None => tokio::time::timeout(budget, regions.build().region())
                .await
                .ok()
                .flatten()
                .map(|region| region.to_string()),
        };
        if let Some(region) = &region {
            chain = chain.region(Region::new(region.clone()));
        }
        // The chain's first link on its own first: when the environment holds the
        // credentials, as on a developer's or CI machine, the rest of the chain (whose HTTP
        // client reads the system's roots) is not built at all. Same answer, in a fraction of
        // the time.
        let environment = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
        if let Ok(credentials) = environment.provide_credentials().await {
            return Ok((converted(&credentials), region));
        }
        let provider = chain.build().await;
        let left = budget.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, provider.provide_credentials()).await {
            Ok(Ok(credentials)) => Ok((converted(&credentials), region)),
            Ok(Err(error)) => Err(AwsError::NoCredentials(words(&error))),
            Err(_) => Err(AwsError::NoCredentials(format!(
                "none found within {} s",
                budget.as_secs_f64()
            ))),
        }
    })
}

fn converted(credentials: &aws_credential_types::Credentials) -> AwsCredentials {
    AwsCredentials {
        access_key_id: credentials.access_key_id().to_string(),
        secret_access_key: credentials.secret_access_key().to_string(),
        session_token: credentials.session_token().map(str::to_string),
    }
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
